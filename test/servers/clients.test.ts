import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it as vitestIt, type TestContext } from 'vitest';
import { ConcurrencySemaphore, type Limiter, parseRateLimitHeaders, SlidingWindowLimiter, Throttle } from '../../src/index.js';
import {
  admissionStamps,
  type LimitServer,
  startBreakServer,
  startFixedWindowServer,
  startIetfServer,
  startSlidingWindowServer,
  warmUp,
} from '../support/http-servers.js';

// Clients configured the obvious way from each server's documented limit, against the real
// local servers of test/support/http-servers.ts: none of them may be refused (but for the one
// refusal nobody can foresee), whatever the server's style of reporting. Real time, about 10 s
// per scenario, all scenarios at once (each has its own server; the load is a few requests per
// second). How close they come to the ideal time is measured by bench/servers.mjs, not here.

const N = 100;

// Each test cleans up its own (the tests run concurrently: an afterEach would close the others'),
// on its own context: the global onTestFinished cannot tell concurrent tests apart, so one test
// ending could close another's limiter.
const contexts = new AsyncLocalStorage<TestContext>();
function it(name: string, fn: () => Promise<void>): void {
  vitestIt(name, (context) => contexts.run(context, fn));
}
function onTestFinished(cleanup: () => unknown): void {
  const context = contexts.getStore();
  if (context === undefined) throw new Error('a cleanup registered outside a test');
  context.onTestFinished(async () => void (await cleanup()));
}

async function track<T extends LimitServer>(server: Promise<T>): Promise<T> {
  const s = await server;
  onTestFinished(() => s.close());
  await warmUp(s, 3);
  return s;
}
function using<L extends Limiter>(limiter: L): L {
  onTestFinished(() => limiter.close());
  return limiter;
}

const refusal = (res: Response) => res.status === 429 || res.status === 503;

/**
 * The test servers judge each request at the instant the limiter admitted it (stamped from its
 * `admitted` events), not at its arrival, so loopback jitter cannot refuse an exact client (see
 * test/support/http-servers.ts). `make(onEvent)` builds the client under test.
 */
function stamped<L extends Limiter>(make: (onEvent: Stamps['onEvent']) => L): { limiter: L; stamps: Stamps } {
  const stamps = admissionStamps();
  return { limiter: using(make(stamps.onEvent)), stamps };
}
type Stamps = ReturnType<typeof admissionStamps>;

/** One request through the limiter, its response observed inside `run` (before the permit is released, so the next request already sees the report). */
function request(limiter: Limiter, stamps: Stamps, url: string, observe = true): Promise<Response> {
  const id = stamps.nextId();
  return limiter.run(
    async () => {
      const res = await stamps.fetch(url, id);
      if (observe) limiter.observe(res);
      await res.text();
      return res;
    },
    { id },
  );
}

/** The advice of the README: every response goes to `observe`, a refused request is sent again. */
async function fetchAll({ limiter, stamps }: { limiter: Limiter; stamps: Stamps }, url: string, n = N): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (refusal(await request(limiter, stamps, url))) {
        /* observe has paused the limiter for the Retry-After it carried */
      }
    }),
  );
}

/** One request after the other, as a plain `for` loop over a list would send them. */
async function fetchInTurn({ limiter, stamps }: { limiter: Limiter; stamps: Stamps }, url: string, n: number, observe = true): Promise<void> {
  for (let i = 0; i < n; i++) {
    while (refusal(await request(limiter, stamps, url, observe))) {
      /* sent again */
    }
  }
}

/** The README's old advice, verbatim: a leaky Throttle, and `pause(Number(retry-after) * 1000)` after a 429. */
async function oldAdvice({ limiter, stamps }: { limiter: Throttle; stamps: Stamps }, url: string, n = N): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (;;) {
        const id = stamps.nextId();
        const res = await limiter.run(async () => {
          const r = await stamps.fetch(url, id);
          await r.text();
          return r;
        }, { id });
        if (!refusal(res)) return;
        limiter.pause(Number(res.headers.get('retry-after')) * 1_000);
      }
    }),
  );
}

describe.concurrent('a client configured from the documented limit is never refused', () => {
  it('(a) sliding window, 10 per second and 3 at once: Throttle({ rate: 10, periodMs: 1_000, concurrency: 3 })', async () => {
    const server = await track(startSlidingWindowServer({ limit: 10, windowMs: 1_000, concurrency: 3 }));
    await fetchAll(stamped((onEvent) => new Throttle({ rate: 10, periodMs: 1_000, concurrency: 3, onEvent })), server.url);
    expect(server.stats).toMatchObject({ served: N, refused: 0 });
    expect(server.stats.maxConcurrent).toBeLessThanOrEqual(3);
  });

  it('(b) fixed windows with X-RateLimit-Remaining / Reset in delta seconds: SlidingWindowLimiter + observe', async () => {
    const server = await track(startFixedWindowServer({ limit: 10, windowMs: 1_000, reset: 'delta' }));
    await fetchAll(stamped((onEvent) => new SlidingWindowLimiter({ limit: 10, windowMs: 1_000, onEvent })), server.url);
    expect(server.stats).toMatchObject({ served: N, refused: 0 });
  });

  it('(b) the same with X-RateLimit-Reset as a Unix epoch (GitHub style)', async () => {
    const server = await track(startFixedWindowServer({ limit: 10, windowMs: 1_000, reset: 'epoch' }));
    await fetchAll(stamped((onEvent) => new SlidingWindowLimiter({ limit: 10, windowMs: 1_000, onEvent })), server.url);
    expect(server.stats).toMatchObject({ served: N, refused: 0 });
  });

  it('(c) IETF RateLimit / RateLimit-Policy: SlidingWindowLimiter + observe', async () => {
    const server = await track(startIetfServer({ limit: 10, windowMs: 1_000 }));
    await fetchAll(stamped((onEvent) => new SlidingWindowLimiter({ limit: 10, windowMs: 1_000, onEvent })), server.url);
    expect(server.stats).toMatchObject({ served: N, refused: 0 });
  });

  it('(d) one break announced by 429 + Retry-After: <HTTP date>: exactly that one 429, and nothing sent before the date', async () => {
    const server = await track(startBreakServer({ limit: 10, windowMs: 1_000, concurrency: 1, breakAfter: 30 }));
    await fetchAll(stamped((onEvent) => new Throttle({ rate: 10, periodMs: 1_000, concurrency: 1, onEvent })), server.url);
    expect(server.breakUntil()).toBeDefined();
    expect(server.stats).toMatchObject({ served: N, refused: 1, early: 0 });
  });

  it('(d) the same break announced by 503', async () => {
    const server = await track(startBreakServer({ limit: 10, windowMs: 1_000, concurrency: 1, breakAfter: 20, status: 503 }));
    await fetchAll(stamped((onEvent) => new Throttle({ rate: 10, periodMs: 1_000, concurrency: 1, onEvent })), server.url, 40);
    expect(server.stats).toMatchObject({ served: 40, refused: 1, early: 0 });
  });
});

describe.concurrent('observe follows what the server reports beyond the documented limit', () => {
  it('(b) a quota shared with someone else (3 of every 10 taken): X-RateLimit-Remaining keeps a sequential client at 0 × 429', async () => {
    const server = await track(startFixedWindowServer({ limit: 10, windowMs: 1_000, sharedPerWindow: 3 }));
    await fetchInTurn(stamped((onEvent) => new SlidingWindowLimiter({ limit: 10, windowMs: 1_000, onEvent })), server.url, 35);
    expect(server.stats).toMatchObject({ served: 35, refused: 0 });
  });

  it('(c) the same through the IETF RateLimit field', async () => {
    const server = await track(startIetfServer({ limit: 10, windowMs: 1_000, sharedPerWindow: 3 }));
    await fetchInTurn(stamped((onEvent) => new SlidingWindowLimiter({ limit: 10, windowMs: 1_000, onEvent })), server.url, 35);
    expect(server.stats).toMatchObject({ served: 35, refused: 0 });
  });

  for (const [name, start] of [
    ['X-RateLimit-* with delta resets', () => startFixedWindowServer({ limit: 10, windowMs: 1_000, reset: 'delta' })],
    ['X-RateLimit-* with epoch resets (GitHub)', () => startFixedWindowServer({ limit: 10, windowMs: 1_000, reset: 'epoch' })],
    ['the IETF RateLimit field', () => startIetfServer({ limit: 10, windowMs: 1_000 })],
  ] as const) {
    it(`a client that does not know the limit, one request at a time, follows ${name} alone: 0 × 429`, async () => {
      const server = await track(start());
      await fetchInTurn(stamped((onEvent) => new ConcurrencySemaphore({ capacity: 1, onEvent })), server.url, 35);
      expect(server.stats).toMatchObject({ served: 35, refused: 0 });
    });
  }

  it('without observe the shared-quota client is refused (so the tests above can fail)', async () => {
    const server = await track(startFixedWindowServer({ limit: 10, windowMs: 1_000, sharedPerWindow: 3 }));
    await fetchInTurn(stamped((onEvent) => new SlidingWindowLimiter({ limit: 10, windowMs: 1_000, onEvent })), server.url, 20, false);
    expect(server.stats.refused).toBeGreaterThan(0);
  });
});

describe.concurrent('the old advice, for comparison (what issue #14 reported)', () => {
  it("(a) a leaky Throttle with pause on 429 is refused: its bursts land in windows the server still counts", async () => {
    const server = await track(startSlidingWindowServer({ limit: 10, windowMs: 1_000, concurrency: 3 }));
    await oldAdvice(stamped((onEvent) => new Throttle({ rate: 10, periodMs: 1_000, concurrency: 3, kind: 'leaky', onEvent })), server.url, 50);
    expect(server.stats.served).toBe(50);
    expect(server.stats.refused).toBeGreaterThan(0);
  });

  it('(d) pause(Number(date) * 1000) throws a RangeError: the 429 becomes a crash; observe reads the same date as a delay', async () => {
    const server = await track(startBreakServer({ breakAfter: 2 }));
    const client = stamped((onEvent) => new Throttle({ rate: 10, periodMs: 1_000, concurrency: 1, kind: 'leaky', onEvent }));
    await expect(oldAdvice(client, server.url, 5)).rejects.toThrow(RangeError);
    const res = await fetch(server.url);
    await res.text();
    expect(res.status).toBe(429);
    const { retryAfterMs } = parseRateLimitHeaders(res.headers);
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(2_000);
  });
});
