/**
 * Lua scripts that keep each evidence record's hash and its index entries consistent under
 * concurrent sweeps, deletes and holds. Every script takes KEYS = [record hash, deadline index,
 * review queue] and ARGV[1] = the evidence id. The per-address index (`BY_IP_PREFIX` + the
 * record's keyed hash, scored by effective deadline, expiring with its last entry) is kept here too;
 * its key is derived from the record (single-instance Redis, as everywhere in Veil).
 */

export const BY_IP_PREFIX = 'veil:evidence-index:by-ip:';

/** Lua: removes ARGV[1] from the record's per-address index (call before deleting the record). */
const UNINDEX_BY_IP = `
local ip = redis.call('HGET', KEYS[1], 'ipHash')
if ip then redis.call('ZREM', '${BY_IP_PREFIX}' .. ip, ARGV[1]) end
`;

/** Lua: scores ARGV[1] at the local `deadline` in the record's per-address index and keeps that index alive until then. */
const REINDEX_BY_IP = `
local ip = redis.call('HGET', KEYS[1], 'ipHash')
if ip then
  local byIp = '${BY_IP_PREFIX}' .. ip
  redis.call('ZADD', byIp, deadline, ARGV[1])
  redis.call('PEXPIREAT', byIp, deadline, 'NX')
  redis.call('PEXPIREAT', byIp, deadline, 'GT')
end
`;

/** Deletes the record if its indexed deadline is <= ARGV[2] and no hold protects it; 1 if deleted. */
export const CLAIM_DUE = `
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
local hold = tonumber(redis.call('HGET', KEYS[1], 'legalHoldUntil') or '0')
if hold > tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[2], hold, ARGV[1])
  return 0
end
${UNINDEX_BY_IP}
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`;

/**
 * Deletes the record unless a hold runs past ARGV[2] and ARGV[3] is not '1' (then -1).
 * Returns 1 if a record was deleted, 0 if there was none.
 */
export const REMOVE = `
local hold = tonumber(redis.call('HGET', KEYS[1], 'legalHoldUntil') or '0')
if ARGV[3] ~= '1' and hold > tonumber(ARGV[2]) then return -1 end
${UNINDEX_BY_IP}
local existed = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return existed
`;

/**
 * Places or extends a hold: until = max(current hold, ARGV[2]), basis ARGV[3], placed at ARGV[4];
 * moves the deadline index entry to max(until, deleteAt). Returns 0 when there is no record.
 */
export const PLACE_HOLD = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local current = tonumber(redis.call('HGET', KEYS[1], 'legalHoldUntil') or '0')
local untilAt = math.max(current, tonumber(ARGV[2]))
local deleteAt = tonumber(redis.call('HGET', KEYS[1], 'deleteAt') or '0')
redis.call('HSET', KEYS[1], 'legalHoldUntil', string.format('%d', untilAt), 'legalHoldBasis', ARGV[3], 'legalHoldPlacedAt', ARGV[4])
local deadline = string.format('%d', math.max(untilAt, deleteAt))
redis.call('ZADD', KEYS[2], deadline, ARGV[1])
${REINDEX_BY_IP}
return 1
`;

/**
 * Keeps the item at least until ARGV[2] (ordinary deadline = max(current, ARGV[2])), for example
 * as the evidence of a ban; moves the index entries. Returns 0 when there is no record.
 */
export const EXTEND_DEADLINE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local deleteAt = math.max(tonumber(redis.call('HGET', KEYS[1], 'deleteAt') or '0'), tonumber(ARGV[2]))
local hold = tonumber(redis.call('HGET', KEYS[1], 'legalHoldUntil') or '0')
redis.call('HSET', KEYS[1], 'deleteAt', string.format('%d', deleteAt))
local deadline = string.format('%d', math.max(deleteAt, hold))
redis.call('ZADD', KEYS[2], deadline, ARGV[1])
${REINDEX_BY_IP}
return 1
`;

/**
 * Records ARGV[1] as the location of a record that has none (KEYS = [record hash] only); 1 if it
 * did. Never creates a hash for a record deleted meanwhile.
 */
export const ADOPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'location', ARGV[1])
`;
