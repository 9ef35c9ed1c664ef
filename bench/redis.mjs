// Redis limiters: round trips (script calls) per admission and admissions per second, for 1 and
// 4 processes on one limiter name. Needs redis-server on PATH and a build:
//   npm run build && node bench/redis.mjs
// Starts its own redis-server on a free loopback port (no persistence) and stops it after.
// Figures depend on the machine; compare them with each other, within one run.
import { fork, spawn } from 'node:child_process';
import Redis from 'ioredis';
import { once } from 'node:events';
import net from 'node:net';

const DURATION_MS = Number(process.env.BENCH_REDIS_MS ?? 2000);

async function freePort() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.on('data', (d) => (socket.destroy(), resolve(String(d).startsWith('+PONG'))));
      socket.on('error', () => resolve(false));
    });
    if (ok) return { port, stop: () => child.kill('SIGKILL') };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('redis-server did not start (is it installed?)');
}

/** Server-side µs per script call, from INFO commandstats (reset before each scenario). */
async function serverMicrosPerCall(admin) {
  const info = await admin.info('commandstats');
  let calls = 0;
  let usec = 0;
  for (const m of info.matchAll(/cmdstat_(evalsha|eval):calls=(\d+),usec=(\d+)/g)) {
    calls += Number(m[2]);
    usec += Number(m[3]);
  }
  return usec / calls;
}

let seq = 0;
async function scenario(port, processes, kind, options, loops) {
  const name = `bench-${seq++}`;
  const admin = new Redis(port, '127.0.0.1');
  await admin.config('RESETSTAT');
  const config = JSON.stringify({ port, kind, name, options, loops, durationMs: DURATION_MS });
  const workers = Array.from({ length: processes }, () => fork(new URL('./redis-worker.mjs', import.meta.url), [config]));
  // A worker that dies (e.g. no build) fails the run instead of leaving it waiting.
  const died = Promise.race(workers.map((w) => once(w, 'exit').then(([code]) => code !== 0 && Promise.reject(new Error(`a worker exited with ${code}`)))));
  died.catch(() => {});
  const next = () => Promise.race([Promise.all(workers.map((w) => once(w, 'message'))), died.then(() => new Promise(() => {}))]);
  await next();
  workers.forEach((w) => w.send('go'));
  const results = (await next()).map(([m]) => m);
  const admitted = results.reduce((a, r) => a + r.admitted, 0);
  const calls = results.reduce((a, r) => a + r.calls, 0);
  const elapsed = Math.max(...results.map((r) => r.elapsed));
  const waits = results.flatMap((r) => r.waits).sort((a, b) => a - b);
  const serverUs = await serverMicrosPerCall(admin);
  admin.disconnect();
  return {
    serverUs,
    admitted,
    perSecond: (admitted / elapsed) * 1000,
    callsPerAdmission: calls / admitted,
    p50: waits[waits.length >> 1],
    p99: waits[Math.floor(waits.length * 0.99)],
  };
}

const SCENARIOS = [
  ['semaphore, capacity 4, 8 loops/process, hold 0', 'semaphore', { capacity: 4, leaseMs: 30_000, unknownState: 'fresh' }, 8],
  ['token bucket, never empty (capacity 1e9)', 'bucket', { capacity: 1e9, refillAmount: 1e9, refillIntervalMs: 1000, unknownState: 'fresh' }, 8],
  ['token bucket, 200/s (20 per 100 ms), 8 loops/process', 'bucket', { capacity: 20, refillAmount: 20, refillIntervalMs: 100, unknownState: 'fresh' }, 8],
];

const redis = await startRedis();
try {
  console.log(`| scenario | processes | admissions/s | round trips / admission | server µs / script | wait p50 ms | wait p99 ms |`);
  console.log(`|---|---:|---:|---:|---:|---:|---:|`);
  for (const [label, kind, options, loops] of SCENARIOS) {
    for (const processes of [1, 4]) {
      const r = await scenario(redis.port, processes, kind, options, loops);
      console.log(`| ${label} | ${processes} | ${r.perSecond.toFixed(0)} | ${r.callsPerAdmission.toFixed(2)} | ${r.serverUs.toFixed(1)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`);
    }
  }
} finally {
  redis.stop();
}
