/** Parsed address: 4 bytes (IPv4, including IPv4-mapped IPv6) or 16 bytes (IPv6). */
export type IpBytes = Uint8Array;

/** Parses an IPv4 or IPv6 address (zone ids dropped, IPv4-mapped IPv6 unwrapped); `undefined` when malformed. */
export function parseIp(input: string): IpBytes | undefined {
  const text = input.trim();
  if (text.includes(':')) {
    const v6 = parseIpv6(text.replace(/%.*$/, '').replace(/^\[|\]$/g, ''));
    if (v6 && isIpv4Mapped(v6)) return v6.subarray(12);
    return v6;
  }
  return parseIpv4(text);
}

function parseIpv4(text: string): IpBytes | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0'))) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIpv6(text: string): IpBytes | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string | undefined): number[] | undefined => {
    if (!s) return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(Number.parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 1 ? 0 : fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function isIpv4Mapped(b: IpBytes): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Zeroes every bit after the first `prefix` bits. */
export function maskIp(bytes: IpBytes, prefix: number): IpBytes {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = (out[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** Canonical text: dotted quad, or RFC 5952 compressed lowercase IPv6. */
export function formatIp(bytes: IpBytes): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** A parsed CIDR block. */
export interface Cidr {
  readonly bytes: IpBytes;
  readonly prefix: number;
}

/** Parses `10.0.0.0/8`, `fd00::/8` or a bare address; `undefined` when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const parts = text.split('/');
  if (parts.length > 2) return undefined;
  const [addr, bits] = parts;
  const bytes = parseIp(addr ?? '');
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  // Digits only: Number('') is 0, so a typo like "10.0.0.0/" would otherwise trust every address.
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return undefined;
  return { bytes: maskIp(bytes, prefix), prefix };
}

/** True when `ip` lies in `cidr` (families must match). */
export function cidrContains(cidr: Cidr, ip: IpBytes): boolean {
  if (cidr.bytes.length !== ip.length) return false;
  const masked = maskIp(ip, cidr.prefix);
  for (let i = 0; i < masked.length; i++) if (masked[i] !== cidr.bytes[i]) return false;
  return true;
}

/**
 * The anonymous-client group of `address`: the address itself, or its network when a prefix
 * shorter than the full length is given (IPv6 /56 by default, so rotating through a customer's
 * delegated prefix does not multiply the quota). `undefined` when `address` does not parse.
 */
export function ipGroup(address: string, ipv4Prefix: number, ipv6Prefix: number): string | undefined {
  const bytes = parseIp(address);
  if (!bytes) return undefined;
  const prefix = bytes.length === 4 ? ipv4Prefix : ipv6Prefix;
  const full = bytes.length * 8;
  if (prefix >= full) return formatIp(bytes);
  return `${formatIp(maskIp(bytes, prefix))}/${prefix}`;
}
