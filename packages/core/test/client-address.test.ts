import { describe, expect, it } from 'vitest';
import { clientAddress } from '../src/tenant/client-address.js';
import { parseCidr } from '../src/tenant/ip.js';

const cidrs = (...list: string[]) => list.map((c) => parseCidr(c) as NonNullable<ReturnType<typeof parseCidr>>);

describe('clientAddress', () => {
  const socket = '10.0.0.2';
  const xff = '198.51.100.1, 203.0.113.9, 10.0.0.1';

  it('with trustProxy false ignores X-Forwarded-For entirely', () => {
    expect(clientAddress(socket, xff, false)).toBe(socket);
    expect(clientAddress(socket, '1.2.3.4', false)).toBe(socket);
    expect(clientAddress(undefined, '1.2.3.4', false)).toBeUndefined();
  });

  it('with a hop count of 0 also ignores it', () => {
    expect(clientAddress(socket, xff, 0)).toBe(socket);
  });

  it('with true believes the left-most address', () => {
    expect(clientAddress(socket, xff, true)).toBe('198.51.100.1');
  });

  it('with a hop count trusts that many hops from the right', () => {
    expect(clientAddress(socket, xff, 1)).toBe('10.0.0.1');
    expect(clientAddress(socket, xff, 2)).toBe('203.0.113.9');
    expect(clientAddress(socket, xff, 3)).toBe('198.51.100.1');
    expect(clientAddress(socket, xff, 10)).toBe('198.51.100.1');
  });

  it('with a CIDR list skips trusted hops from the right and stops at the first untrusted one', () => {
    expect(clientAddress(socket, xff, cidrs('10.0.0.0/8'))).toBe('203.0.113.9');
    expect(clientAddress(socket, xff, cidrs('10.0.0.0/8', '203.0.113.0/24'))).toBe('198.51.100.1');
  });

  it('with a CIDR list does not believe the header when the socket peer is not trusted', () => {
    expect(clientAddress('192.0.2.50', xff, cidrs('10.0.0.0/8'))).toBe('192.0.2.50');
  });

  it('with a CIDR list treats an unparsable hop as untrusted', () => {
    expect(clientAddress(socket, '198.51.100.1, garbage', cidrs('10.0.0.0/8'))).toBe('garbage');
  });

  it('matches IPv6 and IPv4-mapped proxies', () => {
    expect(clientAddress('::ffff:10.0.0.2', '198.51.100.1', cidrs('10.0.0.0/8'))).toBe('198.51.100.1');
    expect(clientAddress('fd00::2', '2001:db8::5', cidrs('fd00::/8'))).toBe('2001:db8::5');
  });

  it('accepts the header as repeated values', () => {
    expect(clientAddress(socket, ['198.51.100.1', '203.0.113.9, 10.0.0.1'], 2)).toBe('203.0.113.9');
  });

  it('uses the socket address when the header is missing or blank', () => {
    expect(clientAddress(socket, undefined, true)).toBe(socket);
    expect(clientAddress(socket, ' , ', true)).toBe(socket);
  });

  it('works without a socket address', () => {
    expect(clientAddress(undefined, '198.51.100.1, 10.0.0.1', 1)).toBe('198.51.100.1');
  });
});
