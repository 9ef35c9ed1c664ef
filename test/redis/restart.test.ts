import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fromIoredis, LeaseLostError, RedisLimiterError, RedisSemaphore, RedisTokenBucket } from '../../src/redis/index.js';
import { sleep } from './helpers.js';
import { RedisServer } from './server.js';

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

it('Redis restarted mid-run: clear errors while it is down, lost leases are reported, then it recovers', async () => {
  const redis = fromIoredis(client, { subscriber });
  const leaseMs = 600;
  const s = new RedisSemaphore({ redis, name: 'restart', capacity: 1, leaseMs });
  const bucket = new RedisTokenBucket({ redis, name: 'restart', capacity: 2, refillIntervalMs: 100 });
  const held = await s.acquire();
  const waiting = s.acquire(); // queued behind `held`
  await sleep(50);
  expect(s.pending).toBe(1);

  await server.stop();
  const t0 = performance.now();
  // The queued waiter learns at its next poll (≤ leaseMs / 3), with an error saying what failed.
  const error = await waiting.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RedisLimiterError);
  expect(error).toMatchObject({ code: 'ERR_REDIS_LIMITER' });
  expect((error as Error).message).toMatch(/tollgate\/redis: poll on "restart" failed/);
  expect((error as Error).cause).toBeInstanceOf(Error);
  expect(performance.now() - t0).toBeLessThan(leaseMs);
  expect(s.pending).toBe(0);
  await expect(s.acquire()).rejects.toBeInstanceOf(RedisLimiterError);
  await expect(s.tryAcquire()).rejects.toBeInstanceOf(RedisLimiterError);
  await expect(bucket.acquire()).rejects.toThrow(/acquire on "restart" failed/);
  // Renewals fail: once the lease's last known expiry passes, the holder is told.
  const reason = await new Promise((resolve) => held.signal.addEventListener('abort', () => resolve(held.signal.reason)));
  expect(reason).toBeInstanceOf(LeaseLostError);
  expect(performance.now() - t0).toBeLessThan(leaseMs + leaseMs / 3 + 200);

  await server.start(); // same port, empty: no persistence
  await Promise.all([client.status === 'ready' || once(client, 'ready'), subscriber.status === 'ready' || once(subscriber, 'ready')]);
  await held[Symbol.asyncDispose](); // nothing left to release: a no-op, and no error
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
