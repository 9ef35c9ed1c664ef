// The Lua run on the server. A Redis limiter is one script: the common part (queue, tickets,
// leases, loss detection, fencing, wake-ups: HEAD here, then script-state.ts and script-ops.ts)
// around one *budget* (what can be paid and how it refills), so a new kind of limiter is a budget
// of a few functions and a thin class.
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
//      poll(id, cost, score, ...) -> value 'seen|id:ms:fence,...': the caller's granted tickets,
//        and seen, a fence no earlier grant exceeds and every later one does; refreshes the
//        others' heartbeats and puts back, at their own score, tickets the server lost
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

import { OPS } from './script-ops.js';
import { STATE } from './script-state.js';

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
  return HEAD + budgetLua + STATE + OPS;
}
