// Redis limiters: round trips (script calls) per admission and admissions per second, for 1, 4
// and 8 processes on one limiter name, and the time a hand-off between processes takes. Needs redis-server on PATH and a build:
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

/** From INFO commandstats (reset before each scenario): server µs per script call, and every command counted. */
async function serverStats(admin) {
  const info = await admin.info('commandstats');
  let calls = 0;
  let usec = 0;
  let commands = 0;
  for (const m of info.matchAll(/cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/g)) {
    if (m[1] === 'info' || m[1] === 'config|resetstat') continue;
    commands += Number(m[2]);
    if (m[1] === 'evalsha' || m[1] === 'eval') {
      calls += Number(m[2]);
      usec += Number(m[3]);
    }
  }
  return { serverUs: calls > 0 ? usec / calls : NaN, commands };
}

let seq = 0;
/** Ms from each release to the next admission in another process (wall clocks of one machine). */
function turnovers(results) {
  const events = results.flatMap((r, p) => r.held.flatMap(([admitted, released]) => [{ at: admitted, p, admitted: true }, { at: released, p, admitted: false }]));
  events.sort((a, b) => a.at - b.at);
  const gaps = [];
  for (let i = 0; i + 1 < events.length; i++) {
    const [e, next] = [events[i], events[i + 1]];
    if (!e.admitted && next.admitted && next.p !== e.p) gaps.push(next.at - e.at);
  }
  return gaps.sort((a, b) => a - b);
}

async function scenario(port, processes, kind, options, loops, holdMs) {
  const name = `bench-${seq++}`;
  const admin = new Redis(port, '127.0.0.1');
  await admin.config('RESETSTAT');
  const config = JSON.stringify({ port, kind, name, options, loops, durationMs: DURATION_MS, holdMs });
  const workers = Array.from({ length: processes }, () => fork(new URL('./redis-worker.mjs', import.meta.url), [config]));
  // A worker that dies (e.g. no build) fails the run instead of leaving it waiting.
  const died = Promise.race(workers.map((w) => once(w, 'exit').then(([code]) => code !== 0 && Promise.reject(new Error(`a worker exited with ${code}`)))));
  died.catch(() => {});
  const next = () => Promise.race([Promise.all(workers.map((w) => once(w, 'message'))), died.then(() => new Promise(() => {}))]);
  await next();
  workers.forEach((w) => w.send('go'));
  const results = (await next()).map(([m]) => m);
  // bottleneck's clustering keeps its connections (and so its worker) alive after disconnect.
  for (const w of workers) w.kill();
  const admitted = results.reduce((a, r) => a + r.admitted, 0);
  const calls = results.reduce((a, r) => a + r.calls, 0);
  const elapsed = Math.max(...results.map((r) => r.elapsed));
  const waits = results.flatMap((r) => r.waits).sort((a, b) => a - b);
  const { serverUs, commands } = await serverStats(admin);
  admin.disconnect();
  return {
    rttMs: results[0].rttMs,
    turnovers: turnovers(results),
    serverUs,
    commandsPerAdmission: calls / admitted,
    admitted,
    perSecond: (admitted / elapsed) * 1000,
    callsPerAdmission: calls / admitted,
    p50: waits[waits.length >> 1],
    p99: waits[Math.floor(waits.length * 0.99)],
  };
}

// Side by side: one limit, three libraries. bottleneck clusters through Redis (its own Lua,
// its own connections); rate-limiter-flexible's RateLimiterRedis refuses instead of queueing
// (a refused caller retries after msBeforeNext), its RateLimiterQueue queues in this process.
// Fixed windows (rate-limiter-flexible) let up to twice the rate through around a boundary.
const ONLY = process.env.BENCH_REDIS_ONLY; // a substring of the scenario labels to run
const SCENARIOS = [
  ['semaphore, capacity 4, 8 loops/process, hold 0', 'semaphore', { capacity: 4, leaseMs: 30_000, unknownState: 'fresh' }, 8],
  ['  bottleneck maxConcurrent 4 (Redis clustering)', 'bottleneck', { maxConcurrent: 4 }, 8],
  ['throttle, concurrency 4, 1e9/s, 8 loops/process', 'throttle', { rate: 1e9, periodMs: 1000, concurrency: 4, leaseMs: 30_000, unknownState: 'fresh' }, 8],
  ['token bucket, never empty (capacity 1e9)', 'bucket', { capacity: 1e9, refillAmount: 1e9, refillIntervalMs: 1000, unknownState: 'fresh' }, 8],
  ['  bottleneck reservoir 1e9 (Redis clustering)', 'bottleneck', { reservoir: 1e9 }, 8],
  ['  rate-limiter-flexible RateLimiterRedis, 1e9 points', 'rlf', { points: 1e9, duration: 1000 }, 8],
  ['token bucket, 200/s (20 per 100 ms), 8 loops/process', 'bucket', { capacity: 20, refillAmount: 20, refillIntervalMs: 100, unknownState: 'fresh' }, 8],
  ['  bottleneck reservoir 20 per 100 ms (Redis clustering)', 'bottleneck', { reservoir: 20, reservoirRefreshAmount: 20, reservoirRefreshInterval: 100, heartbeatInterval: 50 }, 8],
  ['  rate-limiter-flexible RateLimiterQueue, 200 per 1 s (fixed window)', 'rlf-queue', { points: 200, duration: 1 }, 8],
].filter(([label]) => ONLY === undefined || label.includes(ONLY));

// Turnover: one slot, one loop per process; each holder keeps it 2 ms (long enough for the other
// processes' waiters to be queued), then lets go. Measured from the release in one process to the
// admission in another (wall clocks of one machine), in ms and in round trips: the median
// uncontended script call of the same worker, server time included.
const TURNOVER = [
  ['semaphore, capacity 1: release in one process to admission in another', 'semaphore', { capacity: 1, leaseMs: 30_000, unknownState: 'fresh' }],
  ['  bottleneck maxConcurrent 1 (Redis clustering)', 'bottleneck', { maxConcurrent: 1 }],
].filter(([label]) => ONLY === undefined || label.includes(ONLY));

const redis = await startRedis();
try {
  if (TURNOVER.length > 0) {
    console.log(`| turnover | processes | hand-offs | median ms | p90 ms | median round trips | commands sent / admission |`);
    console.log(`|---|---:|---:|---:|---:|---:|---:|`);
    let rttMs;
    for (const [label, kind, options] of TURNOVER) {
      for (const processes of [2, 4]) {
        const r = await scenario(redis.port, processes, kind, options, 1, 2);
        rttMs = r.rttMs ?? rttMs;
        const gaps = r.turnovers;
        const median = gaps[gaps.length >> 1];
        console.log(`| ${label} | ${processes} | ${gaps.length} | ${median.toFixed(3)} | ${gaps[Math.floor(gaps.length * 0.9)].toFixed(3)} | ${(median / rttMs).toFixed(2)} | ${r.commandsPerAdmission.toFixed(2)} |`);
      }
    }
    console.log(`\nOne round trip (median uncontended script call, the unit above): ${rttMs === undefined ? '–' : rttMs.toFixed(3)} ms.\n`);
  }
  console.log(`| scenario | processes | admissions/s | commands sent / admission | server µs / script | wait p50 ms | wait p99 ms |`);
  console.log(`|---|---:|---:|---:|---:|---:|---:|`);
  for (const [label, kind, options, loops] of SCENARIOS) {
    for (const processes of [1, 4, 8]) {
      const r = await scenario(redis.port, processes, kind, options, loops);
      console.log(`| ${label} | ${processes} | ${r.perSecond.toFixed(0)} | ${r.commandsPerAdmission.toFixed(2)} | ${Number.isNaN(r.serverUs) ? '–' : r.serverUs.toFixed(1)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`);
    }
  }
} finally {
  redis.stop();
}
