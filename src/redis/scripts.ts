// The Lua run on the server: one script per limiter kind, every decision one call of it, so each
// decision is atomic and timed by the server's TIME alone.
//
// KEYS (one hash tag, so one cluster slot):
//   1 S state hash: `score` (last arrival score; bucket: also `tokens`, `last` refill instant)
//   2 Q queue zset: ticket -> arrival score (server µs, strictly increasing) — FIFO order
//   3 W heartbeats zset: ticket -> ms after which a waiter that stopped polling is dropped
//   4 C costs hash: ticket or lease -> cost
//   5 X semaphore: leases zset lease -> expiry ms; bucket: grants zset ticket -> ms kept
// ARGV: 1 op, 2 wake channel, 3 capacity, 4 ticket ttl ms, 5 key ttl ms, 6 p1, 7 p2, 8.. op args
//   (semaphore p1 = leaseMs; bucket p1 = refillAmount, p2 = refillIntervalMs)
// Ops: acquire(id, cost, wait 0|1, maxWaitMs|-1) -> status 1 admitted, 0 not (try), 2 queued
//        (value = arrival score), 3 provably later than maxWaitMs
//      poll(id, cost, score, ...) -> value "id:msLeft,..." for the caller's granted tickets;
//        refreshes the others' heartbeats and puts back tickets the server lost (restart)
//      cancel(id, cost, admitted 0|1) -> gives back whatever the id was granted or admitted
//      renew(lease, ...) (semaphore) -> value "1,0,..." per lease
// Every reply: {status, value, granted ids csv, queue head id or '', ms until the head may fit or -1}.
// Ids are '<instance>.<n>'; the same three fields, restricted to one instance's tickets, are
// PUBLISHed on '<channel>:<instance>' to each instance granted something or made the head, so
// waiting processes wake without polling, and only those concerned wake.

// Needs Redis >= 5, where a script that reads TIME and then writes is replicated by its effects.
const COMMON_HEAD = `
local S, Q, W, C, X = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local op, channel = ARGV[1], ARGV[2]
local CAP, TTL, KEYTTL = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local P1, P2 = tonumber(ARGV[6]), tonumber(ARGV[7])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local function num(x) return string.format('%.17g', x) end
local function costOf(id) return tonumber(redis.call('HGET', C, id)) end
-- Drops the members of zset whose score (an expiry) is <= now, with their costs (and queue places).
-- The earliest is looked at first: in the common case nothing is due and that is one call.
local function dropExpired(zset, queueToo)
  local first = redis.call('ZRANGE', zset, 0, 0, 'WITHSCORES')
  if first[2] == nil or tonumber(first[2]) > now then return end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', zset, '-inf', now)) do
    redis.call('HDEL', C, id)
    if queueToo then redis.call('ZREM', Q, id) end
  end
  redis.call('ZREMRANGEBYSCORE', zset, '-inf', now)
end
`;

const SEMAPHORE_BUDGET = `
local HELD = P1
local function refresh() dropExpired(X) end
local function free()
  local used = 0
  for _, id in ipairs(redis.call('ZRANGE', X, 0, -1)) do used = used + (costOf(id) or 0) end
  return CAP - used
end
local function take(id, cost)
  redis.call('HSET', C, id, num(cost))
  redis.call('ZADD', X, num(now + P1), id)
end
local function giveBack(cost) end
local function collect(id, expiry) return math.max(0, math.floor(expiry - now)) end
-- Only a release or an expiry frees slots: the earliest expiry is the one instant worth a look.
local function readyDelay(cost)
  local first = redis.call('ZRANGE', X, 0, 0, 'WITHSCORES')
  if first[2] == nil then return -1 end
  return math.max(1, math.ceil(tonumber(first[2]) - now))
end
local function save() end
`;

const BUCKET_BUDGET = `
local HELD = 0
local tokens, last
local function refresh()
  local st = redis.call('HMGET', S, 'tokens', 'last')
  tokens, last = tonumber(st[1]), tonumber(st[2])
  if tokens == nil or last == nil then tokens, last = CAP, now end
  -- Steps counted from the first use, so refills never drift; a server clock stepping back refills nothing.
  local steps = math.floor((now - last) / P2)
  if steps > 0 then
    tokens = math.min(CAP, tokens + steps * P1)
    last = last + steps * P2
  end
  dropExpired(X)
end
local function free() return tokens end
local function take(id, cost, queued)
  tokens = tokens - cost
  if queued then redis.call('ZADD', X, num(now + TTL), id) end
end
local function giveBack(cost) tokens = math.min(CAP, tokens + cost) end
local function collect(id, expiry)
  redis.call('ZREM', X, id)
  redis.call('HDEL', C, id)
  return 0
end
local function readyDelay(cost)
  if cost <= tokens then return 0 end
  local function after(steps) return math.min(CAP, tokens + steps * P1) end
  local steps = math.max(1, math.ceil((cost - tokens) / P1))
  while after(steps) < cost do steps = steps + 1 end
  while steps > 1 and after(steps - 1) >= cost do steps = steps - 1 end
  return math.max(1, math.ceil(last + steps * P2 - now))
end
local function save() redis.call('HSET', S, 'tokens', num(tokens), 'last', num(last)) end
`;

const COMMON_BODY = `
local head0 = redis.call('ZRANGE', Q, 0, 0)[1]
refresh()
dropExpired(W, true)

local granted = {}
-- Strict FIFO: only the head may be granted, so a heavy head is never starved by lighter ones.
-- Returns the head it stopped at (which cannot be paid now) and its cost.
local function grant()
  while true do
    local head = redis.call('ZRANGE', Q, 0, 0)[1]
    if head == nil then return nil, 0 end
    local cost = costOf(head)
    if cost ~= nil and cost > free() then return head, cost end
    redis.call('ZREM', Q, head)
    redis.call('ZREM', W, head)
    if cost ~= nil then
      take(head, cost, true)
      granted[#granted + 1] = head
    end
  end
end
local function enqueue(id, cost, score)
  redis.call('ZADD', Q, score, id)
  redis.call('ZADD', W, num(now + TTL), id)
  redis.call('HSET', C, id, cost)
end
grant()

local reply = {0, ''}
if op == 'acquire' then
  local id, cost = ARGV[8], tonumber(ARGV[9])
  if redis.call('ZCARD', Q) == 0 and cost <= free() then
    take(id, cost, false)
    reply = {1, ''}
  elseif ARGV[10] == '1' then
    local maxWait = tonumber(ARGV[11])
    if maxWait >= 0 and readyDelay(cost) > maxWait then
      reply = {3, ''}
    else
      local score = tonumber(time[1]) * 1000000 + tonumber(time[2])
      local prev = tonumber(redis.call('HGET', S, 'score'))
      if prev ~= nil and prev >= score then score = prev + 1 end
      redis.call('HSET', S, 'score', num(score))
      enqueue(id, ARGV[9], num(score))
      reply = {2, num(score)}
    end
  end
elseif op == 'poll' then
  local got = {}
  for i = 8, #ARGV, 3 do
    local id = ARGV[i]
    if redis.call('ZSCORE', Q, id) then
      redis.call('ZADD', W, num(now + TTL), id)
    else
      local expiry = redis.call('ZSCORE', X, id)
      if expiry then
        got[#got + 1] = id .. ':' .. collect(id, tonumber(expiry))
      else
        -- Lost by the server (a restart, or a heartbeat missed): back at its own arrival score.
        enqueue(id, ARGV[i + 1], ARGV[i + 2])
      end
    end
  end
  reply = {0, table.concat(got, ',')}
elseif op == 'cancel' then
  local id = ARGV[8]
  if redis.call('ZSCORE', Q, id) then
    redis.call('ZREM', Q, id)
    redis.call('ZREM', W, id)
    redis.call('HDEL', C, id)
  elseif redis.call('ZSCORE', X, id) then
    giveBack(costOf(id) or 0)
    redis.call('ZREM', X, id)
    redis.call('HDEL', C, id)
  elseif ARGV[10] == '1' then
    giveBack(tonumber(ARGV[9]))
  end
elseif op == 'renew' then
  local out = {}
  for i = 8, #ARGV do
    if redis.call('ZSCORE', X, ARGV[i]) then
      redis.call('ZADD', X, num(now + HELD), ARGV[i])
      out[#out + 1] = '1'
    else
      out[#out + 1] = '0'
    end
  end
  reply = {0, table.concat(out, ',')}
else
  return redis.error_reply('tollgate: unknown op ' .. tostring(op))
end

local head, headCost = grant()
save()
local delay = -1
if head ~= nil then delay = readyDelay(headCost) end
-- Wake only the instances concerned: ids are '<instance>.<n>', each instance listens on
-- '<channel>:<instance>' for its granted tickets and for becoming the head (with the head's delay).
local byOwner, owners = {}, {}
local function note(id)
  local o = string.match(id, '^[^.]*')
  if byOwner[o] == nil then
    byOwner[o] = {}
    owners[#owners + 1] = o
  end
  return o
end
for _, id in ipairs(granted) do table.insert(byOwner[note(id)], id) end
local headOwner = nil
if head ~= nil and head ~= head0 then headOwner = note(head) end
for _, o in ipairs(owners) do
  local h, d = '', -1
  if o == headOwner then h, d = head, delay end
  redis.call('PUBLISH', channel .. ':' .. o, table.concat(byOwner[o], ',') .. '|' .. h .. '|' .. d)
end
local list = table.concat(granted, ',')
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], KEYTTL) end
reply[3] = list
reply[4] = head or ''
reply[5] = delay
return reply
`;

/** The semaphore's script: leases in X, expiring `leaseMs` after their grant or last renewal. */
export const SEMAPHORE_SCRIPT = COMMON_HEAD + SEMAPHORE_BUDGET + COMMON_BODY;

/** The token bucket's script: tokens and the refill instant in S; grants kept in X until collected. */
export const BUCKET_SCRIPT = COMMON_HEAD + BUCKET_BUDGET + COMMON_BODY;
