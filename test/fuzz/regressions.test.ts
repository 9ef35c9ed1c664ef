import { describe, expect, it } from 'vitest';
import { ConcurrencySemaphore, MaxWaitExceededError, VirtualClock } from '../../src/index.js';

// Counterexamples the operation fuzzing found, kept as plain tests.
describe('found by fuzzing', () => {
  // A parked waiter (payable, but it entered while another waited) with maxWaitMs 0 or a
  // fractional maxWaitMs: its deadline timer can only fire at the next whole ms, and the scan at
  // that instant admitted it after its deadline. It must be rejected instead.
  for (const maxWaitMs of [0, 2.5]) {
    it(`a waiter is never admitted after its deadline (maxWaitMs ${maxWaitMs})`, async () => {
      const clock = new VirtualClock();
      const sem = new ConcurrencySemaphore({ capacity: 2, admission: 'opportunistic', clock });
      const held = sem.tryAcquire(1)!;
      const big = sem.acquire(2);
      const outcome = sem.acquire(1, { maxWaitMs }).then(
        () => ({ admittedAt: clock.now() }),
        (error: unknown) => ({ error, at: clock.now() }),
      );
      await clock.advance(10);
      const result = await outcome;
      expect(result).toEqual({ error: expect.any(MaxWaitExceededError), at: Math.max(1, Math.ceil(maxWaitMs)) });
      expect(sem.available).toBe(1);
      expect(sem.pending).toBe(1);
      held.release();
      expect((await big).cost).toBe(2);
    });
  }
});
