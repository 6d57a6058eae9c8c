/**
 * Lua scripts that keep each evidence record's hash and its index entries consistent under
 * concurrent sweeps, deletes and holds. Every script takes KEYS = [record hash, deadline index,
 * review queue] and ARGV[1] = the evidence id.
 */

/** Deletes the record if its indexed deadline is <= ARGV[2] and no hold protects it; 1 if deleted. */
export const CLAIM_DUE = `
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
local hold = tonumber(redis.call('HGET', KEYS[1], 'legalHoldUntil') or '0')
if hold > tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[2], hold, ARGV[1])
  return 0
end
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
redis.call('ZADD', KEYS[2], math.max(untilAt, deleteAt), ARGV[1])
return 1
`;
