// Timers: active `Timeout` handles while 10 000 waiters each have a deadline.
// Run in a fresh worker for each library, so a peer's timers end with its worker.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const WAITERS = 10_000;
const HOUR = 3_600_000;

const timeouts = () => process.getActiveResourcesInfo().filter((t) => t === 'Timeout').length;

/** Each entry blocks its limiter and returns a function that queues one waiter with a deadline. */
const SETUPS = {
  async tollgate() {
    const { ConcurrencySemaphore } = await import('tollgate');
    const sem = new ConcurrencySemaphore({ capacity: 1 });
    sem.tryAcquire(1);
    const options = { maxWaitMs: HOUR };
    return () => sem.acquire(1, options);
  },
  async 'async-mutex'() {
    const { Semaphore, withTimeout } = await import('async-mutex');
    const sem = withTimeout(new Semaphore(1), HOUR);
    await sem.acquire();
    return () => sem.acquire();
  },
};

const kept = [];

async function countHere({ name }) {
  const enqueue = await SETUPS[name]();
  const before = timeouts();
  const held = [];
  for (let i = 0; i < WAITERS; i++) held.push(enqueue());
  await new Promise((resolve) => setImmediate(resolve)); // let a peer arm what it arms asynchronously
  const count = timeouts() - before;
  kept.push(enqueue, held);
  return count;
}

function count(name) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { name } });
    worker.once('message', (n) => {
      resolve(n);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

if (!isMainThread && workerData?.name) {
  parentPort.postMessage(await countHere(workerData));
}

export async function run() {
  const tollgate = await count('tollgate');
  return [
    {
      scenario: 'timers',
      what: `active \`Timeout\` handles, ${WAITERS.toLocaleString('en-US')} waiters each with a deadline`,
      unit: 'timers',
      tollgate,
      peers: { 'async-mutex': await count('async-mutex') },
      target: '1',
      met: tollgate === 1,
      note: 'async-mutex `withTimeout` arms one timer per waiting acquire; tollgate keeps deadlines in a heap behind its one timer.',
    },
  ];
}
