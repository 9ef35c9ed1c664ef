import { describe, expect, it } from 'vitest';
import { LeakyBucketLimiter, type Permit } from '../../src/index.js';
import { expectBadOption, expectCommonOptions, expectNumberOption, now, sleep, track, useFakeTimers } from '../support/fake-timers.js';

const fake = useFakeTimers();

/** aiolimiter's documentation: tasks arrive at `arrivals` and each acquires 1. */
async function admissions(limiter: LeakyBucketLimiter, arrivals: number[]): Promise<number[]> {
  const admitted = arrivals.map(async (at) => {
    await sleep(at);
    await limiter.acquire();
    return now();
  });
  await fake.clock.runAllAsync();
  return Promise.all(admitted);
}

describe('LeakyBucketLimiter', () => {
  it('aiolimiter run 1: maxRate 4 per 8 s, ten tasks 10 ms apart', async () => {
    const limiter = new LeakyBucketLimiter({ maxRate: 4, periodMs: 8000 });
    const arrivals = Array.from({ length: 10 }, (_, i) => i * 10);
    expect(await admissions(limiter, arrivals)).toStrictEqual([0, 10, 20, 30, 2000, 4000, 6000, 8000, 10000, 12000]);
  });

  it('aiolimiter run 2: maxRate 1 per 1.5 s, five tasks 10 ms apart', async () => {
    const limiter = new LeakyBucketLimiter({ maxRate: 1, periodMs: 1500 });
    expect(await admissions(limiter, [0, 10, 20, 30, 40])).toStrictEqual([0, 1500, 3000, 4500, 6000]);
  });

  it('periodMs defaults to one minute', async () => {
    const limiter = new LeakyBucketLimiter({ maxRate: 2 });
    limiter.tryAcquire(2);
    expect(limiter.retryAfterMs(1)).toBe(30_000);
  });

  it('level drains continuously and never below 0', async () => {
    const limiter = new LeakyBucketLimiter({ maxRate: 4, periodMs: 8000 }); // 1 unit per 2 s
    expect(limiter.level).toBe(0);
    limiter.tryAcquire(3);
    expect(limiter.level).toBe(3);
    await fake.clock.tickAsync(2000);
    expect(limiter.level).toBe(2);
    await fake.clock.tickAsync(1000);
    expect(limiter.level).toBe(1.5);
    expect(limiter.available).toBe(2.5);
    await fake.clock.tickAsync(60_000);
    expect(limiter.level).toBe(0);
    expect(limiter.available).toBe(4);
  });

  it('fractional amounts: eight halves fill a bucket of 4; the ninth waits for half a unit to drain', async () => {
    const limiter = new LeakyBucketLimiter({ maxRate: 4, periodMs: 8000 });
    for (let i = 0; i < 8; i++) expect(limiter.tryAcquire(0.5)?.cost).toBe(0.5);
    expect(limiter.level).toBe(4);
    expect(limiter.hasCapacity(0.5)).toBe(false);
    const ninth = track(limiter.acquire(0.5));
    expect(limiter.retryAfterMs(0.5)).toBe(1000);
    await fake.clock.tickAsync(999);
    expect(ninth.settled).toBe(false);
    await fake.clock.tickAsync(1);
    expect(ninth.at).toBe(1000);
    expect(limiter.level).toBe(4);
  });

  it('an amount above maxRate is a RangeError naming the amount and the capacity', async () => {
    const limiter = new LeakyBucketLimiter({ maxRate: 4, periodMs: 1000 });
    for (const call of [() => limiter.hasCapacity(5), () => limiter.tryAcquire(4.5)]) {
      expect(call).toThrow(RangeError);
      expect(call).toThrow(/4/);
    }
    const error = (await limiter.acquire(5).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toMatch(/cost/);
    expect(error.message).toContain('5');
    expect(error.message).toContain('4');
    expect(() => limiter.hasCapacity(-1)).toThrow(RangeError);
    expect(() => limiter.hasCapacity(NaN)).toThrow(RangeError);
    expect(() => limiter.hasCapacity('1' as never)).toThrow(TypeError);
    expect(limiter.hasCapacity(4)).toBe(true);
    expect(limiter.hasCapacity()).toBe(true);
    expect(limiter.level).toBe(0);
  });

  it('hasCapacity(amount) is true exactly when tryAcquire(amount) succeeds, in many states', async () => {
    const limiter = new LeakyBucketLimiter({ maxRate: 4, periodMs: 1000 });
    const amounts = [0, 0.25, 0.5, 1, 1.5, 2.75, 4];
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const waiters: Promise<Permit>[] = [];
    let checked = 0;
    let successes = 0;
    for (let step = 0; step < 600; step++) {
      const r = random();
      if (r < 0.05) waiters.push(limiter.acquire(amounts[1 + Math.floor(random() * 6)]!).catch(() => undefined as never));
      else if (r < 0.07) limiter.pause(Math.floor(random() * 300));
      await fake.clock.tickAsync(Math.floor(random() * 400) + (random() < 0.5 ? 0 : 0.5));
      const answers = amounts.map((a) => limiter.hasCapacity(a));
      // Monotone in the amount, and agrees with the budget alone when nobody waits and no pause.
      for (let i = 1; i < answers.length; i++) if (answers[i]) expect(answers[i - 1]).toBe(true);
      if (limiter.pending > 0 || limiter.stats().pausedUntil !== undefined) {
        expect(answers.slice(1).some(Boolean)).toBe(false);
      } else {
        for (const [i, a] of amounts.entries()) expect(answers[i]).toBe(a <= limiter.available);
      }
      const pick = Math.floor(random() * amounts.length);
      const permit = limiter.tryAcquire(amounts[pick]!);
      expect(permit !== undefined).toBe(answers[pick]);
      checked++;
      if (permit !== undefined && amounts[pick]! > 0) successes++;
    }
    expect(checked).toBe(600);
    expect(successes).toBeGreaterThan(50); // the walk visited states where it succeeds...
    expect(successes).toBeLessThan(550); // ...and where it does not
    limiter.close();
    expect(limiter.hasCapacity(1)).toBe(false);
    expect(() => limiter.tryAcquire(1)).toThrow();
    await Promise.all(waiters);
  });

  it('hasCapacity at the exact instant the level allows it', async () => {
    const limiter = new LeakyBucketLimiter({ maxRate: 4, periodMs: 8000 });
    limiter.tryAcquire(4);
    await fake.clock.tickAsync(1999);
    expect(limiter.hasCapacity(1)).toBe(false);
    expect(limiter.hasCapacity(0.99)).toBe(true); // level 3.0005
    expect(limiter.tryAcquire(1)).toBeUndefined();
    await fake.clock.tickAsync(1);
    expect(limiter.hasCapacity(1)).toBe(true);
    expect(limiter.tryAcquire(1)).toBeDefined();
    expect(limiter.hasCapacity(0)).toBe(true);
  });

  it('fifo by default: a big request is never starved by smaller ones (unlike aiolimiter)', async () => {
    const limiter = new LeakyBucketLimiter({ maxRate: 4, periodMs: 4000 }); // 1 unit per second
    limiter.tryAcquire(4);
    const big = track(limiter.acquire(4));
    const small = track(limiter.acquire(1));
    await fake.clock.runAllAsync();
    expect(big.at).toBe(4000);
    expect(small.at).toBe(5000);
  });

  it('a wait the drain alone makes longer than maxWaitMs rejects at once with waitedMs 0', async () => {
    const limiter = new LeakyBucketLimiter({ maxRate: 4, periodMs: 8000, maxWaitMs: 1999 });
    limiter.tryAcquire(4);
    const late = track(limiter.acquire(1));
    await fake.clock.tickAsync(0);
    expect(late.at).toBe(0);
    expect(late.error).toMatchObject({ code: 'ERR_MAX_WAIT_EXCEEDED', maxWaitMs: 1999, waitedMs: 0 });
    const inTime = track(limiter.acquire(1, { maxWaitMs: 2000 }));
    await fake.clock.tickAsync(2000);
    expect(inTime.at).toBe(2000);
  });

  it('constructor: bad options throw naming the option', () => {
    expectNumberOption((maxRate) => new LeakyBucketLimiter({ maxRate } as never), 'maxRate');
    expectNumberOption((periodMs) => new LeakyBucketLimiter({ maxRate: 1, periodMs } as never), 'periodMs', { required: false });
    expectCommonOptions((extra) => new LeakyBucketLimiter({ maxRate: 1, ...extra }));
    expectBadOption(() => new LeakyBucketLimiter(undefined as never), TypeError, 'maxRate');
    expectBadOption(() => new LeakyBucketLimiter('4' as never), TypeError, 'options');
  });
});
