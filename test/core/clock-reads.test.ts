// A limiter skips reading the clock when no answer can depend on the time (a clock read is the
// dearest step of an uncontended acquire). These tests pin both halves of that: the reads are
// skipped on the plain path, and every instant that matters (pause end, refund, deadline) is
// still honoured exactly when no listener forces fresh readings.
import { describe, expect, it } from 'vitest';
import { ConcurrencySemaphore, CreditSemaphore, MaxWaitExceededError } from '../../src/index.js';
import { countingClock } from '../support/counting-clock.js';

describe('clock reads', () => {
  it('a semaphore with nothing due reads the clock once, however many uncontended calls', async () => {
    const { clock, reads } = countingClock();
    const sem = new ConcurrencySemaphore({ capacity: 2, clock });
    for (let i = 0; i < 100; i++) sem.tryAcquire()!.release();
    for (let i = 0; i < 100; i++) (await sem.acquire()).release();
    expect(reads()).toBe(1);
  });

  it('a listener, a timed budget or a deadline makes every call read it', async () => {
    const events = countingClock();
    const withListener = new ConcurrencySemaphore({ capacity: 2, clock: events.clock, onEvent: () => {} });
    for (let i = 0; i < 10; i++) withListener.tryAcquire()!.release();
    expect(events.reads()).toBe(20);

    const deadline = countingClock();
    const sem = new ConcurrencySemaphore({ capacity: 1, clock: deadline.clock });
    const held = sem.tryAcquire()!;
    const waiting = sem.acquire(1, { maxWaitMs: 100 });
    const before = deadline.reads();
    held.release();
    (await waiting).release();
    expect(deadline.reads()).toBeGreaterThan(before); // the deadline (t = 100) is still ahead
  });

  it('a pause holds until its end instant exactly, then reads stop again', async () => {
    const { clock, virtual, reads } = countingClock();
    const sem = new ConcurrencySemaphore({ capacity: 1, clock });
    sem.tryAcquire()!.release();
    sem.pause(100);
    await virtual.advance(99);
    expect(sem.tryAcquire()).toBeUndefined();
    await virtual.advance(1);
    sem.tryAcquire()!.release(); // t = 100: the pause has ended
    await virtual.advance(1);
    sem.tryAcquire()!.release(); // t = 101: this reading is past every instant that matters
    const settled = reads();
    for (let i = 0; i < 10; i++) sem.tryAcquire()!.release();
    expect(reads()).toBe(settled);
  });

  it('a refund comes back at its due instant exactly, without a listener', async () => {
    const { clock, virtual } = countingClock();
    const sem = new CreditSemaphore({ capacity: 10, refundMs: 1_000, clock });
    sem.tryAcquire(10)!.release(); // due back at t = 1000
    await virtual.advance(999);
    expect(sem.tryAcquire(1)).toBeUndefined();
    await virtual.advance(1);
    expect(sem.tryAcquire(10)?.cost).toBe(10);
  });

  it('deadlines hold without a listener: admitted before, timed out at the deadline', async () => {
    const { clock, virtual } = countingClock();
    const sem = new ConcurrencySemaphore({ capacity: 1, clock });
    const first = sem.tryAcquire()!;
    const inTime = sem.acquire(1, { maxWaitMs: 100 });
    await virtual.advance(99);
    first.release();
    const second = await inTime;
    const late = sem.acquire(1, { maxWaitMs: 50 }).catch((error: unknown) => error);
    await virtual.advance(50);
    expect(await late).toBeInstanceOf(MaxWaitExceededError);
    second.release();
    expect(sem.pending).toBe(0);
    expect(sem.available).toBe(1);
  });
});
