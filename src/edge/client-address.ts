import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** Strips the IPv4-mapped IPv6 prefix so one client has one form of address. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * The client's address as the edge sees it. X-Forwarded-For is believed only when the TCP peer is a
 * configured trusted proxy; then the right-most entry that is not itself a trusted proxy wins.
 * The result is for hashing and the country lookup at the edge only: it must go no further.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: readonly string[]): string {
  const peer = normalizeAddress(req.socket.remoteAddress ?? '');
  if (!trustedProxies.includes(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((part) => normalizeAddress(part.trim()))
    .filter((part) => isIP(part) !== 0);
  for (let i = chain.length - 1; i >= 0; i--) {
    const hop = chain[i] as string;
    if (!trustedProxies.includes(hop)) return hop;
  }
  return peer;
}

/**
 * Keyed hash of an address (HMAC-SHA256, hex). Unkeyed hashes of IPv4 addresses can be reversed
 * by trying all 2^32 of them; without the secret this cannot.
 */
export function hashAddress(address: string, secret: string): string {
  return createHmac('sha256', secret).update(address).digest('hex');
}
