/**
 * The matchmaker's Lua scripts. Each runs atomically inside Redis, so any number of Node processes
 * can share one queue. They implement the rules of match-rules.ts (kept in step by a shared table
 * of test cases).
 *
 * Key layout under the prefix P (per mode M = video | text):
 *   P ticket:<session>         hash: mode, interests and countries ("\n"-joined), country ("" =
 *                              unknown), since (ms). TTL as a safety net.
 *   P M:queue                  zset session -> since: everyone waiting in mode M.
 *   P M:interest:<tag>         zset session -> since: waiting tickets carrying that interest.
 *   P M:country:<CC>           zset session -> since: waiting tickets from that country.
 *   P M:accepts:any            zset session -> since: waiting tickets without a country filter.
 *   P M:accepts:<CC>           zset session -> since: waiting tickets whose filter lets CC in.
 *   P recent:<s1>|<s2>         string with a TTL: s1 and s2 (byte order) were just paired.
 * Index keys get the ticket TTL too (refreshed on every add), so a crashed fleet leaves nothing
 * behind for long; emptied zsets vanish by themselves.
 *
 * All keys are derived from the prefix inside the script (numkeys = 0): fine for one Redis or a
 * replicated primary, not for Redis Cluster.
 *
 * ARGV common to all scripts: [1] prefix, [2] session id.
 * enqueue and retry add: [3] now (ms), [4] interest fallback (ms), [5] recent partner (s),
 * [6] max candidates scanned, [7] ticket TTL (ms), [8] random number in [0, 1).
 * enqueue adds: [9] mode, [10] interests, [11] countries ("\n"-joined), [12] country or "".
 * enqueue and retry reply: false (queued / not queued) or { partnerId, sharedInterest... }.
 */

/** The zset of everyone waiting in a mode (shared with the scripts' key layout). */
export function queueKey(prefix: string, mode: string): string {
  return `${prefix}${mode}:queue`;
}

const PRELUDE = String.raw`
local prefix = ARGV[1]

local function ticketKey(id) return prefix .. 'ticket:' .. id end
local function queueKey(mode) return prefix .. mode .. ':queue' end
local function interestKey(mode, tag) return prefix .. mode .. ':interest:' .. tag end
local function countryKey(mode, code) return prefix .. mode .. ':country:' .. code end
local function acceptsKey(mode, code) return prefix .. mode .. ':accepts:' .. code end

-- Byte order, not Lua's locale-dependent string comparison, so both sides name the same key.
local function recentKey(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      if x > y then a, b = b, a end
      return prefix .. 'recent:' .. a .. '|' .. b
    end
  end
  if #a > #b then a, b = b, a end
  return prefix .. 'recent:' .. a .. '|' .. b
end

local function split(joined)
  local list = {}
  for item in string.gmatch(joined, '[^\n]+') do list[#list + 1] = item end
  return list
end

local function loadTicket(id)
  local f = redis.call('HMGET', ticketKey(id), 'mode', 'interests', 'countries', 'country', 'since')
  if not f[1] then return nil end
  return { id = id, mode = f[1], interests = split(f[2]), countries = split(f[3]), country = f[4], since = tonumber(f[5]) }
end

local function indexKeys(t)
  local keys = { queueKey(t.mode) }
  for _, tag in ipairs(t.interests) do keys[#keys + 1] = interestKey(t.mode, tag) end
  if t.country ~= '' then keys[#keys + 1] = countryKey(t.mode, t.country) end
  if #t.countries == 0 then keys[#keys + 1] = acceptsKey(t.mode, 'any') end
  for _, code in ipairs(t.countries) do keys[#keys + 1] = acceptsKey(t.mode, code) end
  return keys
end

local function removeTicket(t)
  for _, key in ipairs(indexKeys(t)) do redis.call('ZREM', key, t.id) end
  redis.call('DEL', ticketKey(t.id))
end
`;

const MATCHING = String.raw`
local ctx = {
  now = tonumber(ARGV[3]),
  fallbackMs = tonumber(ARGV[4]),
  recentSeconds = tonumber(ARGV[5]),
  maxScan = tonumber(ARGV[6]),
  ttlMs = tonumber(ARGV[7]),
  rand = tonumber(ARGV[8]),
}

local function touchTicket(t)
  redis.call('PEXPIRE', ticketKey(t.id), ctx.ttlMs)
  for _, key in ipairs(indexKeys(t)) do redis.call('PEXPIRE', key, ctx.ttlMs) end
end

-- The rules; mirrors compatible() in match-rules.ts.
local function acceptsCountry(filter, country)
  if #filter == 0 then return true end
  for _, code in ipairs(filter) do
    if code == country then return true end
  end
  return false
end

local function needsShared(t)
  return #t.interests > 0 and ctx.now - t.since < ctx.fallbackMs
end

local function compatible(a, b)
  if a.id == b.id or a.mode ~= b.mode then return nil end
  if not acceptsCountry(a.countries, b.country) or not acceptsCountry(b.countries, a.country) then return nil end
  local theirs = {}
  for _, tag in ipairs(b.interests) do theirs[tag] = true end
  local shared = {}
  for _, tag in ipairs(a.interests) do
    if theirs[tag] then shared[#shared + 1] = tag end
  end
  if #shared == 0 and (needsShared(a) or needsShared(b)) then return nil end
  if redis.call('EXISTS', recentKey(a.id, b.id)) == 1 then return nil end
  return shared
end

-- Up to budget entries from the index zsets, oldest first: from each zset a window at its head
-- (the longest waiting) and, when it is larger, one at a random rank, so a head full of
-- incompatible tickets cannot hide everyone behind it for ever.
local function candidates(keys, budget)
  local per = math.max(1, math.floor(budget / #keys))
  local list = {}
  local function take(key, first, last)
    local range = redis.call('ZRANGE', key, first, last, 'WITHSCORES')
    for i = 1, #range, 2 do
      list[#list + 1] = { id = range[i], score = tonumber(range[i + 1]), key = key, seq = #list }
    end
  end
  for _, key in ipairs(keys) do
    local size = redis.call('ZCARD', key)
    if size <= per then
      if size > 0 then take(key, 0, size - 1) end
    else
      local head = math.ceil(per / 2)
      local rest = per - head
      take(key, 0, head - 1)
      if rest > 0 then
        local first = head + math.floor(ctx.rand * (size - head - rest + 1))
        take(key, first, first + rest - 1)
      end
    end
  end
  table.sort(list, function(x, y)
    if x.score ~= y.score then return x.score < y.score end
    return x.seq < y.seq
  end)
  return list
end

-- The longest-waiting compatible ticket among at most budget candidates from keys.
-- Returns partner, shared interests, number of candidates examined.
local function search(self, keys, budget, seen)
  local scanned = 0
  for _, c in ipairs(candidates(keys, budget)) do
    if scanned >= budget then break end
    if not seen[c.id] then
      seen[c.id] = true
      scanned = scanned + 1
      local other = loadTicket(c.id)
      if not other then
        -- Its ticket expired (its node died): drop the dangling entries met on the way.
        redis.call('ZREM', c.key, c.id)
        redis.call('ZREM', queueKey(self.mode), c.id)
      else
        local shared = compatible(self, other)
        if shared then return other, shared, scanned end
      end
    end
  end
  return nil, nil, scanned
end

-- Shared-interest candidates first (through the interest indexes); then, once self no longer
-- insists on a shared interest, anyone: from the countries self asks for when it filters, else
-- among those whose own filter lets self in. At most ctx.maxScan candidates in all.
local function findPartner(self)
  local seen = { [self.id] = true }
  local open = not needsShared(self)
  local budget = ctx.maxScan
  if #self.interests > 0 then
    local keys = {}
    for i, tag in ipairs(self.interests) do keys[i] = interestKey(self.mode, tag) end
    local share = budget
    if open then share = math.ceil(budget / 2) end
    local partner, shared, scanned = search(self, keys, share, seen)
    if partner then return partner, shared end
    budget = budget - scanned
  end
  if not open or budget < 1 then return nil end
  local keys = {}
  if #self.countries > 0 then
    for i, code in ipairs(self.countries) do keys[i] = countryKey(self.mode, code) end
  else
    keys[1] = acceptsKey(self.mode, 'any')
    if self.country ~= '' then keys[2] = acceptsKey(self.mode, self.country) end
  end
  local partner, shared = search(self, keys, budget, seen)
  return partner, shared
end

-- Takes partner out of the queue, remembers the pair, and builds the reply.
local function pairWith(self, partner, shared)
  removeTicket(partner)
  if ctx.recentSeconds > 0 then
    redis.call('SET', recentKey(self.id, partner.id), '1', 'EX', ctx.recentSeconds)
  end
  local reply = { partner.id }
  for _, tag in ipairs(shared) do reply[#reply + 1] = tag end
  return reply
end
`;

/** Pairs the caller with a compatible waiting ticket, or queues it (replacing any ticket it had). */
const ENQUEUE = String.raw`
local id = ARGV[2]
local old = loadTicket(id)
if old then removeTicket(old) end
local self = {
  id = id, mode = ARGV[9], interests = split(ARGV[10]), countries = split(ARGV[11]),
  country = ARGV[12], since = ctx.now,
}
local partner, shared = findPartner(self)
if partner then return pairWith(self, partner, shared) end
redis.call('HSET', ticketKey(id), 'mode', self.mode, 'interests', ARGV[10], 'countries', ARGV[11],
  'country', self.country, 'since', ARGV[3])
for _, key in ipairs(indexKeys(self)) do redis.call('ZADD', key, ARGV[3], id) end
touchTicket(self)
return false
`;

/** Tries again for a waiting ticket; keeps it (and refreshes its TTL) when no one fits. */
const RETRY = String.raw`
local self = loadTicket(ARGV[2])
if not self then return false end
local partner, shared = findPartner(self)
if partner then
  removeTicket(self)
  return pairWith(self, partner, shared)
end
touchTicket(self)
return false
`;

/** Removes a waiting ticket and its index entries; nothing when it is not queued. */
const LEAVE = String.raw`
local t = loadTicket(ARGV[2])
if t then removeTicket(t) end
return 0
`;

/** The scripts by ioredis command name. */
export const MATCH_SCRIPTS = {
  veilMatchEnqueue: PRELUDE + MATCHING + ENQUEUE,
  veilMatchRetry: PRELUDE + MATCHING + RETRY,
  veilMatchLeave: PRELUDE + LEAVE,
} as const;
