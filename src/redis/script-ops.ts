// The second half of a Redis limiter's script (see script.ts): the op asked for, then what every
// call ends with (state saved, the guard kept, wake-ups published, expiries set, the reply).

/**
 * Lua, after STATE: runs the op and builds the reply.
 *
 * @example
 * ```ts
 * OPS.includes("redis.call('PUBLISH'"); // true
 * ```
 */
export const OPS = `
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
  -- Every grant made before this call has a fence at or below this, every later one above it
  -- (the server's clock in it too: after a total loss the fence restarts from that clock). A
  -- ticket found queued here holds no grant of an earlier fence: a wake-up message for one is old.
  local seen = math.max(fence, nowUs)
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
  reply = {0, num(seen) .. '|' .. table.concat(got, ',')}
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
