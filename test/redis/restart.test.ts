import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import { fromIoredis, LeaseLostError, RedisLimiterError, RedisSemaphore, RedisTokenBucket } from '../../src/redis/index.js';
import { sleep } from './helpers.js';
import { RedisServer } from './server.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');

describeRedis('Redis killed and restarted empty (no persistence)', () => {
  let server: RedisServer;
  let client: Redis;
  let subscriber: Redis;
  beforeAll(async () => {
    server = await RedisServer.start();
    // Fail fast while the server is down (no offline queue), reconnect every 50 ms.
    const options = { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 };
    client = new Redis(server.port, '127.0.0.1', options);
    subscriber = new Redis(server.port, '127.0.0.1', options);
    for (const c of [client, subscriber]) c.on('error', () => {}); // refused reconnects while down are expected
    await Promise.all([once(client, 'ready'), once(subscriber, 'ready')]);
  });
  afterAll(async () => {
    client?.disconnect();
    subscriber?.disconnect();
    await server?.stop();
  });
  const ready = () => Promise.all([client.status === 'ready' || once(client, 'ready'), subscriber.status === 'ready' || once(subscriber, 'ready')]);

  it('while down: calls fail with RedisLimiterError, a waiter gives up once its place has lapsed, the holder is told at its validity end; then it recovers', async () => {
    const redis = fromIoredis(client, { subscriber });
    const leaseMs = 600;
    const s = new RedisSemaphore({ unknownState: 'fresh', redis, name: 'restart', capacity: 1, leaseMs });
    const bucket = new RedisTokenBucket({ unknownState: 'fresh', redis, name: 'restart', capacity: 2, refillIntervalMs: 100 });
    const held = await s.acquire();
    const validUntil = held.validUntil;
    const waiting = s.acquire(); // queued behind `held`
    await sleep(50);
    expect(s.pending).toBe(1);

    await server.stop();
    const t0 = performance.now();
    await expect(s.acquire()).rejects.toBeInstanceOf(RedisLimiterError);
    await expect(s.tryAcquire()).rejects.toBeInstanceOf(RedisLimiterError);
    await expect(bucket.acquire()).rejects.toThrow(/acquire on "restart" failed/);
    // The holder is told the moment its last confirmed validity ends, not later.
    const reason = await new Promise((resolve) => held.signal.addEventListener('abort', () => resolve(held.signal.reason)));
    const lostAt = performance.now();
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect(reason).toMatchObject({ code: 'ERR_LEASE_LOST', fencingToken: held.fencingToken });
    expect(lostAt).toBeGreaterThanOrEqual(validUntil - 1);
    expect(lostAt - validUntil).toBeLessThan(150);
    // The waiter keeps its place through failed polls until its server heartbeat (leaseMs) has lapsed.
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisLimiterError);
    expect(error).toMatchObject({ code: 'ERR_REDIS_LIMITER', op: 'poll' });
    expect((error as Error).message).toMatch(/tollgate\/redis: poll on "restart" failed/);
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(performance.now() - t0).toBeLessThan(leaseMs + 300);
    expect(s.pending).toBe(0);

    await server.start(); // same port, empty
    await ready();
    await held[Symbol.asyncDispose](); // lost already: nothing to release, and no error
    const again = await s.acquire(); // scripts reloaded (NOSCRIPT → EVAL), state fresh
    const next = s.acquire();
    await sleep(20);
    const releasedAt = performance.now();
    await again[Symbol.asyncDispose]();
    const permit = await next;
    expect(performance.now() - releasedAt).toBeLessThan(100); // pub/sub wakes again after the reconnect
    await permit[Symbol.asyncDispose]();
    expect(await bucket.tryAcquire(2)).toBeDefined();
    s.close();
    bucket.close();
  }, 30_000);

  it('restarted empty while a holder holds: by default nobody else is admitted before the holder knows it lost its lease', async () => {
    const redis = fromIoredis(client, { subscriber });
    const leaseMs = 900;
    const holder = new RedisSemaphore({ redis, name: 'restart-wait', capacity: 1, leaseMs, unknownState: 'fresh' });
    // unknownState unset (the default): fresh for its first call, 'wait' once it has seen the limiter.
    const other = new RedisSemaphore({ redis, name: 'restart-wait', capacity: 1, leaseMs });
    const held = await holder.acquire();
    expect(await other.tryAcquire()).toBeUndefined(); // it has seen the state: a total loss from now on is a loss
    await server.stop();
    await server.start();
    await ready();
    const t0 = performance.now();
    const permit = await other.acquire(1, { maxWaitMs: 5_000 });
    // The server had no trace of the limiter: it waited a whole leaseMs, by which time the
    // holder's lease was over (found gone at its renewal, or its validity ran out).
    expect(performance.now() - t0).toBeGreaterThanOrEqual(leaseMs - 50);
    expect(held.lost).toBe(true);
    expect(permit.fencingToken).toBeGreaterThan(held.fencingToken);
    await permit[Symbol.asyncDispose]();
    holder.close();
    other.close();
  }, 30_000);

  it('a quick restart: a waiter keeps its place and is served; a holder on default ioredis options is told its lease is gone', async () => {
    const io = new Redis(server.port, '127.0.0.1'); // defaults: offline queue, endless reconnects
    const ioSub = io.duplicate();
    for (const c of [io, ioSub]) c.on('error', () => {});
    try {
      const leaseMs = 1500;
      const redis = fromIoredis(io, { subscriber: ioSub });
      const holder = new RedisSemaphore({ redis, name: 'quick-restart', capacity: 1, leaseMs, unknownState: 'fresh' });
      const waiter = new RedisSemaphore({ redis: fromIoredis(client), name: 'quick-restart', capacity: 1, leaseMs, pollMs: 100 });
      const held = await holder.acquire();
      const waiting = waiter.acquire(1, { maxWaitMs: 10_000 });
      await sleep(100);
      await server.stop();
      await sleep(200);
      const t0 = performance.now();
      await server.start();
      await ready();
      // The holder's next renewal finds nothing; the waiter's poll puts its ticket back and,
      // since the server had no trace of the limiter, waits out a whole leaseMs ('wait').
      const lost = await new Promise<number>((resolve) => held.signal.addEventListener('abort', () => resolve(performance.now())));
      expect(lost - t0).toBeLessThan(leaseMs);
      const permit = await waiting;
      expect(performance.now()).toBeGreaterThanOrEqual(lost);
      expect(permit.fencingToken).toBeGreaterThan(held.fencingToken);
      permit.release();
      holder.close();
      waiter.close();
    } finally {
      io.disconnect();
      ioSub.disconnect();
    }
  }, 30_000);
});
