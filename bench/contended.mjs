// Contended: 100 000 tasks started at once through capacity 8, each `await null`.
import { Semaphore } from 'async-mutex';
import { Sema } from 'async-sema';
import Bottleneck from 'bottleneck';
import pLimit from 'p-limit';
import PQueue from 'p-queue';
import { ConcurrencySemaphore } from 'tollgate';
import { perRun, split } from './harness.mjs';

const TASKS = 100_000;
const CAPACITY = 8;

async function task() {
  await null;
}

/** Starts every task at once through `start`, resolves when all are done. */
function all(start) {
  const pending = new Array(TASKS);
  for (let i = 0; i < TASKS; i++) pending[i] = start();
  return Promise.all(pending);
}

export async function run() {
  const results = await perRun(
    [
      {
        name: 'tollgate',
        run: () => {
          const sem = new ConcurrencySemaphore({ capacity: CAPACITY });
          return all(() => sem.run(task));
        },
      },
      {
        name: 'async-sema',
        run: () => {
          const sema = new Sema(CAPACITY);
          return all(async () => {
            await sema.acquire();
            try {
              await task();
            } finally {
              sema.release();
            }
          });
        },
      },
      {
        name: 'async-mutex',
        run: () => {
          const mutex = new Semaphore(CAPACITY);
          return all(() => mutex.runExclusive(task));
        },
      },
      {
        name: 'p-limit',
        run: () => {
          const limit = pLimit(CAPACITY);
          return all(() => limit(task));
        },
      },
      {
        name: 'p-queue',
        run: () => {
          const queue = new PQueue({ concurrency: CAPACITY });
          return all(() => queue.add(task));
        },
      },
      {
        name: 'bottleneck',
        run: async () => {
          const limiter = new Bottleneck({ maxConcurrent: CAPACITY });
          await all(() => limiter.schedule(task));
          await limiter.stop();
        },
        // Seconds per run: fewer rounds keep the whole bench under its time budget.
        rounds: 1,
        warmup: 0,
      },
    ],
    { rounds: 5 },
  );
  const { tollgate, peers } = split(results);
  const best = Math.min(...Object.values(peers));
  return [
    {
      scenario: 'contended',
      what: `${TASKS.toLocaleString('en-US')} tasks at once, capacity ${CAPACITY}, each \`await null\``,
      unit: 'ms',
      tollgate,
      peers,
      target: '≤ 1.0× fastest peer',
      met: tollgate <= best,
      note: 'limiter has no concurrency limit.',
    },
  ];
}
