// One process of the Redis benchmark (see redis.mjs): runs `loops` concurrent acquire loops on one
// limiter for `durationMs`, counting admissions and script calls (each call is one round trip).
import Redis from 'ioredis';
import { pathToFileURL } from 'node:url';

// The built entry; BENCH_REDIS_ENTRY points at another build (e.g. one made with tsup --out-dir).
const entry = process.env.BENCH_REDIS_ENTRY ? pathToFileURL(process.env.BENCH_REDIS_ENTRY).href : '../dist/redis.js';
const { fromIoredis, RedisSemaphore, RedisTokenBucket, RedisThrottle } = await import(entry);

const { port, kind, name, options, loops, durationMs, holdMs } = JSON.parse(process.argv[2]);
const client = new Redis(port, '127.0.0.1');
const subscriber = client.duplicate();
const inner = fromIoredis(client, { subscriber });
// Every command sent on the command connection, whichever library sends it (a pipeline counts
// each of its commands).
let calls = 0;
const send = client.sendCommand.bind(client);
client.sendCommand = (...args) => {
  calls++;
  return send(...args);
};
const redis = inner;
/**
 * Every library behind one `acquire(): Promise<{ release }>`: tollgate's twins, bottleneck's Redis
 * clustering (its own connections, through `schedule`), rate-limiter-flexible's RateLimiterRedis
 * (`consume`, which refuses rather than queues: retried after its msBeforeNext) and its
 * RateLimiterQueue (a queue in this process over the Redis counter).
 */
async function makeLimiter() {
  if (kind === 'semaphore' || kind === 'bucket' || kind === 'throttle') {
    const Kind = { semaphore: RedisSemaphore, bucket: RedisTokenBucket, throttle: RedisThrottle }[kind];
    const limiter = new Kind({ redis, name, ...options });
    await limiter.tryAcquire(0); // connect before the clock starts
    return { acquire: () => limiter.acquire(), close: () => limiter.close() };
  }
  if (kind === 'bottleneck') {
    const { default: Bottleneck } = await import('bottleneck');
    const connection = new Bottleneck.IORedisConnection({ client });
    const limiter = new Bottleneck({ id: name, datastore: 'ioredis', connection, ...options });
    await limiter.ready();
    return {
      acquire: () => new Promise((resolve, reject) => {
        limiter.schedule(() => new Promise((done) => resolve({ release: done, [Symbol.asyncDispose]: async () => done() }))).catch(reject);
      }),
      close: () => limiter.disconnect(false),
    };
  }
  const { RateLimiterRedis, RateLimiterQueue } = await import('rate-limiter-flexible');
  const limiter = new RateLimiterRedis({ storeClient: client, keyPrefix: name, ...options });
  const none = { release() {}, async [Symbol.asyncDispose]() {} };
  if (kind === 'rlf-queue') {
    const queue = new RateLimiterQueue(limiter, { maxQueueSize: 1e6 });
    return { acquire: () => queue.removeTokens(1).then(() => none), close() {} };
  }
  return {
    async acquire() {
      for (;;) {
        try {
          await limiter.consume('k', 1);
          return none;
        } catch (refused) {
          if (!(refused && typeof refused.msBeforeNext === 'number')) throw refused;
          await new Promise((r) => setTimeout(r, Math.max(1, refused.msBeforeNext)));
        }
      }
    },
    close() {},
  };
}
/** Median ms of `rounds` uncontended script calls on a name of its own: the unit a hand-off is counted in. */
async function roundTripMs(rounds = 200) {
  const probe = new RedisSemaphore({ redis, name: `${name}-rtt-${process.pid}`, capacity: 1, leaseMs: 30_000, unknownState: 'fresh' });
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const permit = await probe.tryAcquire();
    times.push(performance.now() - t0);
    await permit[Symbol.asyncDispose]();
  }
  probe.close();
  return times.sort((a, b) => a - b)[times.length >> 1];
}

const limiter = await makeLimiter();
const rttMs = holdMs !== undefined ? await roundTripMs() : undefined;
calls = 0; // the probe's calls are not the scenario's
process.send({ ready: true });
await new Promise((resolve) => process.once('message', resolve));

let admitted = 0;
const waits = [];
/** With `holdMs`: [admitted, released] instants on the machine's wall clock (comparable across processes), one pair per admission. */
const held = [];
const wall = () => performance.timeOrigin + performance.now();
const end = performance.now() + durationMs;
async function loop() {
  while (performance.now() < end) {
    const t0 = performance.now();
    const permit = await limiter.acquire();
    waits.push(performance.now() - t0);
    admitted++;
    if (holdMs === undefined) {
      await permit[Symbol.asyncDispose]();
      continue;
    }
    // Held long enough for the other processes' waiters to be queued, then let go without waiting
    // for the release to reach Redis: the next acquire is sent after it, on the same connection.
    const at = wall();
    await new Promise((r) => setTimeout(r, holdMs));
    held.push([at, wall()]);
    permit.release();
  }
}
const t0 = performance.now();
await Promise.all(Array.from({ length: loops }, loop));
const elapsed = performance.now() - t0;
limiter.close();
process.send({ admitted, calls, elapsed, waits, rttMs, held });
client.disconnect();
subscriber.disconnect();
