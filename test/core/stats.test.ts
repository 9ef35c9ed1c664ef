import { describe, expect, it } from 'vitest';
import {
  type Clock,
  ConcurrencySemaphore,
  CreditSemaphore,
  type Gate,
  LeakyBucketLimiter,
  MaxWaitExceededError,
  Throttle,
  TokenBucket,
} from '../../src/index.js';
import { fakeClock } from '../support/fake-clock.js';

const FIELDS = ['aborted', 'admitted', 'available', 'held', 'pausedUntil', 'pending', 'rejected', 'running', 'timedOut'];

/** Each limiter holding 2 in all, with what `available` is at t = 100 once 2 were taken at 0. */
const limiters: [string, (clock: Clock) => Gate, number][] = [
  ['CreditSemaphore', (clock) => new CreditSemaphore({ capacity: 2, refundMs: 1_000, clock }), 0],
  ['ConcurrencySemaphore', (clock) => new ConcurrencySemaphore({ capacity: 2, clock }), 0],
  ['LeakyBucketLimiter', (clock) => new LeakyBucketLimiter({ maxRate: 2, periodMs: 1_000, clock }), 0.2],
  ['TokenBucket', (clock) => new TokenBucket({ capacity: 2, refillIntervalMs: 1_000, clock }), 0],
  ['Throttle', (clock) => new Throttle({ rate: 2, periodMs: 1_000, concurrency: 1, clock }), 0],
  ['Throttle with limits', (clock) => new Throttle({ limits: [{ rate: 2, periodMs: 1_000, kind: 'leaky' }, { rate: 4, periodMs: 10_000, kind: 'leaky' }], clock }), 0.2],
];

describe.each(limiters)('%s.stats()', (_name, make, availableAt100) => {
  it('counts admissions, timeouts, aborts, the queue and the pause, in a fresh plain object each call', async () => {
    const { fake, clock } = fakeClock();
    const limiter = make(clock);
    const fresh = limiter.stats();
    expect(Object.keys(fresh).filter((k) => k !== 'refunding').sort()).toEqual(FIELDS);
    expect(fresh).toMatchObject({ pending: 0, admitted: 0, timedOut: 0, aborted: 0, pausedUntil: undefined });
    expect(fresh.available).toBe(limiter.available);

    const permit = limiter.tryAcquire(2)!;
    const timeout = expect(limiter.acquire(1, { maxWaitMs: 50 })).rejects.toBeInstanceOf(MaxWaitExceededError);
    const controller = new AbortController();
    const aborted = expect(limiter.acquire(1, { signal: controller.signal })).rejects.toBe('gone');
    const last = limiter.acquire(1);
    controller.abort('gone');
    await aborted;
    await fake.tickAsync(100);
    await timeout;
    limiter.pause(2_000);

    const a = limiter.stats();
    const b = limiter.stats();
    expect(a).not.toBe(b);
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    expect(a).toMatchObject({ pending: 1, admitted: 1, timedOut: 1, aborted: 1, pausedUntil: 2_100 });
    expect(a.available).toBeCloseTo(availableAt100, 12);
    a.admitted = 99;
    expect(limiter.stats().admitted).toBe(1); // a snapshot, not a view

    permit.release();
    await fake.tickAsync(1_999);
    expect(limiter.stats()).toMatchObject({ pending: 1, admitted: 1, pausedUntil: 2_100 });
    await fake.tickAsync(1);
    await last;
    expect(limiter.stats()).toMatchObject({ pending: 0, admitted: 2, timedOut: 1, aborted: 1, pausedUntil: undefined });
  });
});

describe('CreditSemaphore.stats().refunding', () => {
  it('is the credits released and not yet back, down to each refund’s instant', async () => {
    const { fake, clock } = fakeClock();
    const sem = new CreditSemaphore({ capacity: 10, refundMs: 1_000, clock });
    expect(sem.stats().refunding).toBe(0);
    const a = sem.tryAcquire(4)!;
    const b = await sem.acquire(2.5, { refundMs: 300 });
    expect(sem.stats()).toMatchObject({ available: 3.5, refunding: 0 });
    a.release(); // back at 1 000
    fake.tick(100);
    b.release(); // back at 400
    expect(sem.stats()).toMatchObject({ available: 3.5, refunding: 6.5 });
    fake.tick(299);
    expect(sem.stats().refunding).toBe(6.5);
    fake.tick(1);
    expect(sem.stats()).toMatchObject({ available: 6, refunding: 4 });
    fake.tick(600);
    expect(sem.stats()).toMatchObject({ available: 10, refunding: 0 });
    expect(Object.keys(sem.stats()).sort()).toEqual([...FIELDS, 'refunding'].sort());
  });
});
