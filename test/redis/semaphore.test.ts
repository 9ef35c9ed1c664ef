import { getEventListeners } from 'node:events';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import {
  fromIoredis,
  fromNodeRedis,
  LeaseLostError,
  LimiterClosedError,
  MaxWaitExceededError,
  RedisLimiterError,
  type RedisPermit,
  RedisSemaphore,
  type RedisScriptClient,
} from '../../src/redis/index.js';
import { counting, sleep, uniqueName, useRedis } from './helpers.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');

describeRedis('RedisSemaphore (one redis-server)', () => {
  const ctx = useRedis();
  const semaphore = (options: { capacity?: number; leaseMs?: number; pollMs?: number; maxWaitMs?: number; name?: string; redis?: RedisScriptClient } = {}) =>
    new RedisSemaphore({ unknownState: 'fresh', redis: options.redis ?? ctx.connect(), name: options.name ?? uniqueName('sem'), capacity: 3, leaseMs: 10_000, ...options });
  const queued = (s: RedisSemaphore) => ctx.client.zcard(s.keys[1]!);

  describe('RedisSemaphore: options and costs', () => {
    it('names the bad option', () => {
      const redis = ctx.connect();
      expect(() => new RedisSemaphore({ unknownState: 'fresh', redis, name: 'x', capacity: 0, leaseMs: 1000 })).toThrow(/capacity/);
      expect(() => new RedisSemaphore({ unknownState: 'fresh', redis, name: 'x', capacity: 1, leaseMs: Number.NaN })).toThrow(RangeError);
      expect(() => new RedisSemaphore({ unknownState: 'fresh', redis, name: 'x', capacity: 1, leaseMs: Number.NaN })).toThrow(/leaseMs/);
      expect(() => new RedisSemaphore({ unknownState: 'fresh', redis: {} as RedisScriptClient, name: 'x', capacity: 1, leaseMs: 1000 })).toThrow(/redis must have evalScript/);
      expect(() => new RedisSemaphore({ unknownState: 'fresh', redis, name: '', capacity: 1, leaseMs: 1000 })).toThrow(/name/);
      expect(() => new RedisSemaphore({ unknownState: 'fresh', redis, name: 'x', capacity: 1, leaseMs: 1000, pollMs: -1 })).toThrow(/pollMs/);
      expect(() => new RedisSemaphore({ unknownState: 'fresh', redis, name: 'x', capacity: 1, leaseMs: 1000, maxWaitMs: -5 })).toThrow(/maxWaitMs/);
    });

    it('rejects bad costs with a RangeError naming cost and capacity: malformed ones before any round trip, one above the capacity after one (an update in any process may have raised it)', async () => {
      const redis = ctx.connect();
      const s = semaphore({ redis });
      await expect(s.acquire(-1)).rejects.toThrow(/capacity 3; got -1/);
      await expect(s.acquire(Number.NaN)).rejects.toThrow(RangeError);
      await expect(s.tryAcquire(Infinity)).rejects.toThrow(RangeError);
      expect(() => s.wrap(() => 1, 5)).toThrow(RangeError);
      expect(redis.total()).toBe(0);
      await expect(s.acquire(4)).rejects.toThrow(/capacity 3; got 4/);
      await expect(s.tryAcquire(4)).rejects.toThrow(/capacity 3; got 4/);
      expect(redis.total()).toBe(2);
      expect(s.pending).toBe(0);
    });

    it('admits cost 0 at once, with no round trip, even when full with waiters', async () => {
      const redis = ctx.connect();
      const s = semaphore({ redis, capacity: 1 });
      const held = await s.acquire();
      const waiting = s.acquire();
      await sleep(20);
      const before = redis.total();
      const zero = await s.acquire(0);
      expect(zero.cost).toBe(0);
      zero.release();
      expect(redis.total()).toBe(before);
      held.release();
      (await waiting).release();
    });
  });

  describe('RedisSemaphore: admission', () => {
    it('is weighted: holds never exceed the capacity; a release admits the waiter', async () => {
      const s = semaphore();
      const two = await s.acquire(2);
      const one = await s.acquire(1);
      expect(await s.tryAcquire(1)).toBeUndefined();
      let admitted = false;
      const next = s.acquire(2).then((p) => ((admitted = true), p));
      await sleep(50);
      expect(admitted).toBe(false);
      expect(s.pending).toBe(1);
      await one[Symbol.asyncDispose]();
      await sleep(50);
      expect(admitted).toBe(false); // 1 free, 2 needed
      await two[Symbol.asyncDispose]();
      const permit = await next;
      expect(permit.cost).toBe(2);
      expect(s.pending).toBe(0);
      await permit[Symbol.asyncDispose]();
      expect(await s.tryAcquire(3)).toBeDefined();
    });

    it('keeps entry fair: with someone queued, tryAcquire gets nothing and acquire queues behind', async () => {
      const s = semaphore();
      const held = await s.acquire(2);
      const order: string[] = [];
      const heavy = s.acquire(2).then((p) => (order.push('heavy'), p));
      await sleep(30);
      expect(await s.tryAcquire(1)).toBeUndefined(); // 1 is free, but the queue is not empty
      const light = s.acquire(1).then((p) => (order.push('light'), p));
      await sleep(50);
      expect(order).toEqual([]);
      await held[Symbol.asyncDispose]();
      const permits = await Promise.all([heavy, light]);
      expect(order).toEqual(['heavy', 'light']);
      for (const p of permits) await p[Symbol.asyncDispose]();
    });

    it('serves waiters of several instances (processes) in arrival order', async () => {
      const name = uniqueName('fifo');
      const instances = [0, 1, 2].map(() => semaphore({ name, capacity: 1 }));
      const first = await instances[0]!.acquire();
      const order: number[] = [];
      const runs: Promise<void>[] = [];
      for (let i = 0; i < 9; i++) {
        runs.push(instances[i % 3]!.run(async () => {
          order.push(i);
          await sleep(5);
        }));
        await sleep(15); // arrivals well apart
      }
      await first[Symbol.asyncDispose]();
      await Promise.all(runs);
      expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('releases once: a second release or dispose gives nothing back twice', async () => {
      const s = semaphore({ capacity: 2 });
      const p = await s.acquire(1);
      const q = await s.acquire(1);
      p.release();
      p.release();
      await p[Symbol.asyncDispose]();
      p[Symbol.dispose]();
      expect(await s.tryAcquire(2)).toBeUndefined(); // q still holds 1
      const r = await s.tryAcquire(1);
      expect(r).toBeDefined();
      expect(await s.tryAcquire(1)).toBeUndefined();
      await q[Symbol.asyncDispose]();
      await r![Symbol.asyncDispose]();
    });

    it('releases with await using, on throw as on return', async () => {
      const s = semaphore();
      await expect(
        (async () => {
          await using permit = await s.acquire(3);
          expect(permit.cost).toBe(3);
          throw new Error('boom');
        })(),
      ).rejects.toThrow('boom');
      {
        await using again = await s.acquire(3);
        expect(again.cost).toBe(3);
      }
      expect(await s.tryAcquire(3)).toBeDefined();
    });

    it('run returns and rethrows what fn does and releases both times; wrap passes arguments', async () => {
      const s = semaphore({ capacity: 1 });
      await expect(s.run(() => 42)).resolves.toBe(42);
      const error = new Error('fn failed');
      await expect(s.run(() => Promise.reject(error))).rejects.toBe(error);
      await expect(s.run(() => { throw error; })).rejects.toBe(error);
      const add = s.wrap(async (a: number, b: number) => a + b);
      expect(await add(2, 3)).toBe(5);
      expect(await s.tryAcquire(1)).toBeDefined();
    });
  });

  describe('RedisSemaphore: leaving the queue', () => {
    it('rejects at once with the reason of an already aborted signal, with no round trip', async () => {
      const redis = ctx.connect();
      const s = semaphore({ redis });
      const reason = new Error('stop');
      await expect(s.acquire(1, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(redis.total()).toBe(0);
    });

    it('abort while queued: rejects with signal.reason, leaves the server queue, and the next waiter goes on', async () => {
      const s = semaphore({ capacity: 1 });
      const held = await s.acquire();
      const controller = new AbortController();
      const aborted = s.acquire(1, { signal: controller.signal });
      const next = s.acquire(1);
      await sleep(30);
      expect(await queued(s)).toBe(2);
      const reason = { custom: 'reason' };
      controller.abort(reason);
      await expect(aborted).rejects.toBe(reason);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      await sleep(20);
      expect(await queued(s)).toBe(1);
      await held[Symbol.asyncDispose]();
      const permit = await next;
      await permit[Symbol.asyncDispose]();
      expect(await s.tryAcquire(1)).toBeDefined(); // nothing was taken by the aborted waiter
    });

    it('abort after admission changes nothing: the permit is the caller’s', async () => {
      const s = semaphore({ capacity: 1 });
      const controller = new AbortController();
      const permit = await s.acquire(1, { signal: controller.signal });
      controller.abort();
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(await s.tryAcquire(1)).toBeUndefined();
      await permit[Symbol.asyncDispose]();
      expect(await s.tryAcquire(1)).toBeDefined();
    });

    it('maxWaitMs: rejects with MaxWaitExceededError, takes nothing, removes its listener; the constructor default applies', async () => {
      const s = semaphore({ capacity: 1, maxWaitMs: 120 });
      const held = await s.acquire();
      const controller = new AbortController();
      const t0 = performance.now();
      const error = await s.acquire(1, { maxWaitMs: 150, signal: controller.signal }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MaxWaitExceededError);
      expect((error as MaxWaitExceededError).maxWaitMs).toBe(150);
      expect((error as MaxWaitExceededError).waitedMs).toBeGreaterThanOrEqual(150);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(149);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      const byDefault = await s.acquire().catch((e: unknown) => e);
      expect((byDefault as MaxWaitExceededError).maxWaitMs).toBe(120);
      await sleep(20);
      expect(await queued(s)).toBe(0);
      await held[Symbol.asyncDispose]();
      expect(await s.tryAcquire(1)).toBeDefined();
    });

    it('close rejects waiters (LimiterClosedError or the reason) and later calls; tickets leave the server; permits stay releasable', async () => {
      const name = uniqueName('close');
      const other = semaphore({ name, capacity: 1 });
      const held = await other.acquire();
      const s = semaphore({ name, capacity: 1 });
      const a = s.acquire();
      const b = s.acquire();
      await sleep(30);
      s.close();
      s.close();
      await expect(a).rejects.toBeInstanceOf(LimiterClosedError);
      await expect(b).rejects.toBeInstanceOf(LimiterClosedError);
      await expect(s.acquire()).rejects.toBeInstanceOf(LimiterClosedError);
      await expect(s.tryAcquire()).rejects.toBeInstanceOf(LimiterClosedError);
      await sleep(30);
      expect(await queued(s)).toBe(0);
      const c = other.acquire();
      await sleep(20);
      const reason = new Error('shutting down');
      other.close(reason);
      await expect(c).rejects.toBe(reason);
      await held[Symbol.asyncDispose]();
      expect(await semaphore({ name, capacity: 1 }).tryAcquire(1)).toBeDefined();
    });
  });

  describe('RedisSemaphore: leases, keys, wake-ups', () => {
    it('renews a held lease past leaseMs; a holder cut off from Redis loses it after leaseMs and a waiter gets in', async () => {
      const name = uniqueName('lease');
      const leaseMs = 300;
      let cut = false;
      const inner = ctx.connect();
      const flaky: RedisScriptClient = {
        evalScript: (script, keys, args) => (cut ? Promise.reject(new Error('network down')) : inner.evalScript(script, keys, args)),
      };
      const holder = new RedisSemaphore({ unknownState: 'fresh', redis: flaky, name, capacity: 2, leaseMs });
      const other = new RedisSemaphore({ unknownState: 'fresh', redis: ctx.connect(), name, capacity: 2, leaseMs, pollMs: 20 });
      const permit = await holder.acquire(2);
      await sleep(3 * leaseMs); // renewed twice over
      expect(permit.lost).toBe(false);
      expect(await other.tryAcquire(1)).toBeUndefined();
      cut = true; // as if the holder died: no more renewals
      const t0 = performance.now();
      const lost = new Promise((resolve) => permit.signal.addEventListener('abort', () => resolve(permit.signal.reason)));
      const admitted = await other.acquire(2);
      const waited = performance.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(leaseMs / 2); // not before the lease could have expired
      expect(waited).toBeLessThan(leaseMs + 300);
      expect(await lost).toBeInstanceOf(LeaseLostError);
      expect(permit.lost).toBe(true);
      await admitted[Symbol.asyncDispose]();
    });

    it('sets an expiry on every key it writes, so unused state goes away; the guard key outlives the rest by at most a week', async () => {
      const s = semaphore({ leaseMs: 300, pollMs: 50 });
      const held = await s.acquire(3);
      const waiter = s.acquire(1);
      await sleep(30);
      const existing = [];
      for (const key of s.keys.slice(0, 5)) if (await ctx.client.exists(key)) existing.push(key);
      expect(existing.length).toBeGreaterThanOrEqual(4);
      for (const key of existing) {
        const ttl = await ctx.client.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(300 + 1000 + 1); // max(leaseMs, ticket ttl = leaseMs) + 1 s
      }
      const guard = await ctx.client.pttl(s.keys[5]!);
      expect(guard).toBeGreaterThan(7 * 24 * 3600 * 1000 - 60_000);
      expect(guard).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);
      await held[Symbol.asyncDispose]();
      await (await waiter)[Symbol.asyncDispose]();
    });

    it('wakes a waiter by pub/sub within milliseconds, without busy polling while it waits', async () => {
      const name = uniqueName('wake');
      const holder = semaphore({ name, capacity: 1 });
      const redis = ctx.connect();
      const waiter = semaphore({ name, capacity: 1, redis }); // default pollMs 1000 with a subscriber
      const held = await holder.acquire();
      let admittedAt = 0;
      const next = waiter.acquire().then((p) => ((admittedAt = performance.now()), p));
      await sleep(1300);
      const calls = redis.total();
      expect(calls).toBeLessThanOrEqual(4); // acquire, one poll once subscribed, at most two heartbeat polls
      const polls = redis.calls.get('poll') ?? 0;
      const releasedAt = performance.now();
      await held[Symbol.asyncDispose]();
      const permit = await next;
      // The message is the grant: no claim, its lease counted from the waiter's last heartbeat
      // found still queued, so known valid no later than the server's lease end.
      expect(redis.calls.get('poll') ?? 0).toBe(polls);
      expect(admittedAt - releasedAt).toBeLessThan(300);
      const expiry = Number(await ctx.client.zscore(waiter.keys[4]!, permit.lease));
      const [sec, usec] = await ctx.client.time();
      expect(permit.validUntil - performance.now()).toBeLessThanOrEqual(expiry - (Number(sec) * 1000 + Number(usec) / 1000) + 1);
      expect(permit.remainingMs).toBeGreaterThan(0);
      await permit[Symbol.asyncDispose]();
    });

    it('without a subscriber, finds a grant by a bounded poll', async () => {
      const name = uniqueName('poll');
      const holder = semaphore({ name, capacity: 1 });
      const redis = ctx.connect({ subscriber: false });
      const waiter = semaphore({ name, capacity: 1, redis, pollMs: 50 });
      const held = await holder.acquire();
      let admittedAt = 0;
      const next = waiter.acquire().then((p) => ((admittedAt = performance.now()), p));
      await sleep(500);
      expect(redis.calls.get('poll') ?? 0).toBeLessThanOrEqual(11);
      const releasedAt = performance.now();
      await held[Symbol.asyncDispose]();
      await (await next)[Symbol.asyncDispose]();
      expect(admittedAt - releasedAt).toBeLessThan(50 + 100);
    });
  });

  describe('RedisSemaphore: adapters and errors', () => {
    it('reloads its script after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
      const s = semaphore();
      (await s.acquire())[Symbol.dispose]();
      await ctx.client.script('FLUSH');
      const permit = await s.acquire(3);
      await permit[Symbol.asyncDispose]();
      expect(await s.tryAcquire(3)).toBeDefined();
    });

    it('works with node-redis, including pub/sub wake-ups', async () => {
      const client = await createClient({ url: ctx.server.url }).connect();
      const subscriber = await client.duplicate().connect();
      try {
        const name = uniqueName('node-redis');
        const redis = counting(fromNodeRedis(client, { subscriber }));
        const s = new RedisSemaphore({ unknownState: 'fresh', redis, name, capacity: 2, leaseMs: 10_000 });
        const a = await s.acquire(2);
        let admittedAt = 0;
        const b = s.acquire(1).then((p) => ((admittedAt = performance.now()), p));
        await sleep(100);
        const releasedAt = performance.now();
        await a[Symbol.asyncDispose]();
        const permit = await b;
        expect(admittedAt - releasedAt).toBeLessThan(100); // pub/sub, not the 1 s poll
        expect(await s.tryAcquire(2)).toBeUndefined();
        await permit[Symbol.asyncDispose]();
        await client.scriptFlush();
        expect(await s.tryAcquire(2)).toBeDefined();
        s.close();
      } finally {
        await subscriber.quit();
        await client.quit();
      }
    });

    it('turns a failed script call into a RedisLimiterError naming the op and the limiter, with the cause', async () => {
      const cause = new Error('ECONNREFUSED');
      const s = new RedisSemaphore({ unknownState: 'fresh', redis: { evalScript: () => Promise.reject(cause) }, name: 'broken', capacity: 1, leaseMs: 1000 });
      const error = await s.acquire().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisLimiterError);
      expect(error).toMatchObject({ code: 'ERR_REDIS_LIMITER', cause });
      expect((error as Error).message).toMatch(/acquire on "broken" failed: ECONNREFUSED/);
      await expect(s.tryAcquire()).rejects.toBeInstanceOf(RedisLimiterError);
      expect(s.pending).toBe(0);
      const bad = new RedisSemaphore({ unknownState: 'fresh', redis: { evalScript: async () => 'OK' }, name: 'odd', capacity: 1, leaseMs: 1000 });
      await expect(bad.acquire()).rejects.toThrow(/unexpected reply/);
    });
  });

  describe('RedisSemaphore: validity, fencing, timeouts', () => {
    it('every permit carries a fencing token, strictly increasing across instances of one name', async () => {
      const name = uniqueName('fence');
      const [a, b] = [semaphore({ name, capacity: 1 }), semaphore({ name, capacity: 1 })];
      const tokens: number[] = [];
      for (let i = 0; i < 6; i++) {
        const permit = (i % 2 === 0 ? await a.acquire() : await b.tryAcquire())!;
        tokens.push(permit.fencingToken);
        await permit[Symbol.asyncDispose]();
      }
      const queuedBehind = (await a.acquire()) as RedisPermit;
      const waiting = b.acquire(); // granted from the queue
      await sleep(30);
      queuedBehind.release();
      tokens.push(queuedBehind.fencingToken, (await waiting).fencingToken);
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]!);
      expect(Number.isSafeInteger(tokens[0])).toBe(true);
    });

    it('a permit is valid until a local instant no later than its lease end on the server', async () => {
      const s = semaphore({ leaseMs: 1000 });
      const before = performance.now();
      const permit = await s.acquire();
      const after = performance.now();
      // Counted from the send time, with 0.1% + 1 ms kept back.
      expect(permit.validUntil).toBeGreaterThanOrEqual(before + 1000 - 2 - 1);
      expect(permit.validUntil).toBeLessThanOrEqual(after + 1000);
      const expiry = Number(await ctx.client.zscore(s.keys[4]!, permit.lease));
      const [sec, usec] = await ctx.client.time();
      const serverLeft = expiry - (Number(sec) * 1000 + Number(usec) / 1000);
      expect(permit.validUntil - performance.now()).toBeLessThanOrEqual(serverLeft + 1);
      expect(permit.remainingMs).toBeGreaterThan(900);
      await permit[Symbol.asyncDispose]();
      expect(permit.remainingMs).toBe(0);
    });

    it('run hands fn the lease signal and the fencing token, and returns before the release reaches Redis', async () => {
      let stall = false;
      const inner = ctx.connect();
      const redis: RedisScriptClient = {
        evalScript: (script, keys, args) => (stall ? new Promise(() => {}) : inner.evalScript(script, keys, args)),
      };
      const s = new RedisSemaphore({ unknownState: 'fresh', redis, name: uniqueName('run'), capacity: 1, leaseMs: 3000 });
      let seen: { signal: AbortSignal; fencingToken: number } | undefined;
      const t0 = performance.now();
      const result = await s.run((context) => {
        seen = context;
        stall = true; // the release will never be answered
        return 'ok';
      });
      expect(result).toBe('ok');
      expect(performance.now() - t0).toBeLessThan(200);
      expect(seen!.signal.aborted).toBe(false);
      expect(seen!.fencingToken).toBeGreaterThan(0);
    });

    it('a call that never answers is given up after commandTimeoutMs with a RedisLimiterError (timedOut)', async () => {
      const s = new RedisSemaphore({ unknownState: 'fresh', redis: { evalScript: () => new Promise(() => {}) }, name: 'hang', capacity: 1, leaseMs: 3000, commandTimeoutMs: 80 });
      expect(s.commandTimeoutMs).toBe(80);
      const t0 = performance.now();
      const error = await s.tryAcquire().catch((e: unknown) => e);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(79);
      expect(performance.now() - t0).toBeLessThan(200);
      expect(error).toMatchObject({ name: 'RedisLimiterError', code: 'ERR_REDIS_LIMITER', op: 'acquire', timedOut: true });
      expect((error as Error).message).toMatch(/acquire on "hang" timed out after 80 ms/);
      await expect(s.acquire()).rejects.toMatchObject({ timedOut: true });
      expect(new RedisSemaphore({ unknownState: 'fresh', redis: ctx.connect(), name: 'x', capacity: 1, leaseMs: 300 }).commandTimeoutMs).toBe(100);
      expect(new RedisSemaphore({ unknownState: 'fresh', redis: ctx.connect(), name: 'x', capacity: 1, leaseMs: 30_000 }).commandTimeoutMs).toBe(2000);
      expect(() => new RedisSemaphore({ redis: ctx.connect(), name: 'x', capacity: 1, leaseMs: 300, commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs/);
      expect(() => new RedisSemaphore({ redis: ctx.connect(), name: 'x', capacity: 1, leaseMs: 300, unknownState: 'maybe' as 'wait' })).toThrow(/unknownState/);
    });

    it('names what failed even when the client error has an empty message (node-redis timeouts)', async () => {
      class TimeoutError extends Error {}
      const s = new RedisSemaphore({ unknownState: 'fresh', redis: { evalScript: () => Promise.reject(new TimeoutError('')) }, name: 'quiet', capacity: 1, leaseMs: 3000 });
      const error = await s.tryAcquire().catch((e: unknown) => e);
      expect((error as Error).message).toBe('tollgate/redis: acquire on "quiet" failed: TimeoutError');
      const coded = Object.assign(new Error(''), { code: 'ECONNRESET' });
      const t = new RedisSemaphore({ unknownState: 'fresh', redis: { evalScript: () => Promise.reject(coded) }, name: 'quiet', capacity: 1, leaseMs: 3000 });
      expect(((await t.tryAcquire().catch((e: unknown) => e)) as Error).message).toBe('tollgate/redis: acquire on "quiet" failed: Error (ECONNRESET)');
    });

    it('adds one message listener per ioredis subscriber connection, however many adapters share it', async () => {
      const client = new Redis(ctx.server.port, '127.0.0.1');
      const subscriber = client.duplicate();
      try {
        const name = uniqueName('listeners');
        const limiters = Array.from({ length: 15 }, () => new RedisSemaphore({ unknownState: 'fresh', redis: fromIoredis(client, { subscriber }), name, capacity: 1, leaseMs: 3000 }));
        const held = await limiters[0]!.acquire();
        const waits = limiters.slice(1).map((l) => l.acquire());
        await sleep(100);
        expect(subscriber.listenerCount('message')).toBe(1);
        held.release();
        for (const w of waits) (await w).release();
      } finally {
        client.disconnect();
        subscriber.disconnect();
      }
    });
  });
});
