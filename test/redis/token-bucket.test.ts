import { getEventListeners } from 'node:events';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import { fromNodeRedis, MaxWaitExceededError, RedisTokenBucket, type RedisScriptClient } from '../../src/redis/index.js';
import { sleep, uniqueName, useRedis } from './helpers.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');

describeRedis('RedisTokenBucket (one redis-server)', () => {
  const ctx = useRedis();
  const bucket = (options: { capacity?: number; refillAmount?: number; refillIntervalMs?: number; name?: string; redis?: RedisScriptClient; maxWaitMs?: number } = {}) =>
    new RedisTokenBucket({ unknownState: 'fresh', redis: options.redis ?? ctx.connect(), name: options.name ?? uniqueName('bucket'), capacity: 3, refillIntervalMs: 200, ...options });
  const queued = (b: RedisTokenBucket) => ctx.client.zcard(b.keys[1]!);

  describe('RedisTokenBucket', () => {
    it('names the bad option', () => {
      const redis = ctx.connect();
      expect(() => new RedisTokenBucket({ unknownState: 'fresh', redis, name: 'x', capacity: -1, refillIntervalMs: 100 })).toThrow(/capacity/);
      expect(() => new RedisTokenBucket({ unknownState: 'fresh', redis, name: 'x', capacity: 1, refillIntervalMs: 0 })).toThrow(/refillIntervalMs/);
      expect(() => new RedisTokenBucket({ unknownState: 'fresh', redis, name: 'x', capacity: 1, refillIntervalMs: 10, refillAmount: Number.NaN })).toThrow(/refillAmount/);
      expect(() => new RedisTokenBucket({ unknownState: 'fresh', redis, name: 'x', capacity: 1, refillIntervalMs: 10, refillAmount: Number.NaN })).toThrow(RangeError);
    });

    it('admits a burst of capacity, then one step per refillIntervalMs, never faster', async () => {
      const b = bucket({ capacity: 3, refillIntervalMs: 200 });
      for (let i = 0; i < 3; i++) expect(await b.tryAcquire()).toBeDefined();
      expect(await b.tryAcquire()).toBeUndefined();
      const t0 = performance.now();
      const at: number[] = [];
      for (let i = 0; i < 4; i++) {
        await b.acquire();
        at.push(performance.now() - t0);
      }
      expect(at[0]).toBeLessThan(260);
      // The 4th admission needs 4 steps after the burst: never before the 4th refill instant.
      expect(at[3]).toBeGreaterThanOrEqual(4 * 200 - 100);
      expect(at[3]).toBeLessThan(4 * 200 + 250);
    });

    it('gives nothing back on release: the tokens were spent', async () => {
      const b = bucket({ capacity: 2, refillIntervalMs: 60_000 });
      const p = await b.acquire(2);
      p.release();
      await p[Symbol.asyncDispose]();
      expect(await b.tryAcquire(1)).toBeUndefined();
    });

    it('takes fractional costs', async () => {
      const b = bucket({ capacity: 1, refillIntervalMs: 60_000 });
      expect(await b.tryAcquire(0.5)).toBeDefined();
      expect(await b.tryAcquire(0.25)).toBeDefined();
      expect(await b.tryAcquire(0.5)).toBeUndefined();
      expect(await b.tryAcquire(0.25)).toBeDefined();
    });

    it('keeps entry fair: a token that comes while someone waits goes to the head, not to tryAcquire', async () => {
      const b = bucket({ capacity: 2, refillIntervalMs: 150 });
      await b.acquire(2);
      const head = b.acquire(2); // needs two steps
      await sleep(180); // one token is back
      expect(await b.tryAcquire(1)).toBeUndefined();
      await head;
      expect(await queued(b)).toBe(0);
    });

    it('serves a heavy head before lighter later arrivals from other instances (no starvation)', async () => {
      const name = uniqueName('heavy');
      const [a, c] = [bucket({ name, capacity: 4, refillIntervalMs: 30 }), bucket({ name, capacity: 4, refillIntervalMs: 30 })];
      await a.acquire(4);
      const order: string[] = [];
      const heavy = a.acquire(4).then(() => order.push('heavy'));
      await sleep(10);
      const light = [0, 1, 2].map((i) => c.acquire(1).then(() => order.push(`light${i}`)));
      await Promise.all([heavy, ...light]);
      expect(order).toEqual(['heavy', 'light0', 'light1', 'light2']);
    });

    it('rejects at once, waitedMs 0, a wait the refills alone make longer than maxWaitMs; leaves nothing queued', async () => {
      const b = bucket({ capacity: 1, refillIntervalMs: 10_000 });
      await b.acquire();
      const t0 = performance.now();
      const error = await b.acquire(1, { maxWaitMs: 100 }).catch((e: unknown) => e);
      expect(performance.now() - t0).toBeLessThan(90);
      expect(error).toBeInstanceOf(MaxWaitExceededError);
      expect(error).toMatchObject({ maxWaitMs: 100, waitedMs: 0 });
      expect(await queued(b)).toBe(0);
    });

    it('times out a waiter stuck behind others with nothing taken; the tokens go on to the next', async () => {
      const b = bucket({ capacity: 1, refillIntervalMs: 250, maxWaitMs: 350 });
      await b.acquire();
      const first = b.acquire(); // the token at 250
      const controller = new AbortController();
      const second = b.acquire(1, { signal: controller.signal }); // would need 500: times out at 350
      const error = await second.catch((e: unknown) => e);
      await first;
      expect(error).toBeInstanceOf(MaxWaitExceededError);
      expect((error as MaxWaitExceededError).waitedMs).toBeGreaterThanOrEqual(350);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      await sleep(250); // the token of 500 was not taken by the one that left
      expect(await b.tryAcquire()).toBeDefined();
    });

    it('abort while queued: rejects with signal.reason, leaves the queue, takes nothing', async () => {
      const b = bucket({ capacity: 1, refillIntervalMs: 200 });
      await b.acquire();
      const controller = new AbortController();
      const waiting = b.acquire(1, { signal: controller.signal });
      await sleep(30);
      expect(await queued(b)).toBe(1);
      const reason = new Error('user left');
      controller.abort(reason);
      await expect(waiting).rejects.toBe(reason);
      await sleep(20);
      expect(await queued(b)).toBe(0);
      await sleep(200);
      expect(await b.tryAcquire()).toBeDefined();
    });

    it('works with node-redis without a subscriber (head hint and fallback poll)', async () => {
      const client = await createClient({ url: ctx.server.url }).connect();
      try {
        const b = new RedisTokenBucket({ unknownState: 'fresh', redis: fromNodeRedis(client), name: uniqueName('nr'), capacity: 2, refillIntervalMs: 100 });
        const t0 = performance.now();
        for (let i = 0; i < 4; i++) await b.acquire();
        const elapsed = performance.now() - t0;
        expect(elapsed).toBeGreaterThanOrEqual(100);
        expect(elapsed).toBeLessThan(450);
        expect(await b.tryAcquire()).toBeUndefined();
      } finally {
        await client.quit();
      }
    });
  });
});
