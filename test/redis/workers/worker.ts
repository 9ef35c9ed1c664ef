// A separate process hammering one Redis limiter, run with `node --import tsx`. Config is argv[2]
// (JSON); it says 'ready' over IPC, starts on 'go', and sends its observations back at the end.
// The semaphore check is outside the library: a plain Redis counter moved by the holders.
import { Redis } from 'ioredis';
import { fromIoredis, RedisCreditSemaphore, RedisSemaphore, RedisSlidingWindow, RedisTokenBucket } from '../../../src/redis/index.js';

interface Config {
  mode: 'semaphore' | 'bucket' | 'holder' | 'credits' | 'window';
  port: number;
  name: string;
  capacity: number;
  leaseMs?: number;
  refillIntervalMs?: number;
  durationMs?: number;
  loops?: number;
  probeKey?: string;
  refundMs?: number;
  windowMs?: number;
}

const config = JSON.parse(process.argv[2]!) as Config;
const client = new Redis(config.port, '127.0.0.1');
const subscriber = client.duplicate();
const redis = fromIoredis(client, { subscriber });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const monoMs = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC: one clock for every process on the host

const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, () => resolve()));
const go = new Promise<void>((resolve) => process.once('message', () => resolve()));

async function semaphore(): Promise<unknown> {
  const s = new RedisSemaphore({ unknownState: 'fresh', redis, name: config.name, capacity: config.capacity, leaseMs: config.leaseMs ?? 5_000 });
  const end = performance.now() + config.durationMs!;
  let admitted = 0;
  let maxLevel = 0;
  let maxWaitMs = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const cost = Math.random() < 0.3 ? 2 : 1;
      const t0 = performance.now();
      const permit = await s.acquire(cost);
      maxWaitMs = Math.max(maxWaitMs, performance.now() - t0);
      const level = Number(await client.incrbyfloat(config.probeKey!, cost));
      maxLevel = Math.max(maxLevel, level);
      await sleep(Math.random() * 4);
      await client.incrbyfloat(config.probeKey!, -cost);
      await permit[Symbol.asyncDispose]();
      admitted++;
    }
  };
  await Promise.all(Array.from({ length: config.loops ?? 2 }, loop));
  return { admitted, maxLevel, maxWaitMs };
}

async function bucket(): Promise<unknown> {
  const b = new RedisTokenBucket({ unknownState: 'fresh', redis, name: config.name, capacity: config.capacity, refillIntervalMs: config.refillIntervalMs! });
  const end = performance.now() + config.durationMs!;
  const admissions: Array<[number, number]> = [];
  const loop = async () => {
    while (performance.now() < end) {
      const sent = monoMs();
      await b.acquire();
      admissions.push([sent, monoMs()]);
    }
  };
  await Promise.all(Array.from({ length: config.loops ?? 2 }, loop));
  return { admissions };
}

/** Each permit: [admitted (received), release sent, cost], on the host's monotonic clock. */
async function credits(): Promise<unknown> {
  const c = new RedisCreditSemaphore({ unknownState: 'fresh', redis, name: config.name, capacity: config.capacity, leaseMs: config.leaseMs ?? 5_000, refundMs: config.refundMs! });
  const end = performance.now() + config.durationMs!;
  const permits: Array<[number, number, number]> = [];
  const loop = async () => {
    while (performance.now() < end) {
      const cost = 1 + Math.floor(Math.random() * 3);
      const permit = await c.acquire(cost);
      const admitted = monoMs();
      await sleep(Math.random() * 4);
      const released = monoMs();
      await permit[Symbol.asyncDispose]();
      permits.push([admitted, released, cost]);
    }
  };
  await Promise.all(Array.from({ length: config.loops ?? 2 }, loop));
  return { permits };
}

async function window(): Promise<unknown> {
  const w = new RedisSlidingWindow({ unknownState: 'fresh', redis, name: config.name, limit: config.capacity, windowMs: config.windowMs! });
  const end = performance.now() + config.durationMs!;
  const admissions: Array<[number, number]> = [];
  const loop = async () => {
    while (performance.now() < end) {
      const sent = monoMs();
      await w.acquire();
      admissions.push([sent, monoMs()]);
    }
  };
  await Promise.all(Array.from({ length: config.loops ?? 2 }, loop));
  return { admissions };
}

async function holder(): Promise<void> {
  const s = new RedisSemaphore({ unknownState: 'fresh', redis, name: config.name, capacity: config.capacity, leaseMs: config.leaseMs! });
  await s.acquire(config.capacity);
  await send({ held: true });
  setInterval(() => {}, 1000); // hold until killed
}

await send({ ready: true });
await go;
if (config.mode === 'holder') await holder();
else {
  const modes = { semaphore, bucket, credits, window } as const;
  const result = await modes[config.mode]();
  await send({ result });
  client.disconnect();
  subscriber.disconnect();
}
