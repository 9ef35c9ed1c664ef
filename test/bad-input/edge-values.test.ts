import FakeTimers from '@sinonjs/fake-timers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConcurrencySemaphore,
  CreditSemaphore,
  LeakyBucketLimiter,
  MaxWaitExceededError,
  Throttle,
  TokenBucket,
  VirtualClock,
  type Permit,
} from '../../src/index.js';
import { makers, names } from '../support/bad-input-limiters.js';

// Values that are valid but extreme: costs of one quantum (1e-9), capacities near Number.MAX_VALUE, delays past
// 2³¹ − 1 ms (where Node's setTimeout overflows to 1 ms), Infinity where it means "never".
// Correct behaviour, exactly.

const BIG = 2 ** 31 + 5;

describe('costs of one quantum (1e-9; docs/semantics.md §5.4)', () => {
  it('a cost finer than the quantum is a RangeError that names it, and changes nothing', () => {
    for (const name of names) {
      const limiter = makers[name]!(new VirtualClock(), () => {});
      const before = limiter.available;
      expect(() => limiter.tryAcquire(1e-12)).toThrow(RangeError);
      expect(() => limiter.tryAcquire(1e-12)).toThrow(/quanta \(1e-9\)/);
      expect(() => limiter.retryAfterMs(1.5e-9)).toThrow(RangeError);
      expect(limiter.available).toBe(before);
      expect(limiter.pending).toBe(0);
    }
  });

  it('CreditSemaphore / ConcurrencySemaphore: a tiny cost waits behind a full limiter, then every credit comes back exactly', async () => {
    for (const Sem of [CreditSemaphore, ConcurrencySemaphore]) {
      const clock = new VirtualClock();
      const sem = new Sem({ capacity: 1, clock });
      const full = sem.tryAcquire(1)!;
      expect(sem.tryAcquire(1e-9)).toBeUndefined();
      const tiny = sem.acquire(1e-9);
      expect(sem.pending).toBe(1);
      full.release();
      const permit = await tiny;
      expect(permit.cost).toBe(1e-9);
      expect(sem.available).toBe(1 - 1e-9);
      expect(sem.tryAcquire(1)).toBeUndefined(); // 1e-9 short is short
      const more = [sem.tryAcquire(1e-9)!, sem.tryAcquire(0.3)!, sem.tryAcquire(1e-9)!];
      permit.release();
      for (const p of more) p.release();
      expect(sem.available).toBe(1); // no float residue left behind
      expect(sem.tryAcquire(1)?.cost).toBe(1);
    }
  });

  it('LeakyBucketLimiter: a level of 1e-9 blocks a full-size cost for exactly the next whole ms', async () => {
    const clock = new VirtualClock();
    const bucket = new LeakyBucketLimiter({ maxRate: 4, periodMs: 1_000, clock });
    bucket.tryAcquire(1e-9);
    expect(bucket.level).toBe(1e-9);
    expect(bucket.hasCapacity(4)).toBe(false);
    expect(bucket.retryAfterMs(4)).toBe(1);
    let at = -1;
    void bucket.acquire(4).then(() => (at = clock.now()));
    await clock.advance(1);
    expect(at).toBe(1);
    expect(bucket.level).toBe(4);
  });

  it('TokenBucket: 1e-9 taken from a full bucket makes the full cost wait for the next refill step', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ capacity: 2, refillIntervalMs: 100, clock });
    bucket.tryAcquire(1e-9);
    expect(bucket.tokens).toBe(2 - 1e-9);
    expect(bucket.tryAcquire(2)).toBeUndefined();
    expect(bucket.retryAfterMs(2)).toBe(100);
    let at = -1;
    void bucket.acquire(2).then(() => (at = clock.now()));
    await clock.advance(99);
    expect(at).toBe(-1);
    await clock.advance(1);
    expect(at).toBe(100);
    expect(bucket.tokens).toBe(0);
  });

  it('Throttle: a cost of 1e-9 still takes a concurrency slot', async () => {
    const clock = new VirtualClock();
    const throttle = new Throttle({ rate: 1, periodMs: 1_000, concurrency: 1, clock });
    const permit = throttle.tryAcquire(1e-9)!;
    expect(throttle.running).toBe(1);
    expect(throttle.available).toBe(0);
    expect(throttle.tryAcquire(1e-9)).toBeUndefined();
    permit.release();
    expect(throttle.running).toBe(0);
    expect(throttle.tryAcquire(1e-9)?.cost).toBe(1e-9);
  });

  it('-0 is a cost of 0: admitted at once, takes nothing', () => {
    for (const name of names) {
      const limiter = makers[name]!(new VirtualClock(), () => {});
      const before = limiter.available;
      expect(limiter.tryAcquire(-0)?.cost).toBe(-0);
      expect(limiter.available).toBe(before);
    }
  });
});

describe('huge numbers', () => {
  it('semaphores with capacity Number.MAX_VALUE take and give back all of it', () => {
    for (const Sem of [CreditSemaphore, ConcurrencySemaphore]) {
      const sem = new Sem({ capacity: Number.MAX_VALUE, clock: new VirtualClock() });
      // Past 2^50 the quantum is a power of ten above 1: costs are rounded to it (docs/semantics.md §5.4).
      expect(sem.capacity).toBeGreaterThan(Number.MAX_VALUE * (1 - 1e-13));
      const all = sem.tryAcquire(Number.MAX_VALUE)!;
      expect(sem.available).toBe(0);
      expect(sem.tryAcquire(Number.MAX_VALUE / 2)).toBeUndefined();
      expect(() => sem.tryAcquire(1)).toThrow(RangeError); // finer than this capacity's quantum
      all.release();
      expect(sem.available).toBe(sem.capacity);
    }
  });

  it('LeakyBucketLimiter with maxRate × periodMs = Number.MAX_VALUE drains exactly', async () => {
    const clock = new VirtualClock();
    const bucket = new LeakyBucketLimiter({ maxRate: Number.MAX_VALUE, periodMs: 1, clock });
    bucket.tryAcquire(Number.MAX_VALUE);
    expect(bucket.available).toBe(0);
    expect(bucket.retryAfterMs(Number.MAX_VALUE)).toBe(1);
    await clock.advance(1);
    expect(bucket.available).toBe(Number.MAX_VALUE);
    expect(bucket.level).toBe(0);
  });

  it('TokenBucket with a refill of 1e308 caps at capacity, never Infinity', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ capacity: 1e308, refillAmount: 1e308, refillIntervalMs: 10, clock });
    bucket.tryAcquire(1e308);
    await clock.advance(1_000);
    expect(bucket.tokens).toBe(1e308);
    expect(bucket.retryAfterMs(1e308)).toBe(0);
  });

  it('a cost above the capacity never queues, however large the capacity', async () => {
    const sem = new CreditSemaphore({ capacity: 2 ** 53, clock: new VirtualClock() });
    await expect(sem.acquire(2 ** 53 + 2)).rejects.toThrow(RangeError);
    expect(sem.pending).toBe(0);
  });
});

describe('delays past 2³¹ − 1 ms (Node overflows them to 1 ms)', () => {
  // @sinonjs/fake-timers reproduces Node's overflow: a delay above 2³¹ − 1 fires after 1 ms.
  let clock: ReturnType<typeof FakeTimers.install>;
  beforeEach(() => {
    clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
  });
  afterEach(() => clock.uninstall());

  async function watch(promise: Promise<unknown>) {
    const seen: { at?: number; value?: unknown; error?: unknown } = {};
    promise.then(
      (value) => Object.assign(seen, { at: performance.now(), value }),
      (error: unknown) => Object.assign(seen, { at: performance.now(), error }),
    );
    return seen;
  }

  /** Nothing happens 1 ms later, nor just before `at`; it happens exactly at `at`. */
  async function expectExactlyAt(seen: { at?: number }, at: number) {
    await clock.tickAsync(1);
    expect(seen.at, 'fired after 1 ms: the delay overflowed').toBeUndefined();
    await clock.tickAsync(2 ** 31 - 1);
    expect(seen.at).toBeUndefined();
    await clock.tickAsync(at - performance.now() - 1);
    expect(seen.at).toBeUndefined();
    await clock.tickAsync(1);
    expect(seen.at).toBe(at);
  }

  it.each(names)('%s: pause(2³¹ + 5) admits nobody until it ends', async (name) => {
    const limiter = makers[name]!(undefined as never, () => {}, { clock: undefined });
    limiter.pause(BIG);
    const seen = await watch(limiter.acquire(1));
    expect(limiter.retryAfterMs(1)).toBe(BIG);
    await expectExactlyAt(seen, BIG);
    expect(seen.value).toMatchObject({ cost: 1 });
  });

  // The waiter must be blocked by something no limiter can foresee (a held permit, a head that
  // waits longer), else a wait provably longer than maxWaitMs is rejected at once.
  const blocked: Record<string, { options: Record<string, unknown>; block: (l: ReturnType<(typeof makers)[string]>) => void }> = {
    CreditSemaphore: { options: {}, block: (l) => void l.tryAcquire(4) },
    ConcurrencySemaphore: { options: {}, block: (l) => void l.tryAcquire(4) },
    LeakyBucketLimiter: { options: { periodMs: 2 * BIG }, block: (l) => (l.tryAcquire(4), void l.acquire(4, { maxWaitMs: Infinity }).catch(() => {})) },
    TokenBucket: { options: { refillIntervalMs: 2 ** 30 + 3 }, block: (l) => (l.tryAcquire(4), void l.acquire(4, { maxWaitMs: Infinity }).catch(() => {})) },
    // Its own cost is free again within maxWaitMs, so not provably late; the head admitted then fills the next window.
    SlidingWindowLimiter: { options: { windowMs: Math.ceil(0.75 * BIG) }, block: (l) => (l.tryAcquire(4), void l.acquire(4, { maxWaitMs: Infinity }).catch(() => {})) },
    Throttle: { options: { periodMs: 2 * BIG, kind: 'leaky' }, block: (l) => (l.tryAcquire(4), void l.acquire(4, { maxWaitMs: Infinity }).catch(() => {})) },
  };

  it.each(names)('%s: maxWaitMs 2³¹ + 5 (per call and as the default) rejects exactly at the deadline', async (name) => {
    for (const perCall of [true, false]) {
      const { options, block } = blocked[name]!;
      const limiter = makers[name]!(undefined as never, () => {}, { clock: undefined, ...options, ...(perCall ? {} : { maxWaitMs: BIG }) });
      const start = performance.now();
      block(limiter);
      const seen = await watch(limiter.acquire(1, perCall ? { maxWaitMs: BIG } : undefined));
      expect(limiter.pending).toBeGreaterThan(0);
      await expectExactlyAt(seen, start + BIG);
      expect(seen.error).toBeInstanceOf(MaxWaitExceededError);
      expect(seen.error).toMatchObject({ maxWaitMs: BIG, waitedMs: BIG });
      limiter.close();
    }
  });

  it('CreditSemaphore: refundMs 2³¹ + 5 brings the credits back exactly then', async () => {
    const sem = new CreditSemaphore({ capacity: 1, refundMs: BIG });
    sem.tryAcquire(1)!.release();
    const seen = await watch(sem.acquire(1));
    expect(sem.retryAfterMs(1)).toBe(BIG);
    await expectExactlyAt(seen, BIG);
    expect(sem.refunding).toBe(0);
  });

  it('TokenBucket: refillIntervalMs 2³¹ + 5 refills exactly then', async () => {
    const bucket = new TokenBucket({ capacity: 1, refillIntervalMs: BIG });
    bucket.tryAcquire(1);
    const seen = await watch(bucket.acquire(1));
    await expectExactlyAt(seen, BIG);
  });

  it('LeakyBucketLimiter: periodMs 2³² drains one unit in exactly 2³² ms', async () => {
    const bucket = new LeakyBucketLimiter({ maxRate: 1, periodMs: 2 ** 32 });
    bucket.tryAcquire(1);
    const seen = await watch(bucket.acquire(1));
    await expectExactlyAt(seen, 2 ** 32);
  });

  it('pause(Infinity) and maxWaitMs: Infinity mean "until closed": no timer at all', async () => {
    const sem = new ConcurrencySemaphore({ capacity: 1 });
    sem.pause(Infinity);
    const seen = await watch(sem.acquire(1, { maxWaitMs: Infinity }));
    expect(clock.countTimers()).toBe(0);
    expect(sem.retryAfterMs(1)).toBe(Infinity);
    await clock.tickAsync(10 * BIG);
    expect(seen.at).toBeUndefined();
    sem.close();
    await clock.tickAsync(0);
    expect(seen.error).toMatchObject({ code: 'ERR_LIMITER_CLOSED' });
  });
});

describe('real timers', () => {
  it('a wait past 2³¹ − 1 ms arms a timer Node accepts: no TimeoutOverflowWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const limiters = names.map((name) => makers[name]!(undefined as never, () => {}, { clock: undefined }));
      const waits: Promise<Permit>[] = [];
      for (const limiter of limiters) {
        limiter.pause(BIG);
        waits.push(limiter.acquire(1, { maxWaitMs: 2 * BIG }));
      }
      const sem = new CreditSemaphore({ capacity: 1, refundMs: BIG });
      sem.tryAcquire(1)!.release();
      waits.push(sem.acquire(1));
      for (const w of waits) w.catch(() => {});
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      for (const limiter of [...limiters, sem]) limiter.close();
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
