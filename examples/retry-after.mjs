// retry-after: a GitHub-style client that honours 429 + Retry-After with Throttle.observe
//
// The server (faked in process, no network) allows 10 requests per 20 s window and answers the
// rest with 429 and a Retry-After header. The client does not know that limit: it throttles to
// 2 requests per second, 3 at a time, and shows every response to the throttle (`observe`): a
// 429 with Retry-After (seconds or an HTTP date) pauses the whole throttle, so no request is
// wasted on a server that already said no, then the refused one is retried.
import { Throttle, VirtualClock } from 'tollgate';

// A virtual clock runs the minute below in milliseconds. In production, leave `clock` out.
const clock = new VirtualClock();
const t = () => `${(clock.now() / 1000).toFixed(1).padStart(5)} s`;

/** The fake API: a fixed window of 10 requests per 20 s, 400 ms per request. */
const api = {
  windowStart: 0,
  used: 0,
  async fetch(path) {
    await clock.sleep(400);
    const now = clock.now();
    if (now - this.windowStart >= 20_000) {
      this.windowStart = now - ((now - this.windowStart) % 20_000);
      this.used = 0;
    }
    if (this.used === 10) {
      const retryAfter = Math.ceil((this.windowStart + 20_000 - now) / 1000);
      return new Response('API rate limit exceeded', { status: 429, headers: { 'retry-after': String(retryAfter) } });
    }
    this.used++;
    return new Response(JSON.stringify({ path }), { status: 200, headers: { 'content-type': 'application/json' } });
  },
};

const throttle = new Throttle({ rate: 2, periodMs: 1_000, concurrency: 3, clock });

async function get(path) {
  for (let attempt = 1; ; attempt++) {
    const res = await throttle.run(() => api.fetch(path));
    // A 429 with Retry-After pauses (a pause is extended, never shortened: several 429s in
    // flight agree); a header that does not parse is ignored, never a crash.
    throttle.observe(res);
    if (res.status !== 429) {
      console.log(`${t()}  GET ${path} → ${res.status}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
      return res.json();
    }
    const { pausedUntil } = throttle.stats();
    console.log(`${t()}  GET ${path} → 429, Retry-After ${res.headers.get('retry-after')} s: throttle paused until ${pausedUntil / 1000} s`);
  }
}

const paths = Array.from({ length: 24 }, (_, i) => `/repos/acme/widgets/issues/${i + 1}`);
const fetching = Promise.all(paths.map(get));
await clock.runAll();
const issues = await fetching;

const { admitted } = throttle.stats();
console.log('');
console.log(`${issues.length} issues fetched with ${admitted} requests (${admitted - issues.length} answered 429) by t = ${clock.now() / 1000} s.`);
