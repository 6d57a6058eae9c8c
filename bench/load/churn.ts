import type { Bot } from './bot.js';

/**
 * Has each paired bot press Next once its own random delay after the pairing has passed (between
 * half and one and a half times `everySeconds`), as chatters skipping through strangers do.
 */
export function pressNextAfterEachPairing(bots: readonly Bot[], everySeconds: number): { stop: () => void; presses: () => number } {
  const due = new Map<Bot, number>();
  let presses = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    for (const bot of bots) {
      if (!bot.paired) {
        due.delete(bot);
        continue;
      }
      const at = due.get(bot);
      if (at === undefined) due.set(bot, now + everySeconds * 1000 * (0.5 + Math.random()));
      else if (now >= at) {
        due.delete(bot);
        presses++;
        void bot.next();
      }
    }
  }, 100);
  return { stop: () => clearInterval(timer), presses: () => presses };
}
