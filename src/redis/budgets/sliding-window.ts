import { buildScript } from '../script.js';

/**
 * The sliding window's budget: P[1] = limit, P[2] = windowMs, its own key KEYS[7] = admissions,
 * a zset of '<cost>:<n>' scored by when each frees (its admission + windowMs on the server's
 * clock), with their sum in S as `wused`. An admission of cost c at t frees c at exactly
 * t + windowMs, so no window [t, t + windowMs) ever holds more than `limit`; memory is what one
 * window holds. A grant never used stays counted (never over-admits). A window found lost counts
 * as full for one windowMs.
 *
 * @example
 * ```ts
 * const keys = ['s', 'q', 'w', 'c', 'x', 'g'].map((k) => `tollgate:api:{api}:${k}`);
 * const common = ['tollgate:api:{api}:wake', '3', '3000', '4000', '604800000', '0', '1', '3000']; // channel, capacity, ttls, unknownState, params
 * await redis.evalScript(SLIDING_WINDOW_SCRIPT, keys, ['acquire', ...common, ticket, '1', '1', '-1']);
 * ```
 */
export const SLIDING_WINDOW_BUDGET = `
local HOLD, PROVABLE, OPPORTUNISTIC = 0, true, false
local LOSS_MS = 0
local MAX_BYPASS = -1
local HINT_ONLY = false
local WIN = P[2]
local WK = KEYS[7]
local used = 0
local function lostOwn() return (tonumber(redis.call('HGET', S, 'wused')) or 0) > 0 and redis.call('EXISTS', WK) == 0 end
local function load(state)
  used = tonumber(redis.call('HGET', S, 'wused')) or 0
  if state ~= 'ok' then
    redis.call('DEL', WK)
    used = 0
    if state == 'lost' then
      redis.call('ZADD', WK, num(now + WIN), num(CAP) .. ':lost')
      used = CAP
    end
  end
  local gone = redis.call('ZRANGEBYSCORE', WK, '-inf', num(now))
  if #gone > 0 then
    for _, m in ipairs(gone) do used = used - tonumber(string.match(m, '^[^:]*')) end
    redis.call('ZREMRANGEBYSCORE', WK, '-inf', num(now))
    -- Sums of fractions drift: an empty window holds exactly nothing.
    if redis.call('ZCARD', WK) == 0 or used < 0 then used = 0 end
  end
end
local function free() return CAP - used end
local function take(cost)
  used = used + cost
  redis.call('ZADD', WK, num(now + WIN), num(cost) .. ':' .. redis.call('HINCRBY', S, 'wseq', 1))
end
local function giveBack(cost) end
local function released(id, cost, refundMs) end
local function expiredGrant(id, cost) end
-- The instant enough of the window has freed, walking admissions in the order they free.
local function readyDelay(cost)
  local short = used + cost - CAP
  if short <= 0 then return 0 end
  local entries = redis.call('ZRANGE', WK, 0, -1, 'WITHSCORES')
  for i = 1, #entries, 2 do
    short = short - tonumber(string.match(entries[i], '^[^:]*'))
    if short <= 0 then return math.max(1, math.ceil(tonumber(entries[i + 1]) - now)) end
  end
  return math.max(1, WIN)
end
local function idleAt()
  local last = redis.call('ZRANGE', WK, -1, -1, 'WITHSCORES')
  if last[2] == nil then return now end
  return tonumber(last[2])
end
local function save() redis.call('HSET', S, 'wused', num(used)) end
`;

/**
 * The sliding window's whole script.
 *
 * @example
 * ```ts
 * const keys = ['s', 'q', 'w', 'c', 'x', 'g'].map((k) => `tollgate:api:{api}:${k}`);
 * const common = ['tollgate:api:{api}:wake', '3', '3000', '4000', '604800000', '0', '1', '3000']; // channel, capacity, ttls, unknownState, params
 * await redis.evalScript(SLIDING_WINDOW_SCRIPT, keys, ['acquire', ...common, ticket, '1', '0', '-1']);
 * ```
 */
export const SLIDING_WINDOW_SCRIPT = buildScript(SLIDING_WINDOW_BUDGET);
