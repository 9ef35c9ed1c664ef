// Lost state is never extra capacity: keys deleted by hand (as eviction or a partial loss would),
// all keys gone (FLUSHALL, a restart without persistence), and real LRU eviction under maxmemory.
// The check is outside the library: each permit's belief interval (admitted → released, lost or
// past its validity) from every client, summed at every instant.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import { fromIoredis, RedisCreditSemaphore, RedisLeakyBucket, RedisSemaphore, RedisSlidingWindow, RedisThrottle, RedisTokenBucket } from '../../src/redis/index.js';
import { maxHeld, observer, overCapacityMs } from './chaos.js';
import { sleep, uniqueName, useRedis } from './helpers.js';
import { RedisServer } from './server.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');
const L = 600;

describeRedis('RedisSemaphore: keys lost while a holder holds', () => {
  const ctx = useRedis();
  const pair = (name: string, unknownState: 'wait' | 'fresh' = 'fresh') => [
    new RedisSemaphore({ redis: ctx.connect(), name, capacity: 2, leaseMs: L, unknownState }),
    new RedisSemaphore({ redis: ctx.connect(), name, capacity: 2, leaseMs: L, unknownState }),
  ] as const;

  for (const [key, index] of [['state (S)', 0], ['costs (C)', 3], ['leases (X)', 4]] as const) {
    it(`the ${key} key deleted: nobody else is admitted until the holder's lease is over; the holder is told`, async () => {
      const name = uniqueName(`lost-${index}`);
      const [a, b] = pair(name);
      const o = observer();
      const held = o.watch(await a.acquire(2));
      const lostAt = new Promise<number>((resolve) => held.signal.addEventListener('abort', () => resolve(performance.now())));
      await ctx.client.del(a.keys[index]!);
      const deletedAt = performance.now();
      expect(await b.tryAcquire(1)).toBeUndefined();
      const next = o.watch(await b.acquire(2, { maxWaitMs: 5_000 }));
      const admittedAt = performance.now();
      // Told at its next renewal (≤ leaseMs / 3), long before anyone else got in.
      expect((await lostAt) - deletedAt).toBeLessThan(L / 3 + 150);
      expect(held.lost).toBe(true);
      expect(admittedAt).toBeGreaterThanOrEqual(held.validUntil);
      expect(next.fencingToken).toBeGreaterThan(held.fencingToken);
      next.release();
      expect(maxHeld(o.close())).toBe(2);
    });
  }

  it('the guard key deleted alone changes nothing: the holder keeps its lease, nobody else gets in', async () => {
    const [a, b] = pair(uniqueName('lost-guard'));
    const held = await a.acquire(2);
    await ctx.client.del(a.keys[5]!);
    await sleep(L + 100); // renewed meanwhile
    expect(held.lost).toBe(false);
    expect(await b.tryAcquire(1)).toBeUndefined();
    await held[Symbol.asyncDispose]();
    expect(await b.tryAcquire(2)).toBeDefined();
  });

  it('every key gone (as after FLUSHALL or a restart), unknownState unset: an instance that saw the limiter before the loss admits nobody for leaseMs, the observer sees no second holder; the holder is told', async () => {
    const name = uniqueName('lost-all');
    // Both unset. The holder's renewal may come first after the loss: it counts it as a loss too.
    const a = new RedisSemaphore({ redis: ctx.connect(), name, capacity: 2, leaseMs: L });
    const b = new RedisSemaphore({ redis: ctx.connect(), name, capacity: 2, leaseMs: L });
    const o = observer();
    const held = o.watch(await a.acquire(2));
    expect(await b.tryAcquire(1)).toBeUndefined(); // b has seen the limiter: finding nothing from now on is a loss
    await ctx.client.del(...a.keys);
    const t0 = performance.now();
    const next = o.watch(await b.acquire(2, { maxWaitMs: 5_000 }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(L - 20);
    expect(held.lost).toBe(true);
    expect(next.fencingToken).toBeGreaterThan(held.fencingToken); // from the server's clock: still increasing
    next.release();
    const lives = o.close();
    expect(maxHeld(lives)).toBe(2);
    expect(overCapacityMs(lives, 2)).toBe(0);
    a.close();
    b.close();
  });

  it("every key gone, unknownState unset: a new instance (its first call after the loss) admits as new, overlapping the old holder only until that holder's next renewal; with 'wait' a new instance waits leaseMs and nothing overlaps", async () => {
    // The exception the default leaves: the new instance cannot tell the loss from a first use.
    const name = uniqueName('lost-all-new');
    // 'fresh' for the holder only so that its renewal, should it come between the deletion and
    // the new instance's first call, does not quarantine the limiter (it would as unset).
    const a = new RedisSemaphore({ redis: ctx.connect(), name, capacity: 2, leaseMs: L, unknownState: 'fresh' });
    const o = observer();
    const held = o.watch(await a.acquire(2));
    const lostAt = new Promise<number>((resolve) => held.signal.addEventListener('abort', () => resolve(performance.now())));
    await ctx.client.del(...a.keys);
    const c = new RedisSemaphore({ redis: ctx.connect(), name, capacity: 2, leaseMs: L }); // unset, never called before
    const t0 = performance.now();
    const next = o.watch(await c.acquire(2, { maxWaitMs: 5_000 }));
    expect(performance.now() - t0).toBeLessThan(100);
    expect((await lostAt) - t0).toBeLessThan(L / 3 + 150);
    expect(next.fencingToken).toBeGreaterThan(held.fencingToken);
    next.release();
    // Measured from outside: two holders of both slots, for no longer than it took the old
    // holder's renewal to find its lease gone.
    const lives = o.close();
    expect(maxHeld(lives)).toBe(4);
    expect(overCapacityMs(lives, 2)).toBeGreaterThan(0);
    expect(overCapacityMs(lives, 2)).toBeLessThan(L / 3 + 150);

    // The same loss with unknownState: 'wait' in the new instance: no overlap at all. (The holder
    // unset: its renewal, if it comes first, counts the loss as a loss as well.)
    const name2 = uniqueName('lost-all-new-wait');
    const a2 = new RedisSemaphore({ redis: ctx.connect(), name: name2, capacity: 2, leaseMs: L });
    const o2 = observer();
    const held2 = o2.watch(await a2.acquire(2));
    await ctx.client.del(...a2.keys);
    const d = new RedisSemaphore({ redis: ctx.connect(), name: name2, capacity: 2, leaseMs: L, unknownState: 'wait' });
    const t1 = performance.now();
    expect(await d.tryAcquire(1)).toBeUndefined();
    const next2 = o2.watch(await d.acquire(2, { maxWaitMs: 5_000 }));
    expect(performance.now() - t1).toBeGreaterThanOrEqual(L - 20);
    expect(held2.lost).toBe(true);
    next2.release();
    const lives2 = o2.close();
    expect(maxHeld(lives2)).toBe(2);
    expect(overCapacityMs(lives2, 2)).toBe(0);
    for (const l of [a, c, a2, d]) l.close();
  });

  it("every key gone with unknownState 'fresh': admitted at once (the documented risk), two holders until the holder's next renewal tells it", async () => {
    const name = uniqueName('lost-all-fresh');
    const [a, b] = pair(name, 'fresh');
    const o = observer();
    const held = o.watch(await a.acquire(2));
    const lostAt = new Promise<number>((resolve) => held.signal.addEventListener('abort', () => resolve(performance.now())));
    await ctx.client.del(...a.keys);
    const t0 = performance.now();
    const next = o.watch(await b.acquire(2, { maxWaitMs: 5_000 }));
    expect(performance.now() - t0).toBeLessThan(100);
    expect((await lostAt) - t0).toBeLessThan(L / 3 + 150);
    next.release();
    // The observer sees the risk 'fresh' takes: both believed they held the two slots, for no
    // longer than it took the old holder's renewal to find its lease gone.
    const lives = o.close();
    expect(maxHeld(lives)).toBe(4);
    expect(overCapacityMs(lives, 2)).toBeGreaterThan(0);
    expect(overCapacityMs(lives, 2)).toBeLessThan(L / 3 + 150);
  });

  it("nothing on the server (a first use), unknownState unset: every kind admits at once (semaphore, credit semaphore, token, leaky, sliding, a throttle's rates and its concurrency); with 'wait', held capacity waits leaseMs", async () => {
    const t0 = performance.now();
    const sem = new RedisSemaphore({ redis: ctx.connect(), name: uniqueName('first-sem'), capacity: 1, leaseMs: L });
    const first = await sem.tryAcquire();
    expect(first).toBeDefined();
    expect(await sem.tryAcquire()).toBeUndefined(); // the one slot is held
    first!.release();
    const credits = new RedisCreditSemaphore({ redis: ctx.connect(), name: uniqueName('first-credits'), capacity: 2, leaseMs: L, refundMs: 100 });
    const paid = await credits.tryAcquire(2);
    expect(paid).toBeDefined();
    paid!.release();
    const bucket = new RedisTokenBucket({ redis: ctx.connect(), name: uniqueName('first-bucket'), capacity: 3, refillIntervalMs: 60_000 });
    for (let i = 0; i < 3; i++) expect(await bucket.tryAcquire()).toBeDefined();
    expect(await bucket.tryAcquire()).toBeUndefined();
    const leaky = new RedisLeakyBucket({ redis: ctx.connect(), name: uniqueName('first-leaky'), maxRate: 2, periodMs: 60_000 });
    expect(await leaky.tryAcquire(2)).toBeDefined();
    const window = new RedisSlidingWindow({ redis: ctx.connect(), name: uniqueName('first-window'), limit: 2, windowMs: 60_000 });
    expect(await window.tryAcquire(2)).toBeDefined();
    const rate = new RedisThrottle({ redis: ctx.connect(), name: uniqueName('first-rate'), rate: 2, periodMs: 60_000 });
    expect(await rate.tryAcquire(2)).toBeDefined();
    const throttle = new RedisThrottle({ redis: ctx.connect(), name: uniqueName('first-conc'), rate: 2, periodMs: 60_000, concurrency: 1, leaseMs: L });
    const slot = await throttle.acquire(1, { maxWaitMs: 5_000 });
    expect(await throttle.tryAcquire(1)).toBeUndefined(); // the slot is held; the rate had room
    slot.release();
    expect(performance.now() - t0).toBeLessThan(L); // nobody waited out a lease
    // unknownState 'wait': a first use is taken for a loss, so held capacity waits leaseMs.
    const wait = new RedisSemaphore({ redis: ctx.connect(), name: uniqueName('first-wait'), capacity: 1, leaseMs: L, unknownState: 'wait' });
    const t1 = performance.now();
    expect(await wait.tryAcquire()).toBeUndefined();
    (await wait.acquire(1, { maxWaitMs: 5_000 })).release();
    expect(performance.now() - t1).toBeGreaterThanOrEqual(L - 40);
    // A name used before and idle since, even with 'wait': its guard says nothing can be held, so no wait.
    const again = new RedisSemaphore({ redis: ctx.connect(), name: sem.name, capacity: 1, leaseMs: L, unknownState: 'wait' });
    await ctx.client.del(...sem.keys.filter((_, i) => i !== 5));
    await sleep(L);
    expect(await again.tryAcquire()).toBeDefined();
    for (const l of [sem, credits, bucket, leaky, window, rate, throttle, wait, again]) l.close();
  });

  it("a credit semaphore's refunds key deleted: the credits still due are never handed out early", async () => {
    const name = uniqueName('lost-refunds');
    const make = () => new RedisCreditSemaphore({ redis: ctx.connect(), name, capacity: 10, leaseMs: L, refundMs: 500, unknownState: 'fresh' });
    const [a, b] = [make(), make()];
    (await a.acquire(10)).release(); // 10 credits due back in 500 ms
    await sleep(50);
    await ctx.client.del(a.keys[6]!);
    const t0 = performance.now();
    expect(await b.tryAcquire(1)).toBeUndefined();
    const permit = await b.acquire(10, { maxWaitMs: 3_000 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(450 - 40);
    permit.release();
  });

  it("a sliding window's admissions key deleted: the window counts as full for windowMs", async () => {
    const name = uniqueName('lost-window');
    const w = new RedisSlidingWindow({ redis: ctx.connect(), name, limit: 2, windowMs: 300, unknownState: 'fresh' });
    expect(await w.tryAcquire(2)).toBeDefined();
    await ctx.client.del(w.keys[6]!);
    expect(await w.tryAcquire(1)).toBeUndefined();
    await sleep(330);
    expect(await w.tryAcquire(2)).toBeDefined();
  });

  it('a token bucket whose state is lost restarts empty, never with a fresh burst', async () => {
    const name = uniqueName('lost-bucket');
    const bucket = new RedisTokenBucket({ redis: ctx.connect(), name, capacity: 3, refillIntervalMs: 200, unknownState: 'fresh' });
    for (let i = 0; i < 3; i++) expect(await bucket.tryAcquire()).toBeDefined();
    await ctx.client.del(bucket.keys[0]!);
    expect(await bucket.tryAcquire()).toBeUndefined();
    await sleep(230);
    expect(await bucket.tryAcquire()).toBeDefined();
    expect(await bucket.tryAcquire()).toBeUndefined();
  });
});

describeRedis('RedisSemaphore under real eviction (maxmemory + allkeys-lru)', () => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.port, '127.0.0.1');
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it('keys evicted while a holder holds never admit anyone beyond the capacity', async () => {
    const connections: Redis[] = [];
    const connect = () => {
      const c = new Redis(server.port, '127.0.0.1');
      const s = c.duplicate();
      connections.push(c, s);
      return fromIoredis(c, { subscriber: s });
    };
    try {
      const name = uniqueName('evict');
      const a = new RedisSemaphore({ redis: connect(), name, capacity: 1, leaseMs: L, unknownState: 'fresh' });
      const b = new RedisSemaphore({ redis: connect(), name, capacity: 1, leaseMs: L });
      const o = observer();
      const held = o.watch(await a.acquire());
      const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
      await admin.config('SET', 'maxmemory', String(used + 2_000_000));
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const junk = 'x'.repeat(10_000);
      const present = () => Promise.all(a.keys.map((k) => admin.exists(k))).then((e) => e.reduce((x, y) => x + y, 0));
      const before = await present();
      expect(before).toBe(4); // S, C, X, G (nobody queued)
      let evicted = false;
      for (let i = 0; i < 20_000 && !evicted; i++) {
        await admin.set(`junk:${i}`, junk);
        if (i % 20 === 19) evicted = (await present()) < before;
      }
      expect(evicted).toBe(true); // the test had teeth: some of the limiter's keys went
      await admin.config('SET', 'maxmemory', '0');
      // Whichever keys went, b gets in only once a's lease is over: lost (told), or released.
      const waiting = b.acquire(1, { maxWaitMs: 5_000 });
      await sleep(2 * L);
      const releasedAt = performance.now();
      if (!held.lost) held.release();
      const next = o.watch(await waiting);
      if (performance.now() < releasedAt) expect(held.lost).toBe(true);
      next.release();
      expect(maxHeld(o.close())).toBe(1);
      a.close();
      b.close();
    } finally {
      for (const c of connections) c.disconnect();
    }
  });
});
