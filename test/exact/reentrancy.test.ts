// Re-entrancy (docs/semantics.md §16): listeners — onEvent, abort listeners, promise callbacks —
// call back into the limiter at random (acquire, tryAcquire, release, abort another waiter,
// pause, resume, update, clear, close, observe, wait for the queue with onEmpty / onIdle /
// onSizeLessThan, whose resolution callbacks clear, close or act again). Every waiter settles exactly once with one
// terminal event that matches how it settled; counts add up with stats(); pending is never
// negative and always matches the events once an operation is over; after close no timer is
// armed. Then the cases, as plain tests.
import FakeTimers from '@sinonjs/fake-timers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConcurrencySemaphore,
  CreditSemaphore,
  LeakyBucketLimiter,
  LimiterClosedError,
  MaxWaitExceededError,
  SlidingWindowLimiter,
  Throttle,
  TokenBucket,
  VirtualClock,
  type Clock,
  type LimiterEvent,
  type Permit,
} from '../../src/index.js';
import { action, queueOptions, ReentrantRun, step } from './reentrancy-run.js';
import { configs, KINDS, runs, SEED } from '../support/exact-setup.js';

describe('re-entrancy: random listeners calling back in (docs/semantics.md §16)', () => {
  for (const kind of KINDS) {
    it(`${kind}: every waiter settles once, counts add up, pending matches, close leaves no timer`, async () => {
      await fc.assert(
        fc.asyncProperty(configs[kind], queueOptions, fc.array(action, { minLength: 1, maxLength: 30 }), fc.array(step, { minLength: 10, maxLength: 50, size: 'max' }), async (config, q, actions, steps) => {
          const c = { ...config, options: { ...config.options, ...Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) } };
          // The Throttle's `update` of its own option needs one limit form; keep it simple.
          const run = new ReentrantRun(c, actions);
          for (const s of steps) {
            if (s.t === 'act') run.act(s.a);
            else await run.clock.advance(s.ms);
            await run.settle();
            run.check();
          }
          run.limiter.close();
          await run.settle();
          run.check();
          for (const t of run.tracked) expect(t.settled, `waiter ${t.id} never settled`).toBe(1);
          expect(run.clock.pendingTimers).toBe(0);
        }),
        { seed: SEED, numRuns: runs(25) },
      );
    });
  }
});

describe('re-entrancy: the issue (docs/semantics.md §7.3, §16)', () => {
  const outcome = (p: Promise<unknown>) => {
    const o: { v?: unknown; e?: unknown; at?: number; n: number } = { n: 0 };
    return { o, p: p.then((v) => ((o.v = v), o.n++), (e) => ((o.e = e), o.n++)) };
  };

  it('a timeout listener that calls close(): the rest are closed, once each, and no timer is left', async () => {
    const clock = new VirtualClock();
    let sem!: ConcurrencySemaphore;
    sem = new ConcurrencySemaphore({ capacity: 1, clock, onEvent: (e) => e.type === 'timeout' && sem.close() });
    sem.tryAcquire();
    const a = outcome(sem.acquire(1, { maxWaitMs: 10 }));
    const b = outcome(sem.acquire(1, { maxWaitMs: 10 }));
    const c = outcome(sem.acquire(1));
    await clock.advance(10);
    await Promise.all([a.p, b.p, c.p]);
    expect(a.o.e).toBeInstanceOf(MaxWaitExceededError);
    // b was due at the same instant: timed out in the same wave (before the listener ran) or closed.
    expect(b.o.e instanceof MaxWaitExceededError || b.o.e instanceof LimiterClosedError).toBe(true);
    expect(c.o.e).toBeInstanceOf(LimiterClosedError);
    expect([a.o.n, b.o.n, c.o.n]).toEqual([1, 1, 1]);
    expect(clock.pendingTimers).toBe(0);
    expect(sem.pending).toBe(0);
  });

  it('a timeout listener that aborts another waiter due at the same instant: that one settles once', async () => {
    const clock = new VirtualClock();
    const other = new AbortController();
    const reason = new Error('aborted from the listener');
    const events: string[] = [];
    const sem = new ConcurrencySemaphore({
      capacity: 1,
      clock,
      onEvent: (e) => {
        events.push(`${e.type}:${e.id}`);
        if (e.type === 'timeout' && e.id === 'a') other.abort(reason);
      },
    });
    sem.tryAcquire();
    const a = outcome(sem.acquire(1, { maxWaitMs: 10, id: 'a' }));
    const b = outcome(sem.acquire(1, { maxWaitMs: 10, id: 'b', signal: other.signal }));
    await clock.advance(10);
    await Promise.all([a.p, b.p]);
    expect(a.o.e).toBeInstanceOf(MaxWaitExceededError);
    expect(b.o.n).toBe(1);
    expect(b.o.e === reason || b.o.e instanceof MaxWaitExceededError).toBe(true);
    const terminal = events.filter((e) => e.endsWith(':b') && !e.startsWith('queued'));
    expect(terminal).toHaveLength(1);
    const s = sem.stats();
    expect(s.timedOut + s.aborted).toBe(2);
    expect(sem.pending).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a timeout listener that releases a permit: a waiter without a deadline is admitted at that instant', async () => {
    const clock = new VirtualClock();
    const permit: { p?: Permit } = {};
    const sem = new ConcurrencySemaphore({ capacity: 1, clock, onEvent: (e) => e.type === 'timeout' && permit.p?.release() });
    permit.p = sem.tryAcquire()!;
    const a = outcome(sem.acquire(1, { maxWaitMs: 10 }));
    let admittedAt: number | undefined;
    const c = sem.acquire(1).then((p) => ((admittedAt = clock.now()), p));
    await clock.advance(10);
    await a.p;
    await c;
    expect(a.o.e).toBeInstanceOf(MaxWaitExceededError);
    expect(admittedAt).toBe(10);
    expect(sem.stats()).toMatchObject({ admitted: 2, timedOut: 1, pending: 0, running: 1 });
  });

  it('fifo: the head timing out at t with a payable waiter behind it with the same deadline → that one is admitted at t', async () => {
    const clock = new VirtualClock();
    const sem = new ConcurrencySemaphore({ capacity: 2, clock });
    sem.tryAcquire(1);
    const head = outcome(sem.acquire(2, { maxWaitMs: 10 }));
    let admittedAt: number | undefined;
    const behind = sem.acquire(1, { maxWaitMs: 10 }).then((p) => ((admittedAt = clock.now()), p));
    await clock.advance(9);
    expect(admittedAt).toBeUndefined();
    await clock.advance(1);
    await head.p;
    await behind;
    expect(head.o.e).toBeInstanceOf(MaxWaitExceededError);
    expect((head.o.e as MaxWaitExceededError).waitedMs).toBe(10);
    expect(admittedAt).toBe(10);
  });

  it('a queued listener that calls close(): no timer left (fake timers countTimers), every waiter closed once', async () => {
    const fake = FakeTimers.createClock(0);
    const clock: Clock = { now: () => fake.now, setTimeout: (fn, ms) => fake.setTimeout(fn, ms), clearTimeout: (h) => fake.clearTimeout(h as never) };
    for (const make of [
      (onEvent: (e: LimiterEvent) => void) => new TokenBucket({ capacity: 1, refillIntervalMs: 100, clock, onEvent }),
      (onEvent: (e: LimiterEvent) => void) => new LeakyBucketLimiter({ maxRate: 1, periodMs: 100, clock, onEvent }),
      (onEvent: (e: LimiterEvent) => void) => new SlidingWindowLimiter({ limit: 1, windowMs: 100, clock, onEvent }),
      (onEvent: (e: LimiterEvent) => void) => new Throttle({ rate: 1, periodMs: 100, concurrency: 1, clock, onEvent }),
      (onEvent: (e: LimiterEvent) => void) => new CreditSemaphore({ capacity: 1, refundMs: 50, clock, onEvent }),
    ]) {
      let closeOn = 2;
      const l = make((e) => e.type === 'queued' && --closeOn === 0 && l.close());
      const p = l.tryAcquire()!;
      p.release();
      const first = outcome(l.acquire(1, { maxWaitMs: 1_000 }));
      const second = outcome(l.acquire(1, { maxWaitMs: 1_000 }));
      await fake.tickAsync(0);
      await Promise.all([first.p, second.p]);
      expect(first.o.e).toBeInstanceOf(LimiterClosedError);
      expect(second.o.e).toBeInstanceOf(LimiterClosedError);
      expect(fake.countTimers()).toBe(0);
      expect(l.pending).toBe(0);
    }
  });

  it('a promise callback that acquires again and an abort listener that releases: consistent counts', async () => {
    const clock = new VirtualClock();
    const sem = new CreditSemaphore({ capacity: 2, clock });
    const held = sem.tryAcquire(2)!;
    const c = new AbortController();
    const a = sem.acquire(1, { signal: c.signal });
    // Added after the limiter's own listener: the waiter has left when this releases.
    c.signal.addEventListener('abort', () => held.release());
    const b = sem.acquire(2).then((p) => {
      p.release();
      return sem.acquire(2);
    });
    c.abort();
    await expect(a).rejects.toBeInstanceOf(DOMException);
    const again = await b;
    expect(again.cost).toBe(2);
    expect(sem.stats()).toMatchObject({ admitted: 3, aborted: 1, pending: 0, running: 1 });
  });
});
