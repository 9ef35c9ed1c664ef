// Waiters sharing one AbortSignal: the per-waiter cost at 10 000 and at 100 000 waiters, and
// whether Node warns `MaxListenersExceededWarning` (one listener per waiter on one signal).
//
// Each (library, size) runs in a fresh worker: its own heap, its own `process` warnings, and a
// clean ending even when a run was stopped at its time cap (an O(n) add or remove makes 100 000
// waiters take minutes; the cap reports a lower bound instead).
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { nowMs } from './harness.mjs';

const SIZES = [10_000, 100_000];
/** A run stops queueing after this long; its figure is then a lower bound (the cost only grows with n). */
const CAP_MS = 10_000;

/**
 * Each entry blocks its limiter and returns `{ enqueue(signal) → promise, start() }`: `start`
 * frees the limiter, after which every waiter is admitted in turn and releases at once (each
 * admission removes that waiter's listener).
 */
const SETUPS = {
  async tollgate() {
    const { ConcurrencySemaphore } = await import('tollgate');
    const sem = new ConcurrencySemaphore({ capacity: 1 });
    const held = sem.tryAcquire();
    return {
      enqueue: (options) => sem.acquire(1, options).then((permit) => permit.release()),
      start: () => held.release(),
    };
  },
  async 'p-queue'() {
    const { default: PQueue } = await import('p-queue');
    const queue = new PQueue({ concurrency: 1 });
    let open;
    void queue.add(() => new Promise((resolve) => (open = resolve)));
    const noop = () => 1;
    return { enqueue: (options) => queue.add(noop, options), start: () => open() };
  },
};

async function measureHere({ name, n }) {
  let warnings = 0;
  process.on('warning', (w) => {
    if (w.name === 'MaxListenersExceededWarning') warnings++;
  });
  const { enqueue, start } = await SETUPS[name]();
  const controller = new AbortController();
  const options = { signal: controller.signal };
  const done = new Array(n);
  const t0 = nowMs();
  let queued = 0;
  for (; queued < n; queued++) {
    if ((queued & 1023) === 0 && nowMs() - t0 > CAP_MS) break;
    done[queued] = enqueue(options);
  }
  if (queued < n) {
    // Stopped at the cap: a lower bound on the per-waiter cost of queueing alone.
    return { perWaiterUs: ((nowMs() - t0) * 1000) / queued, capped: queued, warnings };
  }
  start();
  await Promise.all(done);
  await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  return { perWaiterUs: ((nowMs() - t0) * 1000) / n, warnings };
}

function measure(name, n) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { name, n }, stderr: true });
    worker.stderr.resume(); // Node prints the warning too: counted, not shown
    worker.once('message', (result) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

if (!isMainThread && workerData?.name) {
  parentPort.postMessage(await measureHere(workerData));
}

/** A capped run's figure is a lower bound: shown as text, never in a ratio. */
const shown = (r) => (r.capped ? `≥ ${r.perWaiterUs.toFixed(0)} (stopped after ${CAP_MS / 1000} s at ${r.capped.toLocaleString('en-US')})` : r.perWaiterUs);

export async function run() {
  const results = {};
  for (const name of Object.keys(SETUPS)) {
    results[name] = {};
    for (const n of SIZES) results[name][n] = await measure(name, n);
  }
  const rows = [];
  const [small, large] = SIZES;
  for (const n of SIZES) {
    rows.push({
      scenario: 'shared signal',
      what: `${n.toLocaleString('en-US')} waiters sharing one \`AbortSignal\`: queue, then each admitted and released`,
      unit: 'µs/waiter',
      tollgate: shown(results.tollgate[n]),
      peers: { 'p-queue': shown(results['p-queue'][n]) },
    });
  }
  const growth = (r) => (r[large].capped ? undefined : r[large].perWaiterUs / r[small].perWaiterUs);
  const tollgateGrowth = growth(results.tollgate);
  const pqGrowth = growth(results['p-queue']);
  rows.push({
    scenario: 'shared signal',
    what: `per-waiter cost at ${large / 1000}k ÷ at ${small / 1000}k`,
    unit: '×',
    tollgate: tollgateGrowth ?? `> ${(results.tollgate[large].perWaiterUs / results.tollgate[small].perWaiterUs).toFixed(1)}×`,
    peers: { 'p-queue': pqGrowth ?? `> ${(results['p-queue'][large].perWaiterUs / results['p-queue'][small].perWaiterUs).toFixed(1)}×` },
    target: '≤ 1.5×',
    met: tollgateGrowth !== undefined && tollgateGrowth <= 1.5,
  });
  const warned = Math.max(...SIZES.map((n) => results.tollgate[n].warnings));
  rows.push({
    scenario: 'shared signal',
    what: '`MaxListenersExceededWarning`s emitted (most in one run)',
    unit: 'warnings',
    tollgate: warned,
    peers: { 'p-queue': Math.max(...SIZES.map((n) => results['p-queue'][n].warnings)) },
    target: '0',
    met: warned === 0,
    note: 'shared signal: p-queue is the one peer taking an `AbortSignal` per queued call. A run that hits its time cap shows a lower bound (≥) and never enters a ratio.',
  });
  return rows;
}
