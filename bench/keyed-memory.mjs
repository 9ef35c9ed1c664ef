// KeyedLimiter memory: one million distinct keys pass through over (virtual) time; the heap stays
// flat because idle keys are dropped. Standalone: `npm run build && node --expose-gc bench/keyed-memory.mjs`.
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { KeyedLimiter, TokenBucket, VirtualClock } from 'tollgate';

const TOTAL = 1_000_000;
const PER_MS = 100; // distinct new keys per virtual ms
const IDLE_MS = 50;
const SAMPLES = [100_000, 500_000, 1_000_000];

/** `gc()` even without --expose-gc, so samples are live memory, not garbage not yet collected. */
function collector() {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
}

const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;

function heapMb(gc) {
  gc();
  gc();
  return mb(process.memoryUsage().heapUsed);
}

/** A token bucket per user: 5 at once, one back every 10 ms, so a used key is idle again within 10 ms. */
const bucket = (clock) => () => new TokenBucket({ capacity: 5, refillIntervalMs: 10, clock });

export async function run() {
  const gc = collector();
  const rows = [];
  const clock = new VirtualClock();
  const keyed = new KeyedLimiter(bucket(clock), { idleMs: IDLE_MS, clock });
  const base = heapMb(gc);
  const noop = () => {};
  let mostLive = 0;
  let first;
  for (let sent = 0; sent < TOTAL; ) {
    const batch = [];
    for (let i = 0; i < PER_MS; i++, sent++) batch.push(keyed.run(`user-${sent}`, noop));
    await Promise.all(batch);
    mostLive = Math.max(mostLive, keyed.size);
    await clock.advance(1);
    if (SAMPLES.includes(sent)) {
      const heap = heapMb(gc);
      first ??= heap;
      rows.push({
        scenario: `KeyedLimiter: heap after ${sent / 1000}k distinct keys`,
        tollgate: heap,
        unit: 'MB heapUsed',
        note: `${keyed.size} keys live (idleMs ${IDLE_MS}, ${PER_MS} new keys per ms); ${base} MB before the first key`,
      });
    }
  }
  const last = rows.at(-1).tollgate;
  rows.push({
    scenario: 'KeyedLimiter: heap growth from 100k to 1M keys',
    tollgate: Math.round((last - first) * 10) / 10,
    unit: 'MB',
    note: `flat: at most ${mostLive} keys were ever live at once`,
  });
  keyed.close();

  // For scale: the same limiters kept in a Map that never forgets, for a tenth of the keys.
  const keep = new Map();
  const before = heapMb(gc);
  const make = bucket(clock);
  for (let i = 0; i < 100_000; i++) keep.set(`user-${i}`, make());
  const kept = Math.round((heapMb(gc) - before) * 10) / 10;
  rows.push({
    scenario: 'a Map that never drops: heap for 100k keys',
    tollgate: kept,
    unit: 'MB',
    note: `about ${Math.round(kept * 10)} MB for 1M keys without KeyedLimiter (${Math.round((kept * 2 ** 20) / 100_000)} B per limiter)`,
  });
  keep.clear();
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await run());
}
