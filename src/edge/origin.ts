/**
 * Whether a WebSocket upgrade's Origin may connect: one of the configured origins, or, when none
 * are configured, the same host the page was served from. A missing Origin is refused: browsers
 * always send it, so only scripts elsewhere would leave it out.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (!origin) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (allowed.length > 0) return allowed.includes(url.origin);
  return host !== undefined && url.host === host && (url.protocol === 'http:' || url.protocol === 'https:');
}
