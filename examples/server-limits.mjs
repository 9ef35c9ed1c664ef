// server-limits: keep to a server's own limit: a sliding window for "5 per second", observe() for X-RateLimit-* and a Retry-After date
//
// A real HTTP server on 127.0.0.1 (started below, no network needed) documents "5 requests per
// second" and counts them in fixed one-second windows, like many APIs; every response says what
// is left (`X-RateLimit-Remaining`) and when the window resets (`X-RateLimit-Reset`, Unix epoch
// seconds, as GitHub sends it). Once, for maintenance, it answers 503 with `Retry-After` as an
// HTTP date — a value that `Number(...)` turns into NaN.
//
// The client is configured straight from the documentation, a `SlidingWindowLimiter` of 5 per
// 1 000 ms: never more than 5 in any second, so never more than 5 in any of the server's windows.
// Each response goes to `limiter.observe(res)` inside `run`, before the permit is released:
// the limiter then also keeps within what the server says is left, and a 503 or 429 carrying
// `Retry-After` (seconds or a date) pauses it until then. The refused call is simply sent again.
import { createServer } from 'node:http';
import { SlidingWindowLimiter, parseRateLimitHeaders } from 'tollgate';

// ---- the server (what a real API would be) ---------------------------------------------------
const LIMIT = 5;
const WINDOW_MS = 1_000;
const started = performance.now();
let window = 0;
let used = 0;
let served = 0;
let refusedByLimit = 0;
let maintenanceUntil; // wall-clock ms, once the break has begun

const server = createServer((req, res) => {
  req.resume();
  const now = performance.now();
  const w = Math.floor((now - started) / WINDOW_MS);
  if (w !== window) [window, used] = [w, 0];
  const resetAt = Date.now() + (started + (w + 1) * WINDOW_MS - now); // the window's end, on the wall clock
  const headers = { 'x-ratelimit-limit': String(LIMIT), 'x-ratelimit-reset': (Math.ceil(resetAt) / 1000).toFixed(3) };

  if (served >= 8 && maintenanceUntil === undefined) maintenanceUntil = Math.ceil((Date.now() + 1_000) / 1000) * 1000;
  if (maintenanceUntil !== undefined && Date.now() < maintenanceUntil) {
    res.writeHead(503, { ...headers, 'x-ratelimit-remaining': String(LIMIT - used), 'retry-after': new Date(maintenanceUntil).toUTCString() });
    return res.end('down for maintenance');
  }
  if (used >= LIMIT) {
    refusedByLimit++;
    res.writeHead(429, { ...headers, 'x-ratelimit-remaining': '0', 'retry-after': '1' });
    return res.end('rate limit exceeded');
  }
  const remaining = LIMIT - ++used; // counted on arrival, as rate-limit middleware does
  setTimeout(() => {
    served++;
    res.writeHead(200, { ...headers, 'x-ratelimit-remaining': String(remaining), 'content-type': 'application/json' });
    res.end(JSON.stringify({ item: req.url }));
  }, 40);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

// ---- the client ------------------------------------------------------------------------------
const limiter = new SlidingWindowLimiter({ limit: LIMIT, windowMs: WINDOW_MS });
const t0 = performance.now();
const at = () => `${((performance.now() - t0) / 1000).toFixed(2).padStart(5)} s`;
let toldToWaitUntil = -Infinity; // wall clock, from the latest Retry-After seen
let sentWhileToldToWait = 0;

async function get(path) {
  for (;;) {
    const res = await limiter.run(async () => {
      if (Date.now() < toldToWaitUntil) sentWhileToldToWait++;
      const r = await fetch(base + path);
      limiter.observe(r); // remaining / reset from any response; Retry-After from a 429 or 503
      const { retryAfterMs } = parseRateLimitHeaders(r.headers);
      if (r.status >= 429 && retryAfterMs !== undefined) toldToWaitUntil = Math.max(toldToWaitUntil, Date.now() + retryAfterMs);
      await r.text();
      return r;
    });
    const { remaining, retryAfterMs } = parseRateLimitHeaders(res.headers);
    if (res.status === 200) {
      console.log(`${at()}  GET ${path.padEnd(9)} 200  remaining ${remaining}`);
      return;
    }
    console.log(`${at()}  GET ${path.padEnd(9)} ${res.status}  Retry-After: ${res.headers.get('retry-after')} → paused ${retryAfterMs} ms, then sent again`);
  }
}

const N = 20;
await Promise.all(Array.from({ length: N }, (_, i) => get(`/items/${i + 1}`)));
server.close();

console.log('');
console.log(`${N} items in ${at().trim()}, ${LIMIT} per second as documented:`);
console.log(`  refused for the rate limit: ${refusedByLimit}`);
console.log(`  requests sent after a Retry-After and before its date: ${sentWhileToldToWait}`);
