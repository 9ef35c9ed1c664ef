// update(options) stores numeric options on the server: every process uses them, whatever it was
// constructed with.
import { expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import { RedisSemaphore, RedisSlidingWindow, RedisThrottle, RedisTokenBucket, RedisLeakyBucket, RedisCreditSemaphore } from '../../src/redis/index.js';
import { sleep, uniqueName, useRedis } from './helpers.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');

describeRedis('update on the server', () => {
  const ctx = useRedis();

  it('a higher capacity set by one instance is used by the other, which learns it', async () => {
    const name = uniqueName('update-up');
    const make = () => new RedisSemaphore({ redis: ctx.connect(), name, capacity: 3, leaseMs: 3000, unknownState: 'fresh' });
    const [a, b] = [make(), make()];
    await a.update({ capacity: 5 });
    expect(a.capacity).toBe(5);
    const permit = await b.acquire(5); // b was constructed with 3: the server decides
    expect(b.capacity).toBe(5);
    permit.release();
  });

  it('a lower capacity never revokes a permit; a waiter it can never pay rejects with a RangeError naming both', async () => {
    const name = uniqueName('update-down');
    const make = () => new RedisSemaphore({ redis: ctx.connect(), name, capacity: 4, leaseMs: 3000, unknownState: 'fresh' });
    const [a, b] = [make(), make()];
    const held = await a.acquire(2);
    const big = b.acquire(4);
    const behind = b.acquire(1);
    await sleep(40);
    await a.update({ capacity: 3 });
    await expect(big).rejects.toThrow(/capacity 3; got 4/);
    (await behind).release(); // no longer blocked by the head that can never be paid
    expect(held.lost).toBe(false);
    expect(await b.tryAcquire(2)).toBeUndefined(); // 2 held of 3
    await expect(b.acquire(4)).rejects.toBeInstanceOf(RangeError);
    await held[Symbol.asyncDispose](); // release() does not wait for Redis; this reads after it
    expect(await b.available).toBe(3);
  });

  it('rates: a window, a bucket and a leaky level take their new numbers in every instance', async () => {
    const wName = uniqueName('update-window');
    const w = () => new RedisSlidingWindow({ redis: ctx.connect(), name: wName, limit: 2, windowMs: 60_000, unknownState: 'fresh' });
    const [w1, w2] = [w(), w()];
    expect(await w1.tryAcquire(2)).toBeDefined();
    expect(await w2.tryAcquire()).toBeUndefined();
    await w1.update({ limit: 4 });
    expect(await w2.tryAcquire(2)).toBeDefined();
    expect(await w2.tryAcquire()).toBeUndefined();

    const tName = uniqueName('update-bucket');
    const t = () => new RedisTokenBucket({ redis: ctx.connect(), name: tName, capacity: 1, refillIntervalMs: 60_000, unknownState: 'fresh' });
    const [t1, t2] = [t(), t()];
    expect(await t1.tryAcquire()).toBeDefined();
    await t1.update({ refillIntervalMs: 50 });
    const t0 = performance.now();
    (await t2.acquire(1, { maxWaitMs: 1000 })).release();
    expect(performance.now() - t0).toBeLessThan(300);

    const lName = uniqueName('update-leaky');
    const l = () => new RedisLeakyBucket({ redis: ctx.connect(), name: lName, maxRate: 2, periodMs: 60_000, unknownState: 'fresh' });
    const [l1, l2] = [l(), l()];
    expect(await l1.tryAcquire(2)).toBeDefined();
    await l2.update({ maxRate: 3 });
    expect(await l1.tryAcquire(1)).toBeDefined();
    expect(await l1.tryAcquire(1)).toBeUndefined();
  });

  it('a throttle: a higher concurrency admits a waiter at once; limits keep their kinds', async () => {
    const name = uniqueName('update-throttle');
    const make = () => new RedisThrottle({ redis: ctx.connect(), name, rate: 100, concurrency: 1, leaseMs: 3000, unknownState: 'fresh' });
    const [a, b] = [make(), make()];
    const held = await a.acquire();
    let admitted = false;
    const waiting = b.acquire().then((p) => ((admitted = true), p));
    await sleep(40);
    expect(admitted).toBe(false);
    await a.update({ concurrency: 2 });
    (await waiting).release();
    held.release();
    expect(() => a.update({ limits: [{ rate: 5, kind: 'leaky' }] })).toThrow(/kinds/);
    expect(() => new RedisThrottle({ redis: ctx.connect(), name: 'x', rate: 1 }).update({ concurrency: 2 })).toThrow(/concurrency/);
  });

  it('bad values throw naming the option and change nothing', async () => {
    const name = uniqueName('update-bad');
    const c = new RedisCreditSemaphore({ redis: ctx.connect(), name, capacity: 4, leaseMs: 3000, unknownState: 'fresh' });
    expect(() => c.update({ capacity: 0 })).toThrow(/capacity/);
    expect(() => c.update({ leaseMs: 5 } as never)).toThrow(/leaseMs/);
    expect(await c.available).toBe(4);
    c.close();
    await expect(c.update({ capacity: 5 })).rejects.toThrow(/closed/);
  });
});
