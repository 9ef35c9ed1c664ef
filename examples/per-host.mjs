// per-host: a crawler with a limit per host (KeyedLimiter of TokenBuckets): hosts apart, idle hosts forgotten
//
// Each host gets its own token bucket: 2 requests at once, then 1 per second. A busy host never
// slows the others, one host's 429 pauses only that host, and a host's limiter is dropped once it
// has been idle for 5 s, so memory follows the hosts in use, not every host ever seen.
import { KeyedLimiter, TokenBucket, VirtualClock } from 'tollgate';

// A virtual clock makes the seconds below pass at once. In production, leave `clock` out.
const clock = new VirtualClock();
const t = () => `${(clock.now() / 1000).toFixed(1).padStart(5)} s`;

const perHost = new KeyedLimiter((host) => new TokenBucket({ capacity: 2, refillIntervalMs: 1_000, clock }), {
  idleMs: 5_000,
  clock,
});

// The network, faked in process: 200 ms per request, and b.example answers 429 once.
let refused = false;
async function fakeFetch(url) {
  await clock.sleep(200);
  if (url.endsWith('b.example/3') && !refused) {
    refused = true;
    return { status: 429, retryAfterS: 4 };
  }
  return { status: 200 };
}

const started = new Map(); // host -> start times (s)
async function crawl(url) {
  const host = new URL(url).host;
  for (;;) {
    const res = await perHost.run(host, () => {
      started.set(host, [...(started.get(host) ?? []), clock.now() / 1000]);
      return fakeFetch(url);
    });
    if (res.status !== 429) return res;
    perHost.get(host).pause(res.retryAfterS * 1000); // only this host waits
    console.log(`${t()}  ${url} → 429: ${host} paused for ${res.retryAfterS} s, the other hosts go on`);
  }
}

const urls = [
  ...Array.from({ length: 8 }, (_, i) => `https://a.example/${i + 1}`),
  ...Array.from({ length: 5 }, (_, i) => `https://b.example/${i + 1}`),
  ...Array.from({ length: 2 }, (_, i) => `https://c.example/${i + 1}`),
];

async function main() {
  await Promise.all(urls.map(crawl));
  console.log(`${t()}  all ${urls.length} pages fetched; hosts with a limiter: ${perHost.size}`);
  for (const [host, times] of started) console.log(`         ${host} requests started at ${times.join(', ')} s`);
  // Idle hosts are dropped on their own; watch the map shrink.
  for (let size = perHost.size; size > 0; ) {
    await clock.sleep(100);
    if (perHost.size !== size) console.log(`${t()}  hosts with a limiter: ${(size = perHost.size)}`);
  }
}

const done = main();
await clock.runAll();
await done;
