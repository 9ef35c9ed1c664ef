import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeakyBucketLimiter, TokenBucket } from '../../src/index.js';
import { replayRate } from '../support/model-harness.js';
import { type RateJob, simulateLeaky, simulateTokenQueue, simulateTokens } from './models.js';

/** Override for a longer hunt: `MODEL_RUNS=5000 MODEL_SEED=7 npx vitest run test/model`. */
const RUNS = Number(process.env.MODEL_RUNS ?? 150);
const seed = (fixed: number) => (process.env.MODEL_SEED === undefined ? fixed : Number(process.env.MODEL_SEED));

const rateJobs = (maxCost: number, maxArrival: number) =>
  fc.array(fc.record({ arrival: fc.integer({ min: 0, max: maxArrival }), cost: fc.integer({ min: 1, max: maxCost }) }), {
    minLength: 1,
    maxLength: 20,
  });

/** The model takes jobs in the order they call `acquire`: by arrival, then job order. */
const inCallOrder = (jobs: readonly RateJob[]) =>
  jobs.map((job, i) => ({ job, i })).sort((a, b) => a.job.arrival - b.job.arrival || a.i - b.i);

describe('LeakyBucketLimiter against a GCRA model', () => {
  it('the model reproduces the aiolimiter reference runs', () => {
    const ten = Array.from({ length: 10 }, (_, i) => ({ arrival: 10 * i, cost: 1 }));
    expect(simulateLeaky(4, 8000, ten)).toEqual([0, 10, 20, 30, 2000, 4000, 6000, 8000, 10000, 12000]);
    const five = Array.from({ length: 5 }, (_, i) => ({ arrival: 10 * i, cost: 1 }));
    expect(simulateLeaky(1, 1500, five)).toEqual([0, 1500, 3000, 4500, 6000]);
  });

  it('admits each job at the first whole ms the model allows (< 1 ms after the continuous instant); the level never exceeds maxRate; any window [a_i, a_j] holds at most maxRate + rate × (a_j − a_i)', async () => {
    const arb = fc.record({
      maxRate: fc.integer({ min: 1, max: 8 }),
      periodMs: fc.integer({ min: 1, max: 400 }),
    });
    await fc.assert(
      fc.asyncProperty(
        arb.chain((o) => fc.record({ o: fc.constant(o), jobs: rateJobs(o.maxRate, 300) })),
        async ({ o, jobs }) => {
          const order = inCallOrder(jobs);
          const model = simulateLeaky(
            o.maxRate,
            o.periodMs,
            order.map((x) => x.job),
          );
          const expected: number[] = [];
          order.forEach((x, k) => (expected[x.i] = model[k]!));
          const actual = await replayRate(
            (clock, onEvent) => new LeakyBucketLimiter({ ...o, clock, onEvent }),
            jobs,
            (limiter, e) => {
              const level = (limiter as LeakyBucketLimiter).level;
              return level > o.maxRate + 1e-9 ? `t=${e.at}: level ${level} > maxRate ${o.maxRate}` : undefined;
            },
          );
          expect(actual.violations).toEqual([]);
          expect(actual.admittedAt).toEqual(expected);
          // In continuous time, given the admissions that really happened, each one is less than
          // 1 ms after the instant it became allowed (timers fire on whole ms), and never before.
          const rate = o.maxRate / o.periodMs;
          let tat = -Infinity;
          let previous = -Infinity;
          for (const x of order) {
            const at = actual.admittedAt[x.i]!;
            const earliest = Math.max(x.job.arrival, previous, tat - (o.maxRate - x.job.cost) / rate);
            expect(at).toBeGreaterThanOrEqual(earliest - 1e-9);
            expect(at).toBeLessThan(earliest + 1);
            tat = Math.max(tat, at) + x.job.cost / rate;
            previous = at;
          }
          // The leaky bucket's window bound, checked on the admissions alone.
          const admitted = order.map((x) => ({ at: actual.admittedAt[x.i]!, cost: x.job.cost }));
          for (let a = 0; a < admitted.length; a++) {
            let sum = 0;
            for (let b = a; b < admitted.length; b++) {
              sum += admitted[b]!.cost;
              expect(sum).toBeLessThanOrEqual(o.maxRate + ((admitted[b]!.at - admitted[a]!.at) * o.maxRate) / o.periodMs + 1e-9);
            }
          }
        },
      ),
      { seed: seed(0x7021), numRuns: RUNS },
    );
  });
});

describe('TokenBucket against a refill-by-refill model', () => {
  it('admits each job exactly at the model instant (its arrival or a refill step), never holding more than capacity', async () => {
    const arb = fc
      .record({
        capacity: fc.integer({ min: 1, max: 6 }),
        refillAmount: fc.integer({ min: 1, max: 3 }),
        refillIntervalMs: fc.integer({ min: 1, max: 50 }),
      })
      .chain((o) =>
        fc.record({
          o: fc.constant(o),
          initialTokens: fc.integer({ min: 0, max: o.capacity }),
          jobs: rateJobs(o.capacity, 200),
        }),
      );
    await fc.assert(
      fc.asyncProperty(arb, async ({ o, initialTokens, jobs }) => {
        const order = inCallOrder(jobs);
        const model = simulateTokens(
          o.capacity,
          o.refillAmount,
          o.refillIntervalMs,
          initialTokens,
          order.map((x) => x.job),
        );
        const expected: number[] = [];
        order.forEach((x, k) => (expected[x.i] = model[k]!));
        // Two models written differently agree before either is trusted.
        expect(simulateTokenQueue(o.capacity, o.refillAmount, o.refillIntervalMs, initialTokens, 'fifo', jobs)).toEqual(expected);
        const actual = await replayRate(
          (clock, onEvent) => new TokenBucket({ ...o, initialTokens, clock, onEvent }),
          jobs,
          (limiter, e) => {
            const tokens = (limiter as TokenBucket).tokens;
            return tokens < -1e-9 || tokens > o.capacity ? `t=${e.at}: ${tokens} tokens` : undefined;
          },
        );
        expect(actual.violations).toEqual([]);
        expect(actual.admittedAt).toEqual(expected);
        for (const [i, at] of actual.admittedAt.entries()) {
          // Waiting is only ever for a refill step.
          if (at! > jobs[i]!.arrival) expect(at! % o.refillIntervalMs).toBe(0);
        }
      }),
      { seed: seed(0x7022), numRuns: RUNS },
    );
  });

  it('opportunistic: a refill step is a scan, so a payable waiter parked by fair entry is admitted at the next refill', async () => {
    const arb = fc
      .record({
        capacity: fc.integer({ min: 1, max: 6 }),
        refillAmount: fc.integer({ min: 1, max: 3 }),
        refillIntervalMs: fc.integer({ min: 1, max: 50 }),
      })
      .chain((o) => fc.record({ o: fc.constant(o), initialTokens: fc.integer({ min: 0, max: o.capacity }), jobs: rateJobs(o.capacity, 200) }));
    await fc.assert(
      fc.asyncProperty(arb, async ({ o, initialTokens, jobs }) => {
        const expected = simulateTokenQueue(o.capacity, o.refillAmount, o.refillIntervalMs, initialTokens, 'opportunistic', jobs);
        const actual = await replayRate(
          (clock, onEvent) => new TokenBucket({ ...o, initialTokens, admission: 'opportunistic', clock, onEvent }),
          jobs,
        );
        expect(actual.admittedAt).toEqual(expected);
      }),
      { seed: seed(0x7023), numRuns: RUNS },
    );
  });
});
