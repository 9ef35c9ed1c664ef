import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replayCredits } from '../support/model-harness.js';
import { type CreditJob, type CreditModelOptions, simulateCredits } from './models.js';

/** Override for a longer hunt: `MODEL_RUNS=5000 MODEL_SEED=7 npx vitest run test/model`. */
const RUNS = Number(process.env.MODEL_RUNS ?? 150);
const seed = (fixed: number) => (process.env.MODEL_SEED === undefined ? fixed : Number(process.env.MODEL_SEED));

/** Small ranges on purpose: many jobs share instants, so tie order and fair entry are exercised. */
const creditCase = (maxCapacity: number, withRefunds: boolean) =>
  fc.integer({ min: 1, max: maxCapacity }).chain((capacity) =>
    fc.record({
      capacity: fc.constant(capacity),
      jobs: fc.array(
        fc.record({
          arrival: fc.integer({ min: 0, max: 30 }),
          // Halves are exact in binary, so fractional credits are compared exactly.
          credits: fc.integer({ min: 1, max: 2 * capacity }).map((h) => h / 2),
          workMs: fc.integer({ min: 1, max: 15 }),
          refundMs: withRefunds ? fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 25 })) : fc.constant(0),
          abortAfterMs: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined, freq: 4 }),
          maxWaitMs: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined, freq: 4 }),
        }),
        { minLength: 1, maxLength: 12 },
      ),
    }),
  );

async function check(kind: 'credit' | 'concurrency', options: CreditModelOptions, jobs: CreditJob[]): Promise<void> {
  const expected = simulateCredits(options, jobs);
  const actual = await replayCredits(kind, options, jobs);
  expect(actual.violations).toEqual([]);
  expect(actual.admittedAt).toEqual(expected.admittedAt);
  expect(actual.aborted).toEqual(expected.aborted);
  expect(actual.timedOut).toEqual(expected.timedOut);
}

describe('CreditSemaphore against the model', () => {
  it('the model and the harness reproduce the reference run of docs/semantics.md §10.1 (0, 13, 24, 13, 39, 39 s)', async () => {
    const jobs: CreditJob[] = [
      [20, 3],
      [30, 1],
      [30, 5],
      [5, 4],
      [20, 5],
      [20, 1],
    ].map(([credits, s]) => ({ arrival: 0, credits: credits!, workMs: s! * 1000, refundMs: 10_000 }));
    const options: CreditModelOptions = { capacity: 40, admission: 'opportunistic' };
    const seconds = [0, 13, 24, 13, 39, 39].map((s) => s * 1000);
    expect(simulateCredits(options, jobs).admittedAt).toEqual(seconds);
    const actual = await replayCredits('credit', options, jobs);
    expect(actual.admittedAt).toEqual(seconds);
    expect(actual.violations).toEqual([]);
  });

  it('a payable newcomer parked by fair entry is admitted when the next refund comes due (found by the model)', async () => {
    // t=0: jobs 1 and 3 take 1.5 of 7; at 1 both release (refunds due at 3 and 2) and job 0 (6.5)
    // must wait; job 2 (0.5) fits but parks behind it. At 2 a refund comes due: a scan, job 2 in.
    const jobs: CreditJob[] = [
      { arrival: 1, credits: 6.5, workMs: 1, refundMs: 1 },
      { arrival: 0, credits: 1, workMs: 1, refundMs: 2 },
      { arrival: 1, credits: 0.5, workMs: 1, refundMs: 0 },
      { arrival: 0, credits: 0.5, workMs: 1, refundMs: 1 },
    ];
    const options: CreditModelOptions = { capacity: 7, admission: 'opportunistic' };
    expect(simulateCredits(options, jobs).admittedAt).toEqual([3, 0, 2, 0]);
    const actual = await replayCredits('credit', options, jobs);
    expect(actual.admittedAt).toEqual([3, 0, 2, 0]);
    expect(actual.violations).toEqual([]);
  });

  for (const admission of ['opportunistic', 'fifo'] as const) {
    it(`${admission}: every admission instant equals the model's; credits out never exceed capacity`, async () => {
      await fc.assert(
        fc.asyncProperty(creditCase(8, true), ({ capacity, jobs }) => check('credit', { capacity, admission }, jobs)),
        { seed: seed(0x7011), numRuns: RUNS },
      );
    });
  }

  it('opportunistic with maxBypass: admission instants equal the model, which stops the walk at a waiter bypassed n times', async () => {
    await fc.assert(
      fc.asyncProperty(creditCase(8, true), fc.integer({ min: 1, max: 3 }), ({ capacity, jobs }, maxBypass) =>
        check('credit', { capacity, admission: 'opportunistic', maxBypass }, jobs),
      ),
      { seed: seed(0x7012), numRuns: RUNS },
    );
  });
});

describe('ConcurrencySemaphore against the model', () => {
  it('weighted fifo: every admission instant equals the model (credits back at release)', async () => {
    await fc.assert(
      fc.asyncProperty(creditCase(6, false), ({ capacity, jobs }) => check('concurrency', { capacity, admission: 'fifo' }, jobs)),
      { seed: seed(0x7013), numRuns: RUNS },
    );
  });
});
