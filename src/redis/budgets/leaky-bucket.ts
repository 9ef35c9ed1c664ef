import { buildScript } from '../script.js';

/**
 * The leaky bucket's budget: P[1] = maxRate, P[2] = periodMs. `level` and `last` (the instant it
 * was computed for) live in S; the level drains continuously at `maxRate / periodMs` per ms of
 * the server's clock, and an amount is admitted when `level + amount <= maxRate`. A bucket found
 * lost restarts full (nothing admitted until it drains): never a burst on top of one just spent.
 *
 * @example
 * ```ts
 * const keys = ['s', 'q', 'w', 'c', 'x', 'g'].map((k) => `tollgate:api:{api}:${k}`);
 * const common = ['tollgate:api:{api}:wake', '3', '3000', '4000', '604800000', '0', '1', '3000']; // channel, capacity, ttls, unknownState, params
 * await redis.evalScript(LEAKY_BUCKET_SCRIPT, keys, ['acquire', ...common, ticket, '1', '1', '-1']);
 * ```
 */
export const LEAKY_BUCKET_BUDGET = `
local HOLD, PROVABLE, OPPORTUNISTIC = 0, true, false
local LOSS_MS = 0
local MAX_BYPASS = -1
local HINT_ONLY = false
local RATE = P[1] / P[2]
local level, last
local function lostOwn() return false end
local function load(state)
  local st = redis.call('HMGET', S, 'level', 'last')
  level, last = tonumber(st[1]), tonumber(st[2])
  if state == 'lost' then level, last = CAP, now
  elseif level == nil or last == nil then level, last = 0, now end
  -- A server clock stepping back drains nothing.
  if now > last then
    level = math.max(0, level - (now - last) * RATE)
    last = now
  end
end
local function free() return CAP - level end
local function take(cost) level = level + cost end
local function giveBack(cost) level = math.max(0, level - cost) end
local function released(id, cost, refundMs) end
local function expiredGrant(id, cost) end
local function readyDelay(cost)
  if level + cost <= CAP then return 0 end
  return math.max(1, math.ceil((level + cost - CAP) / RATE))
end
local function idleAt() return last + level / RATE end
local function save() redis.call('HSET', S, 'level', num(level), 'last', num(last)) end
`;

/**
 * The leaky bucket's whole script.
 *
 * @example
 * ```ts
 * const keys = ['s', 'q', 'w', 'c', 'x', 'g'].map((k) => `tollgate:api:{api}:${k}`);
 * const common = ['tollgate:api:{api}:wake', '3', '3000', '4000', '604800000', '0', '1', '3000']; // channel, capacity, ttls, unknownState, params
 * await redis.evalScript(LEAKY_BUCKET_SCRIPT, keys, ['acquire', ...common, ticket, '1', '0', '-1']);
 * ```
 */
export const LEAKY_BUCKET_SCRIPT = buildScript(LEAKY_BUCKET_BUDGET);
