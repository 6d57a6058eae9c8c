import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { NODE_ID_PATTERN } from '../protocol/node-messages.js';

/** A readable id for a new node: the host name (cleaned) and a random suffix. */
export function newNodeId(host: string, random: string): string {
  const base = host
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return `${base || 'node'}-${random}`;
}

/**
 * This node's id: the configured one, else one generated on first start and kept in the data
 * folder (`node-id`), so a restarted node is the same node to operators and dashboards.
 */
export function nodeIdOf(configured: string, dataDir: string): string {
  if (configured) return configured;
  const file = join(dataDir, 'node-id');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (NODE_ID_PATTERN.test(stored)) return stored;
    throw new Error(`${file} does not hold a node id (1 to 64 characters from [A-Za-z0-9_-]): fix it, or delete it to get a new one`);
  }
  const id = newNodeId(hostname(), randomBytes(3).toString('hex'));
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, id + '\n', { mode: 0o644, flag: 'wx' });
  return id;
}
