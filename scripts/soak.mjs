// Soak: one million operations through each limiter (acquire/release, tryAcquire, run, aborts,
// timeouts, bursts of thousands of waiters), sampling the heap after gc, to show it stays flat.
//
//   npm run soak            (builds, then: node --expose-gc scripts/soak.mjs)
//   node --expose-gc scripts/soak.mjs [--ops 1000000] [--samples 20] [--json]
//
// Time is a manual clock advanced by the script (1 ms per step), so a million operations take
// seconds, not hours, and the run is the same every time (seeded random). Exit code 1 when the
// heap grew past the threshold or a limiter was left unbalanced.
import { ConcurrencySemaphore, CreditSemaphore, LeakyBucketLimiter, Throttle, TokenBucket } from 'tollgate';

if (typeof globalThis.gc !== 'function') {
  console.error('soak: run with node --expose-gc (npm run soak does)');
  process.exit(2);
}

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const OPS = arg('ops', 1_000_000);
const SAMPLES = arg('samples', 20);
const JSON_OUT = process.argv.includes('--json');
/** Growth from the first sample after warm-up to the last one that counts as a leak. */
const GROWTH_LIMIT = 1024 * 1024;

/** A clock moved by the script: timers in a binary heap by (at, seq), fired synchronously. */
class ManualClock {
  #now = 0;
  #seq = 0;
  #heap = [];
  #live = new Set();
  now() {
    return this.#now;
  }
  setTimeout(fn, ms) {
    const timer = { at: this.#now + Math.max(1, ms), seq: ++this.#seq, fn };
    this.#live.add(timer);
    this.#push(timer);
    return timer;
  }
  clearTimeout(timer) {
    this.#live.delete(timer);
  }
  get pendingTimers() {
    return this.#live.size;
  }
  advance(ms) {
    const end = this.#now + ms;
    while (this.#heap.length > 0 && this.#heap[0].at <= end) {
      const timer = this.#pop();
      if (!this.#live.delete(timer)) continue;
      this.#now = timer.at;
      timer.fn();
    }
    this.#now = end;
  }
  #before(a, b) {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  #push(timer) {
    const h = this.#heap;
    let i = h.push(timer) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#before(timer, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = timer;
  }
  #pop() {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= h.length) break;
        if (c + 1 < h.length && this.#before(h[c + 1], h[c])) c++;
        if (!this.#before(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

/** Mulberry32: the same sequence on every run. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Each limiter admits about 10 per ms; the workload offers 10 per ms on average, so queues form
// and drain all the time, and every ~100k operations a burst of 5 000 waiters piles up at once.
const LIMITERS = [
  { name: 'CreditSemaphore', capacity: 20, make: (clock) => new CreditSemaphore({ capacity: 20, refundMs: 1, clock }) },
  { name: 'ConcurrencySemaphore', capacity: 10, make: (clock) => new ConcurrencySemaphore({ capacity: 10, clock }) },
  { name: 'LeakyBucketLimiter', capacity: 100, make: (clock) => new LeakyBucketLimiter({ maxRate: 100, periodMs: 10, clock }) },
  { name: 'TokenBucket', capacity: 100, make: (clock) => new TokenBucket({ capacity: 100, refillAmount: 10, refillIntervalMs: 1, clock }) },
  {
    name: 'Throttle',
    capacity: 100,
    make: (clock) => new Throttle({ limits: [{ rate: 100, periodMs: 10 }, { rate: 12_000, periodMs: 1_000 }], concurrency: 10, clock }),
  },
];

const tick = () => new Promise((resolve) => setImmediate(resolve));
const heapNow = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};

async function soak({ name, capacity, make }) {
  const clock = new ManualClock();
  const limiter = make(clock);
  const rand = random(0x5eed);
  const held = [];
  const counts = { ops: 0, admitted: 0, tried: 0, timedOut: 0, aborted: 0, failed: 0 };
  const hold = (permit) => {
    held.push(permit);
    counts.admitted++;
  };
  const onError = (error) => {
    if (error?.code === 'ERR_MAX_WAIT_EXCEEDED') counts.timedOut++;
    else if (error?.name === 'AbortError' || error?.message === 'soak abort') counts.aborted++;
    else counts.failed++;
  };
  const pendingAborts = [];
  const samples = [];
  const sampleEvery = Math.floor(OPS / SAMPLES);
  const burstEvery = 100_000;
  let nextSample = sampleEvery;
  let nextBurst = burstEvery / 2;
  const started = process.hrtime.bigint();

  const offer = () => {
    counts.ops++;
    const r = rand();
    const cost = rand() < 0.8 ? 1 : 2;
    if (r < 0.6) limiter.acquire(cost).then(hold, onError);
    else if (r < 0.7) {
      const controller = new AbortController();
      limiter.acquire(cost, { signal: controller.signal }).then(hold, onError);
      if (rand() < 0.5) pendingAborts.push(controller);
    } else if (r < 0.8) limiter.acquire(cost, { maxWaitMs: Math.floor(rand() * 4) }).then(hold, onError);
    else if (r < 0.9) {
      const permit = limiter.tryAcquire(cost);
      if (permit) hold(permit);
      else counts.tried++;
    } else limiter.run(() => counts.admitted++, { cost }).catch(onError);
  };

  samples.push({ ops: 0, heap: heapNow() });
  while (counts.ops < OPS) {
    if (counts.ops >= nextBurst) {
      // Thousands queued at once: the queue's slots and the deadline heap grow, then must shrink back.
      nextBurst += burstEvery;
      for (let i = 0; i < 5_000 && counts.ops < OPS; i++) {
        counts.ops++;
        limiter.acquire(1, { maxWaitMs: 200 + Math.floor(rand() * 400) }).then(hold, onError);
      }
    }
    for (let i = 0; i < 10 && counts.ops < OPS; i++) offer();
    for (const controller of pendingAborts.splice(0)) controller.abort(new Error('soak abort'));
    clock.advance(1);
    await null; // admitted waiters' callbacks run
    for (const permit of held.splice(0)) permit.release();
    if (counts.ops >= nextSample) {
      nextSample += sampleEvery;
      await drain();
      samples.push({ ops: counts.ops, heap: heapNow() });
    }
  }

  async function drain() {
    for (let i = 0; i < 100_000 && (limiter.pending > 0 || held.length > 0); i++) {
      clock.advance(1);
      await null;
      for (const permit of held.splice(0)) permit.release();
      if (i % 1_000 === 0) await tick();
    }
    clock.advance(1_000);
    await tick();
  }

  await drain();
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const balanced = limiter.pending === 0 && limiter.available === capacity && clock.pendingTimers === 0;
  limiter.close();
  const stats = limiter.stats();
  const warm = samples[Math.min(2, samples.length - 1)];
  const last = samples[samples.length - 1];
  const heaps = samples.slice(2).map((s) => s.heap);
  return {
    name,
    ops: counts.ops,
    admitted: stats.admitted,
    timedOut: stats.timedOut,
    aborted: stats.aborted,
    failed: counts.failed,
    virtualMs: clock.now(),
    elapsedMs,
    heapStart: samples[0].heap,
    heapWarm: warm.heap,
    heapMin: Math.min(...heaps),
    heapMax: Math.max(...heaps),
    heapEnd: last.heap,
    growth: last.heap - warm.heap,
    balanced,
    closedCleanly: clock.pendingTimers === 0 && limiter.pending === 0,
    samples,
  };
}

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(2);
const results = [];
for (const spec of LIMITERS) results.push(await soak(spec));

if (JSON_OUT) console.log(JSON.stringify(results, null, 2));
else {
  console.log(`tollgate soak: ${OPS.toLocaleString('en-US')} operations per limiter; heap after gc, MiB (warm = after ${Math.round(200 / SAMPLES)}% of the run)`);
  console.table(
    results.map((r) => ({
      limiter: r.name,
      ops: r.ops,
      admitted: r.admitted,
      'timed out': r.timedOut,
      aborted: r.aborted,
      'heap start': mb(r.heapStart),
      'heap warm': mb(r.heapWarm),
      'min..max': `${mb(r.heapMin)}..${mb(r.heapMax)}`,
      'heap end': mb(r.heapEnd),
      growth: `${r.growth >= 0 ? '+' : ''}${(r.growth / 1024).toFixed(0)} KiB`,
      balanced: r.balanced ? 'yes' : 'NO',
      flag: r.growth > GROWTH_LIMIT ? 'GROWS' : 'flat',
    })),
  );
}
const bad = results.filter((r) => r.growth > GROWTH_LIMIT || !r.balanced || r.failed > 0);
if (bad.length > 0) {
  console.error(`soak: ${bad.map((r) => r.name).join(', ')}: heap grew more than ${mb(GROWTH_LIMIT)} MiB, or left unbalanced, or failed`);
  process.exit(1);
}
