import { assertUnreachable } from '../../src/protocol/messages.js';

/**
 * Why our media connection to the server failed, where the page can tell:
 * - `firefox_loopback`: Firefox never connects to a server's loopback candidate (127.0.0.1, ::1),
 *   and every candidate the server offered is one. That is a local set-up whose server has no
 *   network address for media (the default adds one: docs/browsers.md); only the user can change it.
 * - `unknown`: anything else (a firewall, a network change, the server gone).
 */
export type LinkFailureCause = 'firefox_loopback' | 'unknown';

/** mediasoup-client's handler name (Firefox120, Chrome111, ...) and the addresses of the server's ICE candidates. */
export function linkFailureCause(handlerName: string, serverAddresses: readonly string[]): LinkFailureCause {
  if (handlerName.startsWith('Firefox') && serverAddresses.length > 0 && serverAddresses.every(isLoopbackAddress)) return 'firefox_loopback';
  return 'unknown';
}

export function isLoopbackAddress(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === '::1' || address.toLowerCase() === 'localhost';
}

/** What the page says about a failed media connection, and where: the status line, or the media panel (with its "text only"). */
export function linkFailureNotice(cause: LinkFailureCause): { readonly place: 'status' | 'panel'; readonly text: string } {
  switch (cause) {
    case 'firefox_loopback':
      return {
        place: 'panel',
        text:
          'Firefox cannot get video from this server: it only offers 127.0.0.1 (loopback) for video, which Firefox refuses. ' +
          'Text chat still works. For video, open this page in Chromium or Chrome, or restart the server with ' +
          "VEIL_RTC_SAME_MACHINE_IP set to this machine's network address (see “Firefox” in the README).",
      };
    case 'unknown':
      return { place: 'status', text: 'The video connection is having trouble…' };
    default:
      return assertUnreachable(cause);
  }
}
