// Heap per idle key: what a KeyedLimiter holds for each key it keeps (its limiter and the map's
// bookkeeping), next to limiter 4.1's TokenBucket kept in a Map, at 100 000 keys. Keys are made
// before the first sample, so their strings are not counted. Runs with --expose-gc.
import v8 from 'node:v8';
import vm from 'node:vm';
import { TokenBucket as LimiterBucket } from 'limiter';
import { ConcurrencySemaphore, KeyedLimiter, TokenBucket } from 'tollgate';

const KEYS = 100_000;
const TARGET = 600;

function collector() {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
}

/** Heap bytes per key that `fill(keys)` leaves reachable (it returns what keeps them reachable). */
function perKey(gc, keys, fill) {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = fill(keys);
  gc();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / keys.length;
  if (kept === undefined) throw new Error('nothing kept');
  return bytes;
}

export async function run() {
  const gc = collector();
  const keys = Array.from({ length: KEYS }, (_, i) => `user-${i}`);
  const bucket = () => new TokenBucket({ capacity: 5, refillIntervalMs: 1_000 });
  const keyed = perKey(gc, keys, (ks) => {
    const map = new KeyedLimiter(bucket, { idleMs: 3_600_000 });
    for (const k of ks) map.get(k);
    return map;
  });
  const shared = bucket();
  const bookkeeping = perKey(gc, keys, (ks) => {
    const map = new KeyedLimiter(() => shared, { idleMs: 3_600_000 });
    for (const k of ks) map.get(k);
    return map;
  });
  const alone = perKey(gc, keys, (ks) => ks.map(bucket));
  const semaphores = perKey(gc, keys, (ks) => ks.map(() => new ConcurrencySemaphore({ capacity: 5 })));
  const peer = perKey(gc, keys, (ks) => {
    const map = new Map();
    for (const k of ks) map.set(k, new LimiterBucket({ bucketSize: 5, tokensPerInterval: 1, interval: 'second' }));
    return map;
  });
  const peerAlone = perKey(gc, keys, (ks) => ks.map(() => new LimiterBucket({ bucketSize: 5, tokensPerInterval: 1, interval: 'second' })));
  return [
    {
      scenario: 'keyed heap',
      what: `heap per idle key, ${KEYS.toLocaleString('en-US')} keys, a \`TokenBucket\` each (limiter: its \`TokenBucket\` in a \`Map\`)`,
      unit: 'B/key',
      tollgate: keyed,
      peers: { limiter: peer },
      target: `≤ ${TARGET} B`,
      met: keyed <= TARGET,
    },
    {
      scenario: 'keyed heap',
      what: '… of which the map’s own bookkeeping (every key sharing one limiter; limiter: a `Map` entry)',
      unit: 'B/key',
      tollgate: bookkeeping,
      peers: { limiter: peer - peerAlone },
    },
    {
      scenario: 'keyed heap',
      what: '… and the limiter alone: one `TokenBucket` (limiter: one `TokenBucket`)',
      unit: 'B/limiter',
      tollgate: alone,
      peers: { limiter: peerAlone },
    },
    {
      scenario: 'keyed heap',
      what: 'one `ConcurrencySemaphore`, for comparison',
      unit: 'B/limiter',
      tollgate: semaphores,
    },
  ];
}
