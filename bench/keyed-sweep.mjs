// Long callbacks: a KeyedLimiter dropping 1 000 000 idle keys at once, and 100 000 waiters whose
// deadlines fall due at the same instant. Reported: the event loop's longest delay while it
// happens (`perf_hooks.monitorEventLoopDelay` max) and, for the sweep, its longest single timer
// callback. Each runs in a fresh worker: its own heap, and timers that end with it.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { nowMs } from './harness.mjs';

const KEYS = 1_000_000;
const WAITERS = 100_000;
const IDLE_MS = 60_000;
const LIMIT_MS = 10;

const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Real time plus an offset that `jump` moves forward, re-arming pending timers for their new
 * instant: a minute of idleness passes at once, but the callbacks run on the real event loop.
 * Each callback's own duration is recorded.
 */
function jumpClock() {
  let offset = 0;
  const pending = new Set();
  const stats = { longest: 0, longestCpu: 0, callbacks: 0, walls: [] };
  const clock = {
    now: () => performance.now() + offset,
    setTimeout(fn, ms) {
      const timer = { at: clock.now() + ms, handle: undefined };
      timer.fire = () => {
        pending.delete(timer);
        const t0 = nowMs();
        const cpu0 = process.cpuUsage();
        fn();
        const cpu = process.cpuUsage(cpu0);
        stats.longest = Math.max(stats.longest, nowMs() - t0);
        // CPU time is blind to the thread being descheduled on a busy machine (it counts the process's GC threads too).
        stats.longestCpu = Math.max(stats.longestCpu, (cpu.user + cpu.system) / 1000);
        stats.callbacks++;
        stats.walls.push(nowMs() - t0);
      };
      timer.handle = setTimeout(timer.fire, ms);
      pending.add(timer);
      return timer;
    },
    clearTimeout(timer) {
      if (timer === undefined) return;
      clearTimeout(timer.handle);
      pending.delete(timer);
    },
    jump(ms) {
      offset += ms;
      for (const timer of pending) {
        clearTimeout(timer.handle);
        timer.handle = setTimeout(timer.fire, Math.max(1, Math.ceil(timer.at - clock.now())));
      }
    },
  };
  return { clock, stats };
}

async function sweepHere() {
  const { KeyedLimiter, TokenBucket } = await import('tollgate');
  const { clock, stats } = jumpClock();
  const keyed = new KeyedLimiter(() => new TokenBucket({ capacity: 5, refillIntervalMs: 1_000 }), { idleMs: IDLE_MS, clock });
  for (let i = 0; i < KEYS; ) {
    for (const end = Math.min(KEYS, i + 10_000); i < end; i++) keyed.get(i);
    await tick(); // making the keys is not what is measured: it yields too
  }
  globalThis.gc?.();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const t0 = nowMs();
  clock.jump(IDLE_MS);
  while (keyed.size > 0) await sleep(5);
  const took = nowMs() - t0;
  await sleep(20); // the histogram records a delay when its own timer next fires: let it
  delay.disable();
  keyed.close();
  const walls = stats.walls.sort((a, b) => a - b);
  const p99 = walls[Math.floor(walls.length * 0.99)] ?? 0;
  return { maxMs: delay.max / 1e6, longestMs: stats.longest, longestCpuMs: stats.longestCpu, p99, callbacks: stats.callbacks, took };
}

/** Each entry: a blocked limiter and a function queueing one waiter that gives up after `ms`; `clock.freeze()` makes their deadlines one instant. */
const WAVES = {
  async tollgate(ms) {
    const { ConcurrencySemaphore } = await import('tollgate');
    let frozen;
    const clock = {
      now: () => frozen ?? performance.now(),
      setTimeout: (fn, delay) => setTimeout(fn, delay),
      clearTimeout: (handle) => clearTimeout(handle),
    };
    const sem = new ConcurrencySemaphore({ capacity: 1, clock });
    sem.tryAcquire();
    const options = { maxWaitMs: ms };
    return {
      freeze: () => (frozen = performance.now()),
      thaw: () => (frozen = undefined),
      enqueue: () => sem.acquire(1, options),
    };
  },
  async 'async-mutex'(ms) {
    const { Semaphore, withTimeout } = await import('async-mutex');
    const sem = withTimeout(new Semaphore(1), ms);
    await sem.acquire();
    return { freeze() {}, thaw() {}, enqueue: () => sem.acquire() };
  },
};

async function waveHere(name) {
  const wave = await WAVES[name](1_000);
  const noop = () => {};
  const settled = new Array(WAITERS);
  wave.freeze();
  for (let i = 0; i < WAITERS; i++) settled[i] = wave.enqueue().then(noop, noop);
  wave.thaw();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable(); // queueing is not measured; the wave comes after, on a timer
  const t0 = nowMs();
  await Promise.all(settled);
  const took = nowMs() - t0;
  await sleep(20); // the histogram records a delay when its own timer next fires: let it
  delay.disable();
  return { maxMs: delay.max / 1e6, took };
}

function measure(job) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { job } });
    worker.once('message', (result) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

if (!isMainThread && workerData?.job) {
  const { job } = workerData;
  parentPort.postMessage(job === 'sweep' ? await sweepHere() : await waveHere(job));
}

export async function run() {
  const sweep = await measure('sweep');
  const wave = {};
  for (const name of Object.keys(WAVES)) wave[name] = await measure(name);
  return [
    {
      scenario: 'long callbacks',
      what: `KeyedLimiter dropping ${KEYS.toLocaleString('en-US')} idle keys at once: event loop's longest delay (\`monitorEventLoopDelay\` max)`,
      unit: 'ms',
      tollgate: sweep.maxMs,
      target: `≤ ${LIMIT_MS} ms`,
      met: sweep.maxMs <= LIMIT_MS,
    },
    {
      scenario: 'long callbacks',
      what: `… its longest sweep callback (of ${sweep.callbacks}, 99 % of them ≤ ${sweep.p99.toFixed(1)} ms; whole sweep ${Math.round(sweep.took)} ms)`,
      unit: 'ms',
      tollgate: sweep.longestMs,
      target: `≤ ${LIMIT_MS} ms`,
      met: sweep.longestMs <= LIMIT_MS,
    },
    {
      scenario: 'long callbacks',
      what: '… the most CPU time one sweep callback took (process CPU: not stretched by a busy machine; GC threads included)',
      unit: 'ms',
      tollgate: sweep.longestCpuMs,
    },
    {
      scenario: 'long callbacks',
      what: `${WAITERS.toLocaleString('en-US')} waiters timing out at one instant (\`maxWaitMs\`): event loop's longest delay (whole wave ${Math.round(wave.tollgate.took)} ms)`,
      unit: 'ms',
      tollgate: wave.tollgate.maxMs,
      peers: { 'async-mutex': wave['async-mutex'].maxMs },
      target: `≤ ${LIMIT_MS} ms`,
      met: wave.tollgate.maxMs <= LIMIT_MS,
      note: 'long callbacks: async-mutex (`withTimeout`) arms one timer per waiter, all due together here, so they fire in one turn of the event loop; no peer has per-key limiters.',
    },
  ];
}
