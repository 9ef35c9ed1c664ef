import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConcurrencySemaphore,
  CreditSemaphore,
  LeakyBucketLimiter,
  type Limiter,
  type Permit,
  SlidingWindowLimiter,
  Throttle,
  TokenBucket,
  VirtualClock,
} from '../../src/index.js';
import { Quantum } from '../../src/core/quantum.js';

// update() in process (docs/semantics.md §12.2): a lower capacity revokes nothing, a higher one
// admits at once, waiters that no longer fit reject as an acquire would, and the state (held,
// level, tokens, window) carries over, also when the new size needs a coarser quantum (§5.4).

interface Subject {
  name: string;
  /** The option that sets the largest cost. */
  option: string;
  make: (size: number, clock: VirtualClock) => Limiter & { readonly capacity: number; update(o: Record<string, number>): void };
}

const SUBJECTS: Subject[] = [
  { name: 'CreditSemaphore', option: 'capacity', make: (capacity, clock) => new CreditSemaphore({ capacity, clock }) },
  { name: 'ConcurrencySemaphore', option: 'capacity', make: (capacity, clock) => new ConcurrencySemaphore({ capacity, clock }) },
  { name: 'LeakyBucketLimiter', option: 'maxRate', make: (maxRate, clock) => new LeakyBucketLimiter({ maxRate, periodMs: 1_000, clock }) },
  { name: 'TokenBucket', option: 'capacity', make: (capacity, clock) => new TokenBucket({ capacity, refillIntervalMs: 1_000, clock }) },
  { name: 'SlidingWindowLimiter', option: 'limit', make: (limit, clock) => new SlidingWindowLimiter({ limit, windowMs: 1_000, clock }) },
  { name: 'Throttle', option: 'rate', make: (rate, clock) => new Throttle({ rate, clock }) },
  { name: "Throttle kind: 'leaky'", option: 'rate', make: (rate, clock) => new Throttle({ rate, kind: 'leaky', clock }) },
];

/** Settles `promise` into a record: when and how. */
function watch(promise: Promise<Permit>, clock: VirtualClock) {
  const seen: { at?: number; permit?: Permit; error?: unknown } = {};
  promise.then(
    (permit) => Object.assign(seen, { at: clock.now(), permit }),
    (error: unknown) => Object.assign(seen, { at: clock.now(), error }),
  );
  return seen;
}

/** The error `acquire(cost)` rejects with now. */
const acquireError = (limiter: Limiter, cost: number) => limiter.acquire(cost).then(() => undefined, (e: unknown) => e);

describe.each(SUBJECTS)('$name.update', ({ option, make, name }) => {
  it('a lower size revokes nothing and rejects the waiters it can never pay, as acquire would', async () => {
    const clock = new VirtualClock();
    const limiter = make(4, clock);
    const held = [limiter.tryAcquire(2)!, limiter.tryAcquire(2)!];
    const small = watch(limiter.acquire(1), clock);
    const large = watch(limiter.acquire(3), clock);
    await clock.advance(5);
    limiter.update({ [option]: 2 });
    await clock.advance(0);
    expect(limiter.capacity).toBe(2);
    expect(held.every((p) => p.cost === 2)).toBe(true);
    expect(large.error).toBeInstanceOf(RangeError);
    expect((large.error as Error).message).toBe(((await acquireError(limiter, 3)) as Error).message);
    expect(small.at).toBeUndefined();
    expect(limiter.pending).toBe(1);
    expect(limiter.stats().rejected).toBe(1);
    expect(limiter.available).toBe(0); // 4 held or counted against a size of 2
    limiter.close();
  });

  it('a higher size admits at once what it now allows (tokens: what is in the bucket)', async () => {
    const clock = new VirtualClock();
    const limiter = make(4, clock);
    limiter.tryAcquire(3);
    const waiter = watch(limiter.acquire(3), clock);
    await clock.advance(5);
    expect(waiter.at).toBeUndefined();
    limiter.update({ [option]: 6 });
    await clock.advance(0);
    if (name === 'TokenBucket') {
      // The tokens carry over (1), so the raise pays nothing by itself; the steps are counted from the update.
      expect(waiter.at).toBeUndefined();
      await clock.advance(2_000);
      expect(waiter.at).toBe(2_005);
    } else expect(waiter.at).toBe(5);
  });

  it('accepts a size the constructor accepts, far beyond what the quantum spanned (5e6 from 4)', () => {
    const clock = new VirtualClock();
    const limiter = make(4, clock);
    limiter.tryAcquire(3);
    limiter.update({ [option]: 5e6 });
    expect(limiter.capacity).toBe(5e6);
    // TokenBucket: 1 token was left; every other limiter counts the 3 taken against the new size.
    expect(limiter.available).toBe(name === 'TokenBucket' ? 1 : 5e6 - 3);
    expect(limiter.tryAcquire(0.5)?.cost).toBe(0.5);
  });
});

describe('the state carries over', () => {
  it('SlidingWindowLimiter: each admission is freed windowMs (the new one) after it was admitted', async () => {
    const clock = new VirtualClock();
    const window = new SlidingWindowLimiter({ limit: 5, windowMs: 1_000, clock });
    for (let i = 0; i < 5; i++) window.tryAcquire();
    await clock.advance(400);
    window.update({ limit: 6 });
    expect(window.used).toBe(5);
    expect(window.available).toBe(1);
    window.tryAcquire();
    window.update({ windowMs: 500 });
    expect(window.retryAfterMs(1)).toBe(100); // the five of t = 0 leave at 500 (the new window)
    await clock.advance(100);
    expect(window.used).toBe(1);
    expect(window.retryAfterMs(6)).toBe(400); // the one of t = 400 leaves at 900
  });

  it('LeakyBucketLimiter: the level carries over, drained at the new rate from now on', async () => {
    const clock = new VirtualClock();
    const bucket = new LeakyBucketLimiter({ maxRate: 4, periodMs: 1_000, clock });
    bucket.tryAcquire(4);
    await clock.advance(250); // 1 drained
    bucket.update({ maxRate: 8 });
    expect(bucket.level).toBe(3);
    expect(bucket.retryAfterMs(6)).toBe(125); // 1 more drains at 8 per second
  });

  it('TokenBucket: the tokens carry over, capped at a lower capacity', () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ capacity: 10, refillIntervalMs: 1_000, clock });
    bucket.tryAcquire(3);
    bucket.update({ capacity: 20 });
    expect(bucket.tokens).toBe(7);
    bucket.update({ capacity: 5 });
    expect(bucket.tokens).toBe(5);
  });

  it('CreditSemaphore: what is held and refunding stays, due when it was; a new refundMs is for permits admitted from then on', async () => {
    const clock = new VirtualClock();
    const sem = new CreditSemaphore({ capacity: 10, refundMs: 100, clock });
    const held = sem.tryAcquire(4)!;
    sem.tryAcquire(3)!.release();
    await clock.advance(40);
    sem.update({ capacity: 8, refundMs: 0 });
    expect(sem.available).toBe(1);
    expect(sem.refunding).toBe(3);
    expect(sem.retryAfterMs(4)).toBe(60);
    held.release(); // admitted under refundMs 100: back at 140
    expect(sem.refunding).toBe(7);
    sem.tryAcquire(1)!.release(); // admitted under the new default: back at once
    expect(sem.available).toBe(1);
    await clock.advance(100);
    expect(sem.available).toBe(8);
  });

  it('Throttle: the window and the slots held carry over', async () => {
    const clock = new VirtualClock();
    const throttle = new Throttle({ rate: 4, concurrency: 2, clock });
    const a = throttle.tryAcquire()!;
    throttle.tryAcquire();
    throttle.update({ rate: 8, concurrency: 3 });
    expect(throttle.running).toBe(2);
    expect(throttle.tryAcquire()).toBeDefined();
    expect(throttle.tryAcquire()).toBeUndefined(); // 3 slots held
    a.release();
    expect(throttle.available).toBe(5); // 3 of 8 used in the window
  });
});

describe("Throttle: a limit whose kind changes carries over what it counted (docs/semantics.md §12.2)", () => {
  it("sliding → leaky: the bucket starts as full as the window; nothing more at the same instant", async () => {
    const clock = new VirtualClock();
    const throttle = new Throttle({ rate: 10, periodMs: 1_000, clock });
    for (let i = 0; i < 10; i++) throttle.tryAcquire();
    throttle.update({ kind: 'leaky' });
    expect(throttle.tryAcquire()).toBeUndefined();
    const next = watch(throttle.acquire(), clock);
    await clock.advance(99);
    expect(next.at).toBeUndefined();
    await clock.advance(1);
    expect(next.at).toBe(100); // one drains in 100 ms
  });

  it('leaky → sliding: the level is one admission, freed when the bucket would have drained it', async () => {
    const clock = new VirtualClock();
    const throttle = new Throttle({ rate: 10, periodMs: 1_000, kind: 'leaky', clock });
    for (let i = 0; i < 10; i++) throttle.tryAcquire();
    await clock.advance(300); // level 7
    throttle.update({ kind: 'sliding' });
    expect(throttle.available).toBe(3);
    for (let i = 0; i < 3; i++) throttle.tryAcquire();
    expect(throttle.retryAfterMs(7)).toBe(700); // the level of 7 was drained at 1 000
    expect(throttle.retryAfterMs(8)).toBe(1_000); // the 3 of t = 300 leave at 1 300
  });

  it('leaky → sliding with a shorter window: freed one new window after the change at the latest', async () => {
    const clock = new VirtualClock();
    const throttle = new Throttle({ rate: 10, periodMs: 10_000, kind: 'leaky', clock });
    for (let i = 0; i < 10; i++) throttle.tryAcquire();
    throttle.update({ kind: 'sliding', periodMs: 1_000 });
    expect(throttle.retryAfterMs(1)).toBe(1_000);
  });

  it('a limit added by update({ limits }) starts empty; one kept keeps its window', () => {
    const clock = new VirtualClock();
    const throttle = new Throttle({ rate: 4, clock });
    for (let i = 0; i < 3; i++) throttle.tryAcquire();
    throttle.update({ limits: [{ rate: 4 }, { rate: 100, periodMs: 60_000 }] });
    expect(throttle.available).toBe(1);
  });
});

describe('a size past what the quantum spans: a coarser quantum (docs/semantics.md §5.4)', () => {
  it('CreditSemaphore: held, refunding and waiters move to it; nothing gives back more than it took; exact once all is back', async () => {
    const clock = new VirtualClock();
    const sem = new CreditSemaphore({ capacity: 4, clock });
    const tiny = sem.tryAcquire(1e-9)!;
    const most = sem.tryAcquire(3.5 - 1e-9)!;
    (await sem.acquire(0.5, { refundMs: 100 })).release();
    const fine = watch(sem.acquire(1e-9), clock);
    const two = watch(sem.acquire(2), clock);
    await clock.advance(0);
    expect(sem.available).toBe(0);

    sem.update({ capacity: 5e6 }); // quantum 1e-8
    await clock.advance(0);
    expect(fine.error).toBeInstanceOf(RangeError);
    expect((fine.error as Error).message).toBe(((await acquireError(sem, 1e-9)) as Error).message);
    expect((fine.error as Error).message).toContain('quanta (1e-8)');
    expect(two.at).toBe(0);
    expect(sem.available).toBe(5e6 - 6); // 3.5 held, 0.5 refunding, 2 admitted
    expect(sem.stats().held).toBe(5.5);

    tiny.release(); // less than one new quantum: kept until the last permit is back
    expect(sem.available).toBe(5e6 - 6);
    most.release(); // 3.49999999 of its 3.499999999 come back now
    expect(sem.available).toBe(4999997.49999999);
    two.permit!.release(); // the last one out: the rest comes back, the count is exact again
    expect(sem.stats().held).toBe(0);
    expect(sem.available).toBe(5e6 - 0.5);
    await clock.advance(100);
    expect(sem.available).toBe(5e6);
    expect(sem.idle).toBe(true);
  });

  it('property: whatever is held when the quantum coarsens, nothing is free that is not, and all of it is back once every permit is', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9e9 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
        fc.constantFrom(2e6, 3e7, 4.5e8, 6e9),
        fc.boolean(),
        (nanos, order, capacity, credits) => {
          const clock = new VirtualClock();
          const sem = credits ? new CreditSemaphore({ capacity: 40, clock }) : new ConcurrencySemaphore({ capacity: 40, clock });
          // Costs in whole 1e-9 (the quantum for 40); the true held amount is kept exactly, in BigInt.
          const held: { permit: Permit; nanos: bigint }[] = [];
          for (const n of nanos) {
            const permit = sem.tryAcquire(n / 1e9);
            if (permit !== undefined) held.push({ permit, nanos: BigInt(n) });
          }
          let out = held.reduce((sum, h) => sum + h.nanos, 0n);
          sem.update({ capacity });
          const scale = Quantum.for(capacity).scale; // what a constructor would choose, as update does
          const perUnit = BigInt(1e9 / scale);
          const check = () => {
            const free = BigInt(Math.round(sem.available * scale)) * perUnit;
            expect(free <= BigInt(capacity) * 1_000_000_000n - out).toBe(true);
          };
          check();
          while (held.length > 0) {
            const [h] = held.splice(order[held.length - 1]! % held.length, 1);
            h!.permit.release();
            out -= h!.nanos;
            check();
          }
          expect(sem.available).toBe(capacity);
          expect(sem.stats().held).toBe(0);
          expect(sem.idle).toBe(true);
        },
      ),
      { numRuns: 300, seed: 0x9a17 },
    );
  });

  it('SlidingWindowLimiter: the window is rounded up, so no window holds more than it did', async () => {
    const clock = new VirtualClock();
    const window = new SlidingWindowLimiter({ limit: 4, windowMs: 1_000, clock });
    window.tryAcquire(1e-9);
    await clock.advance(1);
    window.tryAcquire(2.5);
    await clock.advance(1);
    window.tryAcquire(1.5 - 1e-9);
    await clock.advance(8);
    window.update({ limit: 5e6 });
    expect(window.used).toBe(4);
    await clock.set(1_000);
    expect(window.used).toBe(4); // 4 − 1e-9 in fact: never less
    await clock.set(1_001);
    expect(window.used).toBe(1.5);
    await clock.set(1_002);
    expect(window.used).toBe(0);
  });

  it('LeakyBucketLimiter: 1 000 per minute to 100 000 per minute (the level is rounded up)', () => {
    const clock = new VirtualClock();
    const bucket = new LeakyBucketLimiter({ maxRate: 1_000, periodMs: 60_000, clock });
    bucket.tryAcquire(3.0000001); // quantum 1e-7 for 6e7
    bucket.update({ maxRate: 100_000 }); // 6e9 needs 1e-5
    expect(bucket.capacity).toBe(100_000);
    expect(bucket.level).toBe(3.00001);
    expect(bucket.available).toBe(100_000 - 3.00001);
  });

  it('TokenBucket: the tokens are rounded down; a refill finer than the new quantum is refused as the constructor refuses it', () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ capacity: 10, refillIntervalMs: 1_000, clock });
    bucket.tryAcquire(1e-9);
    bucket.update({ capacity: 5e6 });
    expect(bucket.tokens).toBe(9.99999999);
    const fine = new TokenBucket({ capacity: 10, refillAmount: 1e-9, refillIntervalMs: 1_000, clock });
    expect(() => new TokenBucket({ capacity: 5e6, refillAmount: 1e-9, refillIntervalMs: 1_000, clock })).toThrow(/refillAmount must be a whole number of quanta \(1e-8\)/);
    expect(() => fine.update({ capacity: 5e6 })).toThrow(/refillAmount must be a whole number of quanta \(1e-8\)/);
    expect(fine.capacity).toBe(10);
    expect(fine.tryAcquire(1e-9)?.cost).toBe(1e-9); // still on 1e-9: nothing changed
  });

  it('Throttle: a leaky limit whose period grows a thousandfold', () => {
    const clock = new VirtualClock();
    const throttle = new Throttle({ rate: 10, kind: 'leaky', clock });
    throttle.tryAcquire(1e-9);
    throttle.update({ periodMs: 86_400_000 }); // 10 per day: 8.64e8 needs 1e-6
    expect(throttle.available).toBe(10 - 1e-6);
  });

  it('the quantum never gets finer again: a cost finer than it stays a RangeError after the size is lowered', () => {
    const sem = new ConcurrencySemaphore({ capacity: 10, clock: new VirtualClock() });
    sem.update({ capacity: 5e6 });
    sem.update({ capacity: 10 });
    expect(() => sem.tryAcquire(1e-9)).toThrow(/quanta \(1e-8\)/);
    expect(sem.tryAcquire(1e-8)?.cost).toBe(1e-8);
  });

  it('a Throttle slot taken by a cost finer than the new quantum still comes back', () => {
    const throttle = new Throttle({ rate: 10, concurrency: 1, clock: new VirtualClock() });
    const permit = throttle.tryAcquire(1e-9)!;
    throttle.update({ rate: 5e6 });
    expect(throttle.tryAcquire(1)).toBeUndefined();
    permit.release();
    expect(throttle.running).toBe(0);
    expect(throttle.tryAcquire(1)?.cost).toBe(1);
  });
});
