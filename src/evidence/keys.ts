import { join } from 'node:path';
import { storedSecret } from '../edge/secret.js';
import { parseKeyRing, type EvidenceKeyRing } from './crypto.js';

/**
 * The evidence key ring from the configuration: `evidenceKeys` ("id:<64 hex>,..."), the current
 * key named by `evidenceCurrentKey` or else the last one listed. With no keys configured, one key
 * ("local") is generated into the data folder on first start; an operator who keeps the data
 * folder on shared storage should configure keys from a secret store instead (docs/evidence.md).
 */
export function evidenceKeyRing(config: { evidenceKeys: string; evidenceCurrentKey: string; dataDir: string }): EvidenceKeyRing {
  if (!config.evidenceKeys) return parseKeyRing(`local:${storedSecret(join(config.dataDir, 'evidence.key'))}`, 'local');
  const ids = config.evidenceKeys
    .split(',')
    .map((entry) => entry.split(':', 1)[0]?.trim() ?? '')
    .filter(Boolean);
  return parseKeyRing(config.evidenceKeys, config.evidenceCurrentKey || (ids.at(-1) ?? ''));
}
