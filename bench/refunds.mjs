// CreditSemaphore with many refunds pending: what one more call costs at 1 000 and at 100 000
// pending refunds. No peer refunds credits after a delay, so the target is on tollgate's growth.
import { CreditSemaphore } from 'tollgate';
import { costs, median, nowMs, perOp } from './harness.mjs';

const SIZES = [1_000, 100_000];
const HOUR = 3_600_000;
const noop = () => {};
/** Aborting with a reason made once keeps a fresh `DOMException` (and its stack) out of every call. */
const REASON = new Error('gone');

/** A semaphore with `n` refunds of 1 credit pending for about an hour, in order, and `spare` credits free. */
function refunding(n, spare) {
  const sem = new CreditSemaphore({ capacity: n + spare, refundMs: HOUR });
  for (let i = 0; i < n; i++) sem.tryAcquire(1).release();
  return sem;
}

export async function run() {
  // A newcomer that only every pending refund can pay (cost = capacity): it queues, the limiter
  // works out when it can be paid, then it is aborted (which leaves the state as it was).
  const newcomers = SIZES.map((n) => {
    const sem = refunding(n, 0);
    return {
      name: String(n),
      run: (ops) => {
        for (let i = 0; i < ops; i++) {
          const controller = new AbortController();
          sem.acquire(n, { signal: controller.signal }).catch(noop);
          controller.abort(REASON);
        }
      },
      maxOps: 2 ** 14,
    };
  });
  const newcomer = await perOp(newcomers, { minMs: 10 });

  // Out-of-order releases: per-call `refundMs` between half an hour and an hour and a half, so
  // each refund falls due among the pending ones, not after them. Every call adds a refund, so
  // each round starts from a fresh semaphore (set-up not timed) and times `OPS` calls.
  const OPS = 200;
  const delays = costs(OPS, HOUR).map((d) => HOUR / 2 + d);
  const outOfOrder = {};
  for (const n of SIZES) outOfOrder[n] = [];
  for (let round = 0; round < 15; round++) {
    for (const n of round % 2 ? SIZES : [...SIZES].reverse()) {
      const sem = refunding(n, OPS);
      const t0 = nowMs();
      for (let i = 0; i < OPS; i++) (await sem.acquire(1, { refundMs: delays[i] })).release();
      if (round > 0) outOfOrder[n].push(((nowMs() - t0) * 1e3) / OPS);
    }
  }
  const release = Object.fromEntries(SIZES.map((n) => [n, median(outOfOrder[n])]));

  const [small, large] = SIZES;
  const rows = [];
  const add = (what, figures, unit) => {
    for (const n of SIZES) {
      rows.push({ scenario: 'pending refunds', what: `${what}, ${n.toLocaleString('en-US')} refunds pending`, unit, tollgate: figures[n] });
    }
    const growth = figures[large] / figures[small];
    rows.push({
      scenario: 'pending refunds',
      what: `${what}: per-call cost at ${large / 1000}k ÷ at ${small / 1000}k`,
      unit: '×',
      tollgate: growth,
      target: '≤ 2× (O(log n))',
      met: growth <= 2,
    });
  };
  add('a newcomer needing every refund (queue, then abort)', { [small]: newcomer[small] / 1e3, [large]: newcomer[large] / 1e3 }, 'µs/call');
  add('`await acquire(1, { refundMs })` + `release()` falling due among the pending', release, 'µs/call');
  rows.at(-1).note = 'pending refunds: no peer gives credits back after a delay; the target is on how the cost grows (each row pair is measured in the same interleaved rounds).';
  return rows;
}
