import FakeTimers from '@sinonjs/fake-timers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConcurrencySemaphore,
  CreditSemaphore,
  LeakyBucketLimiter,
  type Limiter,
  SlidingWindowLimiter,
  Throttle,
  TokenBucket,
} from '../../src/index.js';

// What observe() makes of real responses, through parseRateLimitHeaders / readServerReport, on
// every in-process limiter. Fake timers with `performance` (what the limiters read) and `Date`
// (what an HTTP date or an epoch reset is read against), both starting at the same instant.

const WALL = Date.UTC(2026, 9, 21, 7, 28, 0, 0);
let clock: ReturnType<typeof FakeTimers.install>;
beforeEach(() => {
  clock = FakeTimers.install({ now: WALL, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
});
afterEach(() => clock.uninstall());

const respond = (status: number, headers: Record<string, string>) => new Response(null, { status, headers });

const LIMITERS: [string, () => Limiter][] = [
  ['CreditSemaphore', () => new CreditSemaphore({ capacity: 10 })],
  ['ConcurrencySemaphore', () => new ConcurrencySemaphore({ capacity: 10 })],
  ['LeakyBucketLimiter', () => new LeakyBucketLimiter({ maxRate: 10, periodMs: 1_000 })],
  ['TokenBucket', () => new TokenBucket({ capacity: 10, refillIntervalMs: 1_000 })],
  ['SlidingWindowLimiter', () => new SlidingWindowLimiter({ limit: 10, windowMs: 1_000 })],
  ['Throttle', () => new Throttle({ rate: 10, periodMs: 1_000, concurrency: 3 })],
  ["Throttle kind: 'leaky'", () => new Throttle({ rate: 10, periodMs: 1_000, kind: 'leaky' })],
];

describe.each(LIMITERS)('%s.observe', (_name, make) => {
  it('a 429 with Retry-After in seconds pauses exactly that long', () => {
    const limiter = make();
    limiter.observe(respond(429, { 'retry-after': '3' }));
    expect(limiter.tryAcquire()).toBeUndefined();
    clock.tick(2_999);
    expect(limiter.tryAcquire()).toBeUndefined();
    clock.tick(1);
    expect(limiter.tryAcquire()).toBeDefined();
  });

  it('a 503 with an HTTP-date Retry-After pauses until that date (where the README advice threw)', () => {
    const limiter = make();
    const res = respond(503, { 'retry-after': 'Wed, 21 Oct 2026 07:28:05 GMT' });
    expect(() => limiter.pause(Number(res.headers.get('retry-after')) * 1_000)).toThrow(RangeError);
    limiter.observe(res);
    expect(limiter.stats().pausedUntil).toBe(performance.now() + 5_000);
    clock.tick(4_999);
    expect(limiter.tryAcquire()).toBeUndefined();
    clock.tick(1);
    expect(limiter.tryAcquire()).toBeDefined();
  });

  it('Retry-After on any other status, junk headers and junk values change nothing and never throw', () => {
    const limiter = make();
    limiter.observe(respond(200, { 'retry-after': '30' }));
    limiter.observe(respond(429, { 'retry-after': 'in a while', 'x-ratelimit-remaining': 'lots', 'x-ratelimit-reset': 'NaN' }));
    limiter.observe({ status: 429, headers: null });
    limiter.observe({ statusCode: 503, headers: { 'retry-after': ['', 'x'] } });
    expect(limiter.stats().pausedUntil).toBeUndefined();
    expect(limiter.tryAcquire()).toBeDefined();
  });

  it('X-RateLimit-Remaining: 0 with an epoch reset holds everything until that instant', () => {
    const limiter = make();
    limiter.observe(respond(200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(WALL / 1000 + 2) }));
    expect(limiter.tryAcquire()).toBeUndefined();
    clock.tick(1_999);
    expect(limiter.tryAcquire()).toBeUndefined();
    clock.tick(1);
    expect(limiter.tryAcquire()).toBeDefined();
  });

  it('a bad ServerReport throws naming the field and changes nothing', () => {
    const limiter = make();
    expect(() => limiter.observe({ remaining: -1, resetInMs: 1_000 })).toThrow(/report\.remaining/);
    expect(() => limiter.observe({ retryAfterMs: NaN })).toThrow(RangeError);
    expect(() => limiter.observe(new Headers({ 'retry-after': '5' }))).toThrow(TypeError);
    expect(limiter.stats().pausedUntil).toBeUndefined();
    expect(limiter.tryAcquire()).toBeDefined();
  });
});

describe('observe with the IETF fields', () => {
  it('"default";r=2;t=1 lets two more through until the reset, then only the limiter\'s own budget applies', () => {
    const limiter = new SlidingWindowLimiter({ limit: 10, windowMs: 2_000 });
    for (let i = 0; i < 5; i++) limiter.tryAcquire();
    limiter.observe(respond(200, { ratelimit: '"default";r=2;t=1', 'ratelimit-policy': '"default";q=10;w=1' }));
    expect(limiter.tryAcquire()).toBeDefined();
    expect(limiter.tryAcquire()).toBeDefined();
    expect(limiter.tryAcquire()).toBeUndefined();
    clock.tick(999);
    expect(limiter.tryAcquire()).toBeUndefined();
    clock.tick(1);
    // The reset has come: what the sliding window has left (10 − 7), and no more.
    for (let i = 0; i < 3; i++) expect(limiter.tryAcquire()).toBeDefined();
    expect(limiter.tryAcquire()).toBeUndefined();
  });

  it('Retry-After: Infinity is not a header value, but a report may pause until resume()', () => {
    const limiter = new Throttle({ rate: 10 });
    limiter.observe({ retryAfterMs: Infinity });
    clock.tick(1e9);
    expect(limiter.tryAcquire()).toBeUndefined();
    limiter.resume();
    expect(limiter.tryAcquire()).toBeDefined();
  });
});

describe('a report and update', () => {
  it('a report is not clamped to the capacity when it came: a limit raised later is paid up to what the report allows', () => {
    const limiter = new SlidingWindowLimiter({ limit: 2, windowMs: 1 });
    limiter.observe({ remaining: 30, resetInMs: 10_000 });
    limiter.update({ limit: 50 });
    let admitted = 0;
    for (let i = 0; i < 40; i++) if (limiter.tryAcquire()) admitted++;
    expect(admitted).toBe(30); // the report's 30, where the capacity at the report (2) used to cap it
    clock.tick(1);
    expect(limiter.tryAcquire()).toBeUndefined();
  });

  it('a remaining larger than any budget counts (1e300, Number.MAX_VALUE) caps nothing, before and after a coarser quantum', () => {
    for (const remaining of [1e300, Number.MAX_VALUE]) {
      const limiter = new ConcurrencySemaphore({ capacity: 4 });
      limiter.observe({ remaining, resetInMs: 1_000 });
      expect(limiter.available).toBe(4);
      expect(limiter.tryAcquire(4)).toBeDefined();
      limiter.update({ capacity: 5e6 });
      expect(limiter.available).toBe(5e6 - 4);
      expect(limiter.tryAcquire(5e6 - 4)).toBeDefined();
    }
  });

  it('a report of more than the units count (2e6 on 1e-9) is counted afresh, less what was taken, once a raised capacity needs a coarser quantum', () => {
    const limiter = new ConcurrencySemaphore({ capacity: 10 });
    limiter.observe({ remaining: 2e6, resetInMs: 1_000 });
    limiter.tryAcquire(3)!.release();
    limiter.update({ capacity: 5e6 });
    expect(limiter.available).toBe(2e6 - 3);
    limiter.tryAcquire(1)!.release();
    limiter.update({ capacity: 2e8 }); // coarser again: 1e-6
    expect(limiter.available).toBe(2e6 - 4);
  });

  it('a report in force moves to a coarser quantum rounded down: never more than it said', () => {
    const limiter = new CreditSemaphore({ capacity: 10 });
    limiter.observe({ remaining: 2.000000005, resetInMs: 1_000 });
    limiter.update({ capacity: 5e6 }); // quantum 1e-8
    expect(limiter.available).toBe(2);
    expect(limiter.tryAcquire(2.00000001)).toBeUndefined();
    expect(limiter.tryAcquire(2)).toBeDefined();
  });
});
