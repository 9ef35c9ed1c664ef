// Every limiter in a non-trivial state (a permit held, a waiter queued, a refund or a drain under
// way), and a snapshot of everything a caller can observe, to show a rejected call changed nothing.
import { expect } from 'vitest';
import {
  ConcurrencySemaphore,
  CreditSemaphore,
  LeakyBucketLimiter,
  SlidingWindowLimiter,
  Throttle,
  TokenBucket,
  VirtualClock,
  type LimiterEvent,
  type Permit,
} from '../../src/index.js';

export type AnyLimiter = CreditSemaphore | ConcurrencySemaphore | LeakyBucketLimiter | TokenBucket | SlidingWindowLimiter | Throttle;

export interface Rig {
  name: string;
  clock: VirtualClock;
  limiter: AnyLimiter;
  events: LimiterEvent[];
  capacity: number;
  /** The waiter queued by `prepare`, settled or not. */
  waiter: { settled: boolean; value?: unknown };
  held: Permit[];
}

/** Constructors of every limiter with a clock and an event log; `options` override the defaults. */
export const makers: Record<string, (clock: VirtualClock, onEvent: (e: LimiterEvent) => void, options?: Record<string, unknown>) => AnyLimiter> = {
  CreditSemaphore: (clock, onEvent, o) => new CreditSemaphore({ capacity: 4, refundMs: 100, clock, onEvent, ...o }),
  ConcurrencySemaphore: (clock, onEvent, o) => new ConcurrencySemaphore({ capacity: 4, clock, onEvent, ...o }),
  LeakyBucketLimiter: (clock, onEvent, o) => new LeakyBucketLimiter({ maxRate: 4, periodMs: 1_000, clock, onEvent, ...o }),
  TokenBucket: (clock, onEvent, o) => new TokenBucket({ capacity: 4, refillIntervalMs: 250, clock, onEvent, ...o }),
  SlidingWindowLimiter: (clock, onEvent, o) => new SlidingWindowLimiter({ limit: 4, windowMs: 1_000, clock, onEvent, ...o }),
  Throttle: (clock, onEvent, o) => new Throttle({ rate: 4, periodMs: 1_000, concurrency: 3, clock, onEvent, ...o }),
};
export const names = Object.keys(makers);

/**
 * A limiter with 3 of 4 taken (a refund of 1 under way for CreditSemaphore), one waiter of 3 queued,
 * and 10 ms of clock behind it, so its state has every part a bad call could disturb.
 */
export async function prepare(name: string): Promise<Rig> {
  const clock = new VirtualClock(1_000);
  const events: LimiterEvent[] = [];
  const limiter = makers[name]!(clock, (e) => events.push(e));
  const held = [limiter.tryAcquire(1)!, limiter.tryAcquire(1)!, limiter.tryAcquire(1)!];
  expect(held.every((p) => p !== undefined)).toBe(true);
  if (limiter instanceof CreditSemaphore) {
    held.push(limiter.tryAcquire(1)!);
    held.pop()!.release(); // 1 refunding
  }
  const waiter: Rig['waiter'] = { settled: false };
  limiter.acquire(3, { id: 'w' }).then(
    (value) => Object.assign(waiter, { settled: true, value }),
    (value) => Object.assign(waiter, { settled: true, value }),
  );
  await clock.advance(10);
  expect(limiter.pending).toBe(1);
  return { name, clock, limiter, events, capacity: 4, waiter, held };
}

/** Everything observable from outside, read at the rig's current instant. */
export function snapshot(rig: Rig) {
  const l = rig.limiter;
  return {
    available: l.available,
    pending: l.pending,
    stats: l.stats(),
    retryAfterMs: [l.retryAfterMs(1), l.retryAfterMs(4)],
    closed: l.closed,
    extra:
      l instanceof CreditSemaphore
        ? l.refunding
        : l instanceof LeakyBucketLimiter
          ? l.level
          : l instanceof TokenBucket
            ? l.tokens
            : l instanceof SlidingWindowLimiter
              ? l.used
              : l instanceof Throttle
                ? l.running
                : 0,
    timers: rig.clock.pendingTimers,
    events: rig.events.length,
    waiterSettled: rig.waiter.settled,
  };
}

/** The rig still works after the bad calls: releasing what is held admits the waiter. */
export async function stillWorks(rig: Rig): Promise<void> {
  for (const p of rig.held) p.release();
  await rig.clock.runAll();
  expect(rig.waiter).toEqual({ settled: true, value: expect.objectContaining({ cost: 3 }) });
  expect(rig.limiter.pending).toBe(0);
}

/** Runs `bad` against a prepared limiter and checks it left everything as it was, then that it still works. */
export async function unchanged(name: string, bad: (rig: Rig) => Promise<void> | void): Promise<void> {
  const rig = await prepare(name);
  const before = snapshot(rig);
  await bad(rig);
  await new Promise((resolve) => setImmediate(resolve));
  expect(snapshot(rig)).toEqual(before);
  await stillWorks(rig);
}

/** Shows a value the way the library's messages do. */
export const show = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : typeof value === 'symbol' ? value.toString() : String(value);

/** A value of the wrong type for a number option, and a number out of range. */
export const notNumbers: unknown[] = ['5', null, true, {}, [], 5n, Symbol('five'), () => 5];
export const badNumbers: number[] = [NaN, -1, -Infinity, -0.5];

/** Asserts `fn` throws `type` with a message naming `name` and showing `value`. */
export function expectThrow(fn: () => unknown, type: new (...args: never[]) => Error, name: string, ...value: [unknown?]): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${type.name} naming ${name}`).toBeInstanceOf(type);
  const message = (error as Error).message;
  expect(message).toContain(name);
  if (value.length > 0) expect(message).toContain(show(value[0]));
}

/** Asserts `promise` (returned, never thrown) rejects with `type`, the message naming `name` and `value`. */
export async function expectReject(call: () => Promise<unknown>, type: new (...args: never[]) => Error, name: string, value: unknown): Promise<void> {
  let promise: Promise<unknown> | undefined;
  expect(() => (promise = call())).not.toThrow();
  expect(promise).toBeInstanceOf(Promise);
  const error = await promise!.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${type.name} naming ${name}`).toBeInstanceOf(type);
  expect((error as Error).message).toContain(name);
  expect((error as Error).message).toContain(show(value));
}
