import { buildScript } from '../script.js';

/**
 * The token bucket's budget: P[1] = refillAmount, P[2] = refillIntervalMs. `tokens` and `last`
 * (the last refill instant) live in S; steps are counted from the bucket's first use on the
 * server's clock, so refills never drift, and a server clock stepping back refills nothing. A
 * bucket found lost restarts empty (never a fresh burst on top of what was just spent).
 *
 * @example
 * ```ts
 * const keys = ['s', 'q', 'w', 'c', 'x', 'g'].map((k) => `tollgate:api:{api}:${k}`);
 * const common = ['tollgate:api:{api}:wake', '3', '3000', '4000', '604800000', '0', '1', '3000']; // channel, capacity, ttls, unknownState, params
 * await redis.evalScript(TOKEN_BUCKET_SCRIPT, keys, ['acquire', ...common, ticket, '1', '1', '500']);
 * ```
 */
export const TOKEN_BUCKET_BUDGET = `
local HOLD, PROVABLE, OPPORTUNISTIC = 0, true, false
local LOSS_MS = 0
local MAX_BYPASS = -1
local HINT_ONLY = false
local AMOUNT, EVERY = P[1], P[2]
local tokens, last
local function lostOwn() return false end
local function load(state)
  local st = redis.call('HMGET', S, 'tokens', 'last')
  tokens, last = tonumber(st[1]), tonumber(st[2])
  if state == 'lost' then tokens, last = 0, now
  elseif tokens == nil or last == nil then tokens, last = CAP, now end
  local steps = math.floor((now - last) / EVERY)
  if steps > 0 then
    tokens = math.min(CAP, tokens + steps * AMOUNT)
    last = last + steps * EVERY
  end
end
local function free() return tokens end
local function take(cost) tokens = tokens - cost end
local function giveBack(cost) tokens = math.min(CAP, tokens + cost) end
local function released(id, cost, refundMs) end
local function expiredGrant(id, cost) end
local function readyDelay(cost)
  if cost <= tokens then return 0 end
  local function after(steps) return math.min(CAP, tokens + steps * AMOUNT) end
  local steps = math.max(1, math.ceil((cost - tokens) / AMOUNT))
  while after(steps) < cost do steps = steps + 1 end
  while steps > 1 and after(steps - 1) >= cost do steps = steps - 1 end
  return math.max(1, math.ceil(last + steps * EVERY - now))
end
local function idleAt()
  if tokens >= CAP then return now end
  return last + math.ceil((CAP - tokens) / AMOUNT) * EVERY
end
local function save() redis.call('HSET', S, 'tokens', num(tokens), 'last', num(last)) end
`;

/**
 * The token bucket's whole script.
 *
 * @example
 * ```ts
 * const keys = ['s', 'q', 'w', 'c', 'x', 'g'].map((k) => `tollgate:api:{api}:${k}`);
 * const common = ['tollgate:api:{api}:wake', '3', '3000', '4000', '604800000', '0', '1', '3000']; // channel, capacity, ttls, unknownState, params
 * const score = '1733100000000000';
 * await redis.evalScript(TOKEN_BUCKET_SCRIPT, keys, ['poll', ...common, ticket, '1', score]);
 * ```
 */
export const TOKEN_BUCKET_SCRIPT = buildScript(TOKEN_BUCKET_BUDGET);
