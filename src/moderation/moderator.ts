import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import sharp from 'sharp';
import type { Ban, BanStore } from '../bans/ban-store.js';
import type { DeviceSummary } from '../edge/device.js';
import { logger } from '../logging/logger.js';
import { FrameTap, FrameTapError, type DecoderPool, type FrameSample } from '../media/frame-tap/index.js';
import type { Classification } from './classification.js';
import { PoolBusyError, type ClassifierPool } from './classifier-pool.js';
import type { EvidenceStore } from '../evidence/store.js';
import { evidenceModelVersions, evidenceScores, policyInput } from './findings.js';
import { decide, type Decision, type ModerationPolicy } from './policy.js';
import { nextSampleAt, type SampleEvent, type SampleScheduleOptions } from './sample-schedule.js';

const log = logger('moderator');
const SAMPLE_TIMEOUT_MS = 3000;
const REPORT_SAMPLE_ATTEMPTS = 4;
/** How long a report waits before it samples again after a dropped sample. */
export const REPORT_RETRY_MS = 500;
const JPEG_QUALITY = 85;

/** What the moderator needs of a chatter: who (keyed hash, device) and the live video, if any. */
export interface ModeratedChatter {
  /** Opaque per-visit id; kept with evidence as the session reference. */
  readonly id: string;
  readonly ipHash: string;
  readonly device: DeviceSummary;
  readonly videoSource: { router: types.Router; producer: types.Producer } | undefined;
}

/** What the lobby must do after a decision. */
export type ModerationAction =
  /** End the chatter's connection; `ban` is null when the ban could not be recorded (Redis down). */
  { type: 'ban'; chatterId: string; ban: Ban | null } | { type: 'end_pair'; chatterId: string } | { type: 'blur'; chatterId: string };

/** How one sample ended. */
export type SampleOutcome =
  | { status: 'classified'; decision: Decision; classification: Classification; evidenceId: string | null; timings: FrameSample['timings'] }
  | { status: 'dropped'; reason: string }
  /** Nothing to sample; `retrySoon` when the video may come back any moment (camera paused). */
  | { status: 'skipped'; reason: string; retrySoon?: boolean }
  | { status: 'failed'; error: string };

export type ModeratorEvents = {
  action: [ModerationAction];
  /** Every finished sample, for metrics and tests. */
  sample: [chatterId: string, outcome: SampleOutcome];
};

/**
 * The timers the moderator schedules samples and report retries with. Default: the real ones,
 * unref'd so that a pending sample never keeps the process alive. Test hook: a test passes timers
 * it fires itself (tests/support/manual-timers.ts) instead of waiting real seconds.
 */
export interface ModeratorTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: ModeratorTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ModeratorOptions {
  /** Null when no ffmpeg is usable: nothing can be sampled (moderation is degraded). */
  decoders: DecoderPool | null;
  /** Null when the classifier workers could not start (moderation is degraded). */
  classifiers: ClassifierPool | null;
  evidence: EvidenceStore;
  bans: BanStore;
  policy: ModerationPolicy;
  schedule: SampleScheduleOptions;
  banDays: number;
  /** Test hook: the sampling schedule's randomness. Default Math.random. */
  random?: () => number;
  /** Test hook: see ModeratorTimers. */
  timers?: ModeratorTimers;
}

/** Counters since start, for the health report. */
export interface ModeratorCounters {
  classified: number;
  flagged: number;
  dropped: number;
  failed: number;
}

interface Watch {
  chatter: ModeratedChatter;
  /** Sampling on schedule (the chatter is in a video pair). */
  active: boolean;
  timer: unknown;
  /** Bumped by every paired()/unpaired(): a sample that outlives its pairing must not reschedule. */
  generation: number;
  tap: FrameTap | undefined;
  /** The tap being created, shared by overlapping samples (a report during a scheduled one). */
  tapReady: Promise<FrameTap> | undefined;
  /** Evidence stored during this visit, for the confident-minor purge. */
  evidenceIds: string[];
  failuresInRow: number;
}

/**
 * Samples each paired video chatter's stream (soon after each pairing, then at random intervals,
 * and at once when the partner reports), classifies the decoded frame on the worker pool, and acts
 * on the policy's decision: clean frames are dropped in memory; flagged ones are stored encrypted;
 * a hash match or a confident minor bans the address hash and asks the lobby to end the chatter.
 * Every failure is contained here: the chat itself never waits for, or breaks on, moderation.
 */
export class Moderator extends EventEmitter<ModeratorEvents> {
  readonly counters: ModeratorCounters = { classified: 0, flagged: 0, dropped: 0, failed: 0 };
  /** The last sample's error, cleared by the next success (reported as degraded meanwhile). */
  lastError: string | null = null;
  readonly #inFlight = new Set<Promise<SampleOutcome>>();
  readonly #options: ModeratorOptions;
  readonly #random: () => number;
  readonly #timers: ModeratorTimers;
  readonly #watches = new Map<string, Watch>();
  #closed = false;

  constructor(options: ModeratorOptions) {
    super();
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.#timers = options.timers ?? REAL_TIMERS;
  }

  /** The chatter is in a new video pair: first sample soon, then at random intervals. */
  paired(chatter: ModeratedChatter): void {
    if (this.#closed) return;
    const watch = this.#watch(chatter);
    watch.active = true;
    watch.generation++;
    this.#schedule(watch, 'paired');
  }

  /** The chatter's pair ended: no more scheduled samples (a report sample may still run). */
  unpaired(chatterId: string): void {
    const watch = this.#watches.get(chatterId);
    if (!watch) return;
    watch.active = false;
    watch.generation++;
    this.#timers.clearTimeout(watch.timer);
    watch.timer = undefined;
  }

  /** The chatter left: everything about it is released. */
  left(chatterId: string): void {
    const watch = this.#watches.get(chatterId);
    if (!watch) return;
    this.unpaired(chatterId);
    watch.tap?.close();
    this.#watches.delete(chatterId);
  }

  /** The partner reported this chatter: a sample now, kept for review whatever the classifiers say. */
  async reported(chatter: ModeratedChatter): Promise<SampleOutcome> {
    if (this.#closed) return { status: 'skipped', reason: 'moderation is shutting down' };
    const watch = this.#watch(chatter);
    let outcome: SampleOutcome = { status: 'skipped', reason: 'not sampled' };
    for (let attempt = 0; attempt < REPORT_SAMPLE_ATTEMPTS && !this.#closed; attempt++) {
      outcome = await this.#sample(watch, true);
      if (outcome.status !== 'dropped') break;
      await new Promise<void>((resolve) => this.#timers.setTimeout(resolve, REPORT_RETRY_MS));
    }
    return outcome;
  }

  /**
   * Stops sampling: no new sample starts, the ones under way finish (each is bounded by the sample
   * timeout), so a flagged one reaches the evidence store before the classifiers and Redis go (a
   * drain loses nothing); then every tap is released.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    for (const id of [...this.#watches.keys()]) this.left(id);
  }

  #watch(chatter: ModeratedChatter): Watch {
    let watch = this.#watches.get(chatter.id);
    if (!watch) {
      watch = { chatter, active: false, timer: undefined, generation: 0, tap: undefined, tapReady: undefined, evidenceIds: [], failuresInRow: 0 };
      this.#watches.set(chatter.id, watch);
    }
    return watch;
  }

  #schedule(watch: Watch, event: SampleEvent): void {
    this.#timers.clearTimeout(watch.timer);
    const delay = nextSampleAt(event, 0, this.#random(), this.#options.schedule);
    const generation = watch.generation;
    watch.timer = this.#timers.setTimeout(() => {
      watch.timer = undefined;
      if (this.#closed) return;
      void this.#sample(watch, false).then((outcome) => {
        if (watch.generation !== generation || !watch.active || this.#closed || this.#watches.get(watch.chatter.id) !== watch) return;
        watch.failuresInRow = outcome.status === 'failed' ? watch.failuresInRow + 1 : 0;
        // A dropped sample, or a first failure (video not flowing yet), is tried again soon; a
        // stream that keeps failing is tried on the ordinary schedule, so it cannot burn decoders.
        const retrySoon = outcome.status === 'dropped' || watch.failuresInRow === 1 || (outcome.status === 'skipped' && outcome.retrySoon === true);
        this.#schedule(watch, retrySoon ? 'dropped' : 'sampled');
      });
    }, delay);
  }

  /** One sample, start to finish; never throws. Tracked until it ends, for close(). */
  async #sample(watch: Watch, userReport: boolean): Promise<SampleOutcome> {
    const running = this.#takeAndClassify(watch, userReport).catch((error: Error): SampleOutcome => ({ status: 'failed', error: error.message }));
    this.#inFlight.add(running);
    try {
      const outcome = await running;
      this.#count(watch.chatter.id, outcome);
      return outcome;
    } finally {
      this.#inFlight.delete(running);
    }
  }

  async #takeAndClassify(watch: Watch, userReport: boolean): Promise<SampleOutcome> {
    const { decoders, classifiers } = this.#options;
    if (!decoders) return { status: 'skipped', reason: 'no ffmpeg: moderation cannot decode video' };
    if (!classifiers) return { status: 'skipped', reason: 'the classifiers are not running' };
    const source = watch.chatter.videoSource;
    if (!source) return { status: 'skipped', reason: 'no live video' };
    let frame: FrameSample;
    try {
      const tap = await this.#tapFor(watch, source, decoders);
      if (!tap) return { status: 'skipped', reason: 'the chatter left' };
      frame = await tap.sample({ timeoutMs: SAMPLE_TIMEOUT_MS });
    } catch (error) {
      return frameTapOutcome(error);
    }
    const pixels = Buffer.from(frame.rgb); // classify() takes the frame's buffer; this copy may become evidence
    let classification: Classification;
    try {
      classification = await classifiers.classify(frame.rgb, frame.width, frame.height);
    } catch (error) {
      if (error instanceof PoolBusyError) return { status: 'dropped', reason: error.message };
      throw error;
    }
    const decision = decide(policyInput(classification, userReport), this.#options.policy);
    const evidenceId = decision.action === 'none' ? null : await this.#act(watch, decision, classification, pixels, frame);
    return { status: 'classified', decision, classification, evidenceId, timings: frame.timings };
  }

  /** The watch's tap on the current producer, created once even when samples overlap; undefined if the watch is gone. */
  async #tapFor(watch: Watch, source: NonNullable<ModeratedChatter['videoSource']>, decoders: DecoderPool): Promise<FrameTap | undefined> {
    if (watch.tap && !watch.tap.closed && watch.tap.consumer.producerId === source.producer.id) return watch.tap;
    if (!watch.tapReady) {
      watch.tap?.close();
      watch.tap = undefined;
      watch.tapReady = FrameTap.create(source.router, source.producer, { decoders }).finally(() => {
        watch.tapReady = undefined;
      });
      const tap = await watch.tapReady;
      if (this.#watches.get(watch.chatter.id) !== watch) {
        tap.close(); // left while the tap was being made (close() lets samples under way finish first)
        return undefined;
      }
      watch.tap = tap;
      return tap;
    }
    const tap = await watch.tapReady;
    return tap.closed ? undefined : tap;
  }

  /** Stores the evidence and bans or asks the lobby to act; returns the evidence id. */
  async #act(
    watch: Watch,
    decision: Exclude<Decision, { action: 'none' }>,
    classification: Classification,
    pixels: Buffer,
    frame: FrameSample,
  ): Promise<string | null> {
    const { chatter } = watch;
    const stored = this.#store(watch, decision.reason, classification, pixels, frame);
    if (decision.action !== 'end_and_ban') {
      const evidenceId = await stored; // review needs the evidence: a storage failure fails the sample
      if (decision.endPair) this.#emitAction({ type: 'end_pair', chatterId: chatter.id });
      else if (decision.blur) this.#emitAction({ type: 'blur', chatterId: chatter.id });
      return evidenceId;
    }
    // A ban must not wait for, or depend on, storing the evidence.
    const evidenceId = await stored.catch((error: Error) => {
      log.error({ reason: decision.reason, err: error.message }, 'evidence could not be stored; banning anyway');
      return null;
    });
    const ban = await this.#options.bans.ban(chatter.ipHash, { reason: decision.reason, days: this.#options.banDays, evidenceId }).catch((error: Error) => {
      log.error({ reason: decision.reason, err: error.message }, 'ban could not be recorded; ending the connection anyway');
      return null;
    });
    this.#emitAction({ type: 'ban', chatterId: chatter.id, ban });
    if (decision.purgeSession && evidenceId) await this.#purgeSession(watch, evidenceId);
    return evidenceId;
  }

  async #store(
    watch: Watch,
    reason: Exclude<Decision, { action: 'none' }>['reason'],
    classification: Classification,
    pixels: Buffer,
    frame: FrameSample,
  ): Promise<string> {
    const jpeg = await sharp(pixels, { raw: { width: frame.width, height: frame.height, channels: 3 } })
      .jpeg({ quality: JPEG_QUALITY })
      .toBuffer();
    const record = await this.#options.evidence.put({
      jpeg,
      ipHash: watch.chatter.ipHash,
      device: watch.chatter.device,
      reason,
      scores: evidenceScores(classification),
      modelVersions: evidenceModelVersions(classification),
      sessionRef: watch.chatter.id,
      capturedAt: frame.capturedAt,
    });
    watch.evidenceIds.push(record.id);
    log.warn({ evidenceId: record.id, reason }, 'sample flagged');
    return record.id;
  }

  /** Seed policy for a confident minor: of this visit, keep only the ban and the flagged sample. */
  async #purgeSession(watch: Watch, keep: string): Promise<void> {
    for (const id of watch.evidenceIds.filter((other) => other !== keep)) {
      await this.#options.evidence.delete(id).catch((error: Error) => log.warn({ evidenceId: id, err: error.message }, 'purge: evidence kept'));
    }
    watch.evidenceIds = [keep];
  }

  #emitAction(action: ModerationAction): void {
    try {
      this.emit('action', action);
    } catch (error) {
      log.error({ action: action.type, err: (error as Error).message }, 'action listener failed');
    }
  }

  #count(chatterId: string, outcome: SampleOutcome): void {
    switch (outcome.status) {
      case 'classified':
        this.counters.classified++;
        if (outcome.evidenceId) this.counters.flagged++;
        this.lastError = null;
        break;
      case 'dropped':
        this.counters.dropped++;
        break;
      case 'failed':
        this.counters.failed++;
        this.lastError = outcome.error;
        log.warn({ chatter: chatterId, err: outcome.error }, 'sample failed');
        break;
      case 'skipped':
        break;
    }
    this.emit('sample', chatterId, outcome);
  }
}

/** Sorts frame-tap errors: back-pressure drops, expected absences skip, the rest fail. */
function frameTapOutcome(error: unknown): SampleOutcome {
  if (!(error instanceof FrameTapError)) return { status: 'failed', error: (error as Error).message };
  switch (error.code) {
    case 'busy':
      return { status: 'dropped', reason: error.message };
    case 'producer-paused':
      return { status: 'skipped', reason: error.message, retrySoon: true };
    case 'closed':
      return { status: 'skipped', reason: error.message };
    case 'timeout':
    case 'ffmpeg-not-found':
    case 'decoder-died':
    case 'bad-producer':
      return { status: 'failed', error: error.message };
  }
}
