import { afterEach, describe, expect, it } from 'vitest';
import { parseRateLimitHeaders } from '../../src/server-report.js';
import {
  type LimitServer,
  startBreakServer,
  startFixedWindowServer,
  startIetfServer,
  startSlidingWindowServer,
  stampedFetch,
} from '../support/http-servers.js';

// The servers the client tests run against (test/support/http-servers.ts), checked on their own:
// they refuse what their documentation says they refuse, report what they say they report, and
// an exact hand-written pacer at the documented limit is never refused (so the client tests
// measure the clients, not the loopback's jitter).

const servers: LimitServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function track<T extends LimitServer>(server: Promise<T>): Promise<T> {
  const s = await server;
  servers.push(s);
  return s;
}

const get = (server: LimitServer): Promise<Response> => stampedFetch(server.url);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends request i at `start + at(i)`, stamped with that instant (a scratch client, exact by construction). */
async function paced(server: LimitServer, n: number, at: (i: number) => number): Promise<Response[]> {
  const start = performance.now();
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      // Node may fire a timer up to a millisecond early (by performance.now()): wait again for the rest.
      while (performance.now() < start + at(i)) await sleep(start + at(i) - performance.now());
      return stampedFetch(server.url, start + at(i));
    }),
  );
}

describe('sliding-window server (a)', () => {
  it('refuses the 4th concurrent request with 429 + Retry-After: 1, and counts the concurrency it saw', async () => {
    const server = await track(startSlidingWindowServer({ limit: 10, windowMs: 1_000, concurrency: 3, workMs: 100 }));
    const responses = await Promise.all(Array.from({ length: 4 }, () => get(server)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(responses.find((r) => r.status === 429)!.headers.get('retry-after')).toBe('1');
    expect(server.stats).toMatchObject({ received: 4, served: 3, refused: 1, maxConcurrent: 4 });
  });

  it('refuses the 11th request within a second with Retry-After in whole seconds, and accepts again once the window moved', async () => {
    const server = await track(startSlidingWindowServer({ limit: 10, windowMs: 1_000, concurrency: 10, workMs: 5 }));
    const first = await Promise.all(Array.from({ length: 10 }, () => get(server)));
    expect(first.every((r) => r.status === 200)).toBe(true);
    const eleventh = await get(server);
    expect(eleventh.status).toBe(429);
    expect(eleventh.headers.get('retry-after')).toBe('1');
    expect(parseRateLimitHeaders(eleventh.headers)).toEqual({ retryAfterMs: 1_000 });
    await sleep(1_000);
    expect((await get(server)).status).toBe(200);
    expect(server.stats).toMatchObject({ received: 12, served: 11, refused: 1 });
  });

  it('an exact pacer at the documented limit is never refused; bursting past it is', async () => {
    const server = await track(startSlidingWindowServer({ limit: 10, windowMs: 1_000, concurrency: 10, workMs: 20 }));
    const exact = await paced(server, 30, (i) => Math.floor(i / 10) * 1_000);
    expect(exact.filter((r) => r.status === 429)).toHaveLength(0);
    await sleep(1_000);
    // A leaky bucket's pattern: 10 at once, then one every 100 ms: the 11th lands 100 ms into the window.
    const leaky = await paced(server, 15, (i) => (i < 10 ? 0 : (i - 9) * 100));
    expect(leaky.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(4);
  });
});

describe('fixed-window server (b)', () => {
  it('reports X-RateLimit-Remaining after each request and the reset of its own window in seconds (ms precision)', async () => {
    const server = await track(startFixedWindowServer({ limit: 5, windowMs: 1_000, workMs: 5 }));
    const remaining: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await get(server);
      const report = parseRateLimitHeaders(res.headers);
      remaining.push(report.remaining!);
      expect(res.headers.get('x-ratelimit-limit')).toBe('5');
      expect(res.headers.get('x-ratelimit-reset')).toMatch(/^\d+\.\d{3}$/);
      expect(report.resetInMs).toBeGreaterThan(0);
      expect(report.resetInMs).toBeLessThanOrEqual(1_000);
      if (i === 5) {
        expect(res.status).toBe(429);
        expect(Number(res.headers.get('retry-after'))).toBe(1);
      }
    }
    // A 429 still reports the window (the same remaining 0).
    expect(remaining).toEqual([4, 3, 2, 1, 0, 0]);
    expect(server.stats).toMatchObject({ served: 5, refused: 1 });
  });

  it('windows are aligned to the server start: the count starts over at the reset it announced', async () => {
    const server = await track(startFixedWindowServer({ limit: 3, windowMs: 1_000, workMs: 5 }));
    const burst = await Promise.all(Array.from({ length: 3 }, () => get(server)));
    const { resetInMs } = parseRateLimitHeaders(burst[2]!.headers);
    expect((await get(server)).status).toBe(429);
    await sleep(resetInMs! + 5);
    const after = await get(server);
    expect(after.status).toBe(200);
    expect(after.headers.get('x-ratelimit-remaining')).toBe('2');
  });

  it('with reset: "epoch", X-RateLimit-Reset is the Unix time of the window end', async () => {
    const server = await track(startFixedWindowServer({ limit: 5, windowMs: 1_000, reset: 'epoch', workMs: 5 }));
    const res = await get(server);
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    const { resetInMs } = parseRateLimitHeaders(res.headers);
    expect(resetInMs).toBeGreaterThan(0);
    expect(resetInMs).toBeLessThanOrEqual(1_000);
  });
});

describe('IETF RateLimit server (c)', () => {
  it('sends RateLimit-Policy and RateLimit in the structured form; t in whole seconds rounded up', async () => {
    const server = await track(startIetfServer({ limit: 2, windowMs: 1_000, workMs: 5 }));
    const a = await get(server);
    expect(a.headers.get('ratelimit-policy')).toBe('"default";q=2;w=1');
    expect(a.headers.get('ratelimit')).toBe('"default";r=1;t=1');
    expect(parseRateLimitHeaders(a.headers)).toEqual({ remaining: 1, resetInMs: 1_000 });
    await get(server);
    const refused = await get(server);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit')).toMatch(/^"default";r=0;t=1$/);
    expect(server.stats).toMatchObject({ served: 2, refused: 1 });
  });
});

describe('break server (d)', () => {
  it('after `breakAfter` requests answers 429 with an HTTP-date Retry-After and refuses everything before that date', async () => {
    const server = await track(startBreakServer({ breakAfter: 2, breakMs: 500, workMs: 5 }));
    expect((await get(server)).status).toBe(200);
    expect((await get(server)).status).toBe(200);
    const refused = await get(server);
    expect(refused.status).toBe(429);
    const date = refused.headers.get('retry-after')!;
    expect(date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    const until = Date.parse(date);
    expect(until).toBe(server.breakUntil());
    expect(until - Date.now()).toBeGreaterThanOrEqual(400);
    expect(until - Date.now()).toBeLessThanOrEqual(1_600);
    expect(server.stats.early).toBe(0);
    expect((await get(server)).status).toBe(429);
    expect(server.stats.early).toBe(1);
    await sleep(until - Date.now() + 5);
    expect((await get(server)).status).toBe(200);
    expect(server.stats).toMatchObject({ served: 3, refused: 2, early: 1 });
  });

  it('can answer 503 instead', async () => {
    const server = await track(startBreakServer({ breakAfter: 0, status: 503, workMs: 5 }));
    const res = await get(server);
    expect(res.status).toBe(503);
    expect(parseRateLimitHeaders(res.headers).retryAfterMs).toBeGreaterThan(0);
  });
});

describe('when a request counts', () => {
  it('at its x-sent-at instant when it carries one (never later than its arrival)', async () => {
    const server = await track(startSlidingWindowServer({ workMs: 1 }));
    const sent = performance.now() - 500;
    await stampedFetch(server.url, sent);
    await stampedFetch(server.url, performance.now() + 5_000);
    const res = await fetch(server.url, { headers: { 'x-sent-at': 'soon' } });
    await res.text();
    const [early, future, junk] = server.stats.log;
    expect(early!.at).toBe(sent);
    expect(future!.at).toBe(future!.arrived);
    expect(junk!.at).toBe(junk!.arrived);
  });

  it('at its arrival otherwise, the window judged toleranceMs short', async () => {
    const tolerant = await track(startSlidingWindowServer({ limit: 2, windowMs: 1_000, concurrency: 5, toleranceMs: 300, workMs: 1 }));
    const strict = await track(startSlidingWindowServer({ limit: 2, windowMs: 1_000, concurrency: 5, toleranceMs: 0, workMs: 1 }));
    const plain = async (server: LimitServer) => (await fetch(server.url).then(async (r) => (await r.text(), r))).status;
    expect([await plain(tolerant), await plain(tolerant), await plain(strict), await plain(strict)]).toEqual([200, 200, 200, 200]);
    await sleep(800);
    expect(await plain(tolerant)).toBe(200);
    expect(await plain(strict)).toBe(429);
  });
});

describe('every server', () => {
  it('stops itself after maxRequests', async () => {
    const server = await track(startSlidingWindowServer({ maxRequests: 2, workMs: 1 }));
    await get(server);
    await get(server);
    await sleep(20);
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('stops itself after lifetimeMs', async () => {
    const server = await track(startIetfServer({ lifetimeMs: 50, workMs: 1 }));
    await get(server);
    await sleep(100);
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('knows the ideal time of a perfect client', async () => {
    const a = await track(startSlidingWindowServer({ limit: 10, windowMs: 1_000, concurrency: 3, workMs: 30 }));
    // 100 requests: the 91st can start at 9 s; it and the 9 after it (3 at a time) end 4 × 30 ms later.
    expect(a.idealMs(100, performance.now())).toBe(9_000 + 30 * 4);
    const b = await track(startFixedWindowServer({ limit: 10, windowMs: 1_000, workMs: 30 }));
    expect(b.idealMs(100, performance.now())).toBeGreaterThan(8_990);
    expect(b.idealMs(100, performance.now())).toBeLessThanOrEqual(9_030);
  });
});
