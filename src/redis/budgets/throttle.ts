import { buildScript } from '../script.js';

/**
 * The throttle's budget: several rate limits and a concurrency limit, paid together at the same
 * instant (a waiter never holds a slot while it waits for a rate), FIFO. P[1] = leaseMs (0
 * without a concurrency limit: then nothing is held), P[2] = concurrency (0 = unlimited), P[3] =
 * the number of limits m, then for each limit i three numbers: kind (1 sliding, 0 leaky), rate,
 * periodMs. Its own keys KEYS[6 + i]: limit i's admissions (a sliding window, as in the sliding
 * window's budget; unused by a leaky limit, whose level and instant live in S as lv<i>, lt<i>).
 * A concurrency slot is a lease (X): released, or expired `leaseMs` after its holder stopped
 * renewing it. A throttle found lost counts every window full and every level full.
 *
 * @example
 * ```ts
 * const keys = ['s', 'q', 'w', 'c', 'x', 'g'].map((k) => `tollgate:api:{api}:${k}`);
 * const common = ['tollgate:api:{api}:wake', '3', '3000', '4000', '604800000', '0', '1', '3000']; // channel, capacity, ttls, unknownState, params
 * await redis.evalScript(THROTTLE_SCRIPT, keys, ['acquire', ...common, ticket, '1', '1', '-1']);
 * ```
 */
export const THROTTLE_BUDGET = `
local HOLD, CONC, NL = P[1], P[2], P[3]
local PROVABLE, OPPORTUNISTIC, HINT_ONLY = true, false, false
local LOSS_MS = P[1]
local MAX_BYPASS = -1
local L = {}
for i = 1, NL do
  local b = 3 + (i - 1) * 3
  L[i] = { sliding = P[b + 1] == 1, cap = P[b + 2], per = P[b + 3], key = KEYS[6 + i], used = 0, level = 0, last = now }
end
-- The largest cost is the tightest rate (after an update too).
CAP = L[1].cap
for _, l in ipairs(L) do CAP = math.min(CAP, l.cap) end
local function lostOwn()
  for i, l in ipairs(L) do
    if l.sliding and (tonumber(redis.call('HGET', S, 'u' .. i)) or 0) > 0 and redis.call('EXISTS', l.key) == 0 then return true end
  end
  return false
end
local function load(state)
  for i, l in ipairs(L) do
    if l.sliding then
      l.used = tonumber(redis.call('HGET', S, 'u' .. i)) or 0
      if state ~= 'ok' then
        redis.call('DEL', l.key)
        l.used = 0
        if state == 'lost' then
          redis.call('ZADD', l.key, num(now + l.per), num(l.cap) .. ':lost')
          l.used = l.cap
        end
      end
      local gone = redis.call('ZRANGEBYSCORE', l.key, '-inf', num(now))
      if #gone > 0 then
        for _, m in ipairs(gone) do l.used = l.used - tonumber(string.match(m, '^[^:]*')) end
        redis.call('ZREMRANGEBYSCORE', l.key, '-inf', num(now))
        -- Sums of fractions drift: an empty window holds exactly nothing.
        if redis.call('ZCARD', l.key) == 0 or l.used < 0 then l.used = 0 end
      end
    else
      local st = redis.call('HMGET', S, 'lv' .. i, 'lt' .. i)
      local level, last = tonumber(st[1]), tonumber(st[2])
      if state == 'lost' then level, last = l.cap, now
      elseif level == nil or last == nil then level, last = 0, now end
      -- A server clock stepping back drains nothing.
      if now > last then
        level = math.max(0, level - (now - last) * l.cap / l.per)
        last = now
      end
      l.level, l.last = level, last
    end
  end
end
local function slotsFull() return CONC > 0 and redis.call('ZCARD', X) >= CONC end
local function free()
  if slotsFull() then return 0 end
  local f = CAP
  for _, l in ipairs(L) do
    if l.sliding then f = math.min(f, l.cap - l.used) else f = math.min(f, l.cap - l.level) end
  end
  return f
end
local function take(cost)
  for _, l in ipairs(L) do
    if l.sliding then
      l.used = l.used + cost
      redis.call('ZADD', l.key, num(now + l.per), num(cost) .. ':' .. redis.call('HINCRBY', S, 'wseq', 1))
    else
      l.level = l.level + cost
    end
  end
end
-- A grant never used stays counted in the windows (never over-admits); a level gives it back.
local function giveBack(cost)
  for _, l in ipairs(L) do if not l.sliding then l.level = math.max(0, l.level - cost) end end
end
local function released(id, cost, refundMs) end
local function expiredGrant(id, cost) end
-- Each limit becomes payable at its own instant and stays so while nothing is taken: the
-- latest of them. With every slot held, only a release (or an expiry) helps.
local function readyDelay(cost)
  if slotsFull() then return -1 end
  local d = 0
  for _, l in ipairs(L) do
    local x = 0
    if l.sliding then
      local short = l.used + cost - l.cap
      if short > 0 then
        x = math.max(1, l.per)
        local entries = redis.call('ZRANGE', l.key, 0, -1, 'WITHSCORES')
        for j = 1, #entries, 2 do
          short = short - tonumber(string.match(entries[j], '^[^:]*'))
          if short <= 0 then
            x = math.max(1, math.ceil(tonumber(entries[j + 1]) - now))
            break
          end
        end
      end
    elseif l.level + cost > l.cap then
      x = math.max(1, math.ceil((l.level + cost - l.cap) * l.per / l.cap))
    end
    if x > d then d = x end
  end
  return d
end
local function idleAt()
  local t = now
  for _, l in ipairs(L) do
    if l.sliding then
      local last = redis.call('ZRANGE', l.key, -1, -1, 'WITHSCORES')
      if last[2] ~= nil then t = math.max(t, tonumber(last[2])) end
    else
      t = math.max(t, l.last + l.level * l.per / l.cap)
    end
  end
  return t
end
local function save()
  for i, l in ipairs(L) do
    if l.sliding then redis.call('HSET', S, 'u' .. i, num(l.used))
    else redis.call('HSET', S, 'lv' .. i, num(l.level), 'lt' .. i, num(l.last)) end
  end
end
`;

/**
 * The throttle's whole script.
 *
 * @example
 * ```ts
 * const keys = ['s', 'q', 'w', 'c', 'x', 'g'].map((k) => `tollgate:api:{api}:${k}`);
 * const common = ['tollgate:api:{api}:wake', '3', '3000', '4000', '604800000', '0', '1', '3000']; // channel, capacity, ttls, unknownState, params
 * await redis.evalScript(THROTTLE_SCRIPT, keys, ['peek', ...common, '1']);
 * ```
 */
export const THROTTLE_SCRIPT = buildScript(THROTTLE_BUDGET);
