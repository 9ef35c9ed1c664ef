// A wake-up message that arrives late, for a grant the server no longer counts, must never be a
// permit. Two sequences, each made deterministic with an adapter around one waiter's connections
// that holds back one poll and keeps the waiter's pub/sub messages until the test delivers them
// (as a subscriber connection stalled longer than the command connection would):
//   1. the poll that reports the grant arrives too late, so the waiter gives the grant back and
//      another process is granted the slot; the waiter's next poll puts it back in the queue;
//   2. the poll reaches the server only after the grant ran out unclaimed, and puts it back.
// Then the old message is delivered: the waiter must go on waiting while the other holds.
import { expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import { type RedisPermit, RedisSemaphore, type RedisScriptClient } from '../../src/redis/index.js';
import { maxHeld, observer } from './chaos.js';
import { sleep, uniqueName, useRedis } from './helpers.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');
const L = 900; // leaseMs: pollMs 300

/** Wraps one instance's adapter: the next poll can be held back before it is sent, and messages kept. */
function controlled(inner: RedisScriptClient) {
  let holdNext: (() => Promise<number>) | undefined;
  let keeping = false;
  const kept: Array<() => void> = [];
  const state = { polls: 0, heldPollDone: false };
  const redis: RedisScriptClient = {
    async evalScript(script, keys, args) {
      const hold = args[0] === 'poll' ? holdNext : undefined;
      if (hold !== undefined) {
        holdNext = undefined;
        await sleep(await hold());
      }
      const reply = await inner.evalScript(script, keys, args);
      if (args[0] === 'poll') state.polls++;
      if (hold !== undefined) state.heldPollDone = true;
      return reply;
    },
    subscribe(channel, onMessage) {
      return inner.subscribe!(channel, (message) => (keeping ? kept.push(() => onMessage(message)) : onMessage(message)));
    },
  };
  return {
    redis,
    state,
    /** The next poll that starts waits `await ms()` ms (asked when it starts) before it is sent. */
    holdNextPoll(ms: () => Promise<number>) {
      state.heldPollDone = false;
      holdNext = ms;
    },
    keepMessages() {
      keeping = true;
    },
    deliver() {
      keeping = false;
      for (const m of kept.splice(0)) m();
    },
  };
}

describeRedis('RedisSemaphore: a late wake-up message for a grant already gone', () => {
  const ctx = useRedis();
  const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await sleep(5);
    }
  };

  /** A holds the one slot; W (controlled) waits at the head, B behind it. */
  async function setUp(label: string) {
    const name = uniqueName(label);
    const w = controlled(ctx.connect());
    const make = (redis: RedisScriptClient, extra: { commandTimeoutMs?: number } = {}) =>
      new RedisSemaphore({ redis, name, capacity: 1, leaseMs: L, unknownState: 'fresh', ...extra });
    // W's held poll must not time out: it is slow, not lost.
    const [a, b, W] = [make(ctx.connect()), make(ctx.connect()), make(w.redis, { commandTimeoutMs: 3 * L })];
    const o = observer();
    const held = o.watch(await a.acquire());
    let wPermit: RedisPermit | undefined;
    const wWaiting = W.acquire(1, { maxWaitMs: 10 * L }).then((p) => (wPermit = o.watch(p)));
    const queued = () => ctx.client.zcard(a.keys[1]!);
    await until(async () => (await queued()) === 1);
    const bWaiting = b.acquire(1, { maxWaitMs: 10 * L }).then((p) => o.watch(p));
    await until(async () => (await queued()) === 2);
    /** W's grant and the ms left of it, on the server's clock. */
    const grantLeft = async () => {
      const [ticket, expiry] = await ctx.client.zrange(a.keys[4]!, '0', '-1', 'WITHSCORES');
      const [sec, usec] = await ctx.client.time();
      return { ticket: ticket!, left: Number(expiry) - (Number(sec) * 1000 + Number(usec) / 1000) };
    };
    const leases = async () => ctx.client.zrange(a.keys[4]!, '0', '-1');
    return { a, b, W, w, o, held, wWaiting, bWaiting, grantLeft, leases, admittedW: () => wPermit, close: () => [a, b, W].forEach((l) => l.close()) };
  }

  /** After the old message: W waits while B holds, and gets the slot, with a newer fence, once B releases. */
  async function checkAfter(t: Awaited<ReturnType<typeof setUp>>, bPermit: RedisPermit) {
    t.w.deliver();
    await sleep(150); // the message, and the poll it makes W send to find out
    expect(t.admittedW()).toBeUndefined();
    expect(await t.leases()).toEqual([bPermit.lease]);
    bPermit.release();
    const wPermit = await t.wWaiting;
    expect(wPermit.fencingToken).toBeGreaterThan(bPermit.fencingToken);
    expect(wPermit.remainingMs).toBeGreaterThan(L / 2);
    wPermit.release();
    expect(maxHeld(t.o.close())).toBe(1);
    t.close();
  }

  it('the poll reporting the grant came back too late: W gives it back, B is granted, and the old message admits nobody', async () => {
    const t = await setUp('late-poll');
    t.w.keepMessages();
    // W's next poll (held from before the grant, so none reports it in time) reaches the server
    // with a quarter of the lease left: the grant is still held there, but the reply arrives after
    // the validity it reports, so W gives it back.
    const released = t.held[Symbol.asyncDispose](); // granted to W, its lease counted from W's last heartbeat
    t.w.holdNextPoll(async () => {
      await released;
      return 0.75 * (await t.grantLeft()).left;
    });
    await released;
    const { ticket } = await t.grantLeft();
    const bPermit = await t.bWaiting; // granted by W's give-back
    expect(bPermit.lease).not.toBe(ticket);
    await until(() => t.w.state.heldPollDone);
    const polls = t.w.state.polls;
    await until(() => t.w.state.polls > polls); // the poll after the give-back: W queued again
    await until(async () => (await ctx.client.zscore(t.a.keys[1]!, ticket)) !== null);
    await checkAfter(t, bPermit);
  });

  it('the poll reached the server only after the grant ran out unclaimed: it puts W back, and the old message admits nobody', async () => {
    const t = await setUp('expired-grant');
    t.w.keepMessages();
    // Sent while the grant was still held, received once it had run out: W is put back in the
    // queue by the very poll that found no grant, and that poll's heartbeat is recent.
    const released = t.held[Symbol.asyncDispose]();
    t.w.holdNextPoll(async () => {
      await released;
      return (await t.grantLeft()).left + 50;
    });
    await released;
    const { ticket } = await t.grantLeft();
    const bPermit = await t.bWaiting; // the grant ran out: B next
    await until(() => t.w.state.heldPollDone);
    await until(async () => (await ctx.client.zscore(t.a.keys[1]!, ticket)) !== null);
    await sleep(20); // W has read the reply
    await checkAfter(t, bPermit);
  });
});
