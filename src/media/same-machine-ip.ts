import type { NetworkInterfaceInfo } from 'node:os';
import type { Config } from '../config/schema.js';
import { isLoopback } from '../http/listen.js';

/** What os.networkInterfaces() returns: interface name to its addresses. */
export type NetworkInterfaces = NodeJS.Dict<readonly NetworkInterfaceInfo[]>;

/**
 * A second address the media workers listen on and announce, besides a loopback rtcListenIp, so
 * that a Firefox on the same machine can connect: Firefox never pairs its candidates with a
 * server's loopback candidate (127.0.0.1, ::1), whatever media.peerconnection.ice.loopback says
 * (measured with Firefox ESR 153: docs/browsers.md), so on the default local set-up it would get
 * text but never video. This machine's own network address is local too (the kernel delivers it
 * without touching the wire), and Firefox does pair with it.
 *
 * - `off`: none.
 * - an address: that one, whenever rtcListenIp is loopback and nothing is announced.
 * - `auto` (the default): this machine's first network address (IPv4 before IPv6, never a
 *   link-local one, which Firefox ignores too), but only on the local set-up: HTTP and media both
 *   on loopback and no announced address, so only this machine's browsers ever get the
 *   candidates. A public node announces its address (rtcAnnouncedIp) and gets nothing added.
 *
 * Returns undefined when nothing is to be added (or `auto` finds no network address: then a
 * Firefox user is told in the page what to do).
 */
export function sameMachineMediaIp(
  config: Pick<Config, 'httpHost' | 'rtcListenIp' | 'rtcAnnouncedIp' | 'rtcSameMachineIp'>,
  interfaces: NetworkInterfaces,
): string | undefined {
  if (config.rtcSameMachineIp === 'off' || config.rtcAnnouncedIp !== '' || !isLoopback(config.rtcListenIp)) return undefined;
  if (config.rtcSameMachineIp !== 'auto') return config.rtcSameMachineIp;
  if (!isLoopback(config.httpHost)) return undefined;
  return firstNetworkAddress(interfaces);
}

/** The first address that is neither loopback nor link-local, IPv4 before IPv6, in interface order. */
export function firstNetworkAddress(interfaces: NetworkInterfaces): string | undefined {
  const usable = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((info) => !info.internal && !isLoopback(info.address) && !isLinkLocal(info.address));
  return (usable.find((info) => info.family === 'IPv4') ?? usable.find((info) => info.family === 'IPv6'))?.address;
}

function isLinkLocal(address: string): boolean {
  return address.startsWith('169.254.') || /^fe[89ab][0-9a-f]:/i.test(address);
}
