import { describe, expect, it } from 'vitest';
import { ConcurrencySemaphore, MaxWaitExceededError, VirtualClock } from '../../src/index.js';

// docs/semantics.md §7.3: an error built when a deadline passes has no stack frames; the global
// stack limit is left as it was.
describe('MaxWaitExceededError from a deadline', () => {
  it('carries no stack frames and leaves Error.stackTraceLimit unchanged', async () => {
    const clock = new VirtualClock();
    const sem = new ConcurrencySemaphore({ capacity: 1, clock });
    sem.tryAcquire();
    const limit = Error.stackTraceLimit;
    const waiting = sem.acquire(1, { maxWaitMs: 100 }).catch((error: unknown) => error);
    await clock.advance(100);
    const error = (await waiting) as MaxWaitExceededError;
    expect(error).toBeInstanceOf(MaxWaitExceededError);
    expect(error.maxWaitMs).toBe(100);
    expect(error.stack?.split('\n').filter((line) => line.trimStart().startsWith('at '))).toEqual([]);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('x').stack).toMatch(/\n\s+at /); // stacks elsewhere are untouched
  });
});
