// One process of the Redis benchmark (see redis.mjs): runs `loops` concurrent acquire loops on one
// limiter for `durationMs`, counting admissions and script calls (each call is one round trip).
import Redis from 'ioredis';
import { pathToFileURL } from 'node:url';

// The built entry; BENCH_REDIS_ENTRY points at another build (e.g. one made with tsup --out-dir).
const entry = process.env.BENCH_REDIS_ENTRY ? pathToFileURL(process.env.BENCH_REDIS_ENTRY).href : '../dist/redis.js';
const { fromIoredis, RedisSemaphore, RedisTokenBucket } = await import(entry);

const { port, kind, name, options, loops, durationMs } = JSON.parse(process.argv[2]);
const client = new Redis(port, '127.0.0.1');
const subscriber = client.duplicate();
const inner = fromIoredis(client, { subscriber });
let calls = 0;
const redis = {
  subscribe: inner.subscribe,
  evalScript(script, keys, args) {
    calls++;
    return inner.evalScript(script, keys, args);
  },
};
const limiter = kind === 'semaphore' ? new RedisSemaphore({ redis, name, ...options }) : new RedisTokenBucket({ redis, name, ...options });
await limiter.tryAcquire(0); // connect before the clock starts
process.send({ ready: true });
await new Promise((resolve) => process.once('message', resolve));

let admitted = 0;
const waits = [];
const end = performance.now() + durationMs;
async function loop() {
  while (performance.now() < end) {
    const t0 = performance.now();
    const permit = await limiter.acquire();
    waits.push(performance.now() - t0);
    admitted++;
    await permit[Symbol.asyncDispose]();
  }
}
const t0 = performance.now();
await Promise.all(Array.from({ length: loops }, loop));
const elapsed = performance.now() - t0;
limiter.close();
process.send({ admitted, calls, elapsed, waits });
client.disconnect();
subscriber.disconnect();
