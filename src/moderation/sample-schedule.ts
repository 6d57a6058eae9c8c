/**
 * When a stream is sampled: soon after each new pairing (every connection's first frames are
 * checked), then at a random interval so no one can time their behaviour around it. A sample
 * dropped by back-pressure is tried again after a short pause, not at once. Pure; the clock and
 * the random number are arguments.
 */
export interface SampleScheduleOptions {
  /** The first sample of a pairing is taken this long after it starts (the video needs a moment). */
  firstSampleMs: number;
  /** Later samples come a uniformly random time between these two apart. */
  minIntervalMs: number;
  maxIntervalMs: number;
  /** After a dropped sample (all decoders or classifiers busy), try again after this long. */
  retryAfterDropMs: number;
}

export const DEFAULT_SAMPLE_SCHEDULE: SampleScheduleOptions = {
  firstSampleMs: 1500,
  minIntervalMs: 10_000,
  maxIntervalMs: 30_000,
  retryAfterDropMs: 2_000,
};

export type SampleEvent = 'paired' | 'sampled' | 'dropped';

/** The time (ms epoch) of the next sample after an event at `now`; `random` in [0, 1). */
export function nextSampleAt(event: SampleEvent, now: number, random: number, options: SampleScheduleOptions): number {
  if (options.minIntervalMs > options.maxIntervalMs) {
    throw new TypeError(`minIntervalMs (${options.minIntervalMs}) is above maxIntervalMs (${options.maxIntervalMs})`);
  }
  switch (event) {
    case 'paired':
      return now + options.firstSampleMs;
    case 'dropped':
      return now + options.retryAfterDropMs;
    case 'sampled':
      return now + options.minIntervalMs + Math.floor(random * (options.maxIntervalMs - options.minIntervalMs));
  }
}
