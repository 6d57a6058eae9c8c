import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './paths.js';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const defaultsFile = join(projectRoot, 'config', 'defaults.json');

export function envName(key: string): string {
  return `VEIL_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** The only place that reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const defaults = JSON.parse(readFileSync(defaultsFile, 'utf8')) as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...defaults };
  for (const key of Object.keys(defaults)) {
    const value = env[envName(key)];
    if (value !== undefined) merged[key] = value;
  }
  if (env.REDIS_URL !== undefined && env[envName('redisUrl')] === undefined) merged.redisUrl = env.REDIS_URL;
  if (env.FFMPEG_PATH !== undefined && env[envName('ffmpegPath')] === undefined) merged.ffmpegPath = env.FFMPEG_PATH;
  Object.assign(merged, overrides);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(root)';
      const source = typeof issue.path[0] === 'string' ? ` (${envName(issue.path[0])})` : '';
      return `${key}${source}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}
