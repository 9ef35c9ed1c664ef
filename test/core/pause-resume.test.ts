import { describe, expect, it } from 'vitest';
import { type LimiterEvent, type Permit, VirtualClock } from '../../src/index.js';
import { makers, names } from '../support/bad-input-limiters.js';

// pause(ms) and resume() on every in-process limiter (docs/semantics.md §12.1): a pause admits
// nobody, cost 0 aside, until it ends or resume() ends it; resume() admits at that very instant.

function setup(name: string) {
  const clock = new VirtualClock(1_000);
  const events: LimiterEvent[] = [];
  const limiter = makers[name]!(clock, (e) => events.push(e));
  return { clock, events, limiter };
}

function watch(promise: Promise<Permit>, clock: VirtualClock) {
  const seen: { at?: number; error?: unknown } = {};
  promise.then(
    () => (seen.at = clock.now()),
    (error: unknown) => Object.assign(seen, { at: clock.now(), error }),
  );
  return seen;
}

describe.each(names)('%s', (name) => {
  it('pause(Infinity) admits nobody, however long, with no timer armed; retryAfterMs is Infinity; cost 0 passes', async () => {
    const { clock, limiter } = setup(name);
    limiter.pause(Infinity);
    expect(limiter.stats().pausedUntil).toBe(Infinity);
    expect(limiter.tryAcquire(1)).toBeUndefined();
    expect(limiter.retryAfterMs(1)).toBe(Infinity);
    expect(limiter.tryAcquire(0)?.cost).toBe(0);
    const seen = watch(limiter.acquire(1), clock);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(2 ** 40);
    expect(seen.at).toBeUndefined();
    expect(limiter.pending).toBe(1);
    limiter.close();
  });

  it('resume() ends a pause at once: the queue is admitted at that instant, and later calls pass', async () => {
    const { clock, limiter, events } = setup(name);
    limiter.pause(Infinity);
    const seen = watch(limiter.acquire(1), clock);
    await clock.advance(250);
    limiter.resume();
    await clock.advance(0);
    expect(seen.at).toBe(1_250);
    expect(events.filter((e) => e.type === 'admitted').map((e) => e.at)).toEqual([1_250]);
    expect(limiter.stats().pausedUntil).toBeUndefined();
    expect(limiter.tryAcquire(1)).toBeDefined();
    expect(clock.pendingTimers).toBe(0);
  });

  it('resume() ends a finite pause early and disarms its wake-up', async () => {
    const { clock, limiter } = setup(name);
    limiter.pause(10_000);
    const seen = watch(limiter.acquire(1), clock);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(100);
    limiter.resume();
    await clock.advance(0);
    expect(seen.at).toBe(1_100);
    expect(limiter.retryAfterMs(1)).toBe(0);
  });

  it('resume() without a pause, after one ended, or on a closed limiter changes nothing', async () => {
    const { clock, limiter, events } = setup(name);
    const before = limiter.stats();
    limiter.resume();
    expect(limiter.stats()).toEqual(before);
    limiter.pause(50);
    await clock.advance(50);
    limiter.resume();
    expect(limiter.stats().pausedUntil).toBeUndefined();
    expect(events).toEqual([]);
    limiter.pause(Infinity);
    limiter.close();
    expect(() => limiter.resume()).not.toThrow();
    expect(limiter.closed).toBe(true);
  });

  it('a pause after resume() counts from then; a shorter one never shortens a longer one', async () => {
    const { clock, limiter } = setup(name);
    limiter.pause(Infinity);
    limiter.resume();
    limiter.pause(300);
    limiter.pause(100); // shorter: no effect
    expect(limiter.stats().pausedUntil).toBe(1_300);
    const seen = watch(limiter.acquire(1), clock);
    await clock.advance(299);
    expect(seen.at).toBeUndefined();
    await clock.advance(1);
    expect(seen.at).toBe(1_300);
  });
});
