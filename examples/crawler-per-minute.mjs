// crawler-per-minute: aiolimiter's "100 per minute" for a crawler: LeakyBucketLimiter, a burst then a steady pace
//
// aiolimiter's AsyncLimiter(100, 60) is a leaky bucket: up to 100 at once while the bucket is
// empty, then it drains at 100 per minute, so one more every 600 ms. Here 250 pages are crawled.
import { LeakyBucketLimiter, VirtualClock } from 'tollgate';

// A virtual clock runs the two minutes below in milliseconds. In production, leave `clock` out.
const clock = new VirtualClock();
const limiter = new LeakyBucketLimiter({ maxRate: 100, periodMs: 60_000, clock });

const fetchPage = async (url) => {
  await clock.sleep(300 + (url.length % 7) * 100); // the network, faked: 0.3 to 0.9 s
  return `<html>${url}</html>`;
};

const started = []; // when each request went out, in ms
async function crawl(url) {
  // As aiolimiter's `async with limiter:`: wait for room in the bucket, then fetch.
  return limiter.run(async () => {
    started.push(clock.now());
    if (started.length === 100) {
      console.log(`t = ${clock.now() / 1000} s: 100 requests out at once (the bucket was empty).`);
      console.log(`  The next one can go in limiter.retryAfterMs() = ${limiter.retryAfterMs()} ms; pending: ${limiter.pending}.`);
    }
    return fetchPage(url);
  });
}

const urls = Array.from({ length: 250 }, (_, i) => `https://example.com/page/${i + 1}`);
const crawling = Promise.all(urls.map(crawl));
await clock.runAll();
const pages = await crawling;

const last = started.at(-1);
console.log(`t = ${last / 1000} s: the last of ${pages.length} requests goes out; after the burst, one every ${started[101] - started[100]} ms.`);
console.log('');
console.log('Requests started per 10 s:');
for (let from = 0; from <= last; from += 10_000) {
  const n = started.filter((t) => t >= from && t < from + 10_000).length;
  console.log(`  ${String(from / 1000).padStart(3)}–${String(from / 1000 + 10).padEnd(3)} s  ${String(n).padStart(3)}  ${'#'.repeat(Math.ceil(n / 4))}`);
}
const window = Math.max(...started.map((t) => started.filter((u) => u >= t && u < t + 60_000).length));
console.log('');
console.log(`Most requests in any 60 s window: ${window} (the burst of 100, then 100 per minute from then on).`);
