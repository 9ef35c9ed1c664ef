// Never stuck (docs/semantics.md §16; quanta §5.4; maxWaitMs §7.3): the repros as plain
// tests, then the property for every limiter with fractional capacities, costs (capacity − 1e-9,
// 1e-9, k / 1e9), rates, periods, refund delays and instants. `npm run fuzz` runs the property
// longer (test/fuzz/long/liveness.test.ts).
import { describe, expect, it } from 'vitest';
import {
  CreditSemaphore,
  LeakyBucketLimiter,
  MaxWaitExceededError,
  SlidingWindowLimiter,
  Throttle,
  TokenBucket,
  VirtualClock,
  type Permit,
} from '../../src/index.js';
import { assertLiveness } from './liveness-property.js';
import { KINDS, flush } from '../support/exact-setup.js';

/** Resolves to the instant `p` settled, or 'pending' after `ms` of virtual time. */
async function settleAt(clock: VirtualClock, p: Promise<unknown>, ms: number): Promise<number | 'pending' | 'rejected'> {
  let at: number | 'pending' | 'rejected' = 'pending';
  p.then(
    () => (at = clock.now()),
    () => (at = 'rejected'),
  );
  await flush();
  if (at !== 'pending') return at;
  await clock.advance(ms);
  return at;
}

describe('never stuck: the issue (docs/semantics.md §16)', () => {
  it('LeakyBucketLimiter 18 per second: tryAcquire(16.1) then acquire(1.9) is admitted at once', async () => {
    const clock = new VirtualClock();
    const l = new LeakyBucketLimiter({ maxRate: 18, periodMs: 1_000, clock });
    expect(l.tryAcquire(16.1)).toBeDefined();
    expect(l.available).toBe(1.9);
    expect(l.hasCapacity(1.9)).toBe(true);
    expect(await settleAt(clock, l.acquire(1.9), 10_000)).toBe(0);
    expect(l.level).toBe(18);
    expect(clock.pendingTimers).toBe(0);
  });

  it('LeakyBucketLimiter 100 per minute: 64.4 then 35.6 is admitted at once; then 0.1 after exactly 60 ms', async () => {
    const clock = new VirtualClock();
    const l = new LeakyBucketLimiter({ maxRate: 100, periodMs: 60_000, clock });
    expect(l.tryAcquire(64.4)).toBeDefined();
    expect(await settleAt(clock, l.acquire(35.6), 100_000)).toBe(0);
    expect(l.retryAfterMs(0.1)).toBe(60);
    expect(await settleAt(clock, l.acquire(0.1), 100_000)).toBe(60);
  });

  it('the same in a leaky Throttle (and a waiter behind it is not stuck)', async () => {
    for (const [rate, periodMs, first, second] of [
      [18, 1_000, 16.1, 1.9],
      [100, 60_000, 64.4, 35.6],
    ] as const) {
      const clock = new VirtualClock();
      const t = new Throttle({ rate, periodMs, kind: 'leaky', clock });
      expect(t.tryAcquire(first)).toBeDefined();
      expect(await settleAt(clock, t.acquire(second), 1e6)).toBe(0);
      expect(t.available).toBe(0);
      await clock.advance(periodMs);
      expect(t.available).toBe(rate);
    }
  });

  it('the same in a sliding Throttle: the whole limit is payable, and freed exactly one window later', async () => {
    const clock = new VirtualClock(0.25);
    const t = new Throttle({ rate: 18, periodMs: 1_000, clock });
    expect(t.tryAcquire(16.1)).toBeDefined();
    expect(await settleAt(clock, t.acquire(1.9), 1)).toBe(0.25);
    const next = t.acquire(18);
    expect(await settleAt(clock, next, 999.75)).toBe('pending');
    expect(clock.now()).toBe(1_000);
    await clock.advance(0.25);
    await flush();
    // Freed at exactly 1 000.25; the timer fires on the next whole ms after arming.
    expect(await settleAt(clock, next, 1)).toBeLessThanOrEqual(1_001.25);
  });

  it('CreditSemaphore 1 with refundMs 7: ten 0.1 permits released 1 ms apart, then acquire(1) is admitted when the last is back', async () => {
    const clock = new VirtualClock();
    const sem = new CreditSemaphore({ capacity: 1, refundMs: 7, clock });
    const permits: Permit[] = [];
    for (let i = 0; i < 10; i++) permits.push(sem.tryAcquire(0.1)!);
    expect(permits.every((p) => p !== undefined)).toBe(true);
    expect(sem.available).toBe(0);
    for (const p of permits) {
      p.release();
      await clock.advance(1);
    }
    // Released at 0 … 9: back at 7 … 16.
    expect(sem.retryAfterMs(1)).toBe(6);
    expect(Number.isFinite(sem.retryAfterMs(1))).toBe(true);
    const whole = sem.acquire(1);
    expect(await settleAt(clock, whole, 100)).toBe(16);
    expect(sem.available).toBe(0);
    (await whole).release();
    await clock.advance(7);
    expect(sem.available).toBe(1);
    expect(sem.refunding).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('CreditSemaphore: take 0.1, take 0.2, release 0.1 → available is exactly 0.8 and tryAcquire(0.8) succeeds', () => {
    const sem = new CreditSemaphore({ capacity: 1 });
    const a = sem.tryAcquire(0.1)!;
    sem.tryAcquire(0.2);
    a.release();
    expect(sem.available).toBe(0.8);
    expect(sem.tryAcquire(0.8)).toBeDefined();
    expect(sem.available).toBe(0);
  });

  it('TokenBucket: reading tokens at every fractional step never changes when a waiter is admitted', async () => {
    const admittedAt = async (read: boolean) => {
      const clock = new VirtualClock(0.3);
      const bucket = new TokenBucket({ capacity: 1.5, refillAmount: 0.3, refillIntervalMs: 2.5, initialTokens: 0.1, clock });
      const out: number[] = [];
      for (const cost of [1.5, 0.7, 1.5 - 1e-9, 1e-9, 0.9]) void bucket.acquire(cost).then(() => out.push(clock.now()));
      for (let i = 0; i < 1_000; i++) {
        await clock.advance(0.1);
        if (read) expect(bucket.tokens).toBeGreaterThanOrEqual(0);
      }
      return out;
    };
    const quiet = await admittedAt(false);
    expect(quiet).toHaveLength(5);
    expect(await admittedAt(true)).toEqual(quiet);
  });

  it('SlidingWindowLimiter: capacity − 1e-9 then 1e-9 fill the window; the next is admitted when the first frees', async () => {
    const clock = new VirtualClock(0.5);
    const w = new SlidingWindowLimiter({ limit: 2.75, windowMs: 7.5, clock });
    expect(w.tryAcquire(2.75 - 1e-9)).toBeDefined();
    expect(w.available).toBe(1e-9);
    expect(w.tryAcquire(1e-9)).toBeDefined();
    expect(w.available).toBe(0);
    expect(w.retryAfterMs(1e-9)).toBe(8); // 7.5 rounded up
    const next = w.acquire(1);
    expect(await settleAt(clock, next, 20)).toBe(8.5);
  });

  it('MaxWaitExceededError.maxWaitMs is the 150 given, at fractional instants', async () => {
    const clock = new VirtualClock(0.3);
    const sem = new CreditSemaphore({ capacity: 1, clock });
    sem.tryAcquire(1);
    await clock.advance(0.45);
    const late = sem.acquire(0.5, { maxWaitMs: 150 });
    let error: unknown;
    late.catch((e) => (error = e));
    await clock.advance(200);
    expect(error).toBeInstanceOf(MaxWaitExceededError);
    expect((error as MaxWaitExceededError).maxWaitMs).toBe(150);
    // The timer fires on a whole ms at or after the deadline (0.75 + 150).
    expect((error as MaxWaitExceededError).waitedMs).toBeGreaterThanOrEqual(150);
    expect((error as MaxWaitExceededError).waitedMs).toBeLessThan(151);
    const byDefault = new CreditSemaphore({ capacity: 1, clock, maxWaitMs: 150 });
    byDefault.tryAcquire(1);
    await clock.advance(0.7);
    let other: unknown;
    byDefault.acquire(1).catch((e) => (other = e));
    await clock.advance(200);
    expect((other as MaxWaitExceededError).maxWaitMs).toBe(150);
  });
});

describe('never stuck: every limiter, random histories (docs/semantics.md §16)', () => {
  for (const kind of KINDS) {
    it(`${kind}: everything released and time run on → every waiter admitted, available = capacity, no timer; reading changes nothing`, async () => {
      await assertLiveness(kind, 40, 40);
    });
  }
});
