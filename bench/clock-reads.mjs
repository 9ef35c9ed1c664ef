// Ways to read the monotonic clock, side by side (ns per read): what the rate hot path pays for
// following fake timers installed after import. Not part of `npm run bench`'s table; run alone:
// `node bench/clock-reads.mjs`. Variants that capture anything at import do NOT follow
// `vi.useFakeTimers()` (it replaces `globalThis.performance` with a new object) — shown for scale.
import { performance as hooksPerformance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { perOp } from './harness.mjs';

const captured = globalThis.performance;
const capturedNow = captured.now.bind(captured);
const capturedMethod = captured.now;
const systemClock = { now: () => globalThis.performance.now() };
const bareClock = { now: () => performance.now() };
/** Re-reads the global only every 64th call: follows a swap within 64 reads (not exact: shown for scale). */
let cachedPerf = globalThis.performance;
let calls = 0;
const sampledClock = { now: () => ((++calls & 63) === 0 ? (cachedPerf = globalThis.performance) : cachedPerf).now() };

export async function run() {
  let sink = 0;
  const variant = (name, read) => ({
    name,
    run: (n) => {
      for (let i = 0; i < n; i++) sink += read();
    },
  });
  const results = await perOp([
    variant('`globalThis.performance.now()` (systemClock today)', () => globalThis.performance.now()),
    variant('`systemClock.now()` through an object, as limiters call it', () => systemClock.now()),
    variant('bare `performance.now()`', () => bareClock.now()),
    variant('captured object `p.now()` (follows sinon ≥ 15 only: it patches `perf_hooks.performance.now`)', () => captured.now()),
    variant('`perf_hooks` `performance.now()`', () => hooksPerformance.now()),
    variant('captured bound function (follows nothing)', () => capturedNow()),
    variant('captured method, `.call(p)`', () => capturedMethod.call(captured)),
    variant('global re-read every 64 calls', () => sampledClock.now()),
    variant('`process.hrtime()` as ms (never faked by performance)', () => {
      const [s, ns] = process.hrtime();
      return s * 1e3 + ns / 1e6;
    }),
  ]);
  if (sink === 0) throw new Error('unreachable');
  return Object.entries(results).map(([what, ns]) => ({ scenario: 'clock reads', what, unit: 'ns/op', tollgate: ns }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const row of await run()) console.log(`${row.tollgate.toFixed(1).padStart(7)} ns  ${row.what}`);
}
