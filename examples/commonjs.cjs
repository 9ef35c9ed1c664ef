// commonjs: the quick start as CommonJS (require): a ConcurrencySemaphore, wrap and a weighted acquire
const { ConcurrencySemaphore, VirtualClock } = require('tollgate');

// A virtual clock makes the seconds below pass at once. In production, leave `clock` out.
const clock = new VirtualClock();
const sem = new ConcurrencySemaphore({ capacity: 2, clock }); // at most 2 at once

let running = 0;
const download = sem.wrap(async (name, seconds) => {
  running++;
  console.log(`${clock.now() / 1000} s: ${name} starts (${running} running)`);
  await clock.sleep(seconds * 1000);
  running--;
  return `${name}: ${seconds} s`;
});

async function main() {
  const files = Promise.all([download('a.iso', 3), download('b.iso', 1), download('c.iso', 2), download('d.iso', 1)]);
  // A weighted acquire takes both slots: it waits for the downloads queued before it.
  const exclusive = sem.acquire(2).then((permit) => {
    console.log(`${clock.now() / 1000} s: cleanup has both slots`);
    permit.release();
  });
  await clock.runAll();
  console.log((await files).join(', '));
  await exclusive;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
