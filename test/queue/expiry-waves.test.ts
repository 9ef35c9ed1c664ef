// Expiry waves (docs/semantics.md §16.6): many waiters due at one instant leave in slices, each
// slice a callback of its own, and where a wave is cut (a count, or real time on a slow machine)
// changes nothing a waiter sees on a virtual clock.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConcurrencySemaphore, MaxWaitExceededError, VirtualClock, type Clock, type LimiterEvent } from '../../src/index.js';

/** A VirtualClock that records the delay of every timer armed on it. */
function recordingClock(): { clock: Clock; virtual: VirtualClock; delays: number[] } {
  const virtual = new VirtualClock();
  const delays: number[] = [];
  const clock: Clock = {
    now: () => virtual.now(),
    setTimeout: (fn, ms) => (delays.push(ms), virtual.setTimeout(fn, ms)),
    clearTimeout: (handle) => virtual.clearTimeout(handle),
  };
  return { clock, virtual, delays };
}

async function wave(n: number): Promise<{ at: number[]; delays: number[]; reasons: unknown[]; admitted: number }> {
  const { clock, virtual, delays } = recordingClock();
  const at: number[] = [];
  const sem = new ConcurrencySemaphore({ capacity: 1, clock, onEvent: (e: LimiterEvent) => void (e.type === 'timeout' && at.push(e.at)) });
  const held = sem.tryAcquire()!;
  const reasons: unknown[] = [];
  const waiting = Array.from({ length: n }, () => sem.acquire(1, { maxWaitMs: 50 }).catch((reason: unknown) => void reasons.push(reason)));
  await virtual.advance(49);
  expect(reasons).toHaveLength(0);
  delays.length = 0;
  await virtual.advance(1);
  await Promise.all(waiting);
  expect(sem.pending).toBe(0);
  const admitted = sem.stats().admitted;
  held.release();
  expect(sem.available).toBe(1);
  return { at, delays, reasons, admitted };
}

describe('expiry waves (docs/semantics.md §16.6)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('1 000 waiters due together leave in slices of at most 256, all at their deadline', async () => {
    const { at, delays, reasons, admitted } = await wave(1000);
    expect(reasons).toHaveLength(1000);
    expect(reasons.every((r) => r instanceof MaxWaitExceededError && r.maxWaitMs === 50 && r.waitedMs === 50)).toBe(true);
    expect(new Set(at)).toEqual(new Set([50]));
    // The wave was cut into callbacks: each cut re-arms with 0 ms (the same instant), at least
    // ceil(1000 / 256) − 1 = 3 times (more where a slice also ran out of real time).
    expect(delays.filter((d) => d === 0).length).toBeGreaterThanOrEqual(3);
    expect(admitted).toBe(1);
  });

  it('a cut by real time (a slow machine) changes no outcome: the same rejections at the same instant', async () => {
    let t = 0;
    // Every reading of the real clock 10 ms later: the wave is cut at every check (each 16 waiters).
    vi.spyOn(performance, 'now').mockImplementation(() => (t += 10));
    const { at, delays, reasons } = await wave(100);
    expect(reasons).toHaveLength(100);
    expect(new Set(at)).toEqual(new Set([50]));
    expect(delays.filter((d) => d === 0).length).toBeGreaterThanOrEqual(6);
  });
});
