import { buildScript } from '../script.js';

/**
 * The credit semaphore's budget: P[1] = leaseMs, P[2] = 1 for opportunistic admission (the
 * default) or 0 for FIFO, P[3] = the default refundMs, P[4] = maxBypass (-1: none); its own key KEYS[7] = refunds, a zset of '<cost>:<id>' scored by when
 * the credits come back. Credits are taken at the grant and held as a lease (renewed while the
 * permit is held, so a dead holder's credits do come back); a release schedules them back
 * `refundMs` later (sent with the release); a lease that runs out unreleased is refunded from its
 * expiry, as if released then with no delay, since when its work ended is unknown. Held and
 * refunding both count against `capacity`.
 *
 * @example
 * ```ts
 * const keys = ['s', 'q', 'w', 'c', 'x', 'g'].map((k) => `tollgate:api:{api}:${k}`);
 * const common = ['tollgate:api:{api}:wake', '3', '3000', '4000', '604800000', '0', '1', '3000']; // channel, capacity, ttls, unknownState, params
 * const lease = 'a3f09c1d2e4b5f60.0';
 * await redis.evalScript(CREDIT_SEMAPHORE_SCRIPT, keys, ['cancel', ...common, lease, '20', '1', '10000']);
 * ```
 */
export const CREDIT_SEMAPHORE_BUDGET = `
local HOLD, PROVABLE, OPPORTUNISTIC = P[1], false, P[2] == 1
local LOSS_MS = P[1] + P[3]
local MAX_BYPASS = P[4]
local HINT_ONLY = false
local RK = KEYS[7]
local refunding = 0
local function lostOwn() return (tonumber(redis.call('HGET', S, 'refunding')) or 0) > 0 and redis.call('EXISTS', RK) == 0 end
local function load(state)
  refunding = tonumber(redis.call('HGET', S, 'refunding')) or 0
  if state ~= 'ok' then
    redis.call('DEL', RK)
    refunding = 0
  end
  local due = redis.call('ZRANGEBYSCORE', RK, '-inf', num(now))
  if #due > 0 then
    for _, m in ipairs(due) do refunding = refunding - tonumber(string.match(m, '^[^:]*')) end
    redis.call('ZREMRANGEBYSCORE', RK, '-inf', num(now))
    if redis.call('ZCARD', RK) == 0 or refunding < 0 then refunding = 0 end
  end
end
local function free()
  local used = refunding
  for _, id in ipairs(redis.call('ZRANGE', X, 0, -1)) do used = used + (costOf(id) or CAP) end
  return CAP - used
end
local function take(cost) end
local function giveBack(cost) end
local function released(id, cost, refundMs)
  if refundMs > 0 and cost > 0 then
    redis.call('ZADD', RK, num(now + refundMs), num(cost) .. ':' .. id)
    refunding = refunding + cost
  end
end
local function expiredGrant(id, cost) end
-- Only refunds coming due are foreseeable (a release or an expiry may come sooner).
local function readyDelay(cost)
  local short = cost - free()
  if short <= 0 then return 0 end
  local entries = redis.call('ZRANGE', RK, 0, -1, 'WITHSCORES')
  for i = 1, #entries, 2 do
    short = short - tonumber(string.match(entries[i], '^[^:]*'))
    if short <= 0 then return math.max(1, math.ceil(tonumber(entries[i + 1]) - now)) end
  end
  return -1
end
local function idleAt()
  local last = redis.call('ZRANGE', RK, -1, -1, 'WITHSCORES')
  if last[2] == nil then return 0 end
  return tonumber(last[2])
end
local function save() redis.call('HSET', S, 'refunding', num(refunding)) end
`;

/**
 * The credit semaphore's whole script.
 *
 * @example
 * ```ts
 * const keys = ['s', 'q', 'w', 'c', 'x', 'g'].map((k) => `tollgate:api:{api}:${k}`);
 * const common = ['tollgate:api:{api}:wake', '3', '3000', '4000', '604800000', '0', '1', '3000']; // channel, capacity, ttls, unknownState, params
 * const lease = 'a3f09c1d2e4b5f60.0';
 * await redis.evalScript(CREDIT_SEMAPHORE_SCRIPT, keys, ['renew', ...common, lease]);
 * ```
 */
export const CREDIT_SEMAPHORE_SCRIPT = buildScript(CREDIT_SEMAPHORE_BUDGET);
