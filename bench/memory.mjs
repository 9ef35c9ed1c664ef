// Memory: heap bytes per pending waiter at 100 000 waiters, the caller's promises included.
//
// Each measurement runs in a fresh worker thread: its own heap (nothing left over from the other
// scenarios) and a clean ending (`terminate` drops the waiters and any timers a peer armed).
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const WAITERS = 100_000;
const HOUR = 3_600_000;

/** Each entry blocks its limiter, then returns a function that queues one waiter and returns what the caller would hold. */
const SETUPS = {
  async tollgate(deadline) {
    const { ConcurrencySemaphore } = await import('tollgate');
    const sem = new ConcurrencySemaphore({ capacity: 1 });
    sem.tryAcquire(1);
    const options = deadline ? { maxWaitMs: HOUR } : undefined;
    return () => sem.acquire(1, options);
  },
  /** The same waiters with priorities 0–3 in use (docs/semantics.md §11.1): one lane per priority. */
  async 'tollgate-priorities'() {
    const { ConcurrencySemaphore } = await import('tollgate');
    const sem = new ConcurrencySemaphore({ capacity: 1 });
    sem.tryAcquire(1);
    let i = 0;
    return () => sem.acquire(1, { priority: i++ % 4 });
  },
  async 'async-sema'() {
    const { Sema } = await import('async-sema');
    const sema = new Sema(1);
    await sema.acquire();
    return () => sema.acquire();
  },
  async 'async-mutex'(deadline) {
    const { Semaphore, withTimeout } = await import('async-mutex');
    const sem = deadline ? withTimeout(new Semaphore(1), HOUR) : new Semaphore(1);
    await sem.acquire();
    return () => sem.acquire();
  },
  async 'p-limit'() {
    const { default: pLimit } = await import('p-limit');
    const limit = pLimit(1);
    const never = () => new Promise(() => {});
    void limit(never);
    return () => limit(never);
  },
  async 'p-queue'() {
    const { default: PQueue } = await import('p-queue');
    const queue = new PQueue({ concurrency: 1 });
    const never = () => new Promise(() => {});
    void queue.add(never);
    return () => queue.add(never);
  },
  async bottleneck() {
    const { default: Bottleneck } = await import('bottleneck');
    const limiter = new Bottleneck({ maxConcurrent: 1 });
    const never = () => new Promise(() => {});
    void limiter.schedule(never);
    return () => limiter.schedule(never);
  },
  async limiter() {
    const { TokenBucket } = await import('limiter');
    const bucket = new TokenBucket({ bucketSize: 1, tokensPerInterval: 1, interval: 'hour' });
    bucket.content = 0;
    return () => bucket.removeTokens(1);
  },
};

/** Peers that can put a deadline on a waiting acquire (async-mutex's `withTimeout`). */
const DEADLINE_PEERS = ['async-mutex'];

const kept = [];

async function measureHere({ name, deadline }) {
  const enqueue = await SETUPS[name](deadline);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20)); // bottleneck queues asynchronously
  const held = new Array(WAITERS);
  await settle();
  globalThis.gc();
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < WAITERS; i++) held[i] = enqueue();
  await settle();
  globalThis.gc();
  globalThis.gc();
  const after = process.memoryUsage().heapUsed;
  kept.push(enqueue, held); // still reachable while measured, or V8 may collect the whole limiter
  return (after - before) / WAITERS;
}

/** Runs one measurement in a fresh worker. */
function measure(name, deadline) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { name, deadline } });
    worker.once('message', (bytes) => {
      resolve(bytes);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

if (!isMainThread && workerData?.name) {
  parentPort.postMessage(await measureHere(workerData));
}

export async function run() {
  const rows = [];
  for (const deadline of [false, true]) {
    const peers = {};
    for (const name of Object.keys(SETUPS).filter((n) => !n.startsWith('tollgate'))) {
      if (!deadline || DEADLINE_PEERS.includes(name)) peers[name] = await measure(name, deadline);
    }
    const tollgate = await measure('tollgate', deadline);
    rows.push({
      scenario: 'memory',
      what: `heap per pending waiter, 100 000 waiters, ${deadline ? 'each with `maxWaitMs`' : 'no deadline'}`,
      unit: 'B/waiter',
      tollgate,
      peers,
      target: '≤ 400 B',
      met: tollgate <= 400,
      note: deadline ? 'Only async-mutex (`withTimeout`) puts a deadline on a waiting acquire; p-queue and bottleneck time out running jobs only.' : undefined,
    });
  }
  const plain = rows[0].tollgate;
  const withPriorities = await measure('tollgate-priorities', false);
  rows.push({
    scenario: 'memory',
    what: 'heap per pending waiter with priorities 0–3 in use, ÷ without (issue #15: within 10 %)',
    unit: '×',
    tollgate: withPriorities / plain,
    peers: {},
    target: '≤ 1.10×',
    met: withPriorities <= 1.1 * plain,
    note: `${Math.round(withPriorities)} B per waiter with priorities, ${Math.round(plain)} B without.`,
  });
  return rows;
}
