// The Redis twins of CreditSemaphore, LeakyBucketLimiter and SlidingWindowLimiter: the same
// options and semantics, counted on the server's clock across instances (processes).
import { describe, expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import { RedisCreditSemaphore, RedisLeakyBucket, RedisSemaphore, RedisSlidingWindow, RedisTokenBucket } from '../../src/redis/index.js';
import { sleep, uniqueName, useRedis } from './helpers.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');

describeRedis('tollgate/redis twins', () => {
  const ctx = useRedis();

  describe('RedisCreditSemaphore', () => {
    const credits = (name: string, options: { capacity?: number; refundMs?: number; admission?: 'fifo' | 'opportunistic' } = {}) =>
      new RedisCreditSemaphore({ redis: ctx.connect(), name, capacity: 40, leaseMs: 3000, unknownState: 'fresh', ...options });

    it('names the bad option', () => {
      const redis = ctx.connect();
      expect(() => new RedisCreditSemaphore({ redis, name: 'x', capacity: 0, leaseMs: 1000 })).toThrow(/capacity/);
      expect(() => new RedisCreditSemaphore({ redis, name: 'x', capacity: 1, leaseMs: 1000, refundMs: -1 })).toThrow(/refundMs/);
      expect(() => new RedisCreditSemaphore({ redis, name: 'x', capacity: 1, leaseMs: 1000, admission: 'lifo' as 'fifo' })).toThrow(/admission/);
    });

    it('credits come back refundMs after the release, across instances; a failed fn still spent them', async () => {
      const name = uniqueName('credits');
      const [a, b] = [credits(name, { refundMs: 300 }), credits(name, { refundMs: 300 })];
      const error = new Error('api failed');
      await expect(a.transact(() => Promise.reject(error), { credits: 30 })).rejects.toBe(error);
      const t0 = performance.now();
      expect(await b.tryAcquire(20)).toBeUndefined(); // 30 refunding
      const permit = await b.acquire(40, { maxWaitMs: 2000 });
      const waited = performance.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(300 - 40);
      expect(waited).toBeLessThan(300 + 250);
      permit.release();
      expect(await a.tryAcquire(1)).toBeUndefined();
    });

    it('opportunistic admission: fair entry, then a later small waiter that fits goes ahead of a big head at the next scan', async () => {
      const name = uniqueName('credits-opp');
      const [a, b] = [credits(name), credits(name)];
      const p1 = await a.acquire(20);
      const p2 = await a.acquire(10);
      const order: string[] = [];
      const big = b.acquire(40).then((p) => (order.push('big'), p));
      await sleep(30);
      const small = a.acquire(5).then((p) => (order.push('small'), p));
      await sleep(100); // polls and wake-ups run meanwhile: none of them is a scan
      expect(order).toEqual([]); // 10 free, but it found someone waiting: considered at the next scan
      p2.release(); // 20 free: big still does not fit, small does
      const s = await small;
      expect(order).toEqual(['small']);
      p1.release();
      s.release();
      (await big).release();
      expect(order).toEqual(['small', 'big']);
    });

    it('maxBypass: once the head was passed over maxBypass times, nobody behind it is admitted before it', async () => {
      const name = uniqueName('credits-bypass');
      const make = () => new RedisCreditSemaphore({ redis: ctx.connect(), name, capacity: 10, leaseMs: 3000, maxBypass: 2, unknownState: 'fresh' });
      const [a, b] = [make(), make()];
      expect(a.maxBypass).toBe(2);
      const p1 = await a.acquire(3);
      const p2 = await a.acquire(3);
      const order: string[] = [];
      const big = b.acquire(10).then((p) => (order.push('big'), p));
      await sleep(30);
      const smalls = [1, 2, 3].map((i) => a.acquire(1).then((p) => (order.push(`s${i}`), p)));
      await sleep(60);
      expect(order).toEqual([]);
      p2.release(); // 7 free: big does not fit; s1 and s2 pass it, s3 may not
      const [s1, s2] = await Promise.all(smalls.slice(0, 2));
      await sleep(100);
      expect(order).toEqual(['s1', 's2']);
      p1.release();
      s1!.release();
      s2!.release();
      const permit = await big;
      expect(order).toEqual(['s1', 's2', 'big']);
      permit.release();
      (await smalls[2])!.release();
      expect(order).toEqual(['s1', 's2', 'big', 's3']);
      expect(() => make() && new RedisCreditSemaphore({ redis: ctx.connect(), name, capacity: 1, leaseMs: 1000, maxBypass: -1 })).toThrow(/maxBypass/);
    });

    it('per-call refundMs: a release frees nothing until its refund is due, then the head goes first', async () => {
      const name = uniqueName('credits-refund');
      const [a, b] = [credits(name), credits(name, { admission: 'fifo' })];
      expect(b.admission).toBe('fifo');
      const held = await a.acquire(30, { refundMs: 250 });
      const t0 = performance.now();
      held.release();
      const permit = await b.acquire(40);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(250 - 30);
      expect(performance.now() - t0).toBeLessThan(250 + 250);
      permit.release();
      await expect(a.acquire(1, { refundMs: -1 })).rejects.toThrow(/refundMs/);
    });

    it('reference run of the seed (credits, work) at t = 0, refundMs 1000 (seconds scaled to 100 ms): admitted at 0, 1.3, 2.4, 1.3, 3.9, 3.9', async () => {
      const name = uniqueName('credits-ref');
      const s = new RedisCreditSemaphore({ redis: ctx.connect(), name, capacity: 40, leaseMs: 3000, refundMs: 1000, unknownState: 'fresh', pollMs: 20 });
      const jobs: Array<[number, number]> = [[20, 3], [30, 1], [30, 5], [5, 4], [20, 5], [20, 1]];
      const t0 = performance.now();
      const at: number[] = [];
      await Promise.all(
        jobs.map(([c, work], i) =>
          s.transact(async () => {
            at[i] = (performance.now() - t0) / 100;
            await sleep(work * 100);
          }, { credits: c }),
        ),
      );
      const expected = [0, 13, 24, 13, 39, 39];
      at.forEach((t, i) => {
        expect(t).toBeGreaterThanOrEqual(expected[i]! - 0.5);
        expect(t).toBeLessThan(expected[i]! + 2.5);
      });
    }, 20_000);
  });

  describe('RedisLeakyBucket', () => {
    it('names the bad option', () => {
      expect(() => new RedisLeakyBucket({ redis: ctx.connect(), name: 'x', maxRate: 0 })).toThrow(/maxRate/);
      expect(() => new RedisLeakyBucket({ redis: ctx.connect(), name: 'x', maxRate: 1, periodMs: Number.NaN })).toThrow(/periodMs/);
    });

    it("aiolimiter's reference, scaled: maxRate 4 per 800 ms across two instances: 4 at once, then one every 200 ms", async () => {
      const name = uniqueName('leaky');
      const make = () => new RedisLeakyBucket({ redis: ctx.connect(), name, maxRate: 4, periodMs: 800, unknownState: 'fresh' });
      const [a, b] = [make(), make()];
      const t0 = performance.now();
      const at: number[] = [];
      for (let i = 0; i < 7; i++) {
        await (i % 2 === 0 ? a : b).acquire();
        at.push(performance.now() - t0);
      }
      for (let i = 0; i < 4; i++) expect(at[i]).toBeLessThan(100);
      for (let i = 4; i < 7; i++) {
        expect(at[i]).toBeGreaterThanOrEqual((i - 3) * 200 - 30);
        expect(at[i]).toBeLessThan((i - 3) * 200 + 200);
      }
      expect(await a.tryAcquire(1)).toBeUndefined();
      expect(a.maxRate).toBe(4);
    });

    it('refuses at once a wait the drain alone makes longer than maxWaitMs', async () => {
      const b = new RedisLeakyBucket({ redis: ctx.connect(), name: uniqueName('leaky-wait'), maxRate: 1, periodMs: 10_000, unknownState: 'fresh' });
      await b.acquire();
      await expect(b.acquire(1, { maxWaitMs: 100 })).rejects.toMatchObject({ name: 'MaxWaitExceededError', maxWaitMs: 100, waitedMs: 0 });
    });
  });

  describe('RedisSlidingWindow', () => {
    it('names the bad option', () => {
      expect(() => new RedisSlidingWindow({ redis: ctx.connect(), name: 'x', limit: 0, windowMs: 100 })).toThrow(/limit/);
      expect(() => new RedisSlidingWindow({ redis: ctx.connect(), name: 'x', limit: 1, windowMs: -1 })).toThrow(/windowMs/);
    });

    it('never more than limit in any window, across instances; each admission frees exactly windowMs later', async () => {
      const name = uniqueName('window');
      const make = () => new RedisSlidingWindow({ redis: ctx.connect(), name, limit: 3, windowMs: 300, unknownState: 'fresh' });
      const [a, b] = [make(), make()];
      const times: Array<[number, number]> = [];
      const t0 = performance.now();
      await Promise.all(
        [a, b].map(async (w) => {
          for (let i = 0; i < 4; i++) {
            const sent = performance.now() - t0;
            await w.acquire();
            times.push([sent, performance.now() - t0]);
          }
        }),
      );
      times.sort((x, y) => x[1] - y[1]);
      // Admitted surely inside [s, s + 300): at most 3 (each admission lies in [sent, received]).
      for (const [s] of times) expect(times.filter(([sent, got]) => sent >= s && got < s + 300).length).toBeLessThanOrEqual(3);
      expect(times[2]![1]).toBeLessThan(100); // the first 3 at once
      expect(times[3]![1]).toBeGreaterThanOrEqual(300 - 30); // the 4th when the 1st frees
      expect(times[7]![1]).toBeGreaterThanOrEqual(600 - 30);
      expect(times[7]![1]).toBeLessThan(600 + 300);
    });

    it('takes fractional costs and refuses at once a wait longer than maxWaitMs', async () => {
      const w = new RedisSlidingWindow({ redis: ctx.connect(), name: uniqueName('window-frac'), limit: 1, windowMs: 5000, unknownState: 'fresh' });
      expect(await w.tryAcquire(0.5)).toBeDefined();
      expect(await w.tryAcquire(0.25)).toBeDefined();
      expect(await w.tryAcquire(0.5)).toBeUndefined();
      await expect(w.acquire(0.5, { maxWaitMs: 100 })).rejects.toMatchObject({ name: 'MaxWaitExceededError', waitedMs: 0 });
    });
  });

  describe('pause, resume, available, retryAfterMs: on the server, for every process', () => {
    it('a pause by one instance holds every instance until it ends; resume admits at once', async () => {
      const name = uniqueName('pause');
      const make = () => new RedisTokenBucket({ redis: ctx.connect(), name, capacity: 5, refillIntervalMs: 1000, unknownState: 'fresh' });
      const [a, b] = [make(), make()];
      expect(await b.available).toBe(5);
      await a.pause(300);
      expect(await b.available).toBe(0);
      expect(await b.tryAcquire()).toBeUndefined();
      expect(await b.retryAfterMs(1)).toBeGreaterThan(200);
      const t0 = performance.now();
      await b.acquire();
      expect(performance.now() - t0).toBeGreaterThanOrEqual(200);
      expect(performance.now() - t0).toBeLessThan(300 + 250);
      await a.pause(100);
      await a.pause(10); // never shortens
      await a.pause(Infinity);
      const waiting = b.acquire();
      await sleep(150);
      const resumedAt = performance.now();
      await a.resume();
      await waiting;
      expect(performance.now() - resumedAt).toBeLessThan(200);
      expect(await b.retryAfterMs(1)).toBe(0);
      await expect(a.pause(-1)).rejects.toThrow(RangeError);
    });

    it('retryAfterMs: exact for refills, Infinity when only a release can help', async () => {
      const bucket = new RedisTokenBucket({ redis: ctx.connect(), name: uniqueName('retry'), capacity: 2, refillIntervalMs: 500, unknownState: 'fresh' });
      await bucket.acquire(2);
      const ms = await bucket.retryAfterMs(2);
      expect(ms).toBeGreaterThan(900);
      expect(ms).toBeLessThanOrEqual(1000);
      const s = new RedisSemaphore({ redis: ctx.connect(), name: uniqueName('retry-sem'), capacity: 1, leaseMs: 3000, unknownState: 'fresh' });
      const held = await s.acquire();
      expect(await s.retryAfterMs(1)).toBe(Infinity);
      expect(await s.available).toBe(0);
      await held[Symbol.asyncDispose]();
      expect(await s.available).toBe(1);
    });
  });
});
