import { type Cidr, cidrContains, parseIp } from './ip.js';

/**
 * Which proxies to believe about `X-Forwarded-For`: `false` (default) uses the socket address
 * only; `true` trusts every hop (the left-most address wins); a number trusts that many hops
 * from the right; a list of addresses/CIDRs trusts hops inside them.
 */
export type TrustProxy = boolean | number | readonly string[];

/** A {@link TrustProxy} prepared for per-request use. */
export type CompiledTrustProxy = boolean | number | readonly Cidr[];

/**
 * The client's address. `X-Forwarded-For` is only read when `trust` allows it, so a client
 * cannot pick its own bucket by sending the header.
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trust: CompiledTrustProxy,
): string | undefined {
  if (trust === false || trust === 0 || forwardedFor === undefined) return socketAddress;
  const hops = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (hops.length === 0) return socketAddress;
  const chain = socketAddress === undefined ? hops : [...hops, socketAddress];
  if (trust === true) return chain[0];
  if (typeof trust === 'number') return chain[Math.max(0, chain.length - 1 - trust)];
  for (let i = chain.length - 1; i > 0; i--) {
    const bytes = parseIp(chain[i] as string);
    if (!bytes || !trust.some((cidr) => cidrContains(cidr, bytes))) return chain[i];
  }
  return chain[0];
}
