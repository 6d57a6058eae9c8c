import type { BanStore } from '../bans/ban-store.js';
import type { Config } from '../config/schema.js';
import { logger } from '../logging/logger.js';
import { DecoderPool, resolveFfmpeg, type ResolvedFfmpeg } from '../media/frame-tap/index.js';
import { ClassifierPool, type ClassifierPoolHealth } from './classifier-pool.js';
import type { EvidenceStore } from '../evidence/store.js';
import { Moderator, type ModeratorCounters } from './moderator.js';
import { policyFromConfig } from './policy.js';

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

  static async start(config: Config, stores: { evidence: EvidenceStore; bans: BanStore }): Promise<ModerationService> {
    const policy = policyFromConfig(config);
    const problems: string[] = [];
    let ffmpeg: ResolvedFfmpeg | null = null;
    let decoders: DecoderPool | null = null;
    try {
      ffmpeg = await resolveFfmpeg({ configuredPath: config.ffmpegPath || undefined });
      log.info({ path: ffmpeg.path, source: ffmpeg.source, version: ffmpeg.version }, `frame tap uses ffmpeg: ${ffmpeg.reason}`);
      decoders = await DecoderPool.create({ ffmpegPath: ffmpeg.path, width: config.frameSampleWidth, size: config.frameDecoders });
    } catch (error) {
      problems.push(`frame tap: ${(error as Error).message}`);
    }
    let classifiers: ClassifierPool | null = null;
    try {
      classifiers = await ClassifierPool.create({
        ...(config.classifierWorkers > 0 ? { size: config.classifierWorkers } : {}),
        ...(config.pdqHashListFile ? { hashListPath: config.pdqHashListFile } : {}),
        ...(config.nudityModelDir ? { nudityModelDir: config.nudityModelDir } : {}),
        ...(config.faceModelDir ? { faceModelDir: config.faceModelDir } : {}),
      });
    } catch (error) {
      problems.push(`classifiers: ${(error as Error).message}`);
    }
    const moderator = new Moderator({
      decoders,
      classifiers,
      ...stores,
      policy,
      schedule: {
        firstSampleMs: config.sampleFirstMs,
        minIntervalMs: config.sampleMinIntervalMs,
        maxIntervalMs: config.sampleMaxIntervalMs,
        retryAfterDropMs: 2000,
      },
      banDays: config.banDays,
    });
    const service = new ModerationService({ moderator, decoders, classifiers, ffmpeg, problems });
    const health = service.health();
    if (health.status === 'degraded') log.error({ problems: health.problems }, 'moderation is degraded: video chat runs, but not every stream is checked');
    else log.info({ backend: health.classifiers?.backend, workers: health.classifiers?.workers }, 'moderation is on');
    return service;
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
    this.moderator.close();
    this.#decoders?.close();
    await this.#classifiers?.close();
  }
}
