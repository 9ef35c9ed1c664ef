// The Lua run on the server. A Redis limiter is one script: the common part below (queue,
// tickets, leases, loss detection, fencing, wake-ups) around one *budget* (what can be paid and
// how it refills), so a new kind of limiter is a budget of a few functions and a thin class.
// Every decision is one call of the script: atomic, and timed by the server's TIME alone.
//
// KEYS (one hash tag: one cluster slot):
//   1 S state hash: v (exists), n (entries of X), fence, score (last arrival), until, qu, + budget fields
//   2 Q queue zset: ticket -> arrival score (server µs, strictly increasing): FIFO order
//   3 W heartbeats zset: ticket -> server ms of its last heartbeat (acquire or poll); dropped,
//     with its place, once a ticket ttl has passed since (its owner stopped polling)
//   4 C costs hash: id -> cost; id..'#f' -> fencing token of a queued grant
//   5 X grants zset: lease -> expiry ms (lease budgets); ticket -> ms kept until collected (spent budgets)
//   6 G guard hash: until, fence. Outlives the rest, so lost state is told from unused state.
//   7.. the budget's own keys (RedisBudget.keys), e.g. a sliding window's admissions, refunds due.
// ARGV: 1 op, 2 wake channel, 3 capacity, 4 ticket ttl ms, 5 key ttl ms, 6 guard ttl ms,
//   7 unknownState '1' = wait / '0' = fresh, 8 n = number of budget parameters, 9..8+n P[1..n],
//   then the op's arguments from ARGV[A], A = 9 + n.
// Ops: acquire(id, cost, wait 0|1, maxWaitMs|-1) -> status 1 admitted (value 'ms:fence'),
//        0 not (try), 2 queued (value = arrival score), 3 provably later than maxWaitMs
//      poll(id, cost, score, ...) -> value 'id:ms:fence,...' for the caller's granted tickets;
//        refreshes the others' heartbeats and puts back, at their own score, tickets the server lost
//      cancel(id, cost, admitted 0|1, refundMs|'') -> gives back whatever id was queued for,
//        granted or admitted; with refundMs, a held lease is *released* (budget's released())
//      renew(lease, ...) -> value 'ms,ms,...' left on each lease, 0 for a lease gone
//      pause(ms) -> nobody admitted until now + ms (extends a pause, never shortens it); resume()
//      peek(cost) -> value 'available:ms:paused' (what could be paid now, ignoring the queue; ms
//        until cost could be, -1 when only a release can help; ms left of a pause, 0 if none)
//      update(index, value, ...) -> stores numeric options on the server (index 0 = capacity, i = P[i])
//      cap(remaining, resetInMs) -> a server's report: until now + resetInMs, grants take at most
//        `remaining` more in all, on top of the budget (a newer report replaces the older)
// Every reply: {status, value, grants 'id:ms:fence,...', queue head id or '', ms until the head may
// fit or -1, capacity}. A grant 'id:-1:capacity' rejects a waiter whose cost a lowered capacity can
// never pay; acquire answers status 4 (value = capacity) for such a cost.
// `ms` is what is left of a grant's validity when the script ran (0 for spent budgets): the
// client counts it from when it *sent* the call, never from when a reply or message arrived. A
// lease granted to a queued ticket also carries ':hold', its length from the ticket's last
// heartbeat, which the waiter counts from when it sent its last heartbeat found still queued.
// Ids are '<instance>.<n>'; grants and head changes are PUBLISHed as 'grants|head|delay' on
// '<channel>:<instance>' to each instance concerned only.
//
// A budget defines, as locals:
//   HOLD      ms a grant is held before it must be renewed (a lease), or 0 (the cost is spent)
//   PROVABLE  whether readyDelay bounds every wait from below, so a too-long wait is refused at once
//   HINT_ONLY whether readyDelay is only a wake-up hint (a lease's expiry), not when cost will fit
//   LOSS_MS   after a loss with nothing known (no guard), how long nothing granted before it can
//             still be alive or owed (leaseMs, plus the refund delay where credits come back late)
//   OPPORTUNISTIC  false: only the head may be granted (FIFO); true: every waiter that fits, in
//             arrival order (the first WALK of them looked at per call)
//   MAX_BYPASS how many later arrivals may be granted ahead of the head before the walk stops at
//             it (opportunistic; -1 = no bound)
//   load(state)        reads its fields of S, refreshed to now; state 'fresh' | 'ok' | 'lost'
//                      ('lost': start from what can admit nobody beyond the limit)
//   free()             the largest cost payable now (leases held are the entries of X)
//   take(cost)         pays a grant          giveBack(cost)  undoes a grant that was never used
//   released(id, cost, refundMs)   a held lease was released (lease budgets)
//   expiredGrant(id, cost)         a lease ran out unreleased (its holder died or was cut off)
//   readyDelay(cost)   ms until cost may fit with nothing released, or -1 if only a release helps
//   idleAt()           server ms from which the state means nothing (nothing held, full again)
//   lostOwn()          whether its own keys were lost while S says they hold something
//   save()             writes its fields of S
// Needs Redis >= 5 (a script that reads TIME and then writes is replicated by its effects).

const HEAD = `
local S, Q, W, C, X, G = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local op, channel = ARGV[1], ARGV[2]
local CAP, TTL, KEYTTL, GUARDTTL = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local WAIT_UNKNOWN = ARGV[7] == '1'
local P, NP = {}, tonumber(ARGV[8])
for i = 1, NP do P[i] = tonumber(ARGV[8 + i]) end
local A = 9 + NP
-- update(): numeric options stored on the server ('ov' in S: CAP then P[1..n]), so every process
-- uses them whatever it was constructed with. Lost with S (then the constructors' options apply).
-- S's common fields in one read (the BODY reads them from meta); 'ov' first, for the options.
local meta = redis.call('HMGET', KEYS[1], 'v', 'n', 'fence', 'until', 'qu', 'score', 'free', 'pu', 'bh', 'byp', 'cr', 'cu', 'ov')
local ov = meta[13]
if ov then
  local vals = {}
  for x in string.gmatch(ov, '[^,]+') do vals[#vals + 1] = tonumber(x) end
  if #vals == NP + 1 then
    CAP = vals[1]
    for i = 1, NP do P[i] = vals[i + 1] end
  end
end
local updated = false
if ARGV[1] == 'update' then
  for i = A, #ARGV, 2 do
    local k, v = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    if k == 0 then CAP = v else P[k] = v end
  end
  updated = true
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local nowUs = tonumber(time[1]) * 1000000 + tonumber(time[2])
local function num(x) return string.format('%.17g', x) end
local function costOf(id) return tonumber(redis.call('HGET', C, id)) end
`;

const BODY = `
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
-- With nothing at all (a first use, a long idle, or a total loss), unknownState decides.
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
local function enqueue(id, cost, score)
  redis.call('ZADD', Q, score, id)
  redis.call('ZADD', W, num(now), id)
  redis.call('HSET', C, id, cost)
end
local waiting = grantQueue(head0 or false) ~= nil

local reply = {0, ''}
local scoreMoved = false
-- A release whose cost comes back later moves the head's wake-up instant without changing the head.
local rehint = false
if op == 'acquire' then
  local id, cost = ARGV[A], tonumber(ARGV[A + 1])
  if cost > CAP then
    reply = {4, num(CAP)}
  elseif not waiting and canPay(cost) then
    local ms = grantTo(id, cost, nil)
    reply = {1, num(ms) .. ':' .. num(fence)}
  elseif ARGV[A + 2] == '1' then
    local maxWait = tonumber(ARGV[A + 3])
    if PROVABLE and maxWait >= 0 and delayFor(cost) > maxWait then
      reply = {3, ''}
    else
      local score = nowUs
      if lastScore ~= nil and lastScore >= score then score = lastScore + 1 end
      lastScore, scoreMoved = score, true
      enqueue(id, ARGV[A + 1], num(score))
      reply = {2, num(score)}
    end
  end
elseif op == 'poll' then
  local got = {}
  for i = A, #ARGV, 3 do
    local id = ARGV[i]
    if redis.call('ZSCORE', Q, id) then
      redis.call('ZADD', W, num(now), id)
    else
      local expiry = tonumber(redis.call('ZSCORE', X, id))
      if expiry then
        local f = redis.call('HGET', C, id .. '#f') or '0'
        local ms = 0
        if HOLD > 0 then
          ms = expiry - now
        else
          redis.call('ZREM', X, id)
          redis.call('HDEL', C, id, id .. '#f')
        end
        got[#got + 1] = id .. ':' .. num(ms) .. ':' .. f
      elseif tonumber(ARGV[i + 1]) > CAP then
        got[#got + 1] = id .. ':-1:' .. num(CAP)
      else
        -- Lost by the server (a restart, a loss, a heartbeat missed, a lease that lapsed before
        -- it was claimed): back at its own arrival score.
        enqueue(id, ARGV[i + 1], ARGV[i + 2])
      end
    end
  end
  reply = {0, table.concat(got, ',')}
elseif op == 'cancel' then
  local id = ARGV[A]
  if redis.call('ZSCORE', Q, id) then
    redis.call('ZREM', Q, id)
    redis.call('ZREM', W, id)
    redis.call('HDEL', C, id)
  elseif redis.call('ZSCORE', X, id) then
    local cost = costOf(id) or 0
    redis.call('ZREM', X, id)
    redis.call('HDEL', C, id, id .. '#f')
    local refund = tonumber(ARGV[A + 3] or '')
    if HOLD > 0 and refund ~= nil then
      released(id, cost, refund)
      rehint = refund > 0
    else
      giveBack(cost)
    end
  elseif ARGV[A + 2] == '1' and state == 'ok' then
    giveBack(tonumber(ARGV[A + 1]))
  end
elseif op == 'renew' then
  local out = {}
  for i = A, #ARGV do
    if HOLD > 0 and redis.call('ZSCORE', X, ARGV[i]) then
      local expiry = now + HOLD
      redis.call('ZADD', X, num(expiry), ARGV[i])
      if expiry > untilMs then untilMs = expiry end
      guardDirty = true
      out[#out + 1] = num(HOLD)
    else
      out[#out + 1] = '0'
    end
  end
  reply = {0, table.concat(out, ',')}
elseif op == 'pause' then
  pausedUntil = math.max(pausedUntil, now + tonumber(ARGV[A]))
  lastFree = -1
elseif op == 'resume' then
  pausedUntil = 0
  lastFree = -1
elseif op == 'update' then
  lastFree = -1
elseif op == 'cap' then
  capLeft, capUntil = tonumber(ARGV[A]), now + tonumber(ARGV[A + 1])
  lastFree = -1
elseif op == 'peek' then
  local available = 0
  if now >= quarantine and now >= pausedUntil then available = math.max(0, free()) end
  if now < capUntil then available = math.min(available, math.max(0, capLeft)) end
  local cost = tonumber(ARGV[A])
  local d = delayFor(cost)
  -- A lease's expiry is a wake-up hint, not a promise: its holder renews it while alive.
  if HINT_ONLY and cost > free() then d = -1 end
  reply = {0, num(available) .. ':' .. num(d) .. ':' .. num(math.max(0, pausedUntil - now))}
else
  return redis.error_reply('tollgate: unknown op ' .. tostring(op))
end

-- Fair entry: a newcomer that found others waiting is considered at the next scan, when what
-- can be paid grows, not at once (in FIFO it is never the head here anyway).
local head, headCost
if op == 'acquire' and reply[1] == 1 then
  -- Admitted at once: the queue was empty and still is.
  head, headCost = nil, 0
elseif op == 'acquire' and OPPORTUNISTIC then
  head = redis.call('ZRANGE', Q, 0, 0)[1]
  headCost = head and (costOf(head) or CAP) or 0
else
  head, headCost = grantQueue()
end
save()
local idle = idleAt()
if idle > untilMs then untilMs, guardDirty = idle, true end
redis.call('HSET', S, 'v', '1', 'n', redis.call('ZCARD', X), 'fence', num(fence), 'until', num(untilMs), 'qu', num(quarantine), 'pu', num(pausedUntil), 'cr', num(capLeft), 'cu', num(capUntil))
if OPPORTUNISTIC then
  -- While quarantined or paused nothing could be paid: the first call after it must scan.
  if now < quarantine or now < pausedUntil or now < capUntil then lastFree = -1 else lastFree = free() end
  redis.call('HSET', S, 'free', num(lastFree), 'bh', bypassHead, 'byp', bypassed)
end
if scoreMoved then redis.call('HSET', S, 'score', num(lastScore)) end
if updated then
  local vals = {num(CAP)}
  for i = 1, NP do vals[#vals + 1] = num(P[i]) end
  redis.call('HSET', S, 'ov', table.concat(vals, ','))
end
if guardDirty then
  redis.call('HSET', G, 'until', num(untilMs), 'fence', num(fence))
  redis.call('PEXPIRE', G, math.max(GUARDTTL, math.ceil(untilMs - now) + KEYTTL))
end
local delay = -1
if head ~= nil then delay = delayFor(headCost) end
-- Wake only the instances concerned: each listens on '<channel>:<instance>' for its grants and
-- for its ticket becoming the head (with the head's delay).
local byOwner, owners = {}, {}
local function note(id)
  local o = string.match(id, '^[^.]*')
  if byOwner[o] == nil then
    byOwner[o] = {}
    owners[#owners + 1] = o
  end
  return o
end
for _, g in ipairs(grants) do table.insert(byOwner[note(g)], g) end
local headOwner = nil
if head ~= nil and (head ~= head0 or rehint) then headOwner = note(head) end
for _, o in ipairs(owners) do
  local h, d = '', -1
  if o == headOwner then h, d = head, delay end
  redis.call('PUBLISH', channel .. ':' .. o, table.concat(byOwner[o], ',') .. '|' .. h .. '|' .. d)
end
for i = 1, #KEYS do if i ~= 6 then redis.call('PEXPIRE', KEYS[i], KEYTTL) end end
reply[3] = table.concat(grants, ',')
reply[4] = head or ''
reply[5] = delay
reply[6] = num(CAP)
return reply
`;

/**
 * The whole script of a limiter kind: the common part around its budget's Lua (see the top of
 * this file for what a budget defines).
 *
 * @example
 * ```ts
 * const script = buildScript(`local HOLD, PROVABLE, OPPORTUNISTIC = 0, true, false --[[ and the rest of a budget ]]`);
 * ```
 */
export function buildScript(budgetLua: string): string {
  return HEAD + budgetLua + BODY;
}
