import type { BanStore } from '../bans/ban-store.js';
import type { Config } from '../config/schema.js';
import { ConfigError, envName } from '../config/load.js';
import { logger } from '../logging/logger.js';
import { DecoderPool, resolveFfmpeg, type ResolvedFfmpeg } from '../media/frame-tap/index.js';
import { ClassifierPool, type ClassifierPoolHealth, type ClassifierPoolOptions } from './classifier-pool.js';
import type { EvidenceStore } from '../evidence/store.js';
import { Moderator, type ModeratorCounters } from './moderator.js';
import { policyFromConfig, type ModerationPolicy } from './policy.js';
import type { SampleScheduleOptions } from './sample-schedule.js';

const log = logger('moderation');

export interface ModerationHealth {
  /** `off` by configuration; `degraded` when something below is missing or failing. */
  status: 'ok' | 'degraded' | 'off';
  /** Every reason for `degraded`, in words an operator can act on. */
  problems: string[];
  ffmpeg: { path: string; source: string; version: string } | null;
  classifiers: ClassifierPoolHealth | null;
  samples: ModeratorCounters;
}

/** What the moderation service is started with; `moderationOptions()` maps the configuration to it. */
export interface ModerationServiceOptions {
  policy: ModerationPolicy;
  /** A configured ffmpeg; undefined: ffmpeg-static if installed, else `ffmpeg` on PATH. */
  ffmpegPath: string | undefined;
  frameDecoders: number;
  frameSampleWidth: number;
  classifiers: ClassifierPoolOptions;
  schedule: SampleScheduleOptions;
  banDays: number;
}

/** How long a dropped sample (busy decoder or classifier) waits before it is tried again. */
const RETRY_AFTER_DROP_MS = 2000;

/** The composition root's mapping of the flat configuration keys to the service's options. */
export function moderationOptions(config: Config): ModerationServiceOptions {
  return {
    policy: policyFromConfig(config),
    ffmpegPath: config.ffmpegPath || undefined,
    frameDecoders: config.frameDecoders,
    frameSampleWidth: config.frameSampleWidth,
    classifiers: {
      ...(config.classifierWorkers > 0 ? { size: config.classifierWorkers } : {}),
      ...(config.pdqHashListFile ? { hashListPath: config.pdqHashListFile } : {}),
      ...(config.nudityModelDir ? { nudityModelDir: config.nudityModelDir } : {}),
      ...(config.faceModelDir ? { faceModelDir: config.faceModelDir } : {}),
      ...(config.onnxModelDir ? { onnxModelDir: config.onnxModelDir } : {}),
      backend: config.inferenceBackend,
    },
    schedule: {
      firstSampleMs: config.sampleFirstMs,
      minIntervalMs: config.sampleMinIntervalMs,
      maxIntervalMs: config.sampleMaxIntervalMs,
      retryAfterDropMs: RETRY_AFTER_DROP_MS,
    },
    banDays: config.banDays,
  };
}

/**
 * Live-video moderation as the app runs it: ffmpeg decoders, classifier workers and the moderator.
 * A missing ffmpeg or classifiers that cannot start do not stop the app (chat goes on); they make
 * the health report say `degraded` and why. Bad configuration, on the other hand, stops start-up.
 */
export class ModerationService {
  readonly moderator: Moderator;
  readonly #decoders: DecoderPool | null;
  readonly #classifiers: ClassifierPool | null;
  readonly #ffmpeg: ResolvedFfmpeg | null;
  readonly #startProblems: string[];

  private constructor(parts: {
    moderator: Moderator;
    decoders: DecoderPool | null;
    classifiers: ClassifierPool | null;
    ffmpeg: ResolvedFfmpeg | null;
    problems: string[];
  }) {
    this.moderator = parts.moderator;
    this.#decoders = parts.decoders;
    this.#classifiers = parts.classifiers;
    this.#ffmpeg = parts.ffmpeg;
    this.#startProblems = parts.problems;
  }

  static async start(options: ModerationServiceOptions, stores: { evidence: EvidenceStore; bans: BanStore }): Promise<ModerationService> {
    const problems: string[] = [];
    let ffmpeg: ResolvedFfmpeg | null = null;
    let decoders: DecoderPool | null = null;
    try {
      ffmpeg = await resolveFfmpeg({ configuredPath: options.ffmpegPath });
      log.info({ path: ffmpeg.path, source: ffmpeg.source, version: ffmpeg.version }, `frame tap uses ffmpeg: ${ffmpeg.reason}`);
      decoders = await DecoderPool.create({ ffmpegPath: ffmpeg.path, width: options.frameSampleWidth, size: options.frameDecoders });
    } catch (error) {
      problems.push(`frame tap: ${(error as Error).message}`);
    }
    let classifiers: ClassifierPool | null = null;
    try {
      classifiers = await ClassifierPool.create(options.classifiers);
    } catch (error) {
      problems.push(`classifiers: ${(error as Error).message}`);
    }
    const forced = options.classifiers.backend ?? 'auto';
    const backendError = classifiers?.health().modelErrors.backend;
    if (forced !== 'auto' && backendError !== undefined) {
      await classifiers?.close();
      decoders?.close();
      throw new ConfigError(`inferenceBackend (${envName('inferenceBackend')}) is "${forced}", which cannot start here: ${backendError}`);
    }
    const moderator = new Moderator({ decoders, classifiers, ...stores, policy: options.policy, schedule: options.schedule, banDays: options.banDays });
    const service = new ModerationService({ moderator, decoders, classifiers, ffmpeg, problems });
    const health = service.health();
    if (health.status === 'degraded')
      log.error(
        { backend: health.classifiers?.backend ?? null, problems: health.problems },
        'moderation is degraded: video chat runs, but not every stream is checked',
      );
    else log.info({ backend: health.classifiers?.backend, workers: health.classifiers?.workers }, 'moderation is on');
    return service;
  }

  /** The frame tap's ffmpeg decoder processes alive now. */
  get decoderPids(): number[] {
    return this.#decoders?.pids ?? [];
  }

  /** Test-only: every classifier worker thread dies on its next job, as a crashing model would. */
  testOnlyCrashClassifiersOnNextJob(): void {
    this.#classifiers?.testOnlyCrashOnNextJob('exit');
  }

  health(): ModerationHealth {
    const classifiers = this.#classifiers?.health() ?? null;
    const problems = [...this.#startProblems];
    for (const [model, error] of Object.entries(classifiers?.modelErrors ?? {})) problems.push(`${model}: ${error}`);
    if (classifiers && classifiers.alive < classifiers.workers)
      problems.push(`classifiers: ${classifiers.workers - classifiers.alive} of ${classifiers.workers} workers are restarting`);
    if (this.moderator.lastError) problems.push(`last sample failed: ${this.moderator.lastError}`);
    return {
      status: problems.length > 0 ? 'degraded' : 'ok',
      problems,
      ffmpeg: this.#ffmpeg && { path: this.#ffmpeg.path, source: this.#ffmpeg.source, version: this.#ffmpeg.version },
      classifiers,
      samples: { ...this.moderator.counters },
    };
  }

  async close(): Promise<void> {
    await this.moderator.close();
    this.#decoders?.close();
    await this.#classifiers?.close();
  }
}
