// KeyedLimiter over Redis twins: one Redis limiter per key, closed once idle (nothing queued or
// held by this instance); its server keys expire on their own.
import { expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import { KeyedLimiter } from '../../src/keyed-limiter.js';
import { LimiterClosedError, RedisSemaphore, RedisTokenBucket } from '../../src/redis/index.js';
import { sleep, uniqueName, useRedis } from './helpers.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');

describeRedis('KeyedLimiter with Redis twins', () => {
  const ctx = useRedis();

  it('one Redis limiter per key; an idle one is closed and replaced by a new one on next use', async () => {
    const redis = ctx.connect();
    const base = uniqueName('keyed');
    const made: RedisTokenBucket[] = [];
    // KeyedMember asks only for what the map calls: a Redis limiter is one as it is.
    const perUser = new KeyedLimiter(
      (key: string) => {
        const bucket = new RedisTokenBucket({ redis, name: `api:${base}:${key}`, capacity: 2, refillIntervalMs: 60_000, unknownState: 'fresh' });
        made.push(bucket);
        return bucket;
      },
      { idleMs: 100 },
    );
    (await perUser.acquire('alice')).release();
    (await perUser.acquire('alice')).release();
    await expect(perUser.acquire('alice', 1, { maxWaitMs: 50 })).rejects.toMatchObject({ name: 'MaxWaitExceededError' }); // 2 per minute for alice
    (await perUser.acquire('bob')).release(); // bob has his own bucket
    expect(made).toHaveLength(2);
    const [alice] = made;
    expect(alice!.idle).toBe(true);
    await sleep(350);
    expect(perUser.has('alice')).toBe(false);
    await expect(alice!.acquire()).rejects.toBeInstanceOf(LimiterClosedError);
    // The server still counts alice's spent tokens: a new instance for alice takes nothing extra.
    const again = perUser.get('alice') as unknown as RedisTokenBucket;
    expect(again).not.toBe(alice);
    expect(await again.tryAcquire()).toBeUndefined();
    const ttl = await ctx.client.pttl(again.keys[0]!);
    expect(ttl).toBeGreaterThan(0); // its keys expire on their own
    perUser.close();
  });

  it('a limiter holding a permit or with a waiter is not idle, so it is kept', async () => {
    const redis = ctx.connect();
    const base = uniqueName('keyed-held');
    const perHost = new KeyedLimiter(
      (key: string) => new RedisSemaphore({ redis, name: `${base}:${key}`, capacity: 1, leaseMs: 3000, unknownState: 'fresh' }),
      { idleMs: 80 },
    );
    const permit = await perHost.acquire('h');
    const held = perHost.get('h') as unknown as RedisSemaphore;
    expect(held.idle).toBe(false);
    const waiting = perHost.acquire('h');
    await sleep(300);
    expect(perHost.has('h')).toBe(true);
    permit.release();
    (await waiting).release();
    expect(held.idle).toBe(true);
    await sleep(300);
    expect(perHost.has('h')).toBe(false);
    perHost.close();
  });
});
