// Redis Cluster (three local primaries) and Sentinel (a primary, a replica, one sentinel), with
// ioredis and node-redis clients, for real. The clients keep their default options: the library
// must hold whatever they do during a failover.
import { Cluster, Redis } from 'ioredis';
import { createCluster, createSentinel } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import { fromIoredis, fromNodeRedis, type NodeRedisLike, type NodeRedisSubscriberLike, RedisSemaphore, RedisTokenBucket } from '../../src/redis/index.js';
import { sleep, uniqueName } from './helpers.js';
import { cli, startCluster, startSentinel } from './topologies.js';

const describeRedis = requires('redis-server', commandExists('redis-server') && commandExists('redis-cli'), 'apt-get install redis-server');

describeRedis('Redis Cluster, three primaries (ioredis and node-redis)', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let io: Cluster;
  let ioSub: Cluster;
  let nr: ReturnType<typeof createCluster>;
  beforeAll(async () => {
    cluster = await startCluster();
    io = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0]! }]);
    ioSub = io.duplicate();
    nr = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.ports[1]}` }] });
    nr.on('error', () => {});
    await nr.connect();
  }, 60_000);
  afterAll(async () => {
    io?.disconnect();
    ioSub?.disconnect();
    await nr?.close().catch(() => {});
    await cluster?.stop();
  });

  it('keeps every key of a limiter in one slot, names spread over the primaries', async () => {
    const used = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const s = new RedisSemaphore({ redis: fromIoredis(io), name: uniqueName(`slot${i}`), capacity: 1, leaseMs: 3000, unknownState: 'fresh' });
      const permit = await s.acquire();
      const slots = new Set(await Promise.all(s.keys.map((k) => io.cluster('KEYSLOT', k))));
      expect(slots.size).toBe(1);
      for (const port of cluster.ports) if ((await cli(port, 'exists', s.keys[0]!)).trim() === '1') used.add(port);
      permit.release();
    }
    expect(used.size).toBeGreaterThanOrEqual(2);
  });

  it('a semaphore shared by an ioredis and a node-redis client: FIFO, capacity kept, pub/sub wake-ups across nodes', async () => {
    const name = uniqueName('cluster-sem');
    const a = new RedisSemaphore({ redis: fromIoredis(io, { subscriber: ioSub }), name, capacity: 2, leaseMs: 3000, unknownState: 'fresh' });
    const b = new RedisSemaphore({
      redis: fromNodeRedis(nr as unknown as NodeRedisLike, { subscriber: nr as unknown as NodeRedisSubscriberLike }),
      name,
      capacity: 2,
      leaseMs: 3000,
      unknownState: 'fresh',
    });
    const held = await a.acquire(2);
    expect(await b.tryAcquire(1)).toBeUndefined();
    const order: string[] = [];
    const first = b.acquire(2).then((p) => (order.push('b2'), p));
    await sleep(50);
    const second = a.acquire(1).then((p) => (order.push('a1'), p));
    await sleep(50);
    const releasedAt = performance.now();
    held.release();
    const p1 = await first;
    expect(performance.now() - releasedAt).toBeLessThan(500); // a message, not the 1 s poll
    expect(p1.fencingToken).toBeGreaterThan(held.fencingToken);
    await sleep(50);
    expect(order).toEqual(['b2']);
    p1.release();
    (await second).release();
    expect(order).toEqual(['b2', 'a1']);
    a.close();
    b.close();
  });

  it('a token bucket through node-redis on the cluster keeps its rate', async () => {
    const bucket = new RedisTokenBucket({ redis: fromNodeRedis(nr as unknown as NodeRedisLike), name: uniqueName('cluster-bucket'), capacity: 2, refillIntervalMs: 100, unknownState: 'fresh' });
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await bucket.acquire();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300 - 20);
    expect(await bucket.tryAcquire()).toBeUndefined();
  });
});

describeRedis('Sentinel: a primary killed with a lease held (ioredis and node-redis)', () => {
  let topology: Awaited<ReturnType<typeof startSentinel>>;
  beforeAll(async () => {
    topology = await startSentinel();
  }, 60_000);
  afterAll(async () => {
    await topology?.stop();
  });

  it('after the failover the holder keeps its lease (replicated), nobody else got in meanwhile, and the queue goes on', async () => {
    const io = new Redis({ sentinels: [{ host: '127.0.0.1', port: topology.sentinelPort }], name: 'mymaster' });
    const ioSub = io.duplicate();
    for (const c of [io, ioSub]) c.on('error', () => {});
    const nr = createSentinel({ name: 'mymaster', sentinelRootNodes: [{ host: '127.0.0.1', port: topology.sentinelPort }] });
    nr.on('error', () => {});
    await nr.connect();
    try {
      const name = uniqueName('failover');
      const leaseMs = 6000;
      const holder = new RedisSemaphore({ redis: fromIoredis(io, { subscriber: ioSub }), name, capacity: 1, leaseMs, unknownState: 'fresh' });
      const other = new RedisSemaphore({ redis: fromNodeRedis(nr as unknown as NodeRedisLike), name, capacity: 1, leaseMs, pollMs: 100 });
      const held = await holder.acquire();
      let killedAt = 0;
      const waiting = other.acquire(1, { maxWaitMs: 20_000 });
      await sleep(300);
      killedAt = performance.now();
      await topology.primary.stop(); // SIGKILL
      let promoted = 0;
      for (let i = 0; i < 200 && promoted === 0; i++) {
        // The replica may reset a probe's connection while it drops its link to the dead primary: ask again.
        const role = await cli(topology.replica.port, 'role').catch(() => '');
        if (role.startsWith('master')) promoted = performance.now() - killedAt;
        else await sleep(50);
      }
      expect(promoted).toBeGreaterThan(0);
      // Let renewals reach the new primary.
      await sleep(leaseMs / 3 + 500);
      expect(held.lost).toBe(false);
      expect(other.pending).toBe(1);
      const releasedAt = performance.now();
      held.release();
      const next = await waiting;
      expect(performance.now() - releasedAt).toBeLessThan(1000);
      expect(next.fencingToken).toBeGreaterThan(held.fencingToken);
      next.release();
      console.info(`sentinel failover: replica promoted ${Math.round(promoted)} ms after the primary was killed; lease kept`);
      holder.close();
      other.close();
    } finally {
      io.disconnect();
      ioSub.disconnect();
      await nr.close().catch(() => {});
    }
  }, 60_000);
});
