import { rm } from 'node:fs/promises';

/**
 * An idempotent close for a launched test browser: closes it once, then removes its temporary
 * folder whether or not closing worked; every later call gets the same promise.
 */
export function closeOnce(browser: { close(): Promise<void> }, dir: string): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      try {
        await browser.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    })();
    return closing;
  };
}
