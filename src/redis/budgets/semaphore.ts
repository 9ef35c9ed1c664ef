import { buildScript } from '../script.js';

/**
 * The semaphore's budget: leases. P[1] = leaseMs. What is held is the sum of the costs of the
 * leases in X; a lease that is neither renewed nor released expires `leaseMs` after its grant or
 * last renewal, and only a release or an expiry frees anything. A lease whose cost is unknown
 * counts as the whole capacity: a partial loss never frees capacity.
 *
 * @example
 * ```ts
 * const keys = ['s', 'q', 'w', 'c', 'x', 'g'].map((k) => `tollgate:api:{api}:${k}`);
 * const common = ['tollgate:api:{api}:wake', '3', '3000', '4000', '604800000', '0', '1', '3000']; // channel, capacity, ttls, unknownState, params
 * const lease = 'a3f09c1d2e4b5f60.0';
 * await redis.evalScript(SEMAPHORE_SCRIPT, keys, ['acquire', ...common, lease, '1', '0', '-1']);
 * ```
 */
export const SEMAPHORE_BUDGET = `
local HOLD, PROVABLE, OPPORTUNISTIC = P[1], false, false
local LOSS_MS = P[1]
local MAX_BYPASS = -1
local HINT_ONLY = true
local function lostOwn() return false end
local function load(state) end
local function free()
  local used = 0
  for _, id in ipairs(redis.call('ZRANGE', X, 0, -1)) do used = used + (costOf(id) or CAP) end
  return CAP - used
end
local function take(cost) end
local function giveBack(cost) end
local function released(id, cost, refundMs) end
local function expiredGrant(id, cost) end
local function readyDelay(cost)
  local first = redis.call('ZRANGE', X, 0, 0, 'WITHSCORES')
  if first[2] == nil then return -1 end
  return math.max(1, math.ceil(tonumber(first[2]) - now))
end
local function idleAt() return 0 end
local function save() end
`;

/**
 * The semaphore's whole script.
 *
 * @example
 * ```ts
 * const keys = ['s', 'q', 'w', 'c', 'x', 'g'].map((k) => `tollgate:api:{api}:${k}`);
 * const common = ['tollgate:api:{api}:wake', '3', '3000', '4000', '604800000', '0', '1', '3000']; // channel, capacity, ttls, unknownState, params
 * const lease = 'a3f09c1d2e4b5f60.0';
 * await redis.evalScript(SEMAPHORE_SCRIPT, keys, ['renew', ...common, lease]);
 * ```
 */
export const SEMAPHORE_SCRIPT = buildScript(SEMAPHORE_BUDGET);
