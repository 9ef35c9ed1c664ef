import { describe, expect, it } from 'vitest';
import { type Permit, Throttle } from '../../src/index.js';
import { expectBadOption, expectCommonOptions, expectNumberOption, now, sleep, track, useFakeTimers } from '../support/fake-timers.js';

const fake = useFakeTimers();

/** Starts `count` calls through `throttle.run` at once; each records its start and takes `workMs`. */
async function starts(throttle: Throttle, count: number, workMs: number, cost = 1) {
  let running = 0;
  let peak = 0;
  const at: number[] = [];
  const calls = Array.from({ length: count }, () =>
    throttle.run(
      async () => {
        at.push(now());
        peak = Math.max(peak, ++running);
        if (workMs > 0) await sleep(workMs);
        running--;
      },
      { cost },
    ),
  );
  await fake.clock.runAllAsync();
  await Promise.all(calls);
  return { at, peak };
}

describe('Throttle', () => {
  describe('async-throttle scenarios', () => {
    it('two at a time: long calls are paced by the concurrency limit', async () => {
      const throttle = new Throttle({ rate: 10, periodMs: 1000, concurrency: 2 });
      const { at, peak } = await starts(throttle, 6, 400);
      expect(at).toStrictEqual([0, 0, 400, 400, 800, 800]);
      expect(peak).toBe(2);
    });

    it('ten per second, sliding (the default): never more than ten in any second', async () => {
      const throttle = new Throttle({ rate: 10, periodMs: 1000, concurrency: 2 });
      const { at, peak } = await starts(throttle, 15, 0);
      expect(at).toStrictEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000, 1000, 1000, 1000, 1000]);
      expect(peak).toBeLessThanOrEqual(2);
    });

    it('ten per second, leaky: quick calls are paced by the rate (a burst of ten, then one per 100 ms)', async () => {
      const throttle = new Throttle({ rate: 10, periodMs: 1000, kind: 'leaky', concurrency: 2 });
      const { at, peak } = await starts(throttle, 15, 0);
      expect(at).toStrictEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 200, 300, 400, 500]);
      expect(peak).toBeLessThanOrEqual(2);
    });

    it('a weighted call takes its cost from the rate and one slot', async () => {
      const throttle = new Throttle({ rate: 10, periodMs: 1000, kind: 'leaky', concurrency: 2 });
      const { at } = await starts(throttle, 3, 0, 5);
      expect(at).toStrictEqual([0, 0, 500]);
      expect(throttle.retryAfterMs(5)).toBe(500);
      expect(throttle.tryAcquire(5.5)).toBeUndefined();
      await fake.clock.tickAsync(500);
      const heavy = throttle.tryAcquire(5)!;
      expect(throttle.running).toBe(1);
      heavy.release();
      expect(throttle.running).toBe(0);
    });

    it('pause(ms) answers a 429: nobody is admitted until it ends; a later pause extends, never shortens', async () => {
      const throttle = new Throttle({ rate: 10, periodMs: 1000, concurrency: 2 });
      const first = throttle.run(async () => {
        await sleep(50);
        throttle.pause(1000); // Retry-After: 1 s, from t=50
        return 429;
      });
      await fake.clock.tickAsync(60);
      expect(await first).toBe(429);
      const queued = [1, 2, 3].map(() => track(throttle.acquire()));
      expect(throttle.stats().pausedUntil).toBe(1050);
      expect(throttle.retryAfterMs()).toBe(990);
      await fake.clock.tickAsync(989);
      expect(queued.some((w) => w.settled)).toBe(false);
      await fake.clock.tickAsync(1);
      expect(queued.map((w) => w.at)).toStrictEqual([1050, 1050, undefined]); // two slots
      (queued[0]!.value as Permit).release();
      await fake.clock.tickAsync(0);
      expect(queued[2]!.at).toBe(1050);

      throttle.pause(500); // until 1550
      await fake.clock.tickAsync(100);
      throttle.pause(100); // would end at 1250: ignored
      expect(throttle.stats().pausedUntil).toBe(1550);
      const later = track(throttle.acquire(0.5));
      await fake.clock.tickAsync(200);
      throttle.pause(450); // from 1350: until 1800
      await fake.clock.tickAsync(449);
      expect(later.settled).toBe(false);
      (queued[1]!.value as Permit).release();
      (queued[2]!.value as Permit).release();
      await fake.clock.tickAsync(1);
      expect(later.at).toBe(1800);
    });
  });

  it('never holds a slot while waiting for the rate', async () => {
    const throttle = new Throttle({ rate: 1, periodMs: 1000, kind: 'leaky', concurrency: 2 });
    const first = throttle.tryAcquire()!; // holds a slot, and the rate until 1000
    const waiter = track(throttle.acquire());
    await fake.clock.tickAsync(500);
    expect(throttle.running).toBe(1); // only the admitted one
    expect(throttle.available).toBe(0.5); // the rate, not the slots, is what it waits for
    await fake.clock.tickAsync(500);
    expect(waiter.at).toBe(1000);
    expect(throttle.running).toBe(2);
    first.release();
    expect(throttle.running).toBe(1);
  });

  it('never loses a slot when fn throws, or a waiter is aborted or times out', async () => {
    const throttle = new Throttle({ rate: 1000, periodMs: 1000, concurrency: 1 });
    const boom = new Error('boom');
    await expect(
      throttle.run(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    await expect(throttle.run(() => Promise.reject(boom))).rejects.toBe(boom);
    expect(throttle.running).toBe(0);
    const held = throttle.tryAcquire()!;
    const controller = new AbortController();
    const aborted = track(throttle.acquire(1, { signal: controller.signal }));
    const timedOut = track(throttle.acquire(1, { maxWaitMs: 10 }));
    controller.abort();
    await fake.clock.tickAsync(10);
    expect(aborted.error).toBe(controller.signal.reason);
    expect(timedOut.error).toMatchObject({ code: 'ERR_MAX_WAIT_EXCEEDED' });
    expect(throttle.running).toBe(1);
    held.release();
    expect(throttle.running).toBe(0);
    expect(throttle.tryAcquire()).toBeDefined();
    expect(throttle.running).toBe(1);
  });

  it('running counts admitted and not yet released, whatever their cost, as stats().running does; cost 0 takes no slot', async () => {
    const throttle = new Throttle({ rate: 100, periodMs: 1000, concurrency: 3 });
    const a = throttle.tryAcquire(30)!;
    const b = throttle.tryAcquire(0.5)!;
    const zero = throttle.tryAcquire(0)!;
    expect(throttle.running).toBe(3);
    expect(throttle.stats().running).toBe(3);
    // The cost 0 permit holds no slot: a third one is still free.
    const c = throttle.tryAcquire(1)!;
    expect(c).toBeDefined();
    expect(throttle.running).toBe(4);
    expect(throttle.available).toBe(0);
    expect(throttle.tryAcquire(0.001)).toBeUndefined();
    expect(throttle.retryAfterMs(1)).toBe(Infinity);
    for (const p of [a, b, zero, c, c]) p.release();
    expect(throttle.running).toBe(0);
    expect(throttle.available).toBeCloseTo(100 - 31.5, 10);
  });

  it('concurrency 0 (the default) is unlimited', async () => {
    for (const options of [{ rate: 100 }, { rate: 100, concurrency: 0 }]) {
      const throttle = new Throttle(options);
      const held = Array.from({ length: 50 }, () => throttle.tryAcquire());
      expect(held.every((p) => p !== undefined)).toBe(true);
      // Counted without a concurrency limit too (they hold no slot, but are not released).
      expect(throttle.running).toBe(50);
      expect(throttle.stats().running).toBe(50);
      expect(throttle.available).toBe(50);
    }
  });

  it('periodMs defaults to one second', async () => {
    const throttle = new Throttle({ rate: 4, kind: 'leaky' });
    throttle.tryAcquire(4);
    expect(throttle.retryAfterMs(1)).toBe(250);
    const sliding = new Throttle({ rate: 4 });
    sliding.tryAcquire(4);
    expect(sliding.retryAfterMs(1)).toBe(1000);
  });

  it('limits and rate together is a TypeError; limits are validated one by one', () => {
    expectBadOption(() => new Throttle({ rate: 1, limits: [{ rate: 1 }] }), TypeError, 'limits');
    expectBadOption(() => new Throttle({ periodMs: 1000, limits: [{ rate: 1 }] }), TypeError, 'limits');
    expectBadOption(() => new Throttle({ limits: [] }), TypeError, 'limits');
    expectBadOption(() => new Throttle({ limits: 'fast' as never }), TypeError, 'limits');
    expectBadOption(() => new Throttle({ limits: [{ rate: 1 }, null as never] }), TypeError, 'limits[1]');
    expectBadOption(() => new Throttle({ limits: [{ rate: 1 }, { rate: 0 }] }), RangeError, 'limits[1].rate', '0');
    expectBadOption(() => new Throttle({ limits: [{ rate: 1, periodMs: -5 }] }), RangeError, 'limits[0].periodMs', '-5');
    expect(new Throttle({ limits: [{ rate: 2 }, { rate: 30, periodMs: 60_000 }] }).capacity).toBe(2);
  });

  it('constructor: bad options throw naming the option', () => {
    expectNumberOption((rate) => new Throttle({ rate } as never), 'rate');
    expectNumberOption((periodMs) => new Throttle({ rate: 1, periodMs } as never), 'periodMs', { required: false });
    expectNumberOption((concurrency) => new Throttle({ rate: 1, concurrency } as never), 'concurrency', { required: false, zeroOk: true, integer: true });
    expectCommonOptions((extra) => new Throttle({ rate: 1, ...extra }));
    expectBadOption(() => new Throttle(undefined as never), TypeError, 'rate');
    expectBadOption(() => new Throttle({}), TypeError, 'rate');
  });
});
