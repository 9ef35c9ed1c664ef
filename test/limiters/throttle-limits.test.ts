import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RateLimit, Throttle } from '../../src/index.js';
import { fakeClock } from '../support/fake-clock.js';

interface Job {
  at: number;
  cost: number;
  hold: number;
}
interface Scenario {
  /** Each limit's kind: a sliding one is given without `kind`, so the default is what is tested. */
  limits: Required<RateLimit>[];
  concurrency: number;
  jobs: Job[];
}

/** Runs the scenario on a real Throttle under fake time; returns each job's admission instant. */
async function admissions(s: Scenario): Promise<{ at: number[]; maxRunning: number }> {
  const { fake, clock } = fakeClock();
  const at: number[] = s.jobs.map(() => Number.NaN);
  const throttle = new Throttle({
    limits: s.limits.map(({ kind, ...l }) => (kind === 'leaky' ? { ...l, kind } : l)),
    concurrency: s.concurrency,
    clock,
    onEvent: (e) => {
      if (e.type === 'admitted') at[e.id as number] = e.at;
    },
  });
  let maxRunning = 0;
  s.jobs.forEach((job, i) => {
    fake.setTimeout(() => {
      void throttle.acquire(job.cost, { id: i }).then((permit) => {
        expect(fake.now).toBe(at[i]); // the harness sees the admission at its own instant
        maxRunning = Math.max(maxRunning, throttle.running);
        if (job.hold === 0) permit.release();
        else fake.setTimeout(() => permit.release(), job.hold);
      });
    }, job.at);
  });
  await fake.runAllAsync();
  expect(throttle.pending).toBe(0);
  return { at, maxRunning };
}

/**
 * The reference model: given what was actually admitted before job i (FIFO, so exactly jobs
 * 0..i-1), the first instant job i may be admitted. Each constraint is monotone in time from the
 * previous admission on (levels only drain, windows only empty, slots only free up), so the
 * answer is the latest of the instants each allows. Levels are kept in cost·ms so the
 * arithmetic is exact; a window frees each cost exactly `periodMs` after its admission.
 */
function earliest(s: Scenario, at: number[], i: number): number {
  const job = s.jobs[i]!;
  let t = i === 0 ? job.at : Math.max(job.at, at[i - 1]!);
  for (const { rate, periodMs, kind } of s.limits) {
    if (kind === 'sliding') {
      const used = (u: number) => s.jobs.slice(0, i).reduce((sum, j, k) => (at[k]! + periodMs > u ? sum + j.cost : sum), 0);
      // The candidates are `t` and the instants admissions leave the window, in order.
      const frees = at.slice(0, i).map((a) => a + periodMs).filter((f) => f > t).sort((x, y) => x - y);
      let u = t;
      for (const f of frees) {
        if (used(u) + job.cost <= rate) break;
        u = f;
      }
      t = u;
      continue;
    }
    let fill = 0;
    let last = 0;
    for (let j = 0; j < i; j++) {
      fill = Math.max(0, fill - (at[j]! - last) * rate) + s.jobs[j]!.cost * periodMs;
      last = at[j]!;
    }
    const excess = fill - (rate - job.cost) * periodMs;
    if (excess > 0) t = Math.max(t, last + excess / rate);
  }
  if (s.concurrency > 0) {
    const releases = at.slice(0, i).map((a, j) => a + s.jobs[j]!.hold).sort((x, y) => y - x);
    if (releases.length >= s.concurrency) t = Math.max(t, releases[s.concurrency - 1]!);
  }
  return t;
}

/**
 * Over any window [at_i, at_j], each leaky limit admitted at most rate + rate × (window / period);
 * each sliding limit at most rate in any window [at_i, at_i + period).
 */
function withinEveryWindow(s: Scenario, at: number[]): boolean {
  const order = at.map((a, i) => ({ a, cost: s.jobs[i]!.cost })).sort((x, y) => x.a - y.a);
  for (const { rate, periodMs, kind } of s.limits) {
    for (let i = 0; i < order.length; i++) {
      let sum = 0;
      for (let j = i; j < order.length; j++) {
        sum += order[j]!.cost;
        if (kind === 'sliding' ? order[j]!.a < order[i]!.a + periodMs && sum > rate : sum * periodMs > rate * periodMs + (order[j]!.a - order[i]!.a) * rate) return false;
      }
    }
  }
  return true;
}

/** Scenarios whose limits are all leaky, all sliding (the default kind) or mixed. */
const scenario = (kinds: 'leaky' | 'sliding' | 'mixed'): fc.Arbitrary<Scenario> =>
  fc
    .record({
      limits: fc.array(
        fc.record({
          rate: fc.integer({ min: 1, max: 6 }),
          periodMs: fc.integer({ min: 1, max: 4_000 }),
          kind: kinds === 'mixed' ? fc.constantFrom('sliding' as const, 'leaky' as const) : fc.constant(kinds),
        }),
        { minLength: 2, maxLength: 3 },
      ),
      concurrency: fc.integer({ min: 0, max: 3 }),
      jobs: fc.array(
        fc.record({ gap: fc.integer({ min: 0, max: 800 }), quarters: fc.integer({ min: 1, max: 24 }), hold: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3_000 })) }),
        { minLength: 1, maxLength: 24 },
      ),
    })
    .map(({ limits, concurrency, jobs }) => {
      const most = Math.min(...limits.map((l) => l.rate));
      let at = 0;
      return {
        limits,
        concurrency,
        // Quarter costs keep every level an exact binary fraction.
        jobs: jobs.map(({ gap, quarters, hold }) => ({ at: (at += gap), cost: Math.min(quarters / 4, most), hold })),
      };
    });

describe('Throttle with several limits', () => {
  it.each(['leaky', 'sliding', 'mixed'] as const)('%s limits: never over any limit or the concurrency; each job admitted at the model’s instant, rounded up', async (kinds) => {
    await fc.assert(
      fc.asyncProperty(scenario(kinds), async (s) => {
        const { at, maxRunning } = await admissions(s);
        expect(withinEveryWindow(s, at)).toBe(true);
        if (s.concurrency > 0) expect(maxRunning).toBeLessThanOrEqual(s.concurrency);
        for (let i = 0; i < at.length; i++) {
          const model = earliest(s, at, i);
          // Never before the model allows, and no later than its instant rounded up to the ms.
          expect(at[i]).toBeGreaterThanOrEqual(model);
          expect(at[i]).toBe(Math.ceil(model));
        }
      }),
      { numRuns: 300, seed: 0x5e11 },
    );
  });

  it('pays every limit at the same instant from one FIFO queue (worked example)', async () => {
    const s: Scenario = {
      limits: [
        { rate: 2, periodMs: 1_000, kind: 'leaky' },
        { rate: 3, periodMs: 10_000, kind: 'leaky' },
      ],
      concurrency: 0,
      jobs: Array.from({ length: 5 }, () => ({ at: 0, cost: 1, hold: 0 })),
    };
    // 2 at once; the 3rd when the per-second level allows (500); the 4th and 5th when the slow
    // level has drained enough: 3 333.3… and 6 666.6…, rounded up.
    expect((await admissions(s)).at).toEqual([0, 0, 500, 3_334, 6_667]);
  });

  it('takes a concurrency slot only together with every limit', async () => {
    const s: Scenario = {
      limits: [
        { rate: 1, periodMs: 1_000, kind: 'leaky' },
        { rate: 5, periodMs: 60_000, kind: 'leaky' },
      ],
      concurrency: 1,
      jobs: [
        { at: 0, cost: 1, hold: 200 },
        { at: 0, cost: 1, hold: 3_000 },
        { at: 0, cost: 1, hold: 0 },
      ],
    };
    // Job 1 waits for the rate until 1 000 (the slot is free from 200), job 2 for the slot until 4 000.
    expect((await admissions(s)).at).toEqual([0, 1_000, 4_000]);
  });

  it('rejects both forms at once, and bad limits, naming the option', () => {
    const limits = [{ rate: 1, periodMs: 1_000 }];
    expect(() => new Throttle({ rate: 1, limits })).toThrow(TypeError);
    expect(() => new Throttle({ periodMs: 1_000, limits })).toThrow(TypeError);
    expect(() => new Throttle({ rate: 1, limits })).toThrow(/rate\/periodMs\/kind or limits/);
    expect(() => new Throttle({ limits: [] })).toThrow(TypeError);
    expect(() => new Throttle({ limits: 'fast' as never })).toThrow(TypeError);
    expect(() => new Throttle({ limits: [null as never] })).toThrow(/limits\[0\]/);
    expect(() => new Throttle({ limits: [...limits, { rate: 0 }] })).toThrow(/limits\[1\]\.rate/);
    expect(() => new Throttle({ limits: [{ rate: 2, periodMs: Number.NaN }] })).toThrow(/limits\[0\]\.periodMs/);
    expect(() => new Throttle({})).toThrow(/rate/);
  });

  it('defaults each periodMs to one second; the largest cost is the smallest rate', async () => {
    const { clock } = fakeClock();
    const throttle = new Throttle({ limits: [{ rate: 3 }, { rate: 2, periodMs: 60_000 }], clock });
    expect(throttle.capacity).toBe(2);
    await expect(throttle.acquire(2.5)).rejects.toThrow(RangeError);
    expect(throttle.tryAcquire(2)).toBeDefined();
    expect(throttle.retryAfterMs(1)).toBe(60_000); // sliding by default: both come back a window after they were taken
    expect(new Throttle({ limits: [{ rate: 3 }, { rate: 5 }], clock }).tryAcquire(3)).toBeDefined();
    const perSecond = new Throttle({ limits: [{ rate: 1 }, { rate: 10, periodMs: 60_000 }], clock });
    perSecond.tryAcquire(1);
    expect(perSecond.retryAfterMs(1)).toBe(1_000);
  });
});
