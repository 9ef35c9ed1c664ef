// several-limits: 10 per second AND 500 per minute AND 4 at a time, paid together from one fair queue (Throttle limits)
//
// Many APIs state several limits at once. Chaining three limiters holds a place in one while
// waiting for the next; here every limit (and a concurrency slot) is paid at the same instant,
// so nothing is held while waiting and the queue stays first come, first served.
import { Throttle, VirtualClock } from 'tollgate';

// A virtual clock runs the eight minutes below in about a second. In production, leave `clock` out.
const clock = new VirtualClock();
const throttle = new Throttle({
  limits: [
    { rate: 10, periodMs: 1_000 },
    { rate: 500, periodMs: 60_000 },
  ],
  concurrency: 4,
  clock,
});

const started = [];
let maxRunning = 0;
const callApi = throttle.wrap(async (i) => {
  started.push(clock.now());
  maxRunning = Math.max(maxRunning, throttle.running);
  await clock.sleep(250); // the call itself
  return i;
});

const N = 4_500;
const calls = Promise.all(Array.from({ length: N }, (_, i) => callApi(i)));
await clock.runAll();
await calls;

const inWindow = (from, ms) => started.filter((t) => t >= from && t < from + ms).length;
const maxIn = (ms) => Math.max(...started.map((t) => inWindow(t, ms)));
const end = started.at(-1);

console.log(`${N} calls of 250 ms through new Throttle({ limits: [10 per s, 500 per min], concurrency: 4 })`);
console.log('');
console.log('   minute   calls started   per second   the limit that sets the pace');
for (let m = 0; m * 60_000 <= end; m++) {
  const n = inWindow(m * 60_000, 60_000);
  const last = m * 60_000 + 60_000 > end;
  const pace = last ? '(the last calls)' : '500 per minute: the minute window is full after 50 s at 10 per second';
  console.log(`   ${String(m + 1).padStart(6)}   ${String(n).padStart(13)}   ${(n / 60).toFixed(2).padStart(10)}   ${pace}`);
}
console.log('');
console.log(`Most calls running at once: ${maxRunning} (concurrency 4).`);
console.log('Each rate limit is a sliding window (the default kind), as servers count: never more than `rate`');
console.log(`in any window of \`periodMs\`: at most ${maxIn(1_000)} calls started in any 1 s, ${maxIn(60_000)} in any 60 s.`);
console.log("(With kind: 'leaky', each limit is a bucket that bursts `rate`, then drains at `rate` per period.)");
console.log(`All ${started.length} calls started by t = ${(end / 1000).toFixed(1)} s.`);
