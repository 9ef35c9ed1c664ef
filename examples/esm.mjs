// esm: the quick start as an ES module: a TokenBucket with run, tryAcquire, retryAfterMs and events
import { TokenBucket, VirtualClock } from 'tollgate';

// A virtual clock makes the seconds below pass at once. In production, leave `clock` out.
const clock = new VirtualClock();
const bucket = new TokenBucket({
  capacity: 3, // 3 at once...
  refillIntervalMs: 1_000, // ...then 1 more every second
  clock,
  onEvent: (e) => {
    if (e.type === 'admitted') console.log(`${e.at / 1000} s: job ${e.id} admitted after waiting ${e.waitedMs / 1000} s`);
  },
});

const job = (id) => bucket.run(() => `result ${id}`, { id });

const jobs = Promise.all([1, 2, 3, 4, 5].map(job));
console.log(`tokens left: ${bucket.tokens}; tryAcquire() now gives ${bucket.tryAcquire() === undefined ? 'undefined (others are waiting)' : 'a permit'}`);
console.log(`the next token comes in retryAfterMs() = ${bucket.retryAfterMs()} ms; pending: ${bucket.pending}`);
await clock.runAll();
console.log(`results: ${(await jobs).join(', ')}`);
