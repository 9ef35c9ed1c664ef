// fencingToken is strictly increasing per name for every Redis kind, not only the semaphore: two
// instances of one name, a budget of one, waiters granted at once, from the queue through a
// wake-up message, and after a refill or a release. One grant at a time, 100 ms apart, so the
// order the permits were admitted in is the order the server granted them.
import { expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import {
  type RedisPermit,
  RedisCreditSemaphore,
  RedisLeakyBucket,
  RedisSemaphore,
  RedisSlidingWindow,
  RedisThrottle,
  RedisTokenBucket,
  type RedisScriptClient,
} from '../../src/redis/index.js';
import { sleep, uniqueName, useRedis } from './helpers.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');
const GAP = 100;

type Limiter = { acquire(cost?: number, options?: { maxWaitMs?: number }): Promise<RedisPermit>; close(): void };
/** Each kind with a budget of one, coming back GAP ms after a grant (rates) or at the release (leases). */
const kinds: Array<[string, (redis: RedisScriptClient, name: string) => Limiter]> = [
  ['RedisSemaphore', (redis, name) => new RedisSemaphore({ redis, name, capacity: 1, leaseMs: 3_000, unknownState: 'fresh' })],
  ['RedisCreditSemaphore', (redis, name) => new RedisCreditSemaphore({ redis, name, capacity: 1, leaseMs: 3_000, refundMs: 0, admission: 'fifo', unknownState: 'fresh' })],
  ['RedisLeakyBucket', (redis, name) => new RedisLeakyBucket({ redis, name, maxRate: 1, periodMs: GAP, unknownState: 'fresh' })],
  ['RedisTokenBucket', (redis, name) => new RedisTokenBucket({ redis, name, capacity: 1, refillIntervalMs: GAP, unknownState: 'fresh' })],
  ['RedisSlidingWindow', (redis, name) => new RedisSlidingWindow({ redis, name, limit: 1, windowMs: GAP, unknownState: 'fresh' })],
  ['RedisThrottle', (redis, name) => new RedisThrottle({ redis, name, rate: 1, periodMs: GAP, concurrency: 1, leaseMs: 3_000, unknownState: 'fresh' })],
];

describeRedis('fencingToken, strictly increasing per name, for every kind', () => {
  const ctx = useRedis();

  for (const [kind, make] of kinds) {
    it(`${kind}: in the order granted, across two instances, waiters included`, async () => {
      const name = uniqueName(`fence-${kind}`);
      const instances = [make(ctx.connect(), name), make(ctx.connect(), name)];
      const admitted: Array<{ at: number; fence: number }> = [];
      // Six acquires at once, alternating instances: one admitted at once, the others queued and
      // granted one by one. Each permit is held GAP ms (leases) before it is released.
      await Promise.all(
        Array.from({ length: 6 }, async (_, i) => {
          const permit = await instances[i % 2]!.acquire(1, { maxWaitMs: 10_000 });
          admitted.push({ at: performance.now(), fence: permit.fencingToken });
          await sleep(GAP);
          permit.release();
        }),
      );
      expect(admitted).toHaveLength(6);
      const fences = admitted.sort((a, b) => a.at - b.at).map((a) => a.fence);
      for (let i = 1; i < fences.length; i++) expect(fences[i]!).toBeGreaterThan(fences[i - 1]!);
      expect(fences.every((f) => Number.isSafeInteger(f) && f > 0)).toBe(true);
      for (const l of instances) l.close();
    });
  }
});
