/**
 * CPU time of the processes a benchmark drives but does not run itself: the app's mediasoup
 * workers (their own getrusage, through mediasoup's getResourceUsage()) and a Chromium with all its
 * child processes (CDP SystemInfo.getProcessInfo: cumulative CPU seconds of each live process).
 */
import type { Browser } from 'playwright-core';
import { z } from 'zod';

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);

interface UsageSource {
  readonly worker: { getResourceUsage(): Promise<{ ru_utime: number; ru_stime: number; ru_maxrss: number }> };
}

/** The workers' CPU seconds (user + system) in all, and each worker's peak resident MiB. */
export async function workerUsage(slots: readonly UsageSource[]): Promise<{ cpuS: number; maxRssMib: string[] }> {
  const usages = await Promise.all(slots.map((slot) => slot.worker.getResourceUsage()));
  return { cpuS: usages.reduce((sum, u) => sum + (u.ru_utime + u.ru_stime) / 1000, 0), maxRssMib: usages.map((u) => mib(u.ru_maxrss * 1024)) };
}

const processInfoSchema = z.object({ processInfo: z.array(z.object({ type: z.string(), id: z.number(), cpuTime: z.number() })) });

/**
 * CPU seconds used so far by the browser's live processes (browser, renderers, GPU, network,
 * audio and capture services). A process that has exited no longer counts, so compare two readings
 * taken while the same pages stay open.
 */
export async function browserCpuSeconds(browser: Browser): Promise<number> {
  const session = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = processInfoSchema.parse(await session.send('SystemInfo.getProcessInfo'));
    return processInfo.reduce((sum, p) => sum + p.cpuTime, 0);
  } finally {
    await session.detach();
  }
}
