// observe(input) acts on the server: a refusal with Retry-After pauses every process; a server's
// remaining + resetInMs caps what every process admits before the reset.
import { expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import { RedisSemaphore, RedisTokenBucket } from '../../src/redis/index.js';
import { uniqueName, useRedis } from './helpers.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');

describeRedis('observe on the server', () => {
  const ctx = useRedis();
  const bucket = (name: string) => new RedisTokenBucket({ redis: ctx.connect(), name, capacity: 10, refillIntervalMs: 60_000, unknownState: 'fresh' });

  it('a 429 with Retry-After seen by one instance pauses the other; a 200 with it does not', async () => {
    const name = uniqueName('observe-429');
    const [a, b] = [bucket(name), bucket(name)];
    await a.observe({ status: 200, headers: { 'retry-after': '30' } });
    expect(await b.tryAcquire()).toBeDefined();
    await a.observe({ status: 429, headers: { 'retry-after': '1' } });
    expect(await b.tryAcquire()).toBeUndefined();
    const { pausedUntil } = await b.stats();
    expect(pausedUntil).toBeGreaterThan(performance.now() + 800);
    const t0 = performance.now();
    (await b.acquire(1, { maxWaitMs: 3000 })).release();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(800);
  });

  it('remaining + resetInMs: every instance takes at most remaining more before the reset, then the budget alone', async () => {
    const name = uniqueName('observe-cap');
    const [a, b] = [bucket(name), bucket(name)];
    await a.observe({ remaining: 2, resetInMs: 300 });
    expect(await b.available).toBe(2);
    expect(await b.tryAcquire()).toBeDefined();
    expect(await a.tryAcquire()).toBeDefined();
    expect(await b.tryAcquire()).toBeUndefined();
    const t0 = performance.now();
    (await b.acquire(1, { maxWaitMs: 2000 })).release();
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(300 - 60);
    expect(waited).toBeLessThan(300 + 250);
    expect(await a.available).toBe(10 - 3);
  });

  it('a newer report replaces the older; bad input throws before anything is sent', async () => {
    const name = uniqueName('observe-replace');
    const s = new RedisSemaphore({ redis: ctx.connect(), name, capacity: 5, leaseMs: 3000, unknownState: 'fresh' });
    await s.observe({ remaining: 0, resetInMs: 10_000 });
    expect(await s.tryAcquire()).toBeUndefined();
    await s.observe({ remaining: 3, resetInMs: 10_000 });
    expect(await s.available).toBe(3);
    await expect(s.observe({ remaining: -1 })).rejects.toThrow(/remaining/);
    await expect(s.observe('429')).rejects.toThrow(TypeError);
  });
});
