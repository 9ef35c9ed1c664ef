// Direct tests of the budgets, for what mutation testing showed the limiter-level suites left
// unpinned: float step counts of token refills, refunds inserted out of order or past the
// refund array's compaction, exact zero after fractional refunds, readings older than one a
// budget has already seen (a `tokens` or `level` getter read inside a listener, mid-scan, is
// fresher than the scan's `now`), and the flags and instants AllOf combines.
import { describe, expect, it } from 'vitest';
import { AllOf } from '../../src/core/budgets/all-of.js';
import { CreditBudget } from '../../src/core/budgets/credits.js';
import { LeakyBudget } from '../../src/core/budgets/leaky.js';
import { SlotBudget } from '../../src/core/budgets/slots.js';
import { TokenBudget } from '../../src/core/budgets/tokens.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { TokenBucket } from '../../src/token-bucket.js';

type Id = string | number | undefined;

/** A budget whose refunds are recorded as `id@at`, in the order they come back. */
function recordingCredits(capacity: number): { credits: CreditBudget; back: string[] } {
  const credits = new CreditBudget(capacity);
  const back: string[] = [];
  credits.onRefund = (_cost: number, at: number, id: Id) => back.push(`${id}@${at}`);
  return { credits, back };
}

describe('CreditBudget', () => {
  it('settles a refund that comes due with no listener set', () => {
    const credits = new CreditBudget(10);
    credits.take(4);
    expect(credits.release(4, 0, 100, 'a')).toBe(100);
    expect(credits.available(99)).toBe(6);
    expect(credits.available(100)).toBe(10);
    expect(credits.isFull(100)).toBe(true);
  });

  it('reports exactly 0 refunding once every fractional refund is back (float sums leave a residue)', () => {
    const credits = new CreditBudget(1);
    credits.take(0.1);
    credits.take(0.2);
    credits.release(0.1, 0, 100, undefined);
    credits.release(0.2, 0, 200, undefined);
    expect(credits.refunding(0)).toBeCloseTo(0.3, 12);
    expect(credits.refunding(100)).toBeCloseTo(0.2, 12);
    // 0.1 + 0.2 - 0.1 - 0.2 is 2.8e-17 in floats: the last refund must reset the sum instead.
    expect(credits.refunding(200)).toBe(0);
    expect(credits.available(200)).toBe(1);
  });

  it('refunds due at the same instant come back in release order, also when one is inserted before a later refund', () => {
    const { credits, back } = recordingCredits(4);
    for (let i = 0; i < 4; i++) credits.take(1);
    credits.release(1, 0, 100, 'a'); // due 100
    credits.release(1, 0, 300, 'c'); // due 300
    credits.release(1, 50, 50, 'b'); // due 100 as well, released after 'a': inserted between 'a' and 'c'
    credits.release(1, 100, 200, 'd'); // due 300, released after 'c'
    expect(credits.readyAt(2, 50)).toBe(100);
    expect(credits.readyAt(3, 50)).toBe(300);
    expect(credits.nextStep(50)).toBe(100);
    expect(credits.available(300)).toBe(4);
    expect(back).toEqual(['a@100', 'b@100', 'c@300', 'd@300']);
  });

  it('keeps refunds in order after more than 1024 have come back while others are still due', () => {
    const { credits, back } = recordingCredits(2_000);
    for (let i = 1; i <= 1_500; i++) {
      credits.take(1);
      credits.release(1, 0, i, i); // refund i is due at i
    }
    // 1 100 refunds consumed of 1 500: the consumed ones are dropped from the front.
    expect(credits.available(1_100)).toBe(1_600);
    expect(back).toHaveLength(1_100);
    expect(back.at(-1)).toBe('1100@1100');
    expect(credits.refunding(1_100)).toBe(400);
    expect(credits.nextStep(1_100)).toBe(1_101);
    expect(credits.readyAt(1_601, 1_100)).toBe(1_101);
    expect(credits.readyAt(2_000, 1_100)).toBe(1_500);

    credits.take(1);
    expect(credits.release(1, 1_100, 150, 'late')).toBe(1_250); // lands among the remaining 400
    expect(credits.readyAt(2_000, 1_100)).toBe(1_500);
    back.length = 0;
    expect(credits.available(1_300)).toBe(1_800);
    expect(back.slice(148, 153)).toEqual(['1249@1249', '1250@1250', 'late@1250', '1251@1251', '1252@1252']);
    expect(back).toHaveLength(201);
    expect(credits.available(1_500)).toBe(2_000);
    expect(credits.isFull(1_500)).toBe(true);
    expect(credits.refunding(1_500)).toBe(0);
    expect(credits.nextStep(1_500)).toBe(Infinity);
  });
});

describe('SlotBudget', () => {
  it('never grows with time: nextStep is Infinity, held or not', () => {
    const slots = new SlotBudget(1);
    expect(slots.nextStep()).toBe(Infinity);
    slots.take();
    expect(slots.available()).toBe(0);
    expect(slots.readyAt(1, 5)).toBe(Infinity);
    expect(slots.nextStep()).toBe(Infinity);
    expect(slots.release(1, 5)).toBe(5);
    expect(slots.available()).toBe(Infinity);
  });
});

describe('TokenBudget', () => {
  it('nextStep is the next refill while short of capacity, Infinity once full', () => {
    const tokens = new TokenBudget(5, 1, 1_000, 5, 0);
    expect(tokens.nextStep(0)).toBe(Infinity);
    tokens.take(1, 0);
    expect(tokens.nextStep(0)).toBe(1_000);
    expect(tokens.nextStep(999)).toBe(1_000);
    expect(tokens.nextStep(1_000)).toBe(Infinity); // refilled back to exactly 5
  });

  it('readyAt counts one more step when the estimate falls an ulp short (3 × 0.3 < 0.9)', () => {
    const tokens = new TokenBudget(10, 0.3, 1_000, 0, 0);
    expect(tokens.readyAt(0.9, 0)).toBe(4_000);
    expect(tokens.available(3_000)).toBeLessThan(0.9);
    expect(tokens.readyAt(0.9, 3_000)).toBe(4_000);
    expect(tokens.available(4_000)).toBeGreaterThanOrEqual(0.9);
  });

  it('readyAt counts one step fewer when the estimate overshoots ((0.4 - 0.3) / 0.1 > 1)', () => {
    const tokens = new TokenBudget(10, 0.1, 1_000, 0.3, 0);
    expect(tokens.readyAt(0.4, 0)).toBe(1_000);
    expect(tokens.available(1_000)).toBe(0.4);
  });

  it('readyAt a very long way off is computed, not walked step by step', () => {
    // 1.8e12 steps: a step-by-step search from any poor estimate would never return.
    const tokens = new TokenBudget(1e12, 0.5, 1, 1e11, 0);
    expect(tokens.readyAt(1e12, 0)).toBe(1.8e12);
  });

  it('a reading older than the last refill step counted changes nothing', () => {
    const tokens = new TokenBudget(5, 1, 1_000, 0, 0);
    expect(tokens.available(2_500)).toBe(2);
    expect(tokens.available(1_500)).toBe(2);
    expect(tokens.nextStep(1_500)).toBe(3_000);
    expect(tokens.available(3_000)).toBe(3);
  });

  it('is timed: a token bucket sees a refill step with no timer pending (no stale clock reading)', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ capacity: 1, refillIntervalMs: 1_000, clock });
    expect(bucket.tryAcquire()).toBeDefined();
    expect(bucket.tryAcquire()).toBeUndefined();
    await clock.advance(1_000);
    expect(clock.pendingTimers).toBe(0);
    expect(bucket.tryAcquire()).toBeDefined();
  });
});

describe('LeakyBudget', () => {
  it('readyAt is now while the cost fits, and the exact drain instant otherwise', () => {
    const bucket = new LeakyBudget(4, 8_000);
    expect(bucket.readyAt(1, 100)).toBe(100);
    expect(bucket.readyAt(4, 100)).toBe(100);
    for (let i = 0; i < 4; i++) bucket.take(1, 100);
    expect(bucket.readyAt(1, 100)).toBe(2_100);
    expect(bucket.readyAt(1, 2_100)).toBe(2_100);
    expect(bucket.readyAt(1, 5_000)).toBe(5_000);
  });

  it('a reading older than the last drain neither drains nor fills', () => {
    const bucket = new LeakyBudget(4, 8_000);
    bucket.take(4, 1_000);
    expect(bucket.level(500)).toBe(4);
    expect(bucket.level(1_000)).toBe(4);
    expect(bucket.level(3_000)).toBe(3);
    expect(bucket.available(2_000)).toBe(1);
  });
});

describe('AllOf', () => {
  it('spends only when every part spends', () => {
    expect(new AllOf([new LeakyBudget(10, 1_000), new SlotBudget(1)]).spends).toBe(false);
    expect(new AllOf([new LeakyBudget(10, 1_000), new TokenBudget(5, 1, 1_000, 5, 0)]).spends).toBe(true);
  });

  it('nextStep is the earliest step of any part', () => {
    const tokens = new TokenBudget(5, 1, 1_000, 0, 0);
    const credits = new CreditBudget(2);
    const both = new AllOf([tokens, new SlotBudget(1), credits]);
    expect(both.nextStep(0)).toBe(1_000);
    credits.take(1);
    credits.release(1, 0, 300, undefined);
    expect(both.nextStep(0)).toBe(300);
    expect(both.nextStep(300)).toBe(1_000);
  });
});
