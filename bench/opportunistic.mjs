// Opportunistic scaling: CreditSemaphore capacity 100, 10 000 and then 40 000 waiters of mixed
// cost (1–100) queued behind a full holder, then released at once. Each admitted waiter holds its
// credits for one `await null` and gives them back, so every release is a scan of a long queue.
// A scan that re-walked the waiters that cannot fit would cost O(n) per release, O(n²) in all.
import { CreditSemaphore } from 'tollgate';
import { costs, nowMs, perRun } from './harness.mjs';

const CAPACITY = 100;
const SIZES = [10_000, 40_000];

/** Queues `n` waiters behind a full holder, then times releasing them until all are done (queueing left out). */
async function drain(n) {
  const sem = new CreditSemaphore({ capacity: CAPACITY });
  const holder = sem.tryAcquire(CAPACITY);
  const done = costs(n, CAPACITY).map(async (cost) => {
    const permit = await sem.acquire(cost);
    await null;
    permit.release();
  });
  const t0 = nowMs();
  holder.release();
  await Promise.all(done);
  return nowMs() - t0;
}

export async function run() {
  const results = await perRun(
    SIZES.map((n) => ({ name: String(n), run: () => drain(n) })),
    { rounds: 5 },
  );
  const [small, large] = SIZES.map((n) => results[String(n)]);
  const note = 'No peer admits opportunistically: async-mutex and bottleneck take weights but serve strictly FIFO; async-sema, p-limit and p-queue have no weights; limiter has no concurrency limit.';
  return [
    { scenario: 'opportunistic scaling', what: `${SIZES[0].toLocaleString('en-US')} waiters, cost 1–100, capacity ${CAPACITY}`, unit: 'ms', tollgate: small },
    { scenario: 'opportunistic scaling', what: `${SIZES[1].toLocaleString('en-US')} waiters, cost 1–100, capacity ${CAPACITY}`, unit: 'ms', tollgate: large },
    {
      scenario: 'opportunistic scaling',
      what: 'time growth for 4× the waiters',
      unit: '×',
      tollgate: large / small,
      target: '≤ 4.5×',
      met: large / small <= 4.5,
      note,
    },
  ];
}
