/**
 * The matchmaker's Lua scripts. Each runs atomically inside Redis, so any number of Node processes
 * can share one queue. They implement the rules of match-rules.ts (kept in step by a shared table
 * of test cases).
 *
 * Key layout under the prefix P (per mode M = video | text):
 *   P ticket:<session>         hash: mode, interests and countries ("\n"-joined), country ("" =
 *                              unknown), since (ms), node (the id of the chatter's node). TTL as
 *                              a safety net.
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
 * [6] max candidates scanned, [7] ticket TTL (ms), [8] random number in [0, 1), [9] the caller's
 * node id, [10] prefix of node liveness keys ("" = do not check; a ticket whose node has no key
 * <prefix><node> is dropped when met), [11] locality window (0 = no preference: else, having met a
 * compatible ticket on another node, look at up to this many more for one on the caller's node).
 * enqueue adds: [12] mode, [13] interests, [14] countries ("\n"-joined), [15] country or "".
 * enqueue replies false (queued) or { partnerId, partnerNode, sharedInterest... }; retry the same,
 * with -1 for a session that has no ticket (never queued, or lost with a Redis that kept no data).
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
  local f = redis.call('HMGET', ticketKey(id), 'mode', 'interests', 'countries', 'country', 'since', 'node')
  if not f[1] then return nil end
  return { id = id, mode = f[1], tags = f[2], countries = split(f[3]), country = f[4], since = tonumber(f[5]), node = f[6] or '' }
end

-- Interest tags are split only when needed: most candidates are decided on country first.
local function interestsOf(t)
  if not t.interests then t.interests = split(t.tags) end
  return t.interests
end

local function indexKeys(t)
  local keys = { queueKey(t.mode) }
  for _, tag in ipairs(interestsOf(t)) do keys[#keys + 1] = interestKey(t.mode, tag) end
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
  node = ARGV[9],
  nodePrefix = ARGV[10],
  window = tonumber(ARGV[11]),
  alive = {},
}

-- Whether the ticket's node still has its registry entry (checked once per node per call).
local function nodeAlive(t)
  if ctx.nodePrefix == '' or t.node == ctx.node then return true end
  local known = ctx.alive[t.node]
  if known == nil then
    known = redis.call('EXISTS', ctx.nodePrefix .. t.node) == 1
    ctx.alive[t.node] = known
  end
  return known
end

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
  return t.tags ~= '' and ctx.now - t.since < ctx.fallbackMs
end

local function compatible(a, b)
  if a.id == b.id or a.mode ~= b.mode then return nil end
  if not acceptsCountry(a.countries, b.country) or not acceptsCountry(b.countries, a.country) then return nil end
  local theirs = {}
  for _, tag in ipairs(interestsOf(b)) do theirs[tag] = true end
  local shared = {}
  for _, tag in ipairs(interestsOf(a)) do
    if theirs[tag] then shared[#shared + 1] = tag end
  end
  if #shared == 0 and (needsShared(a) or needsShared(b)) then return nil end
  if redis.call('EXISTS', recentKey(a.id, b.id)) == 1 then return nil end
  return shared
end

-- A cursor walks one index zset in score order (oldest first) over ranks first..last, reading
-- pages of growing size, so a call that finds a partner near the head reads little.
local function cursor(key, first, last)
  return { key = key, nextRank = first, last = last, page = {}, pos = 1, taken = 0, pageSize = 4 }
end

local function peek(c)
  if c.pos > #c.page then
    if c.nextRank > c.last then return nil end
    local upto = math.min(c.nextRank + c.pageSize - 1, c.last)
    c.pageSize = math.min(c.pageSize * 2, 64)
    local range = redis.call('ZRANGE', c.key, c.nextRank, upto, 'WITHSCORES')
    c.page, c.pos, c.nextRank = {}, 1, upto + 1
    for i = 1, #range, 2 do c.page[#c.page + 1] = { id = range[i], score = tonumber(range[i + 1]) } end
    if #c.page == 0 then
      c.nextRank = c.last + 1
      return nil
    end
  end
  return c.page[c.pos]
end

-- Examines the cursors' entries merged oldest first, each session once, until a compatible one
-- turns up or budget candidates were examined. A compatible one on another node is kept while up
-- to ctx.window more are examined for one on self's node. Returns partner, shared interests,
-- count examined.
local function scan(self, cursors, budget, seen)
  local scanned = 0
  local remote, remoteShared, extra = nil, nil, 0
  while scanned < budget and extra <= ctx.window do
    local from, entry = nil, nil
    for _, c in ipairs(cursors) do
      local e = peek(c)
      if e and (not entry or e.score < entry.score) then from, entry = c, e end
    end
    if not from then break end
    from.pos, from.taken = from.pos + 1, from.taken + 1
    if not seen[entry.id] then
      seen[entry.id] = true
      scanned = scanned + 1
      local other = loadTicket(entry.id)
      if not other then
        -- Its ticket expired (its node died): drop the dangling entries met on the way.
        redis.call('ZREM', from.key, entry.id)
        redis.call('ZREM', queueKey(self.mode), entry.id)
        from.nextRank, from.last, from.taken = from.nextRank - 1, from.last - 1, from.taken - 1
      elseif not nodeAlive(other) then
        -- Its node is gone: the ticket leaves the queue with every index entry.
        removeTicket(other)
        from.nextRank, from.last, from.taken = from.nextRank - 1, from.last - 1, from.taken - 1
      else
        local shared = compatible(self, other)
        if shared and (other.node == self.node or ctx.window == 0) then return other, shared, scanned end
        if shared and not remote then remote, remoteShared = other, shared end
      end
      if remote then extra = extra + 1 end
    end
  end
  return remote, remoteShared, scanned
end

-- The longest-waiting compatible ticket in the index zsets keys, examining at most budget
-- candidates: half from the heads, the rest from a random rank onwards in each, so a head full of
-- incompatible tickets cannot hide everyone behind it for ever.
-- Returns partner, shared interests, count examined.
local function search(self, keys, budget, seen)
  local heads = {}
  for i, key in ipairs(keys) do heads[i] = cursor(key, 0, redis.call('ZCARD', key) - 1) end
  local partner, shared, scanned = scan(self, heads, math.ceil(budget / 2), seen)
  if partner then return partner, shared, scanned end
  local tails = {}
  for _, head in ipairs(heads) do
    local rest = head.last + 1 - head.taken
    if rest > 0 then
      tails[#tails + 1] = cursor(head.key, head.taken + math.floor(ctx.rand * rest), head.last)
    end
  end
  local more
  partner, shared, more = scan(self, tails, budget - scanned, seen)
  return partner, shared, scanned + more
end

-- Shared-interest candidates first (through the interest indexes); then, once self no longer
-- insists on a shared interest, anyone: from the countries self asks for when it filters, else
-- among those whose own filter lets self in. At most ctx.maxScan candidates in all.
local function findPartner(self)
  local seen = { [self.id] = true }
  local open = not needsShared(self)
  local budget = ctx.maxScan
  if self.tags ~= '' then
    local keys = {}
    for i, tag in ipairs(interestsOf(self)) do keys[i] = interestKey(self.mode, tag) end
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
  local reply = { partner.id, partner.node }
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
  id = id, mode = ARGV[12], tags = ARGV[13], countries = split(ARGV[14]),
  country = ARGV[15], since = ctx.now, node = ctx.node,
}
local partner, shared = findPartner(self)
if partner then return pairWith(self, partner, shared) end
redis.call('HSET', ticketKey(id), 'mode', self.mode, 'interests', ARGV[13], 'countries', ARGV[14],
  'country', self.country, 'since', ARGV[3], 'node', self.node)
for _, key in ipairs(indexKeys(self)) do redis.call('ZADD', key, ARGV[3], id) end
touchTicket(self)
return false
`;

/** Tries again for a waiting ticket; keeps it (and refreshes its TTL) when no one fits; -1 when there is no ticket. */
const RETRY = String.raw`
local self = loadTicket(ARGV[2])
if not self then return -1 end
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
