import FakeTimers from '@sinonjs/fake-timers';
import { describe, expect, it } from 'vitest';
import { type Clock, MaxWaitExceededError, TokenBucket, VirtualClock } from '../../src/index.js';
import { expectBadOption, expectCommonOptions, expectNumberOption, now, track, useFakeTimers } from '../support/fake-timers.js';

const fake = useFakeTimers();
const fiveThenOne = [0, 0, 0, 0, 0, 1000, 2000, 3000, 4000, 5000];

describe('TokenBucket', () => {
  it('five at once, then one per second (limiters’ scenario)', async () => {
    const bucket = new TokenBucket({ capacity: 5, refillIntervalMs: 1000 });
    const admitted = Array.from({ length: 10 }, () => track(bucket.acquire()));
    await fake.clock.runAllAsync();
    expect(admitted.map((w) => w.at)).toStrictEqual(fiveThenOne);
    expect(bucket.tokens).toBe(0);
  });

  it('the same with the clock option: a VirtualClock, and a clock made by FakeTimers.createClock()', async () => {
    const virtual = new VirtualClock(500);
    const bucket = new TokenBucket({ capacity: 5, refillIntervalMs: 1000, clock: virtual });
    const admitted = Array.from({ length: 10 }, async () => {
      await bucket.acquire();
      return virtual.now() - 500;
    });
    await virtual.runAll();
    expect(await Promise.all(admitted)).toStrictEqual(fiveThenOne);

    const sinon = FakeTimers.createClock(500);
    const clock: Clock = { now: () => sinon.now, setTimeout: (fn, ms) => sinon.setTimeout(fn, ms), clearTimeout: (h) => sinon.clearTimeout(h as never) };
    const other = new TokenBucket({ capacity: 5, refillIntervalMs: 1000, clock });
    const times = Array.from({ length: 10 }, async () => {
      await other.acquire();
      return sinon.now - 500;
    });
    await sinon.runAllAsync();
    expect(await Promise.all(times)).toStrictEqual(fiveThenOne);
    expect(now()).toBe(0); // the global fake clock never moved
  });

  it('initialTokens: 0 starts empty', async () => {
    const bucket = new TokenBucket({ capacity: 5, refillIntervalMs: 1000, initialTokens: 0 });
    expect(bucket.tokens).toBe(0);
    expect(bucket.available).toBe(0);
    expect(bucket.tryAcquire()).toBeUndefined();
    expect(bucket.retryAfterMs(1)).toBe(1000);
    expect(bucket.retryAfterMs(5)).toBe(5000);
    const first = track(bucket.acquire());
    await fake.clock.tickAsync(999);
    expect(first.settled).toBe(false);
    await fake.clock.tickAsync(1);
    expect(first.at).toBe(1000);
  });

  it('refills are counted from construction, not from first use', async () => {
    const bucket = new TokenBucket({ capacity: 5, refillIntervalMs: 1000 });
    await fake.clock.tickAsync(700);
    for (let i = 0; i < 5; i++) expect(bucket.tryAcquire()).toBeDefined();
    expect(bucket.tokens).toBe(0);
    expect(bucket.retryAfterMs()).toBe(300);
    const next = track(bucket.acquire());
    const after = track(bucket.acquire());
    await fake.clock.tickAsync(300);
    expect(next.at).toBe(1000);
    await fake.clock.tickAsync(1000);
    expect(after.at).toBe(2000);
  });

  it('refills are capped at capacity; the tokens getter reads the count now', async () => {
    const bucket = new TokenBucket({ capacity: 5, refillIntervalMs: 1000, initialTokens: 2 });
    expect(bucket.tokens).toBe(2);
    await fake.clock.tickAsync(999);
    expect(bucket.tokens).toBe(2);
    await fake.clock.tickAsync(1);
    expect(bucket.tokens).toBe(3);
    await fake.clock.tickAsync(60_000);
    expect(bucket.tokens).toBe(5);
    bucket.tryAcquire(4);
    expect(bucket.tokens).toBe(1);
    await fake.clock.tickAsync(1000); // still on the construction grid: 62 000
    expect(bucket.tokens).toBe(2);
  });

  it('refillAmount > 1 adds that many per step, capped', async () => {
    const bucket = new TokenBucket({ capacity: 10, refillAmount: 3, refillIntervalMs: 1000, initialTokens: 0 });
    expect(bucket.retryAfterMs(7)).toBe(3000);
    const seven = track(bucket.acquire(7));
    await fake.clock.tickAsync(2999);
    expect(seven.settled).toBe(false);
    await fake.clock.tickAsync(1);
    expect(seven.at).toBe(3000);
    expect(bucket.tokens).toBe(2); // 9 - 7
    const ten = track(bucket.acquire(10));
    expect(bucket.retryAfterMs(10)).toBe(3000); // 2 + 3 × 3 = 11, capped at 10
    await fake.clock.tickAsync(3000);
    expect(ten.at).toBe(6000);
    await fake.clock.tickAsync(10_000);
    expect(bucket.tokens).toBe(10);
  });

  it('fractional costs and refills', async () => {
    const bucket = new TokenBucket({ capacity: 2, refillAmount: 0.5, refillIntervalMs: 100, initialTokens: 0 });
    const one = track(bucket.acquire(1.5));
    await fake.clock.tickAsync(300);
    expect(one.at).toBe(300);
    expect(bucket.tokens).toBe(0);
  });

  describe('maxWaitMs', () => {
    it('a wait the refills alone make too long rejects at once with waitedMs 0', async () => {
      const events: string[] = [];
      const bucket = new TokenBucket({ capacity: 5, refillIntervalMs: 1000, initialTokens: 0, onEvent: (e) => events.push(`${e.type}@${e.at}`) });
      const late = track(bucket.acquire(3, { maxWaitMs: 2999 }));
      await fake.clock.tickAsync(0);
      expect(late.at).toBe(0);
      expect(late.error).toBeInstanceOf(MaxWaitExceededError);
      expect(late.error).toMatchObject({ maxWaitMs: 2999, waitedMs: 0, code: 'ERR_MAX_WAIT_EXCEEDED' });
      expect(events).toStrictEqual(['timeout@0']);
      expect(bucket.pending).toBe(0);
      expect(bucket.stats().timedOut).toBe(1);
      const inTime = track(bucket.acquire(3, { maxWaitMs: 3000 }));
      await fake.clock.tickAsync(3000);
      expect(inTime.at).toBe(3000);
    });

    it('a waiter stuck behind the queue times out at its deadline; nothing is taken', async () => {
      const bucket = new TokenBucket({ capacity: 5, refillIntervalMs: 1000, initialTokens: 0, maxWaitMs: 2000 });
      const head = track(bucket.acquire(5, { maxWaitMs: Infinity }));
      const behind = track(bucket.acquire(1)); // the refills alone would pay it at 1000
      await fake.clock.tickAsync(1999);
      expect(behind.settled).toBe(false);
      await fake.clock.tickAsync(1);
      expect(behind.at).toBe(2000);
      expect(behind.error).toMatchObject({ maxWaitMs: 2000, waitedMs: 2000 });
      await fake.clock.tickAsync(3000);
      expect(head.at).toBe(5000);
      expect(bucket.tokens).toBe(0);
    });
  });

  it('constructor: bad options throw naming the option', () => {
    expectNumberOption((capacity) => new TokenBucket({ capacity, refillIntervalMs: 1 } as never), 'capacity');
    expectNumberOption((refillIntervalMs) => new TokenBucket({ capacity: 1, refillIntervalMs } as never), 'refillIntervalMs');
    expectNumberOption((refillAmount) => new TokenBucket({ capacity: 1, refillIntervalMs: 1, refillAmount } as never), 'refillAmount', { required: false });
    expectNumberOption((initialTokens) => new TokenBucket({ capacity: 1, refillIntervalMs: 1, initialTokens } as never), 'initialTokens', { required: false, zeroOk: true });
    expectBadOption(() => new TokenBucket({ capacity: 5, refillIntervalMs: 1, initialTokens: 6 }), RangeError, 'initialTokens', '6');
    expectCommonOptions((extra) => new TokenBucket({ capacity: 1, refillIntervalMs: 1, ...extra }));
    expectBadOption(() => new TokenBucket(undefined as never), TypeError, 'capacity');
    expectBadOption(() => new TokenBucket({ capacity: 5 } as never), TypeError, 'refillIntervalMs');
  });
});
