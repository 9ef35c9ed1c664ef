import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingWindowLimiter } from '../../src/index.js';
import { replayRate } from '../support/model-harness.js';
import { type RateJob, simulateSliding } from './models.js';

/** Override for a longer hunt: `MODEL_RUNS=5000 MODEL_SEED=7 npx vitest run test/model`. */
const RUNS = Number(process.env.MODEL_RUNS ?? 150);
const seed = (fixed: number) => (process.env.MODEL_SEED === undefined ? fixed : Number(process.env.MODEL_SEED));

/** The model takes jobs in the order they call `acquire`: by arrival, then job order. */
const inCallOrder = (jobs: readonly RateJob[]) =>
  jobs.map((job, i) => ({ job, i })).sort((a, b) => a.job.arrival - b.job.arrival || a.i - b.i);

describe('SlidingWindowLimiter against a model (docs/semantics.md §10.5)', () => {
  it('the model: ten per second means the eleventh waits for the first to leave the window', () => {
    const burst = Array.from({ length: 12 }, (_, i) => ({ arrival: 10 * i, cost: 1 }));
    expect(simulateSliding(10, 1_000, burst)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 1000, 1010]);
  });

  it('admits each job at the model’s instant, and no window [t, t + windowMs) ever holds more than limit', async () => {
    const arb = fc.record({ limit: fc.integer({ min: 1, max: 8 }), windowMs: fc.integer({ min: 1, max: 400 }) });
    await fc.assert(
      fc.asyncProperty(
        arb.chain((o) =>
          fc.record({
            o: fc.constant(o),
            // Quarter costs: fractional, yet exact in binary and in quanta.
            jobs: fc.array(fc.record({ arrival: fc.integer({ min: 0, max: 600 }), cost: fc.integer({ min: 1, max: 4 * o.limit }).map((q) => q / 4) }), { minLength: 1, maxLength: 20 }),
          }),
        ),
        async ({ o, jobs }) => {
          const order = inCallOrder(jobs);
          const model = simulateSliding(o.limit, o.windowMs, order.map((x) => x.job));
          const expected: number[] = [];
          order.forEach((x, k) => (expected[x.i] = model[k]!));
          const actual = await replayRate((clock, onEvent) => new SlidingWindowLimiter({ ...o, clock, onEvent }), jobs);
          expect(actual.admittedAt).toEqual(expected);
          const at = actual.admittedAt as number[];
          for (const start of at) {
            const inWindow = jobs.reduce((sum, job, i) => (at[i]! >= start && at[i]! < start + o.windowMs ? sum + job.cost : sum), 0);
            expect(inWindow).toBeLessThanOrEqual(o.limit);
          }
        },
      ),
      { numRuns: RUNS, seed: seed(0x51d3) },
    );
  });
});
