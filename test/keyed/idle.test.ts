import { describe, expect, it } from 'vitest';
import { ConcurrencySemaphore, CreditSemaphore, LeakyBucketLimiter, Throttle, TokenBucket } from '../../src/index.js';
import { fakeClock } from '../support/fake-clock.js';

describe('Gate#idle: as new, so a KeyedLimiter may drop it', () => {
  it('is false while a permit is held or a waiter waits', async () => {
    const { clock } = fakeClock();
    const sem = new ConcurrencySemaphore({ capacity: 1, clock });
    expect(sem.idle).toBe(true);
    const permit = sem.tryAcquire()!;
    expect(sem.idle).toBe(false);
    const waiter = sem.acquire();
    permit.release(); // the waiter is admitted: still held
    expect(sem.idle).toBe(false);
    (await waiter).release();
    expect(sem.idle).toBe(true);
    const zero = sem.tryAcquire(0)!;
    expect(sem.idle).toBe(true); // cost 0 takes nothing
    const watching = sem.onIdle(); // waits for the cost 0 permit: a watched limiter is in use
    expect(sem.idle).toBe(false);
    zero.release();
    await watching;
    expect(sem.idle).toBe(true);
  });

  it('is true with spent permits unreleased once the budget is full again (tokens, level); false while an onIdle() waits for them', () => {
    const { fake, clock } = fakeClock();
    const bucket = new TokenBucket({ capacity: 2, refillIntervalMs: 1_000, clock });
    const leaky = new LeakyBucketLimiter({ maxRate: 2, periodMs: 1_000, clock });
    const permits = [bucket.tryAcquire(2)!, leaky.tryAcquire(2)!];
    fake.tick(10_000);
    expect([bucket.tokens, leaky.level]).toEqual([2, 0]);
    expect([bucket.idle, leaky.idle]).toEqual([true, true]);
    expect([bucket.stats().running, leaky.stats().running]).toEqual([1, 1]);
    void bucket.onIdle();
    void leaky.onEmpty(); // resolves at once: nobody waits
    expect([bucket.idle, leaky.idle]).toEqual([false, true]);
    for (const permit of permits) permit.release();
    expect([bucket.idle, leaky.idle]).toEqual([true, true]);
  });

  it('is false while credits are refunding, true from the instant they are back', () => {
    const { fake, clock } = fakeClock();
    const sem = new CreditSemaphore({ capacity: 3, refundMs: 500, clock });
    sem.tryAcquire(2)!.release();
    fake.tick(499);
    expect(sem.idle).toBe(false);
    fake.tick(1);
    expect(sem.idle).toBe(true);
  });

  it('is false until a token bucket is full again, including one that starts short', () => {
    const { fake, clock } = fakeClock();
    const bucket = new TokenBucket({ capacity: 2, refillIntervalMs: 1_000, initialTokens: 1, clock });
    expect(bucket.idle).toBe(false);
    fake.tick(1_000);
    expect(bucket.idle).toBe(true);
    bucket.tryAcquire(2)!.release(); // spent: the tokens come back with time only
    fake.tick(1_999);
    expect(bucket.idle).toBe(false);
    fake.tick(1);
    expect(bucket.idle).toBe(true);
  });

  it('is false until a leaky level has drained to empty, and for a throttle until its slots are back too', () => {
    const { fake, clock } = fakeClock();
    const leaky = new LeakyBucketLimiter({ maxRate: 4, periodMs: 1_000, clock });
    leaky.tryAcquire(1)!.release(); // the level drains with time only
    fake.tick(249);
    expect(leaky.idle).toBe(false);
    fake.tick(1);
    expect(leaky.idle).toBe(true);
    const throttle = new Throttle({ limits: [{ rate: 4, kind: 'leaky' }, { rate: 10, periodMs: 10_000, kind: 'leaky' }], concurrency: 1, clock });
    const permit = throttle.tryAcquire()!;
    fake.tick(1_000);
    expect(throttle.idle).toBe(false); // the slow level has drained, the slot is held
    permit.release();
    expect(throttle.idle).toBe(true);
  });

  it('is false while paused: dropping it would forget the pause', () => {
    const { fake, clock } = fakeClock();
    const sem = new ConcurrencySemaphore({ capacity: 1, clock });
    sem.pause(300);
    expect(sem.idle).toBe(false);
    fake.tick(300);
    expect(sem.idle).toBe(true);
  });
});
