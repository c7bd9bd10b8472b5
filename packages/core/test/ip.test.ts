import { describe, expect, it } from 'vitest';
import { cidrContains, formatIp, ipGroup, parseCidr, parseIp } from '../src/tenant/ip.js';

const text = (input: string) => {
  const bytes = parseIp(input);
  return bytes && formatIp(bytes);
};

describe('parseIp / formatIp', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::1', '::1'],
    ['::', '::'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[2001:db8::7]', '2001:db8::7'],
    ['  10.1.2.3 ', '10.1.2.3'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ])('parses %s as %s', (input, expected) => {
    expect(text(input)).toBe(expected);
  });

  it('unwraps IPv4-mapped IPv6 to the IPv4 address', () => {
    expect(parseIp('::ffff:203.0.113.7')?.length).toBe(4);
    expect(text('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(text('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(text('[::ffff:10.0.0.1]')).toBe('10.0.0.1');
  });

  it.each([
    '',
    'localhost',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.-4',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '1:2:3:4:5:6:7::8',
    '12345::1',
    'g::1',
    '::ffff:999.0.0.1',
  ])('refuses %j', (input) => {
    expect(parseIp(input)).toBeUndefined();
  });
});

describe('parseCidr / cidrContains', () => {
  it('parses blocks and bare addresses', () => {
    expect(parseCidr('10.0.0.0/8')?.prefix).toBe(8);
    expect(parseCidr('10.1.2.3')?.prefix).toBe(32);
    expect(parseCidr('2001:db8::/32')?.prefix).toBe(32);
    expect(parseCidr('::1')?.prefix).toBe(128);
  });

  it('masks the host bits of the block', () => {
    const cidr = parseCidr('10.9.8.7/8');
    expect(cidr && formatIp(cidr.bytes)).toBe('10.0.0.0');
  });

  it.each(['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/8.5', '10.0.0.0/ 8', '10.0.0.0/0x8', 'nope/8', '::/129'])(
    'refuses %j',
    (input) => {
      expect(parseCidr(input)).toBeUndefined();
    },
  );

  it('tests membership, only within one family', () => {
    const block = parseCidr('10.0.0.0/8');
    const v6 = parseCidr('2001:db8::/32');
    if (!block || !v6) throw new Error('parse failed');
    expect(cidrContains(block, parseIp('10.255.0.1') as Uint8Array)).toBe(true);
    expect(cidrContains(block, parseIp('11.0.0.1') as Uint8Array)).toBe(false);
    expect(cidrContains(block, parseIp('::ffff:10.0.0.1') as Uint8Array)).toBe(true);
    expect(cidrContains(v6, parseIp('2001:db8:ffff::1') as Uint8Array)).toBe(true);
    expect(cidrContains(v6, parseIp('2001:db9::1') as Uint8Array)).toBe(false);
    expect(cidrContains(v6, parseIp('10.0.0.1') as Uint8Array)).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0') as NonNullable<ReturnType<typeof parseCidr>>, parseIp('8.8.8.8') as Uint8Array)).toBe(true);
  });
});

describe('ipGroup', () => {
  it('groups IPv6 addresses by /56: same /56 share a group, different /56 do not', () => {
    const a = ipGroup('2001:db8:aa:bb01::1', 32, 56);
    const b = ipGroup('2001:db8:aa:bbff:ffff:ffff:ffff:ffff', 32, 56);
    const c = ipGroup('2001:db8:aa:bc00::1', 32, 56);
    const d = ipGroup('2001:db8:aa:ab00::1', 32, 56);
    expect(a).toBe('2001:db8:aa:bb00::/56');
    expect(b).toBe(a);
    expect(c).toBe('2001:db8:aa:bc00::/56');
    expect(c).not.toBe(a);
    expect(d).not.toBe(a);
  });

  it('uses the canonical text, so spellings of one address share a group', () => {
    expect(ipGroup('2001:0DB8:00AA:BB01:0:0:0:1', 32, 56)).toBe(ipGroup('2001:db8:aa:bb01::9', 32, 56));
    expect(ipGroup('2001:db8::1', 32, 128)).toBe(ipGroup('2001:0db8:0:0::0001', 32, 128));
  });

  it('treats IPv4-mapped IPv6 as IPv4', () => {
    expect(ipGroup('::ffff:203.0.113.7', 32, 56)).toBe('203.0.113.7');
    expect(ipGroup('::ffff:203.0.113.7', 24, 56)).toBe('203.0.113.0/24');
  });

  it('keeps whole IPv4 addresses at /32 and groups at shorter prefixes', () => {
    expect(ipGroup('203.0.113.7', 32, 56)).toBe('203.0.113.7');
    expect(ipGroup('203.0.113.7', 24, 56)).toBe('203.0.113.0/24');
    expect(ipGroup('203.0.113.7', 0, 56)).toBe('0.0.0.0/0');
    expect(ipGroup('2001:db8::1', 32, 128)).toBe('2001:db8::1');
  });

  it('is undefined for an unparsable address', () => {
    expect(ipGroup('unix:/tmp/socket', 32, 56)).toBeUndefined();
  });
});
