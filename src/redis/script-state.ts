// The first half of a Redis limiter's script (see script.ts): its state read and checked for loss,
// expiries and heartbeats dropped, and how grants are made and the queue is scanned.

/**
 * Lua, after the budget's: loads the state and defines the grant and scan functions the ops use.
 *
 * @example
 * ```ts
 * STATE.includes("local function grantQueue"); // true
 * ```
 */
export const STATE = `
-- Drops the members of zset whose score is <= cutoff (an expiry, or a heartbeat too old), with
-- their costs (and queue places). The earliest is looked at first: in the common case nothing is
-- due and that is one call.
local function dropExpired(zset, queueToo, cutoff)
  local first = redis.call('ZRANGE', zset, 0, 0, 'WITHSCORES')
  if first[2] == nil or tonumber(first[2]) > cutoff then return end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', zset, '-inf', num(cutoff))) do
    if zset == X and HOLD > 0 then expiredGrant(id, costOf(id) or CAP) end
    redis.call('HDEL', C, id, id .. '#f')
    if queueToo then redis.call('ZREM', Q, id) end
  end
  redis.call('ZREMRANGEBYSCORE', zset, '-inf', num(cutoff))
end

local fence = tonumber(meta[3]) or 0
local untilMs = tonumber(meta[4]) or 0
local quarantine = tonumber(meta[5]) or 0
local lastScore = tonumber(meta[6])
-- Opportunistic scans run only when what can be paid grew since the last call (a release, a
-- refund or expiry coming due): a newcomer that found others waiting is never admitted ahead
-- of them just because some call happened to run.
local lastFree = tonumber(meta[7])
local pausedUntil = tonumber(meta[8]) or 0
-- Only the head's bypass count is kept: an earlier waiter's count is never below a later one's.
local bypassHead, bypassed = meta[9] or '', tonumber(meta[10]) or 0
-- A server's own count (observe): at most capLeft more before capUntil.
local capLeft, capUntil = tonumber(meta[11]) or 0, tonumber(meta[12]) or 0
local guardDirty = false

-- Lost state is never extra capacity. S gone while G (which outlives it) says a grant may still
-- be alive, S and X disagreeing, or the costs gone while grants exist: the state was lost (eviction,
-- FLUSHALL, a restart, a failover). Then nothing is granted until every grant made before the loss
-- has expired (lease budgets), or the budget restarts from what admits nobody (spent budgets).
-- With nothing at all (a first use, more than a week idle, or a total loss: nothing tells them
-- apart), unknownState decides: WAIT_UNKNOWN treats it as a loss, else the budget starts as new.
local state = 'ok'
if meta[1] == false then
  local g = redis.call('HMGET', G, 'until', 'fence')
  local gUntil = tonumber(g[1])
  fence = math.max(fence, tonumber(g[2]) or 0)
  state = 'fresh'
  if gUntil ~= nil then
    if gUntil > now then state, untilMs = 'lost', gUntil end
  elseif redis.call('EXISTS', X) == 1 or redis.call('EXISTS', C) == 1 or WAIT_UNKNOWN then
    state, untilMs = 'lost', now + LOSS_MS
  end
elseif tonumber(meta[2]) ~= redis.call('ZCARD', X) or (tonumber(meta[2]) > 0 and redis.call('EXISTS', C) == 0) or lostOwn() then
  state = 'lost'
  untilMs = math.max(untilMs, tonumber(redis.call('HGET', G, 'until')) or 0)
end
if state == 'lost' then
  if HOLD > 0 then quarantine = math.max(quarantine, untilMs) end
  -- Leases are forgotten (their holders learn it at their next renewal); waiters put their
  -- tickets back at their own arrival score at their next poll.
  redis.call('DEL', Q, W, C, X)
  guardDirty = true
end

load(state)
if capUntil > 0 and now >= capUntil then
  -- The server's window reset: only the budget applies again, and that is more to pay.
  capUntil, capLeft, lastFree = 0, 0, -1
end
dropExpired(X, false, now)
dropExpired(W, true, now - TTL)
local head0 = redis.call('ZRANGE', Q, 0, 0)[1]

local function capped(cost) return now < capUntil and cost > capLeft end
local function canPay(cost) return now >= quarantine and now >= pausedUntil and cost <= free() and not capped(cost) end
local function delayFor(cost)
  local d = readyDelay(cost)
  local blocked = math.max(quarantine, pausedUntil)
  if capped(cost) then blocked = math.max(blocked, capUntil) end
  if now < blocked then d = math.max(d, math.ceil(blocked - now)) end
  return d
end

-- A queued ticket's lease counts from its last heartbeat, not from the grant: a process that
-- died while queued never holds anything past leaseMs after its death, and its owner, which knows
-- when it sent that heartbeat, can count the lease from there without asking (see grantOne).
local function grantTo(id, cost, heartbeat)
  fence = math.max(fence + 1, nowUs)
  guardDirty = true
  take(cost)
  if now < capUntil then capLeft = capLeft - cost end
  local ms = 0
  if HOLD > 0 then
    local expiry = math.min(now, heartbeat or now) + HOLD
    redis.call('ZADD', X, num(expiry), id)
    redis.call('HSET', C, id, num(cost))
    if expiry > untilMs then untilMs = expiry end
    ms = expiry - now
    if heartbeat ~= nil then redis.call('HSET', C, id .. '#f', num(fence)) end
  elseif heartbeat ~= nil then
    redis.call('ZADD', X, num(now + TTL), id)
    redis.call('HSET', C, id .. '#f', num(fence))
  end
  return ms
end

local grants = {}
local WALK = 100
-- A cost above a lowered capacity is never payable: the ticket leaves the queue (so it blocks
-- nobody) and its owner is told to reject it.
local function tooBig(id)
  redis.call('ZREM', Q, id)
  redis.call('ZREM', W, id)
  redis.call('HDEL', C, id)
  grants[#grants + 1] = id .. ':-1:' .. num(CAP)
end
-- A grant is 'id:ms:fence', and with a lease ':hold', the ms it runs from the heartbeat it counts
-- from: a wake-up message carries no instant its reader could count ms from, but the waiter knows
-- when it sent its last heartbeat that found it still queued, no later than the one used here.
local function grantOne(head, cost)
  local heartbeat = tonumber(redis.call('ZSCORE', W, head)) or now
  redis.call('ZREM', Q, head)
  redis.call('ZREM', W, head)
  if cost ~= nil then
    local ms = grantTo(head, cost, heartbeat)
    local grant = head .. ':' .. num(ms) .. ':' .. num(fence)
    if HOLD > 0 then grant = grant .. ':' .. num(HOLD) end
    grants[#grants + 1] = grant
  end
end
-- FIFO: only the head may be granted, so a heavy head is never starved by lighter ones.
-- Opportunistic: every waiter that fits, in arrival order. Returns the head it stopped at (which
-- cannot be paid now) and its cost; nil when the queue is empty. first, when given, is the head
-- as just read (false: the queue is empty), which spares FIFO a read.
local function grantQueue(first)
  if OPPORTUNISTIC then
    if lastFree == nil or free() > lastFree then
      for i, id in ipairs(redis.call('ZRANGE', Q, 0, WALK - 1)) do
        local head = redis.call('ZRANGE', Q, 0, 0)[1]
        if head ~= bypassHead then bypassHead, bypassed = head or '', 0 end
        -- Passed over maxBypass times, the head blocks everyone behind it until it is admitted.
        if MAX_BYPASS >= 0 and bypassed >= MAX_BYPASS and id ~= head then break end
        local cost = costOf(id)
        if cost ~= nil and cost > CAP then
          tooBig(id)
        elseif cost == nil or canPay(cost) then
          grantOne(id, cost)
          if id ~= head and cost ~= nil then bypassed = bypassed + 1 end
        end
      end
    end
    lastFree = free()
    local head = redis.call('ZRANGE', Q, 0, 0)[1]
    if head == nil then return nil, 0 end
    return head, costOf(head) or CAP
  end
  local head = first
  while true do
    if head == nil then head = redis.call('ZRANGE', Q, 0, 0)[1] or false end
    if head == false then return nil, 0 end
    local cost = costOf(head)
    if cost ~= nil and cost > CAP then
      tooBig(head)
    else
      if cost ~= nil and not canPay(cost) then return head, cost end
      grantOne(head, cost)
    end
    head = nil
  end
end
`;
