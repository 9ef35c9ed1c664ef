// One answer (docs/semantics.md §16): at any instant, for any cost c, tryAcquire(c) succeeds ⇔
// hasCapacity(c) ⇔ (c <= available, nobody queued, not paused) ⇔ (retryAfterMs(c) === 0, nobody
// queued, not paused); available <= capacity always. History does not leak: what a limiter can
// pay depends on its state, never on the order that led there (reading never changes a later
// admission: every history run twice, here and in test/exact/liveness.test.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcurrencySemaphore, CreditSemaphore, LeakyBucketLimiter, SlidingWindowLimiter, Throttle, TokenBucket, VirtualClock } from '../../src/index.js';
import { Quantum } from '../../src/core/quantum.js';
import { costOf, costSpec, configs, flush, KINDS, op, Run, runs, SEED, type AnyLimiter } from '../support/exact-setup.js';

/** Checks the four answers agree for `cost`, then takes the permit if admitted (kept in `held`). */
function checkOneAnswer(run: Run, cost: number): void {
  const l = run.limiter;
  const available = l.available;
  const pending = l.pending;
  const paused = l.stats().pausedUntil !== undefined;
  const retry = l.retryAfterMs(cost);
  const has = l instanceof LeakyBucketLimiter ? l.hasCapacity(cost) : undefined;
  expect(available).toBeLessThanOrEqual(run.capacity);
  expect(available).toBeGreaterThanOrEqual(0);
  const byAvailable = cost <= available && pending === 0 && !paused;
  const byRetry = retry === 0 && pending === 0 && !paused;
  const permit = l.tryAcquire(cost);
  const what = `cost ${cost}, available ${available}, retryAfterMs ${retry}, pending ${pending}, paused ${paused}, at ${run.clock.now()}`;
  expect(permit !== undefined, `tryAcquire vs available: ${what}`).toBe(byAvailable);
  expect(permit !== undefined, `tryAcquire vs retryAfterMs: ${what}`).toBe(byRetry);
  if (has !== undefined) expect(permit !== undefined, `tryAcquire vs hasCapacity: ${what}`).toBe(has);
  if (permit !== undefined) run.held.push(permit);
}

describe('one answer at random states (docs/semantics.md §16)', () => {
  for (const kind of KINDS) {
    it(`${kind}: tryAcquire ⇔ hasCapacity ⇔ c <= available ⇔ retryAfterMs === 0 (nobody queued, not paused)`, async () => {
      await fc.assert(
        fc.asyncProperty(configs[kind], fc.array(fc.tuple(op, fc.array(costSpec, { maxLength: 3 })), { minLength: 10, maxLength: 40, size: 'max' }), async (config, steps) => {
          const run = new Run(config);
          for (const [o, costs] of steps) {
            await run.step(o);
            for (const c of costs) checkOneAnswer(run, costOf(c, run.capacity, run.scale));
            // The boundary itself: exactly what is available, and one quantum more.
            const a = run.limiter.available;
            if (a > 0) checkOneAnswer(run, a);
            const more = Math.round(run.limiter.available * run.scale + 1) / run.scale;
            if (more <= run.capacity) checkOneAnswer(run, more);
          }
          run.limiter.close();
        }),
        { seed: SEED, numRuns: runs(30) },
      );
    });
  }

  // BUGS.md "Quantum: 1e-9 is finer than a double near 9e6" (fixed: 2^50 quanta at most).
  it('large capacities (up to 2^50 quanta and past them): tryAcquire(available) succeeds after any take', () => {
    fc.assert(
      fc.property(fc.constantFrom(1.1e6, 9e6, 123_456_789, 2 ** 53), fc.double({ min: 0, max: 1, noNaN: true }), (capacity, part) => {
        const sem = new CreditSemaphore({ capacity });
        const scale = Quantum.for(capacity).scale;
        const taken = Math.min(Math.round(capacity * scale) - 1, Math.max(1, Math.round(capacity * scale * part))) / scale;
        expect(sem.tryAcquire(taken), `take ${taken}`).toBeDefined();
        const a = sem.available;
        expect(sem.retryAfterMs(a), `available ${a} after ${taken}`).toBe(0);
        expect(sem.tryAcquire(a), `available ${a} after ${taken}`).toBeDefined();
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('reading never changes a later admission (docs/semantics.md §16)', () => {
  for (const kind of KINDS) {
    it(`${kind}: the same history run twice, once reading tokens/level/used/available/stats()/retryAfterMs at every step, admits the same at the same instants`, async () => {
      await fc.assert(
        fc.asyncProperty(configs[kind], fc.array(op, { minLength: 10, maxLength: 40, size: 'max' }), async (config, ops) => {
          const plain = new Run(config);
          const reading = new Run(config, true);
          for (const o of ops) {
            await plain.step(o);
            await reading.step(o);
            expect(reading.log).toEqual(plain.log);
            expect(reading.limiter.pending).toBe(plain.limiter.pending);
          }
          await plain.clock.advance(5_000.5);
          await reading.clock.advance(5_000.5);
          expect(reading.log).toEqual(plain.log);
          plain.limiter.close();
          reading.limiter.close();
        }),
        { seed: SEED, numRuns: runs(20) },
      );
    });
  }
});

describe('history does not leak (docs/semantics.md §16)', () => {
  /** Everything a caller can learn about what a limiter pays, for costs around what is available. */
  function answers(l: AnyLimiter, capacity: number): unknown[] {
    const costs = [1e-9, 0.1, 0.7, 0.8, 0.8 + 1e-9, capacity - 1e-9, capacity, l.available, Math.round(l.available * 1e9 + 1) / 1e9].filter((c) => c > 0 && c <= capacity);
    return [l.available, ...costs.map((c) => l.retryAfterMs(c)), ...costs.map((c) => (l instanceof LeakyBucketLimiter ? l.hasCapacity(c) : c <= l.available))];
  }

  it('CreditSemaphore: took 0.1 and 0.2 and released the 0.1 pays exactly what a fresh one holding 0.2 pays', () => {
    const a = new CreditSemaphore({ capacity: 1 });
    const p = a.tryAcquire(0.1)!;
    a.tryAcquire(0.2);
    p.release();
    const b = new CreditSemaphore({ capacity: 1 });
    b.tryAcquire(0.2);
    expect(answers(a, 1)).toEqual(answers(b, 1));
    expect(a.available).toBe(0.8);
    expect(a.tryAcquire(0.8)).toBeDefined();
    expect(b.tryAcquire(0.8)).toBeDefined();
    expect(a.tryAcquire(1e-9)).toBeUndefined();
    expect(b.tryAcquire(1e-9)).toBeUndefined();
  });

  it('CreditSemaphore with refunds: the same credits due back at the same instants, in any order of release', async () => {
    const clock = new VirtualClock(0.5);
    const a = new CreditSemaphore({ capacity: 3, clock });
    const b = new CreditSemaphore({ capacity: 3, clock });
    const pa = [0.1, 0.2, 0.7, 1.1].map((c) => a.acquire(c, { refundMs: 10 }));
    const pb = [1.1, 0.7, 0.2, 0.1].map((c) => b.acquire(c, { refundMs: 10 }));
    await flush();
    for (const p of pa) (await p).release();
    for (const p of pb.reverse()) (await p).release();
    expect(answers(a, 3)).toEqual(answers(b, 3));
    expect(a.refunding).toBe(b.refunding);
    expect(a.refunding).toBe(2.1);
    await clock.advance(10);
    expect(a.available).toBe(3);
    expect(b.available).toBe(3);
  });

  it('ConcurrencySemaphore: any sequence of takes and releases leaving the same held cost answers the same', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 1, maxLength: 30 }), fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }), (costs, keep) => {
        const a = new ConcurrencySemaphore({ capacity: 10 });
        const kept: number[] = [];
        for (const [i, units] of costs.entries()) {
          const cost = units / 1e3;
          const permit = a.tryAcquire(cost);
          if (permit === undefined) continue;
          if (keep[i]) kept.push(units);
          else permit.release();
        }
        const b = new ConcurrencySemaphore({ capacity: 10 });
        const total = kept.reduce((s, u) => s + u, 0);
        if (total > 0) b.tryAcquire(total / 1e3);
        expect(answers(a, 10)).toEqual(answers(b, 10));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('LeakyBucketLimiter: 0.1 and 0.2 at one instant leave the level 0.3 leaves, now and as it drains', async () => {
    const clock = new VirtualClock(0.3);
    const a = new LeakyBucketLimiter({ maxRate: 1, periodMs: 7, clock });
    const b = new LeakyBucketLimiter({ maxRate: 1, periodMs: 7, clock });
    a.tryAcquire(0.1);
    a.tryAcquire(0.2);
    b.tryAcquire(0.3);
    for (let i = 0; i < 30; i++) {
      expect(answers(a, 1)).toEqual(answers(b, 1));
      expect(a.level).toBe(b.level);
      await clock.advance(0.1);
    }
  });

  it('SlidingWindowLimiter and TokenBucket: 0.1 + 0.2 pays what 0.3 pays, now and later', async () => {
    const clock = new VirtualClock(0.25);
    const make = () => [new SlidingWindowLimiter({ limit: 1, windowMs: 2.5, clock }), new TokenBucket({ capacity: 1, refillAmount: 0.1, refillIntervalMs: 0.7, clock }), new Throttle({ limits: [{ rate: 1, periodMs: 2.5 }, { rate: 2, periodMs: 3, kind: 'leaky' }], clock })] as const;
    const split = make();
    const whole = make();
    for (const l of split) {
      l.tryAcquire(0.1);
      l.tryAcquire(0.2);
    }
    for (const l of whole) l.tryAcquire(0.3);
    for (let i = 0; i < 40; i++) {
      for (let k = 0; k < split.length; k++) expect(answers(split[k]!, 1), `limiter ${k} at ${clock.now()}`).toEqual(answers(whole[k]!, 1));
      await clock.advance(0.1);
    }
  });
});
