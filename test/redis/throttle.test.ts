// RedisThrottle: rate limits of both kinds and a concurrency limit paid together from one FIFO
// queue across instances, one script per decision.
import { expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import { RedisThrottle, type RedisThrottleOptions } from '../../src/redis/index.js';
import { sleep, uniqueName, useRedis } from './helpers.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');

describeRedis('RedisThrottle', () => {
  const ctx = useRedis();
  const make = (name: string, options: Partial<RedisThrottleOptions> = {}) => {
    const redis = ctx.connect();
    return { redis, throttle: new RedisThrottle({ redis, name, unknownState: 'fresh', ...options } as RedisThrottleOptions) };
  };

  it('names the bad option', () => {
    const redis = ctx.connect();
    expect(() => new RedisThrottle({ redis, name: 'x' })).toThrow(/rate/);
    expect(() => new RedisThrottle({ redis, name: 'x', rate: 0 })).toThrow(/rate/);
    expect(() => new RedisThrottle({ redis, name: 'x', rate: 1, concurrency: 1.5 })).toThrow(/concurrency/);
    expect(() => new RedisThrottle({ redis, name: 'x', limits: [{ rate: 1, kind: 'fixed' as 'leaky' }] })).toThrow(/limits\[0\]\.kind/);
    expect(() => new RedisThrottle({ redis, name: 'x', rate: 1, limits: [{ rate: 1 }] })).toThrow(/either/);
    expect(() => new RedisThrottle({ redis, name: 'x', rate: 1, concurrency: 1, leaseMs: 0 })).toThrow(/leaseMs/);
  });

  it('concurrency across instances: a full set of slots admits nobody until a release; available is 0', async () => {
    const name = uniqueName('throttle-conc');
    const { throttle: a } = make(name, { rate: 100, concurrency: 2, leaseMs: 3000 });
    const { throttle: b } = make(name, { rate: 100, concurrency: 2, leaseMs: 3000 });
    const p1 = await a.acquire();
    const p2 = await a.acquire();
    expect(await b.tryAcquire()).toBeUndefined();
    expect(await b.available).toBe(0);
    let admitted = false;
    const waiting = b.acquire(1, { maxWaitMs: 2000 }).then((p) => ((admitted = true), p));
    await sleep(80);
    expect(admitted).toBe(false);
    expect((await b.stats()).pending).toBe(1);
    p1.release();
    const p3 = await waiting;
    expect((await a.stats()).running).toBe(1);
    await Promise.all([p2[Symbol.asyncDispose](), p3[Symbol.asyncDispose]()]); // release() does not wait for Redis
    expect(await a.available).toBe(100 - 3);
  });

  it('several limits, both kinds: the tightest binds; a waiter is admitted when every one can pay', async () => {
    const name = uniqueName('throttle-limits');
    const limits = [{ rate: 3, periodMs: 300 }, { rate: 5, periodMs: 5000, kind: 'leaky' as const }];
    const { throttle: a } = make(name, { limits });
    const { throttle: b } = make(name, { limits });
    for (let i = 0; i < 3; i++) expect(await a.tryAcquire()).toBeDefined();
    expect(await b.tryAcquire()).toBeUndefined(); // the window is full
    const t0 = performance.now();
    await b.acquire(1, { maxWaitMs: 2000 });
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(300 - 60);
    expect(waited).toBeLessThan(300 + 250);
    // 4 of the leaky 5 taken (draining 1 per second): 1 more fits, not 2.
    await sleep(320);
    expect(await a.tryAcquire(2)).toBeUndefined();
    expect(await a.tryAcquire(1)).toBeDefined();
    // The leaky level is full: 3 more drain in 3 s, provably later than 100 ms, refused at once.
    const t1 = performance.now();
    await expect(a.acquire(3, { maxWaitMs: 100 })).rejects.toMatchObject({ name: 'MaxWaitExceededError', maxWaitMs: 100 });
    expect(performance.now() - t1).toBeLessThan(90);
  });

  it('one round trip per uncontended decision; a held slot is one call to release', async () => {
    const name = uniqueName('throttle-rt');
    const { redis, throttle } = make(name, { rate: 10, concurrency: 3, leaseMs: 3000 });
    const before = redis.total();
    const permit = await throttle.acquire();
    expect(redis.total() - before).toBe(1);
    await permit[Symbol.asyncDispose]();
    expect(redis.total() - before).toBe(2);
    expect(redis.calls.get('cancel')).toBe(1);
    const { redis: r2, throttle: rateOnly } = make(uniqueName('throttle-rt2'), { rate: 10 });
    await rateOnly.run(() => 1);
    expect(r2.total()).toBe(1);
  });

  it('lost state is never extra capacity: a lost window counts as full, a lost slot set admits nobody while a lease may be alive', async () => {
    const name = uniqueName('throttle-lost');
    const { throttle: a } = make(name, { rate: 3, periodMs: 60_000 });
    const { throttle: b } = make(name, { rate: 3, periodMs: 60_000 });
    expect(await a.tryAcquire(2)).toBeDefined();
    await ctx.client.del(a.keys[6]!); // the window's admissions, lost
    expect(await b.tryAcquire(1)).toBeUndefined();
    expect(await b.available).toBe(0);

    const slots = uniqueName('throttle-lost-slots');
    const { throttle: c } = make(slots, { rate: 100, concurrency: 1, leaseMs: 600 });
    const { throttle: d } = make(slots, { rate: 100, concurrency: 1, leaseMs: 600 });
    const held = await c.acquire();
    await ctx.client.del(c.keys[4]!); // the leases, lost
    expect(await d.tryAcquire()).toBeUndefined();
    const t0 = performance.now();
    (await d.acquire(1, { maxWaitMs: 3000 })).release();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300); // only once the old lease could have ended
    expect(held.lost).toBe(true);
  });
});
