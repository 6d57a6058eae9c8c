import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { FrameTapError } from './errors.js';

/** Where the ffmpeg binary came from. */
export type FfmpegSource = 'config' | 'ffmpeg-static' | 'path';

export interface ResolvedFfmpeg {
  /** What to pass to `spawn()`: an absolute path, or `ffmpeg` to be found on PATH. */
  readonly path: string;
  readonly source: FfmpegSource;
  /** A human sentence saying why this binary was chosen. */
  readonly reason: string;
  /** The first line of `ffmpeg -version`. */
  readonly version: string;
}

export interface ResolveFfmpegOptions {
  /** `FFMPEG_PATH` from the configuration; when given it is the only candidate. */
  configuredPath?: string | undefined;
  /** Test hook: the package-lookup step; defaults to resolving the `ffmpeg-static` package. */
  findStaticBinary?: () => string | undefined;
  /** How long `-version` may take before the candidate is refused; default 5000 ms. */
  probeTimeoutMs?: number;
}

/**
 * Chooses the ffmpeg binary: the configured path, else `ffmpeg-static`'s binary when that optional
 * package is installed, else `ffmpeg` on PATH. Each candidate is checked by running `-version`.
 * This module never reads the environment: the caller passes what the configuration holds.
 * @throws FrameTapError `ffmpeg-not-found`, naming every candidate tried and why it failed.
 */
export async function resolveFfmpeg(options: ResolveFfmpegOptions = {}): Promise<ResolvedFfmpeg> {
  const timeoutMs = options.probeTimeoutMs ?? 5000;
  if (options.configuredPath !== undefined) {
    const version = await probe(options.configuredPath, timeoutMs);
    if (typeof version !== 'string') {
      throw new FrameTapError(
        'ffmpeg-not-found',
        `ffmpeg path from the configuration (FFMPEG_PATH=${options.configuredPath}) is not usable: ${version.error}`,
        { path: options.configuredPath },
      );
    }
    return { path: options.configuredPath, source: 'config', reason: 'FFMPEG_PATH is set in the configuration', version };
  }
  const failures: string[] = [];
  const staticPath = (options.findStaticBinary ?? findFfmpegStatic)();
  if (staticPath !== undefined) {
    const version = await probe(staticPath, timeoutMs);
    if (typeof version === 'string') {
      return { path: staticPath, source: 'ffmpeg-static', reason: 'no FFMPEG_PATH configured; the ffmpeg-static package is installed', version };
    }
    failures.push(`ffmpeg-static (${staticPath}): ${version.error}`);
  } else {
    failures.push('ffmpeg-static: package not installed');
  }
  const version = await probe('ffmpeg', timeoutMs);
  if (typeof version === 'string') {
    return { path: 'ffmpeg', source: 'path', reason: 'no FFMPEG_PATH configured and no ffmpeg-static package; using ffmpeg on PATH', version };
  }
  failures.push(`ffmpeg on PATH: ${version.error}`);
  throw new FrameTapError('ffmpeg-not-found', `no usable ffmpeg: set FFMPEG_PATH or install ffmpeg (apt-get install ffmpeg). Tried ${failures.join('; ')}`);
}

/** The binary path exported by the optional `ffmpeg-static` package, if it is installed. */
function findFfmpegStatic(): string | undefined {
  try {
    const required: unknown = createRequire(import.meta.url)('ffmpeg-static');
    return typeof required === 'string' && required.length > 0 ? required : undefined;
  } catch {
    return undefined; // not installed: an optional accelerator, not an error
  }
}

/** Runs `<bin> -version`; resolves to its first line or to the reason it failed. */
function probe(bin: string, timeoutMs: number): Promise<string | { error: string }> {
  return new Promise((resolve) => {
    const child = spawn(bin, ['-hide_banner', '-version'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: timeoutMs });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('error', (error) => resolve({ error: error.message }));
    child.once('close', (code, signal) => {
      if (code === 0 && out.startsWith('ffmpeg version')) resolve(out.split('\n', 1)[0] ?? out);
      else if (code === 0) resolve({ error: 'it runs but does not identify itself as ffmpeg' });
      else if (code !== null || signal !== null) resolve({ error: `-version exited with ${code ?? signal}` });
    });
  });
}
