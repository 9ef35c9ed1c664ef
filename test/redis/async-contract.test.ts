// One contract, every Redis limiter: the AsyncLimiter contract (the Limiter contract of
// docs/semantics.md where what needs the server returns a promise), run against each twin.
import { describe, expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import {
  type AsyncLimiter,
  LimiterClosedError,
  MaxWaitExceededError,
  type RedisScriptClient,
  RedisCreditSemaphore,
  RedisLeakyBucket,
  RedisSemaphore,
  RedisSlidingWindow,
  RedisThrottle,
  RedisTokenBucket,
  type RedisPermit,
} from '../../src/redis/index.js';
import { sleep, uniqueName, useRedis } from './helpers.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');

/** Every limiter with room for a cost of 3 and nothing coming back for a minute unless released. */
const kinds: Record<string, (redis: RedisScriptClient, name: string) => AsyncLimiter<RedisPermit>> = {
  RedisSemaphore: (redis, name) => new RedisSemaphore({ redis, name, capacity: 3, leaseMs: 3000, unknownState: 'fresh' }),
  RedisCreditSemaphore: (redis, name) => new RedisCreditSemaphore({ redis, name, capacity: 3, leaseMs: 3000, unknownState: 'fresh' }),
  RedisLeakyBucket: (redis, name) => new RedisLeakyBucket({ redis, name, maxRate: 3, periodMs: 60_000, unknownState: 'fresh' }),
  RedisTokenBucket: (redis, name) => new RedisTokenBucket({ redis, name, capacity: 3, refillIntervalMs: 60_000, unknownState: 'fresh' }),
  RedisSlidingWindow: (redis, name) => new RedisSlidingWindow({ redis, name, limit: 3, windowMs: 60_000, unknownState: 'fresh' }),
  RedisThrottle: (redis, name) => new RedisThrottle({ redis, name, rate: 3, periodMs: 60_000, concurrency: 2, leaseMs: 3000, unknownState: 'fresh' }),
};

/** A signal that counts the abort listeners added and removed. */
function countedSignal(): { controller: AbortController; added: () => number; removed: () => number } {
  const controller = new AbortController();
  let added = 0;
  let removed = 0;
  const { signal } = controller;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, ...rest: [EventListenerOrEventListenerObject, AddEventListenerOptions?]) => {
    if (type === 'abort') added++;
    add(type, ...rest);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, ...rest: [EventListenerOrEventListenerObject, EventListenerOptions?]) => {
    if (type === 'abort') removed++;
    remove(type, ...rest);
  }) as typeof signal.removeEventListener;
  return { controller, added: () => added, removed: () => removed };
}

describeRedis('AsyncLimiter contract, every Redis limiter', () => {
  const ctx = useRedis();

  for (const [kind, make] of Object.entries(kinds)) {
    describe(kind, () => {
      const one = (name = uniqueName(kind)) => make(ctx.connect(), name);

      it('acquire, tryAcquire, run (fn gets { signal, fencingToken }) and wrap', async () => {
        const limiter = one();
        const permit = await limiter.acquire();
        expect(permit.cost).toBe(1);
        expect(permit.fencingToken).toBeGreaterThan(0);
        const tried = await limiter.tryAcquire();
        expect(tried?.cost).toBe(1);
        permit.release();
        tried!.release();
        const limiter2 = one();
        const seen: unknown[] = [];
        expect(await limiter2.run((c) => (seen.push(c.signal instanceof AbortSignal, c.fencingToken > 0), 'ok'))).toBe('ok');
        expect(seen).toEqual([true, true]);
        const error = new Error('boom');
        await expect(limiter2.run(() => { throw error; })).rejects.toBe(error);
        const wrapped = limiter2.wrap(function (this: { k: number }, a: number) { return a + this.k; });
        expect(await wrapped.call({ k: 1 }, 41)).toBe(42);
        expect((await limiter2.stats()).running).toBe(0); // each run released
        expect(limiter2.idle).toBe(true);
      });

      it('release is idempotent (never a double refund); await using releases at the end of the block', async () => {
        const limiter = one();
        {
          await using held = await limiter.acquire(1);
          expect((await limiter.stats()).held).toBe(1);
          expect(held.released).toBe(false);
        }
        expect((await limiter.stats()).held).toBe(0);
        const permit = await limiter.acquire(1);
        const other = await limiter.acquire(1); // held: a refund given twice shows above the capacity's clamp
        expect(limiter.idle).toBe(false);
        await permit[Symbol.asyncDispose](); // the first release, once it reached the server
        const after = await limiter.available;
        permit.release();
        permit[Symbol.dispose]();
        await permit[Symbol.asyncDispose]();
        // Nothing comes back twice (a leaky level drains a little meanwhile, far less than 1).
        expect(await limiter.available).toBeLessThan(after + 1);
        await other[Symbol.asyncDispose]();
        const s = await limiter.stats();
        expect([s.held, s.running, s.admitted]).toEqual([0, 0, 3]);
        expect(limiter.idle).toBe(true);
      });

      it('AbortSignal: one listener, removed on every way out; rejects with signal.reason; nothing taken', async () => {
        const limiter = one();
        const full = await limiter.acquire(3);
        const { controller, added, removed } = countedSignal();
        const waiting = limiter.acquire(1, { signal: controller.signal });
        await sleep(40);
        expect(limiter.pending).toBe(1);
        const reason = new Error('stop');
        controller.abort(reason);
        await expect(waiting).rejects.toBe(reason);
        expect([added(), removed()]).toEqual([1, 1]);
        const gone = new AbortController();
        gone.abort('already');
        await expect(limiter.acquire(1, { signal: gone.signal })).rejects.toBe('already');
        const s = await limiter.stats();
        expect([s.pending, s.aborted, s.admitted]).toEqual([0, 1, 1]);
        full.release();
      });

      it('maxWaitMs: MaxWaitExceededError carrying the maxWaitMs given; nothing taken', async () => {
        const limiter = one();
        const full = await limiter.acquire(3);
        const error = await limiter.acquire(1, { maxWaitMs: 120 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MaxWaitExceededError);
        expect((error as MaxWaitExceededError).maxWaitMs).toBe(120);
        const s = await limiter.stats();
        expect([s.timedOut, s.pending, s.held]).toEqual([1, 0, 3]);
        full.release();
      });

      it('close: waiters and later calls reject with LimiterClosedError; idempotent', async () => {
        const limiter = one();
        const full = await limiter.acquire(3);
        const waiting = limiter.acquire(1);
        await sleep(30);
        limiter.close();
        limiter.close();
        await expect(waiting).rejects.toBeInstanceOf(LimiterClosedError);
        await expect(limiter.acquire()).rejects.toBeInstanceOf(LimiterClosedError);
        await expect(limiter.tryAcquire()).rejects.toBeInstanceOf(LimiterClosedError);
        expect(limiter.pending).toBe(0);
        full.release();
      });

      it('pause in one instance: the other admits nobody until resume; pausedUntil from the server', async () => {
        const name = uniqueName(kind);
        const [a, b] = [one(name), one(name)];
        await a.pause(10_000);
        expect(await b.tryAcquire()).toBeUndefined();
        expect(await b.available).toBe(0);
        const { pausedUntil } = await b.stats();
        expect(pausedUntil).toBeGreaterThan(performance.now() + 9_000);
        let admitted = false;
        const waiting = b.acquire(1).then((p) => ((admitted = true), p));
        await sleep(60);
        expect(admitted).toBe(false);
        await a.resume();
        (await waiting).release();
        expect((await b.stats()).pausedUntil).toBeUndefined();
      });

      it('a bad cost is a RangeError naming it and the capacity', async () => {
        const limiter = one();
        for (const cost of [-1, Number.NaN, Infinity, 4]) {
          await expect(limiter.acquire(cost)).rejects.toThrow(RangeError);
          await expect(limiter.tryAcquire(cost)).rejects.toThrow(/3/);
        }
        expect(() => limiter.wrap(() => 1, 4)).toThrow(RangeError);
        expect((await limiter.stats()).admitted).toBe(0);
      });

      it('stats() has the contract shape', async () => {
        const limiter = one();
        expect(Object.keys(await limiter.stats()).sort()).toEqual(
          ['admitted', 'aborted', 'available', 'held', 'pausedUntil', 'pending', 'rejected', 'running', 'timedOut'].sort(),
        );
        expect((await limiter.stats()).available).toBe(3);
      });
    });
  }
});
