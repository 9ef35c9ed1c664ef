import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcurrencySemaphore, CreditSemaphore, LeakyBucketLimiter, type Permit, Throttle, TokenBucket } from '../../src/index.js';
import { fakeClock } from '../support/fake-clock.js';

const steps = fc.array(fc.record({ wait: fc.integer({ min: 0, max: 3_000 }), quarters: fc.integer({ min: 1, max: 40 }) }), {
  minLength: 1,
  maxLength: 30,
});

describe('retryAfterMs against the models', () => {
  it('leaky bucket: the drain instant rounded up, and payable exactly then', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 5_000 }), steps, (maxRate, periodMs, plan) => {
        const { fake, clock } = fakeClock();
        const bucket = new LeakyBucketLimiter({ maxRate, periodMs, clock });
        let fill = 0; // level × periodMs, exact for quarter costs
        let last = 0;
        const drain = () => {
          fill = Math.max(0, fill - (fake.now - last) * maxRate);
          last = fake.now;
        };
        for (const { wait, quarters } of plan) {
          fake.tick(wait);
          const cost = Math.min(quarters / 4, maxRate);
          drain();
          const excess = fill - (maxRate - cost) * periodMs;
          const r = bucket.retryAfterMs(cost);
          expect(r).toBe(excess <= 0 ? 0 : Math.ceil(excess / maxRate));
          expect(r === 0).toBe(bucket.hasCapacity(cost));
          if (r > 0) {
            fake.tick(r - 1);
            expect(bucket.hasCapacity(cost)).toBe(false);
            fake.tick(1);
            expect(bucket.retryAfterMs(cost)).toBe(0);
          }
          expect(bucket.tryAcquire(cost)).toBeDefined();
          drain();
          fill += cost * periodMs;
        }
      }),
      { numRuns: 300, seed: 0x1ea4 },
    );
  });

  it('token bucket: the refill step that makes the cost payable, and payable exactly then', () => {
    const config = fc.record({
      capacity: fc.integer({ min: 1, max: 8 }),
      amountQuarters: fc.integer({ min: 1, max: 12 }),
      refillIntervalMs: fc.integer({ min: 1, max: 2_000 }),
      initialQuarters: fc.integer({ min: 0, max: 32 }),
      start: fc.integer({ min: 0, max: 10_000 }),
    });
    fc.assert(
      fc.property(config, steps, (c, plan) => {
        const { fake, clock } = fakeClock(c.start);
        const refillAmount = c.amountQuarters / 4;
        let tokens = Math.min(c.capacity, c.initialQuarters / 4);
        const bucket = new TokenBucket({ capacity: c.capacity, refillAmount, refillIntervalMs: c.refillIntervalMs, initialTokens: tokens, clock });
        let last = c.start;
        const refill = () => {
          const n = Math.floor((fake.now - last) / c.refillIntervalMs);
          tokens = Math.min(c.capacity, tokens + n * refillAmount);
          last += n * c.refillIntervalMs;
        };
        for (const { wait, quarters } of plan) {
          fake.tick(wait);
          const cost = Math.min(quarters / 4, c.capacity);
          refill();
          let k = 0;
          while (Math.min(c.capacity, tokens + k * refillAmount) < cost) k++;
          const r = bucket.retryAfterMs(cost);
          expect(r).toBe(k === 0 ? 0 : last + k * c.refillIntervalMs - fake.now);
          if (r > 0) {
            fake.tick(r - 1);
            expect(bucket.tokens).toBeLessThan(cost);
            expect(bucket.tryAcquire(cost)).toBeUndefined();
            fake.tick(1);
            expect(bucket.tokens).toBeGreaterThanOrEqual(cost);
            refill();
          }
          expect(bucket.tryAcquire(cost)).toBeDefined();
          tokens -= cost;
        }
      }),
      { numRuns: 300, seed: 0x70c3 },
    );
  });

  it('credit semaphore: the scheduled refund that makes the cost payable (rounded up), Infinity when only a release can', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('take' as const), quarters: fc.integer({ min: 1, max: 40 }), refundQuarters: fc.integer({ min: 0, max: 12_000 }) }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 2_000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 10 }), fc.array(op, { minLength: 1, maxLength: 40 }), async (capacity, ops) => {
        const { fake, clock } = fakeClock();
        const sem = new CreditSemaphore({ capacity, clock });
        const held: { permit: Permit; refundMs: number }[] = [];
        let refunds: { due: number; cost: number }[] = [];
        const model = (cost: number): number => {
          refunds = refunds.filter((r) => r.due > fake.now).sort((a, b) => a.due - b.due);
          let free = capacity - held.reduce((s, h) => s + h.permit.cost, 0) - refunds.reduce((s, r) => s + r.cost, 0);
          if (cost <= free) return 0;
          for (const r of refunds) if (cost <= (free += r.cost)) return Math.ceil(r.due - fake.now);
          return Infinity;
        };
        for (const o of ops) {
          if (o.kind === 'wait') fake.tick(o.ms);
          else if (o.kind === 'release' && held.length > 0) {
            const [h] = held.splice(o.pick % held.length, 1);
            h!.permit.release();
            if (h!.refundMs > 0) refunds.push({ due: fake.now + h!.refundMs, cost: h!.permit.cost });
          } else if (o.kind === 'take') {
            const cost = Math.min(o.quarters / 4, capacity);
            if (model(cost) === 0) {
              const refundMs = o.refundQuarters / 4; // fractional delays: due instants between ms
              held.push({ permit: await sem.acquire(cost, { refundMs }), refundMs });
            }
          }
          for (const cost of [0.25, 1, capacity / 2, capacity]) expect(sem.retryAfterMs(cost)).toBe(model(cost));
          const r = sem.retryAfterMs(capacity);
          if (r > 0 && r !== Infinity) {
            fake.tick(r - 1);
            expect(sem.available).toBeLessThan(capacity);
            fake.tick(1);
            expect(sem.available).toBe(capacity);
          }
        }
      }),
      { numRuns: 300, seed: 0xc4ed },
    );
  });
});

describe('retryAfterMs', () => {
  it('is 0 when payable now, for every limiter, and defaults to cost 1', () => {
    const { clock } = fakeClock();
    const limiters = [
      new CreditSemaphore({ capacity: 2, clock }),
      new ConcurrencySemaphore({ capacity: 2, clock }),
      new LeakyBucketLimiter({ maxRate: 2, clock }),
      new TokenBucket({ capacity: 2, refillIntervalMs: 1_000, clock }),
      new Throttle({ limits: [{ rate: 2 }, { rate: 5, periodMs: 60_000 }], concurrency: 2, clock }),
    ];
    for (const limiter of limiters) {
      expect(limiter.retryAfterMs()).toBe(0);
      expect(limiter.retryAfterMs(2)).toBe(0);
      limiter.tryAcquire(1);
      expect(limiter.retryAfterMs()).toBe(0);
      expect(limiter.retryAfterMs(0)).toBe(0);
      expect(() => limiter.retryAfterMs(3)).toThrow(RangeError);
      expect(() => limiter.retryAfterMs(-1)).toThrow(RangeError);
      expect(() => limiter.retryAfterMs(Number.NaN)).toThrow(RangeError);
      expect(() => limiter.retryAfterMs('1' as never)).toThrow(TypeError);
    }
  });

  it('is Infinity when only a release can free it', () => {
    const { clock } = fakeClock();
    const sem = new ConcurrencySemaphore({ capacity: 2, clock });
    const p = sem.tryAcquire(2)!;
    expect(sem.retryAfterMs()).toBe(Infinity);
    p.release();
    expect(sem.retryAfterMs(2)).toBe(0);

    const slow = new CreditSemaphore({ capacity: 10, refundMs: 1_000, clock });
    slow.tryAcquire(4); // held for good
    slow.tryAcquire(6)!.release(); // due back at 1 000
    expect(slow.retryAfterMs(6)).toBe(1_000);
    expect(slow.retryAfterMs(7)).toBe(Infinity); // 6 come back, the other 4 are held

    const throttle = new Throttle({ limits: [{ rate: 5 }, { rate: 50, periodMs: 60_000 }], concurrency: 1, clock });
    const slot = throttle.tryAcquire()!;
    expect(throttle.retryAfterMs()).toBe(Infinity); // the rates allow it, the slot does not
    slot.release();
    expect(throttle.retryAfterMs()).toBe(0);
  });

  it('rounds fractional refund instants up', () => {
    const { fake, clock } = fakeClock();
    const sem = new CreditSemaphore({ capacity: 1, refundMs: 2.5, clock });
    sem.tryAcquire()!.release(); // due at 2.5
    expect(sem.retryAfterMs()).toBe(3);
    fake.tick(2);
    expect(sem.retryAfterMs()).toBe(1);
    expect(sem.tryAcquire()).toBeUndefined();
    fake.tick(1);
    expect(sem.retryAfterMs()).toBe(0);
  });

  it('includes a pause, the later of the pause and the budgets', () => {
    const { fake, clock } = fakeClock();
    const bucket = new TokenBucket({ capacity: 2, refillIntervalMs: 1_000, clock });
    bucket.pause(1_500);
    expect(bucket.retryAfterMs()).toBe(1_500);
    expect(bucket.retryAfterMs(0)).toBe(0); // cost 0 is admitted even while paused
    fake.tick(1_000);
    expect(bucket.retryAfterMs(2)).toBe(500);
    bucket.pause(0.5);
    expect(bucket.retryAfterMs()).toBe(500); // a shorter pause does not shorten it
    fake.tick(500);
    bucket.tryAcquire(2);
    bucket.pause(300);
    expect(bucket.retryAfterMs(1)).toBe(500); // the refill at 2 000 comes after the pause
    bucket.pause(0.4 + 500);
    expect(bucket.retryAfterMs(1)).toBe(501); // the pause ends at 2 000.4: rounded up
    bucket.pause(Infinity);
    expect(bucket.retryAfterMs()).toBe(Infinity);

    const leaky = new LeakyBucketLimiter({ maxRate: 3, periodMs: 1_000, clock });
    leaky.tryAcquire(3);
    expect(leaky.retryAfterMs()).toBe(334); // 333.3… rounded up
    leaky.pause(100);
    expect(leaky.retryAfterMs()).toBe(334);
    leaky.pause(400);
    expect(leaky.retryAfterMs()).toBe(400);
  });

  it('ignores the queue: it is what the budgets could pay', async () => {
    const { fake, clock } = fakeClock();
    const bucket = new TokenBucket({ capacity: 1, refillIntervalMs: 1_000, clock });
    bucket.tryAcquire();
    const waiters = [bucket.acquire(), bucket.acquire(), bucket.acquire()];
    expect(bucket.pending).toBe(3);
    expect(bucket.retryAfterMs()).toBe(1_000);
    await fake.tickAsync(1_000);
    await waiters[0];
    expect(bucket.pending).toBe(2);
    expect(bucket.retryAfterMs()).toBe(1_000);
    bucket.close();
    await Promise.allSettled(waiters);
  });
});
