import FakeTimers from '@sinonjs/fake-timers';
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CommonOptions,
  type Gate,
  type LimiterEvent,
  LimiterClosedError,
  MaxWaitExceededError,
  type Permit,
  QueueClearedError,
  QueueFullError,
} from '../../src/index.js';

/** The clock `FakeTimers.install()` returns. */
export type FakeClock = ReturnType<typeof FakeTimers.install>;

/** The house configuration: timers, `performance` (what `systemClock` reads) and `Date` (to jump the wall clock). Time starts at 0. */
export const installFakeClock = (): FakeClock =>
  FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });

/**
 * What a limiter under test looks like to the contract suite. Every subject is built so that
 * `exhaust()`, called at the instant the limiter was built, takes the whole budget as permits of
 * cost 1 (one per unit: for a Throttle with a concurrency limit, one per slot).
 */
export interface Subject {
  limiter: Gate;
  /** The largest cost the limiter can ever pay. */
  capacity: number;
  /**
   * `'release'`: after `exhaust`, only releasing one of its permits frees a unit (at that instant).
   * `'timed'`: after `exhaust`, units come back with time alone, at `readyMs(k)` after it.
   */
  kind: 'release' | 'timed';
  /** True when one of its budgets spends (leaky, tokens: what is taken never comes back), so a wait it alone makes too long is provable. */
  spends: boolean;
  exhaust(): Promise<Permit[]>;
  /** A sliding window: what it frees comes back a whole window after it was taken, not continuously. */
  window?: boolean;
  /** Timed subjects: ms after `exhaust` at which `units` (1..4) are payable. Release subjects: Infinity. */
  readyMs(units: number): number;
}

export interface FactoryContext {
  /** The installed fake clock (`setTimeout`, `clearTimeout`, `performance`, `Date` faked). */
  clock: FakeClock;
  /** Options the suite needs in the constructor (`onEvent`, `maxWaitMs`, ...). */
  options: CommonOptions;
}

export type Factory = (context: FactoryContext) => Subject;

interface Tracked<T> {
  settled: boolean;
  at: number | undefined;
  value: T | undefined;
  error: unknown;
}

/** Records when (fake clock ms) and how a promise settles; also keeps rejections handled. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const t: Tracked<T> = { settled: false, at: undefined, value: undefined, error: undefined };
  promise.then(
    (value) => Object.assign(t, { settled: true, at: performance.now(), value }),
    (error: unknown) => Object.assign(t, { settled: true, at: performance.now(), error }),
  );
  return t;
}

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

/**
 * The `Limiter` contract of docs/semantics.md §4–§8, queue control (§11) and `stats`/`retryAfterMs` (§14), asserted at exact instants
 * on fake timers, for one limiter configuration.
 */
export function contractSuite(name: string, factory: Factory): void {
  describe(`contract: ${name}`, () => {
    let clock: FakeClock;
    beforeEach(() => {
      clock = installFakeClock();
    });
    afterEach(() => clock.uninstall());

    const now = () => performance.now();
    const flush = () => clock.tickAsync(0);
    /** Advance the clock to the absolute instant `at`. */
    const tickTo = (at: number) => clock.tickAsync(at - now());

    function setup(options: CommonOptions = {}) {
      const events: LimiterEvent[] = [];
      const subject = factory({ clock, options: { onEvent: (e) => events.push(e), ...options } });
      let held: Permit[] = [];
      let freed = 0;
      let exhaustedAt = NaN;
      const h = {
        ...subject,
        events,
        count: (type: LimiterEvent['type']) => events.filter((e) => e.type === type).length,
        timed: subject.kind === 'timed',
        async exhaust() {
          exhaustedAt = now();
          held = await subject.exhaust();
          expect(subject.limiter.tryAcquire(1)).toBeUndefined();
          return held;
        },
        /** Makes one more unit payable: a release now, or time up to the instant it comes back. Returns that instant. */
        async freeOne(): Promise<number> {
          freed++;
          if (subject.kind === 'release') held[freed - 1]!.release();
          else await tickTo(exhaustedAt + subject.readyMs(freed));
          await flush();
          return now();
        },
      };
      return h;
    }
    /** What a rejected call must leave as it was. */
    const snapshot = (h: ReturnType<typeof setup>) => ({
      stats: h.limiter.stats(),
      available: h.limiter.available,
      retry: h.limiter.retryAfterMs(1),
      events: h.events.length,
      timers: clock.countTimers(),
    });

    describe('permits', () => {
      it('acquire resolves at once with a permit of that cost while the budget pays', async () => {
        const h = setup();
        const permit = await h.limiter.acquire(2);
        expect(permit.cost).toBe(2);
        expect(h.events).toStrictEqual([{ type: 'admitted', cost: 2, at: 0, waitedMs: 0 }]);
        expect(h.limiter.pending).toBe(0);
        expect(typeof permit.release).toBe('function');
        expect(typeof permit[Symbol.dispose]).toBe('function');
        expect(typeof permit[Symbol.asyncDispose]).toBe('function');
        expect(h.limiter.acquire()).toBeInstanceOf(Promise);
        expect((await h.limiter.acquire()).cost).toBe(1); // the default cost
      });

      it('await using releases at the end of the block, on return and on throw', async () => {
        const boom = new Error('boom');
        const use = async (h: ReturnType<typeof setup>, mode: 'end' | 'return' | 'throw') => {
          await using permit = await h.limiter.acquire(2, { id: mode });
          expect(permit.cost).toBe(2);
          await clock.tickAsync(10);
          expect(h.count('released')).toBe(0);
          if (mode === 'throw') throw boom;
          if (mode === 'return') return 'returned';
          return undefined;
        };
        const [end, ret, thrown] = [setup(), setup(), setup()];
        expect(await use(end, 'end')).toBeUndefined();
        expect(await use(ret, 'return')).toBe('returned');
        await expect(use(thrown, 'throw')).rejects.toBe(boom);
        expect(end.events.filter((e) => e.type === 'released')).toStrictEqual([{ type: 'released', cost: 2, id: 'end', at: 10 }]);
        expect(ret.events.filter((e) => e.type === 'released')).toStrictEqual([{ type: 'released', cost: 2, id: 'return', at: 20 }]);
        expect(thrown.events.filter((e) => e.type === 'released')).toStrictEqual([{ type: 'released', cost: 2, id: 'throw', at: 30 }]);
      });

      it('using (sync dispose) releases at the end of the block', async () => {
        const h = setup();
        {
          using permit = (await h.limiter.acquire(1))!;
          expect(permit.cost).toBe(1);
          expect(h.count('released')).toBe(0);
        }
        expect(h.count('released')).toBe(1);
      });

      it('a queued waiter is admitted at the very instant a unit comes back', async () => {
        const h = setup();
        await h.exhaust();
        const waiter = track(h.limiter.acquire(1));
        await clock.tickAsync(100);
        expect(waiter.settled).toBe(false);
        const at = await h.freeOne();
        expect(waiter.at).toBe(at);
        expect(at).toBe(h.timed ? h.readyMs(1) : 100);
      });

      it('release is idempotent: dispose after release, twice, never gives back twice', async () => {
        const h = setup();
        const permit = await h.limiter.acquire(1);
        permit.release();
        permit.release();
        permit[Symbol.dispose]();
        await permit[Symbol.asyncDispose]();
        expect(h.count('released')).toBe(1);

        const h2 = setup();
        const [first] = await h2.exhaust();
        first!.release();
        first!.release();
        first![Symbol.dispose]();
        await first![Symbol.asyncDispose]();
        if (h2.timed) await clock.tickAsync(h2.readyMs(1));
        expect(h2.limiter.tryAcquire(1)).toBeDefined();
        expect(h2.limiter.tryAcquire(1)).toBeUndefined(); // a double refund would have paid this
      });

      it('a signal aborted after admission changes nothing: the permit stays the caller’s', async () => {
        const h = setup();
        const controller = new AbortController();
        const permit = await h.limiter.acquire(1, { signal: controller.signal });
        controller.abort();
        expect(abortListeners(controller.signal)).toBe(0);
        expect(h.limiter.stats().aborted).toBe(0);
        expect(h.count('released')).toBe(0);
        permit.release();
        expect(h.count('released')).toBe(1);
      });
    });

    describe('cost', () => {
      /** A limiter with a queued waiter that has a deadline, so that timers and queue are in play. */
      async function busy() {
        const h = setup();
        await h.exhaust();
        const waiter = track(h.limiter.acquire(1, { maxWaitMs: 1500, id: 'w' }));
        await flush();
        return { h, waiter };
      }

      it('negative, NaN, infinite or above capacity: RangeError naming cost and capacity; limiter unchanged', async () => {
        const { h, waiter } = await busy();
        const cap = h.capacity;
        const before = snapshot(h);
        for (const cost of [-1, -0.001, NaN, Infinity, -Infinity, cap + 1, cap + 0.001]) {
          const check = (error: unknown) => {
            expect(error).toBeInstanceOf(RangeError);
            const message = (error as Error).message;
            expect(message).toContain('cost');
            expect(message).toContain(String(cap));
            expect(message).toContain(String(cost));
          };
          check(await h.limiter.acquire(cost).catch((e: unknown) => e));
          check(await h.limiter.run(() => 1, { cost }).catch((e: unknown) => e));
          expect(() => h.limiter.tryAcquire(cost)).toThrow(RangeError);
          expect(() => h.limiter.retryAfterMs(cost)).toThrow(RangeError);
          expect(() => h.limiter.wrap(() => 1, cost)).toThrow(RangeError);
          try {
            h.limiter.tryAcquire(cost);
          } catch (error) {
            check(error);
          }
        }
        expect(snapshot(h)).toStrictEqual(before);
        expect(waiter.settled).toBe(false);
      });

      it('a cost that is not a number: TypeError; limiter unchanged', async () => {
        const { h } = await busy();
        const before = snapshot(h);
        for (const cost of ['1', null, {}, true, 1n, [1]]) {
          const error = await h.limiter.acquire(cost as never).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(TypeError);
          expect((error as Error).message).toContain('cost');
          expect(() => h.limiter.tryAcquire(cost as never)).toThrow(TypeError);
          await expect(h.limiter.run(() => 1, { cost: cost as never })).rejects.toBeInstanceOf(TypeError);
        }
        expect(snapshot(h)).toStrictEqual(before);
      });

      it('bad acquire options: TypeError or RangeError naming the option; limiter unchanged', async () => {
        const { h } = await busy();
        const before = snapshot(h);
        const cases: [unknown, typeof TypeError | typeof RangeError, string][] = [
          [null, TypeError, 'options'],
          [5, TypeError, 'options'],
          [{ maxWaitMs: -1 }, RangeError, 'maxWaitMs'],
          [{ maxWaitMs: NaN }, RangeError, 'maxWaitMs'],
          [{ maxWaitMs: '5' }, TypeError, 'maxWaitMs'],
          [{ signal: {} }, TypeError, 'signal'],
          [{ id: {} }, TypeError, 'id'],
        ];
        for (const [options, type, option] of cases) {
          const error = await h.limiter.acquire(1, options as never).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(type);
          expect((error as Error).message).toContain(option);
        }
        expect(snapshot(h)).toStrictEqual(before);
      });

      it('cost 0 is admitted at once even while exhausted, with waiters queued, and paused; it takes nothing', async () => {
        const { h, waiter } = await busy();
        h.limiter.pause(10_000);
        const available = h.limiter.available;
        const zero = track(h.limiter.acquire(0));
        await flush();
        expect(zero.at).toBe(0);
        expect((zero.value as Permit).cost).toBe(0);
        const tried = h.limiter.tryAcquire(0);
        expect(tried?.cost).toBe(0);
        expect(h.limiter.pending).toBe(1);
        expect(h.limiter.available).toBe(available);
        expect(h.limiter.retryAfterMs(0)).toBe(0);
        tried!.release();
        (zero.value as Permit).release();
        expect(h.limiter.tryAcquire(1)).toBeUndefined();
        expect(waiter.settled).toBe(false);
        expect(h.limiter.pending).toBe(1);
      });

      it('fractional costs are paid exactly', async () => {
        const h = setup();
        const half = h.limiter.tryAcquire(0.5);
        expect(half?.cost).toBe(0.5);
        expect(h.limiter.available).toBe(h.capacity - 0.5);
        expect(h.limiter.tryAcquire(h.capacity - 0.5)?.cost).toBe(h.capacity - 0.5);
        expect(h.limiter.available).toBe(0);
        expect(h.limiter.tryAcquire(0.25)).toBeUndefined();
        expect(h.events.filter((e) => e.type === 'admitted').map((e) => e.cost)).toStrictEqual([0.5, h.capacity - 0.5]);
      });
    });

    describe('fair entry', () => {
      it('tryAcquire returns undefined and acquire queues while others wait, even when the budget could pay', async () => {
        const h = setup();
        await h.exhaust();
        const head = track(h.limiter.acquire(h.capacity));
        await h.freeOne();
        expect(h.limiter.available).toBeGreaterThanOrEqual(1);
        expect(h.limiter.retryAfterMs(1)).toBe(0); // the queue is ignored there
        expect(h.limiter.tryAcquire(1)).toBeUndefined();
        const newcomer = track(h.limiter.acquire(1));
        await flush();
        expect(newcomer.settled).toBe(false);
        expect(head.settled).toBe(false);
        expect(h.limiter.pending).toBe(2);
        expect(h.events.filter((e) => e.type === 'queued').map((e) => e.cost)).toStrictEqual([h.capacity, 1]);
        h.limiter.close();
      });

      it('waiters of equal cost are admitted in arrival order', async () => {
        const h = setup();
        await h.exhaust();
        const a = track(h.limiter.acquire(1, { id: 'a' }));
        const b = track(h.limiter.acquire(1, { id: 'b' }));
        const at1 = await h.freeOne();
        expect(a.at).toBe(at1);
        expect(b.settled).toBe(false);
        const at2 = await h.freeOne();
        expect(b.at).toBe(at2);
        expect(h.events.filter((e) => e.type === 'admitted' && e.id !== undefined).map((e) => e.id)).toStrictEqual(['a', 'b']);
      });
    });

    describe('abort', () => {
      it('an already aborted signal rejects at once with signal.reason unchanged; nothing is taken', async () => {
        const h = setup();
        const before = h.limiter.stats();
        for (const reason of [new Error('stop'), 'a string reason', { custom: true }]) {
          const controller = new AbortController();
          controller.abort(reason);
          await expect(h.limiter.acquire(1, { signal: controller.signal })).rejects.toBe(reason);
          let called = false;
          await expect(h.limiter.run(() => (called = true), { signal: controller.signal })).rejects.toBe(reason);
          expect(called).toBe(false);
          expect(abortListeners(controller.signal)).toBe(0);
        }
        const signal = AbortSignal.abort();
        await expect(h.limiter.acquire(1, { signal })).rejects.toBe(signal.reason);
        expect(h.limiter.stats()).toStrictEqual(before);
        expect(h.events).toStrictEqual([]);
      });

      it('abort while queued rejects with the reason, takes nothing, and leaves no listener', async () => {
        const h = setup();
        await h.exhaust();
        const controller = new AbortController();
        const reason = new Error('cancelled');
        const waiter = track(h.limiter.acquire(1, { signal: controller.signal, id: 'x' }));
        expect(abortListeners(controller.signal)).toBe(1);
        await clock.tickAsync(30);
        controller.abort(reason);
        await flush();
        expect(waiter.error).toBe(reason);
        expect(waiter.at).toBe(30);
        expect(abortListeners(controller.signal)).toBe(0);
        expect(h.limiter.pending).toBe(0);
        expect(h.limiter.stats().aborted).toBe(1);
        expect(h.events.filter((e) => e.id === 'x')).toStrictEqual([
          { type: 'queued', cost: 1, id: 'x', at: 0 },
          { type: 'aborted', cost: 1, id: 'x', at: 30, waitedMs: 30 },
        ]);
        await h.freeOne();
        expect(h.limiter.tryAcquire(1)).toBeDefined(); // the aborted waiter took nothing
        expect(clock.countTimers()).toBe(0);
      });

      it('listeners are removed on admission, timeout and close too', async () => {
        const h = setup();
        await h.exhaust();
        const signals = [new AbortController(), new AbortController(), new AbortController()].map((c) => c.signal);
        const admitted = track(h.limiter.acquire(1, { signal: signals[0] }));
        const closed = track(h.limiter.acquire(h.capacity, { signal: signals[1] }));
        const timedOut = track(h.limiter.acquire(h.capacity, { signal: signals[2], maxWaitMs: 1000 }));
        expect(signals.map(abortListeners)).toStrictEqual([1, 1, 1]);
        await h.freeOne();
        expect(admitted.value).toBeDefined();
        await tickTo(1000);
        expect(timedOut.error).toBeInstanceOf(MaxWaitExceededError);
        expect(closed.settled).toBe(false);
        h.limiter.close();
        await flush();
        expect(closed.error).toBeInstanceOf(LimiterClosedError);
        expect(signals.map(abortListeners)).toStrictEqual([0, 0, 0]);
      });

      it('a cancelled head never stalls the waiters behind it', async () => {
        const h = setup();
        await h.exhaust();
        const controller = new AbortController();
        const head = track(h.limiter.acquire(h.capacity, { signal: controller.signal }));
        const at = await h.freeOne();
        const behind = track(h.limiter.acquire(1));
        await flush();
        expect(behind.settled).toBe(false);
        controller.abort();
        await flush();
        expect(head.error).toBe(controller.signal.reason);
        expect(behind.at).toBe(at);
        expect(behind.value).toBeDefined();
      });

      it('a timed-out head never stalls the waiters behind it', async () => {
        const h = setup();
        await h.exhaust();
        let head: Tracked<Permit>;
        let behind: Tracked<Permit>;
        let expected: number;
        if (h.spends) {
          // A head blocked by a rate alone is provably late at once; it times out in the queue only
          // when a waiter admitted before it takes the rate it counted on.
          if (!h.timed) {
            await h.freeOne();
            await h.freeOne();
          }
          track(h.limiter.acquire(h.capacity));
          expected = h.timed ? 1500 : 500;
          head = track(h.limiter.acquire(h.capacity, { maxWaitMs: expected }));
          behind = track(h.limiter.acquire(1));
        } else {
          expected = h.timed ? h.readyMs(1) + 50 : 200;
          head = track(h.limiter.acquire(h.capacity, { maxWaitMs: expected }));
          await h.freeOne();
          behind = track(h.limiter.acquire(1)); // payable, but parked behind the head
        }
        await tickTo(expected - 1);
        expect(behind.settled).toBe(false);
        await clock.tickAsync(1);
        expect(head.error).toBeInstanceOf(MaxWaitExceededError);
        expect(head.at).toBe(expected);
        // A window has nothing free at the head's deadline (the waiter before it took the window
        // that opened at 1000): the one behind is admitted when the next window opens, not stuck.
        if (h.window) await tickTo(2000);
        expect(behind.at).toBe(h.window ? 2000 : expected);
        expect(behind.value).toBeDefined();
      });
    });

    describe('maxWaitMs', () => {
      /** A head that cannot be admitted in time keeps `capacity` from the next waiter. */
      async function timeout(options: CommonOptions, perCall: { maxWaitMs?: number }, expected: number) {
        const h = setup(options);
        await h.exhaust();
        const head = track(h.limiter.acquire(h.capacity, { maxWaitMs: Infinity }));
        const waiter = track(h.limiter.acquire(h.capacity, { ...perCall, id: 'late' }));
        const admittedBefore = h.limiter.stats().admitted;
        await tickTo(expected - 1);
        expect(waiter.settled).toBe(false);
        await clock.tickAsync(1);
        const error = waiter.error as MaxWaitExceededError;
        expect(error).toBeInstanceOf(MaxWaitExceededError);
        expect(error.name).toBe('MaxWaitExceededError');
        expect(error.code).toBe('ERR_MAX_WAIT_EXCEEDED');
        expect(error.maxWaitMs).toBe(expected);
        expect(error.waitedMs).toBe(expected);
        expect(waiter.at).toBe(expected);
        expect(h.events.filter((e) => e.id === 'late').at(-1)).toStrictEqual({ type: 'timeout', cost: h.capacity, id: 'late', at: expected, waitedMs: expected });
        const stats = h.limiter.stats();
        expect(stats.timedOut).toBe(1);
        expect(stats.pending).toBe(head.settled ? 0 : 1);
        // Nothing was taken for it: only the head may have been admitted meanwhile.
        expect(stats.admitted).toBe(admittedBefore + (head.settled ? 1 : 0));
        if (h.timed) expect(head.at).toBe(h.readyMs(4));
        h.limiter.close();
      }

      it('per call: rejects with MaxWaitExceededError (code, maxWaitMs, waitedMs) at the deadline', () => timeout({}, { maxWaitMs: 1500 }, 1500));
      it('constructor default applies to every acquire', () => timeout({ maxWaitMs: 1500 }, {}, 1500));
      it('a per-call maxWaitMs overrides the constructor default', () => timeout({ maxWaitMs: 1500 }, { maxWaitMs: 1800 }, 1800));

      it('admission exactly at the deadline instant is in time', async () => {
        const h = setup();
        const [first] = await h.exhaust();
        const wait = h.timed ? h.readyMs(1) : 300;
        if (!h.timed) setTimeout(() => first!.release(), 300);
        const waiter = track(h.limiter.acquire(1, { maxWaitMs: wait }));
        await clock.tickAsync(wait - 1);
        expect(waiter.settled).toBe(false);
        await clock.tickAsync(1);
        expect(waiter.at).toBe(wait);
        expect(waiter.error).toBeUndefined();
        expect(h.limiter.stats().timedOut).toBe(0);
      });

      it('a wait provably longer than maxWaitMs (rate budgets) rejects at once with waitedMs 0; others wait for the deadline', async () => {
        const h = setup();
        await h.exhaust();
        const maxWaitMs = h.timed ? h.readyMs(1) - 1 : 100;
        const waiter = track(h.limiter.acquire(1, { maxWaitMs, id: 'p' }));
        await flush();
        if (h.timed && h.spends) {
          expect(waiter.at).toBe(0);
          expect((waiter.error as MaxWaitExceededError).waitedMs).toBe(0);
          expect((waiter.error as MaxWaitExceededError).maxWaitMs).toBe(maxWaitMs);
          expect(h.events.filter((e) => e.id === 'p')).toStrictEqual([{ type: 'timeout', cost: 1, id: 'p', at: 0, waitedMs: 0 }]);
          expect(h.limiter.pending).toBe(0);
        } else {
          expect(waiter.settled).toBe(false);
          await clock.tickAsync(maxWaitMs);
          expect(waiter.at).toBe(maxWaitMs);
          expect((waiter.error as MaxWaitExceededError).waitedMs).toBe(maxWaitMs);
        }
        expect(h.limiter.stats().timedOut).toBe(1);
      });

      it('maxWaitMs: Infinity per call waits without a deadline despite the default', async () => {
        const h = setup({ maxWaitMs: 100 });
        await h.exhaust();
        const waiter = track(h.limiter.acquire(1, { maxWaitMs: Infinity }));
        await clock.tickAsync(h.timed ? h.readyMs(1) + 50 : 150);
        expect(waiter.error).toBeUndefined();
        if (h.timed) expect(waiter.at).toBe(h.readyMs(1));
        else {
          expect(waiter.settled).toBe(false);
          expect(clock.countTimers()).toBe(0);
        }
        h.limiter.close();
      });
    });

    describe('close', () => {
      it('rejects waiters with the reason, later calls with LimiterClosedError, clears timers; idempotent', async () => {
        const h = setup();
        const [first] = await h.exhaust();
        const controller = new AbortController();
        const a = track(h.limiter.acquire(1, { id: 'a' }));
        const b = track(h.limiter.acquire(1, { id: 'b', maxWaitMs: 5000, signal: controller.signal }));
        await clock.tickAsync(20);
        expect(clock.countTimers()).toBe(1);
        const reason = new Error('shutting down');
        h.limiter.close(reason);
        await flush();
        expect(a.error).toBe(reason);
        expect(b.error).toBe(reason);
        expect(h.limiter.pending).toBe(0);
        expect(clock.countTimers()).toBe(0);
        expect(abortListeners(controller.signal)).toBe(0);
        expect(h.events.filter((e) => e.type === 'closed')).toStrictEqual([
          { type: 'closed', cost: 1, id: 'a', at: 20, waitedMs: 20 },
          { type: 'closed', cost: 1, id: 'b', at: 20, waitedMs: 20 },
        ]);

        const later = await h.limiter.acquire(1).catch((e: unknown) => e);
        expect(later).toBeInstanceOf(LimiterClosedError);
        expect((later as LimiterClosedError).code).toBe('ERR_LIMITER_CLOSED');
        expect((later as LimiterClosedError).name).toBe('LimiterClosedError');
        expect(() => h.limiter.tryAcquire(1)).toThrow(LimiterClosedError);
        let called = false;
        await expect(h.limiter.run(() => (called = true))).rejects.toBeInstanceOf(LimiterClosedError);
        expect(called).toBe(false);
        await expect(h.limiter.acquire(0)).rejects.toBeInstanceOf(LimiterClosedError);

        const events = h.events.length;
        h.limiter.close(new Error('again'));
        h.limiter[Symbol.dispose]();
        h.limiter.pause(1000);
        expect(h.events.length).toBe(events);
        expect(clock.countTimers()).toBe(0);
        expect(() => first!.release()).not.toThrow(); // a permit held across close can still be released
        expect(clock.countTimers()).toBe(0);
      });

      it('close() without a reason and [Symbol.dispose] reject waiters with LimiterClosedError', async () => {
        for (const end of ['close', 'dispose', 'using'] as const) {
          const h = setup();
          await h.exhaust();
          let waiter: Tracked<Permit>;
          if (end === 'using') {
            using limiter = h.limiter;
            waiter = track(limiter.acquire(1));
          } else {
            waiter = track(h.limiter.acquire(1));
            if (end === 'close') h.limiter.close();
            else h.limiter[Symbol.dispose]();
          }
          await flush();
          expect(waiter.error).toBeInstanceOf(LimiterClosedError);
          expect((waiter.error as LimiterClosedError).code).toBe('ERR_LIMITER_CLOSED');
          expect(clock.countTimers()).toBe(0);
        }
      });
    });

    describe('timers and clocks', () => {
      it('arms one timer however many wait with deadlines', async () => {
        const h = setup();
        await h.exhaust();
        const waiters = Array.from({ length: 1000 }, (_, i) => track(h.limiter.acquire(1, { maxWaitMs: 1500 + i })));
        expect(h.limiter.pending).toBe(1000);
        expect(clock.countTimers()).toBe(1);
        for (let t = 0; t < 3000; t += 100) {
          await clock.tickAsync(100);
          expect(clock.countTimers()).toBeLessThanOrEqual(1);
        }
        expect(h.limiter.pending).toBe(0);
        expect(clock.countTimers()).toBe(0);
        expect(waiters.every((w) => w.settled)).toBe(true);
        const admitted = waiters.filter((w) => w.value !== undefined).length;
        const timedOut = waiters.filter((w) => w.error instanceof MaxWaitExceededError).length;
        expect(admitted + timedOut).toBe(1000);
        expect(h.limiter.stats()).toMatchObject({ admitted: 4 + admitted, timedOut });
        if (!h.timed) expect(timedOut).toBe(1000);
        // The last deadline is 1500 + 999 ms after the start.
        expect(Math.max(...waiters.map((w) => w.at!))).toBe(2499);
      });

      it('wall-clock jumps (setSystemTime) change nothing', async () => {
        const h = setup();
        await h.exhaust();
        const head = track(h.limiter.acquire(h.capacity));
        const late = track(h.limiter.acquire(h.capacity, { maxWaitMs: 1500 }));
        clock.setSystemTime(Date.now() + 3_600_000);
        await clock.tickAsync(10);
        clock.setSystemTime(Date.now() - 7_200_000);
        await clock.tickAsync(10);
        expect(now()).toBe(20);
        expect(head.settled).toBe(false);
        expect(late.settled).toBe(false);
        await tickTo(1499);
        clock.setSystemTime(Date.now() + 86_400_000);
        expect(late.settled).toBe(false);
        await clock.tickAsync(1);
        expect(late.at).toBe(1500);
        expect((late.error as MaxWaitExceededError).waitedMs).toBe(1500);
        if (h.timed) expect(head.at).toBe(h.readyMs(4));
        else expect(head.settled).toBe(false);
        h.limiter.close();
      });
    });

    describe('pause', () => {
      it('admits nobody until the pause ends, then at that exact instant', async () => {
        const h = setup();
        h.limiter.pause(500);
        expect(h.limiter.stats().pausedUntil).toBe(500);
        expect(h.limiter.available).toBe(h.capacity); // budgets only
        expect(h.limiter.retryAfterMs(1)).toBe(500);
        expect(h.limiter.tryAcquire(1)).toBeUndefined();
        const waiter = track(h.limiter.acquire(1));
        await clock.tickAsync(499);
        expect(waiter.settled).toBe(false);
        expect(h.limiter.pending).toBe(1);
        await clock.tickAsync(1);
        expect(waiter.at).toBe(500);
        expect(h.limiter.stats().pausedUntil).toBeUndefined();
        expect(h.limiter.tryAcquire(1)).toBeDefined();
      });

      it('extends a pause, never shortens it', async () => {
        const h = setup();
        h.limiter.pause(500);
        const waiter = track(h.limiter.acquire(1));
        await clock.tickAsync(100);
        h.limiter.pause(200); // would end at 300
        expect(h.limiter.stats().pausedUntil).toBe(500);
        h.limiter.pause(0);
        expect(h.limiter.stats().pausedUntil).toBe(500);
        await clock.tickAsync(100);
        h.limiter.pause(600); // ends at 800
        expect(h.limiter.stats().pausedUntil).toBe(800);
        await tickTo(799);
        expect(waiter.settled).toBe(false);
        await clock.tickAsync(1);
        expect(waiter.at).toBe(800);
      });

      it('queued waiters stay queued through a pause, even when the budget comes back', async () => {
        const h = setup();
        await h.exhaust();
        const a = track(h.limiter.acquire(1));
        const b = track(h.limiter.acquire(1));
        h.limiter.pause(2000);
        await h.freeOne();
        await h.freeOne();
        await tickTo(1999);
        expect(a.settled || b.settled).toBe(false);
        expect(h.limiter.pending).toBe(2);
        await clock.tickAsync(1);
        expect(a.at).toBe(2000);
        expect(b.at).toBe(2000);
      });

      it('rejects a bad pause length and changes nothing', () => {
        const h = setup();
        expect(() => h.limiter.pause(-1)).toThrow(RangeError);
        expect(() => h.limiter.pause(NaN)).toThrow(/ms/);
        expect(() => h.limiter.pause('5' as never)).toThrow(TypeError);
        expect(h.limiter.stats().pausedUntil).toBeUndefined();
        expect(h.limiter.tryAcquire(1)).toBeDefined();
      });
    });

    describe('events and listeners', () => {
      it('a queued waiter emits queued, then admitted with waitedMs, then released', async () => {
        const h = setup();
        await h.exhaust();
        const since = now();
        const permit = track(h.limiter.acquire(1, { id: 'w' }));
        if (!h.timed) await clock.tickAsync(100);
        const at = await h.freeOne();
        await clock.tickAsync(50);
        (permit.value as Permit).release();
        expect(h.events.filter((e) => e.id === 'w')).toStrictEqual([
          { type: 'queued', cost: 1, id: 'w', at: since },
          { type: 'admitted', cost: 1, id: 'w', at, waitedMs: at - since },
          { type: 'released', cost: 1, id: 'w', at: at + 50 },
        ]);
        expect(at - since).toBeGreaterThan(0);
      });

      it('a throwing onEvent listener changes nothing', async () => {
        let calls = 0;
        const h = setup({
          onEvent: () => {
            calls++;
            throw new Error('listener failed');
          },
        });
        await h.exhaust();
        const controller = new AbortController();
        const a = track(h.limiter.acquire(1));
        const b = track(h.limiter.acquire(1, { signal: controller.signal }));
        const c = track(h.limiter.acquire(1));
        controller.abort();
        const at = await h.freeOne();
        expect(a.at).toBe(at);
        expect(b.error).toBe(controller.signal.reason);
        await h.freeOne();
        expect(c.value).toBeDefined();
        expect(await h.limiter.run(() => 42, { cost: 0 })).toBe(42);
        const d = track(h.limiter.acquire(h.capacity, { maxWaitMs: 10 }));
        await clock.tickAsync(10);
        expect(d.error).toBeInstanceOf(MaxWaitExceededError);
        h.limiter.close();
        expect(calls).toBeGreaterThanOrEqual(8);
        expect(h.limiter.stats()).toMatchObject({ pending: 0, aborted: 1, timedOut: 1 });
      });
    });

    describe('run and wrap', () => {
      it('run returns fn’s value and releases when it settles', async () => {
        const h = setup();
        const result = h.limiter.run(async () => {
          await clock.tickAsync(0);
          expect(h.count('released')).toBe(0);
          return 'value';
        });
        expect(await result).toBe('value');
        expect(h.count('released')).toBe(1);
        expect(await h.limiter.run(() => 7)).toBe(7);
        expect(h.count('released')).toBe(2);
      });

      it('run with a synchronously throwing or rejecting fn releases and rethrows the same error', async () => {
        const h = setup();
        await h.exhaust();
        await h.freeOne();
        const boom = new Error('sync');
        await expect(
          h.limiter.run(() => {
            throw boom;
          }),
        ).rejects.toBe(boom);
        const rejected = new Error('async');
        if (!h.timed) await expect(h.limiter.run(() => Promise.reject(rejected))).rejects.toBe(rejected);
        // Release-based: the unit came back each time. Timed: the unit was spent.
        expect(h.limiter.tryAcquire(1) !== undefined).toBe(!h.timed);
        expect(h.limiter.stats().pending).toBe(0);
        await expect(h.limiter.run('not a function' as never)).rejects.toBeInstanceOf(TypeError);
      });

      it('wrap passes arguments and this, and pays its cost for each call', async () => {
        const h = setup();
        const wrapped = h.limiter.wrap(function (this: { k: number }, a: number, b: number) {
          return this.k * a + b;
        }, 1.5);
        const target = { k: 10, f: wrapped };
        expect(await target.f(3, 4)).toBe(34);
        expect(await target.f(1, 1)).toBe(11);
        expect(h.events.filter((e) => e.type === 'admitted').map((e) => e.cost)).toStrictEqual([1.5, 1.5]);
        expect(h.count('released')).toBe(2);
        expect(() => h.limiter.wrap('nope' as never)).toThrow(TypeError);
        const one = h.limiter.wrap(async (x: string) => x.toUpperCase());
        expect(await one('a')).toBe('A');
        expect(h.events.filter((e) => e.type === 'admitted').at(-1)?.cost).toBe(1);
      });
    });

    describe('stats and retryAfterMs', () => {
      it('stats() counts admissions, timeouts, aborts, pending and the pause, in a fresh object each call', async () => {
        const h = setup();
        const fresh = h.limiter.stats();
        expect(fresh).toMatchObject({ available: h.capacity, pending: 0, admitted: 0, timedOut: 0, aborted: 0, pausedUntil: undefined });
        expect(Object.keys(fresh)).toEqual(expect.arrayContaining(['available', 'pending', 'admitted', 'timedOut', 'aborted', 'pausedUntil']));
        expect(h.limiter.stats()).not.toBe(fresh);
        fresh.admitted = 99;
        expect(h.limiter.stats().admitted).toBe(0);

        await h.exhaust();
        const controller = new AbortController();
        const aborted = track(h.limiter.acquire(h.capacity, { signal: controller.signal }));
        const timed = track(h.limiter.acquire(h.capacity, { maxWaitMs: 50 }));
        const waiting = track(h.limiter.acquire(h.capacity));
        controller.abort();
        await clock.tickAsync(50);
        h.limiter.pause(100);
        const stats = h.limiter.stats();
        expect(stats).toMatchObject({ pending: 1, admitted: 4, timedOut: 1, aborted: 1, pausedUntil: 150 });
        expect(aborted.error).toBeDefined();
        expect(timed.error).toBeInstanceOf(MaxWaitExceededError);
        expect(waiting.settled).toBe(false);
        expect(stats.available).toBe(h.limiter.available);
        h.limiter.close();
      });

      it('retryAfterMs: 0 when payable, exact when budgets come back with time, Infinity when only a release frees it', async () => {
        const h = setup();
        expect(h.limiter.retryAfterMs()).toBe(0);
        expect(h.limiter.retryAfterMs(h.capacity)).toBe(0);
        expect(h.limiter.retryAfterMs(0)).toBe(0);
        await h.exhaust();
        expect(h.limiter.retryAfterMs(0)).toBe(0);
        for (let k = 1; k <= 4; k++) expect(h.limiter.retryAfterMs(k)).toBe(h.timed ? h.readyMs(k) : Infinity);
        await clock.tickAsync(37);
        expect(h.limiter.retryAfterMs(1)).toBe(h.timed ? h.readyMs(1) - 37 : Infinity);
        h.limiter.pause(1000);
        expect(h.limiter.retryAfterMs(1)).toBe(h.timed ? 1000 : Infinity);
      });

      it('retryAfterMs matches the instant a lone waiter is admitted', async () => {
        for (let k = 1; k <= 4; k++) {
          const h = setup();
          await h.exhaust();
          if (!h.timed) {
            expect(h.limiter.retryAfterMs(k)).toBe(Infinity);
            continue;
          }
          await clock.tickAsync(37);
          const start = now();
          const retry = h.limiter.retryAfterMs(k);
          const waiter = track(h.limiter.acquire(k));
          await clock.tickAsync(retry - 1);
          expect(waiter.settled).toBe(false);
          await clock.tickAsync(1);
          expect(waiter.at).toBe(start + retry);
          h.limiter.close();
        }
      });
    });

    describe('queue control (docs/semantics.md §11)', () => {
      /** Ids of the events of `type`, leaving out those without one (exhaust's). */
      const ids = (type: LimiterEvent['type'], events: LimiterEvent[]) => events.filter((e) => e.type === type && e.id !== undefined).map((e) => e.id);

      it('priority: higher first, default 0, arrival order within one priority; each admitted at the instant a unit comes back', async () => {
        const h = setup();
        await h.exhaust();
        const waiters = (
          [
            ['a', undefined],
            ['b', 1],
            ['c', -1],
            ['d', 1],
            ['e', 0],
          ] as const
        ).map(([id, priority]) => track(h.limiter.acquire(1, priority === undefined ? { id } : { id, priority })));
        await flush();
        expect(h.limiter.pending).toBe(5);
        const at: number[] = [];
        for (let k = 0; k < 4; k++) at.push(await h.freeOne());
        expect(ids('admitted', h.events)).toStrictEqual(['b', 'd', 'a', 'e']);
        expect([waiters[1]!.at, waiters[3]!.at, waiters[0]!.at, waiters[4]!.at]).toStrictEqual(at);
        expect(waiters[2]!.settled).toBe(false);
        expect(h.limiter.pending).toBe(1);
        h.limiter.close();
      });

      it('run(fn, { priority }) goes ahead of an earlier waiter of a lower priority', async () => {
        const h = setup();
        await h.exhaust();
        const order: string[] = [];
        const earlier = track(h.limiter.acquire(1, { id: 'earlier' }).then((p) => (order.push('earlier'), p)));
        let ranAt: number | undefined;
        const ran = track(h.limiter.run(() => ((ranAt = now()), order.push('run'), 'done'), { priority: 1 }));
        const at1 = await h.freeOne();
        expect(ranAt).toBe(at1);
        expect(ran.value).toBe('done');
        // A release-based unit came back when fn settled; a timed one was spent.
        const at2 = h.timed ? await h.freeOne() : at1;
        expect(earlier.at).toBe(at2);
        expect(order).toStrictEqual(['run', 'earlier']);
      });

      it('a non-finite priority (RangeError) or one that is not a number (TypeError) names priority and changes nothing', async () => {
        const h = setup();
        await h.exhaust();
        const waiter = track(h.limiter.acquire(1, { maxWaitMs: 1500, id: 'w' }));
        await flush();
        const before = snapshot(h);
        for (const priority of [NaN, Infinity, -Infinity, '1', null, {}]) {
          const type = typeof priority === 'number' ? RangeError : TypeError;
          const error = await h.limiter.acquire(1, { priority: priority as never }).catch((e: unknown) => e);
          expect(error, String(priority)).toBeInstanceOf(type);
          expect((error as Error).message).toContain('priority');
          let called = false;
          const ran = await h.limiter.run(() => (called = true), { priority: priority as never }).catch((e: unknown) => e);
          expect(ran).toBeInstanceOf(type);
          expect((ran as Error).message).toContain('priority');
          expect(called).toBe(false);
        }
        expect(snapshot(h)).toStrictEqual(before);
        expect(waiter.settled).toBe(false);
        // Payable at once changes nothing either: nothing is admitted.
        const fresh = setup();
        await expect(fresh.limiter.acquire(1, { priority: NaN })).rejects.toBeInstanceOf(RangeError);
        expect(fresh.events).toStrictEqual([]);
        expect(fresh.limiter.stats()).toMatchObject({ admitted: 0, running: 0, held: 0, available: fresh.capacity });
      });

      it("maxPending, overflow 'reject' (default): a newcomer to a full queue rejects at once with QueueFullError; nothing else changes", async () => {
        const h = setup({ maxPending: 2 });
        await h.exhaust();
        const a = track(h.limiter.acquire(1, { id: 'a' }));
        const b = track(h.limiter.acquire(1, { id: 'b', maxWaitMs: 5000 }));
        await clock.tickAsync(10);
        const before = snapshot(h);
        const controller = new AbortController();
        const full = track(h.limiter.acquire(1, { id: 'c', priority: 9, signal: controller.signal }));
        await flush();
        const error = full.error as QueueFullError;
        expect(error).toBeInstanceOf(QueueFullError);
        expect(error.name).toBe('QueueFullError');
        expect(error.code).toBe('ERR_QUEUE_FULL');
        expect(error.maxPending).toBe(2);
        expect(full.at).toBe(10);
        expect(abortListeners(controller.signal)).toBe(0);
        let called = false;
        await expect(h.limiter.run(() => (called = true))).rejects.toBeInstanceOf(QueueFullError);
        expect(called).toBe(false);
        const after = snapshot(h);
        expect(after).toStrictEqual({ ...before, stats: { ...before.stats, rejected: 2 }, events: before.events + 2 });
        expect(h.events.slice(before.events)).toStrictEqual([
          { type: 'rejected', cost: 1, id: 'c', at: 10, waitedMs: 0 },
          { type: 'rejected', cost: 1, at: 10, waitedMs: 0 },
        ]);
        const at1 = await h.freeOne();
        const at2 = await h.freeOne();
        expect([a.at, b.at]).toStrictEqual([at1, at2]);
        expect(ids('admitted', h.events)).toStrictEqual(['a', 'b']);
      });

      it('maxPending 0: whatever would queue is refused, what is payable at once is admitted', async () => {
        const h = setup({ maxPending: 0 });
        await h.exhaust();
        const error = await h.limiter.acquire(1).catch((e: unknown) => e);
        expect((error as QueueFullError).maxPending).toBe(0);
        expect(h.limiter.pending).toBe(0);
        await h.freeOne();
        expect((await h.limiter.acquire(1)).cost).toBe(1);
        expect(h.limiter.stats().rejected).toBe(1);
      });

      it("overflow 'drop-oldest': the oldest waiter of the lowest priority is rejected instead; the newcomer itself when strictly lowest", async () => {
        const h = setup({ maxPending: 3, overflow: 'drop-oldest' });
        await h.exhaust();
        const controller = new AbortController();
        const hi = track(h.limiter.acquire(1, { id: 'hi', priority: 1 }));
        const old = track(h.limiter.acquire(1, { id: 'old', maxWaitMs: 5000, signal: controller.signal }));
        const young = track(h.limiter.acquire(1, { id: 'young' }));
        await clock.tickAsync(10);
        const c = track(h.limiter.acquire(1, { id: 'c' })); // the same priority as the lowest: the oldest of them goes
        await flush();
        expect(old.error).toBeInstanceOf(QueueFullError);
        expect((old.error as QueueFullError).maxPending).toBe(3);
        expect(old.at).toBe(10);
        expect(abortListeners(controller.signal)).toBe(0);
        expect(h.limiter.pending).toBe(3);
        const low = track(h.limiter.acquire(1, { id: 'low', priority: -1 }));
        await flush();
        expect(low.error).toBeInstanceOf(QueueFullError);
        expect(h.limiter.pending).toBe(3);
        await clock.tickAsync(10);
        const top = track(h.limiter.acquire(1, { id: 'top', priority: 2 })); // drops young, the older of the two at 0
        await flush();
        expect(young.error).toBeInstanceOf(QueueFullError);
        expect(h.events.filter((e) => e.type === 'rejected')).toStrictEqual([
          { type: 'rejected', cost: 1, id: 'old', at: 10, waitedMs: 10 },
          { type: 'rejected', cost: 1, id: 'low', at: 10, waitedMs: 0 },
          { type: 'rejected', cost: 1, id: 'young', at: 20, waitedMs: 20 },
        ]);
        expect(h.limiter.stats()).toMatchObject({ pending: 3, rejected: 3, timedOut: 0, aborted: 0 });
        const at: number[] = [];
        for (let k = 0; k < 3; k++) at.push(await h.freeOne());
        expect(ids('admitted', h.events)).toStrictEqual(['top', 'hi', 'c']);
        expect([top.at, hi.at, c.at]).toStrictEqual(at);
        // The dropped waiter's deadline is gone with it.
        await tickTo(5000);
        expect(h.limiter.stats().timedOut).toBe(0);
      });

      it('onEmpty, onIdle and onSizeLessThan resolve at once when already true', async () => {
        const h = setup();
        const fresh = [track(h.limiter.onEmpty()), track(h.limiter.onIdle()), track(h.limiter.onSizeLessThan(1))];
        await flush();
        expect(fresh.map((w) => [w.at, w.error])).toStrictEqual([
          [0, undefined],
          [0, undefined],
          [0, undefined],
        ]);
        await h.exhaust();
        const empty = track(h.limiter.onEmpty());
        const below = track(h.limiter.onSizeLessThan(1));
        const idle = track(h.limiter.onIdle());
        await flush();
        expect([empty.settled, below.settled]).toStrictEqual([true, true]);
        // Idle only where exhausting left no permit unreleased (refunding credits: taken and released).
        expect(idle.settled).toBe(h.limiter.stats().running === 0);
        h.limiter.close();
      });

      it('they resolve at the instant their condition holds; onIdle once the queue is empty and every permit is released', async () => {
        const h = setup();
        const exhausted = await h.exhaust();
        const waiters = ['a', 'b', 'c'].map((id) => track(h.limiter.acquire(1, { id })));
        const below3 = track(h.limiter.onSizeLessThan(3));
        const below2 = track(h.limiter.onSizeLessThan(2));
        const empty = track(h.limiter.onEmpty());
        const idle = track(h.limiter.onIdle());
        await flush();
        expect([below3, below2, empty, idle].map((w) => w.settled)).toStrictEqual([false, false, false, false]);
        const at1 = await h.freeOne();
        expect([below3.at, below2.settled]).toStrictEqual([at1, false]);
        const at2 = await h.freeOne();
        expect([below2.at, empty.settled]).toStrictEqual([at2, false]);
        const at3 = await h.freeOne();
        expect(empty.at).toBe(at3);
        expect(h.limiter.pending).toBe(0);
        expect(idle.settled).toBe(false); // permits are out
        await clock.tickAsync(10);
        const zero = h.limiter.tryAcquire(0)!; // takes nothing, but is unreleased
        for (const permit of exhausted) permit.release();
        for (const w of waiters) w.value!.release();
        await flush();
        expect(h.limiter.stats()).toMatchObject({ pending: 0, running: 1 });
        expect(idle.settled).toBe(false);
        await clock.tickAsync(5);
        zero.release();
        await flush();
        expect(idle.at).toBe(at3 + 15);
        expect(idle.error).toBeUndefined();
        expect(h.limiter.stats()).toMatchObject({ pending: 0, running: 0, held: 0 });
      });

      it('they reject with the close reason if the limiter closes first, and with LimiterClosedError after it', async () => {
        for (const reason of [new Error('shutting down'), undefined]) {
          const h = setup();
          await h.exhaust();
          track(h.limiter.acquire(1));
          const watchers = [track(h.limiter.onEmpty()), track(h.limiter.onIdle()), track(h.limiter.onSizeLessThan(1))];
          await clock.tickAsync(10);
          expect(watchers.some((w) => w.settled)).toBe(false);
          const closedAt = now();
          h.limiter.close(reason);
          await flush();
          for (const w of watchers) {
            expect(w.at).toBe(closedAt);
            if (reason === undefined) expect(w.error).toBeInstanceOf(LimiterClosedError);
            else expect(w.error).toBe(reason);
          }
          await expect(h.limiter.onEmpty()).rejects.toBeInstanceOf(LimiterClosedError);
          await expect(h.limiter.onIdle()).rejects.toBeInstanceOf(LimiterClosedError);
          await expect(h.limiter.onSizeLessThan(5)).rejects.toBeInstanceOf(LimiterClosedError);
        }
      });

      it('clear() rejects every waiter with QueueClearedError, one cleared event each; the limiter stays open', async () => {
        const h = setup();
        const exhausted = await h.exhaust();
        const timers = clock.countTimers();
        const controller = new AbortController();
        const waiters = [
          track(h.limiter.acquire(1, { id: 'a' })),
          track(h.limiter.acquire(2, { id: 'b', maxWaitMs: 5000, signal: controller.signal })),
          track(h.limiter.acquire(1, { id: 'c', priority: 2 })),
        ];
        const empty = track(h.limiter.onEmpty());
        await clock.tickAsync(10);
        const before = h.limiter.stats();
        h.limiter.clear();
        await flush();
        for (const w of waiters) {
          expect(w.at).toBe(10);
          const error = w.error as QueueClearedError;
          expect(error).toBeInstanceOf(QueueClearedError);
          expect(error.name).toBe('QueueClearedError');
          expect(error.code).toBe('ERR_QUEUE_CLEARED');
        }
        expect(empty.at).toBe(10);
        const cleared = h.events.filter((e) => e.type === 'cleared');
        expect(cleared.map((e) => e.id).sort()).toStrictEqual(['a', 'b', 'c']);
        expect(cleared.every((e) => e.at === 10 && e.waitedMs === 10)).toBe(true);
        expect(abortListeners(controller.signal)).toBe(0);
        expect(clock.countTimers()).toBe(timers);
        // Held permits stay held; no count but the events changes.
        expect(h.limiter.stats()).toStrictEqual({ ...before, pending: 0, available: h.limiter.available });
        expect(h.limiter.closed).toBe(false);
        // Open: a later call queues as usual and is admitted when a unit comes back.
        const later = track(h.limiter.acquire(1, { id: 'later' }));
        await flush();
        expect(later.settled).toBe(false);
        const at = await h.freeOne();
        expect(later.at).toBe(at);
        await tickTo(5000);
        expect(h.limiter.stats().timedOut).toBe(0); // b's deadline left with it
        const count = h.events.length;
        h.limiter.clear(); // an empty queue: nothing to do
        expect(h.events.length).toBe(count);
        expect(() => exhausted[1]!.release()).not.toThrow();
      });

      it('clear(reason) rejects with the reason unchanged, whatever it is, and keeps the limiter open', async () => {
        const h = setup();
        await h.exhaust();
        for (const reason of [new Error('this batch is cancelled'), 'a string reason', { custom: true }]) {
          const w = track(h.limiter.acquire(1));
          await flush();
          h.limiter.clear(reason);
          await flush();
          expect(w.error).toBe(reason);
        }
        expect(h.limiter.closed).toBe(false);
        expect(h.limiter.stats()).toMatchObject({ pending: 0, timedOut: 0, aborted: 0, rejected: 0 });
        const next = track(h.limiter.acquire(1));
        const at = await h.freeOne();
        expect(next.at).toBe(at);
      });

      it('run(fn) calls fn with one argument, { signal }: the caller’s signal, or undefined', async () => {
        const h = setup();
        const controller = new AbortController();
        const calls: unknown[][] = [];
        await h.limiter.run((...args: unknown[]) => void calls.push(args), { signal: controller.signal });
        await h.limiter.run((...args: unknown[]) => void calls.push(args));
        expect(calls).toStrictEqual([[{ signal: controller.signal }], [{ signal: undefined }]]);
        expect((calls[0]![0] as { signal: AbortSignal }).signal).toBe(controller.signal);
        // Queued first: fn gets it at the instant it is admitted.
        const queued = setup();
        await queued.exhaust();
        let seen: { signal: AbortSignal | undefined; at: number } | undefined;
        const done = track(queued.limiter.run(({ signal }) => void (seen = { signal, at: now() }), { signal: controller.signal }));
        await flush();
        expect(seen).toBeUndefined();
        const at = await queued.freeOne();
        expect(seen).toStrictEqual({ signal: controller.signal, at });
        expect(done.error).toBeUndefined();
      });

      it('stats(): held is the cost of unreleased permits, running their number (cost 0 included), rejected the refusals', async () => {
        const h = setup({ maxPending: 0 });
        expect(h.limiter.stats()).toMatchObject({ held: 0, running: 0, rejected: 0 });
        const a = h.limiter.tryAcquire(1.5)!;
        const zero = h.limiter.tryAcquire(0)!;
        const b = await h.limiter.acquire(0.25);
        expect(h.limiter.stats()).toMatchObject({ held: 1.75, running: 3 });
        zero.release();
        expect(h.limiter.stats()).toMatchObject({ held: 1.75, running: 2 });
        a.release();
        a.release();
        expect(h.limiter.stats()).toMatchObject({ held: 0.25, running: 1 });
        b.release();
        expect(h.limiter.stats()).toMatchObject({ held: 0, running: 0, rejected: 0 });
        h.limiter.tryAcquire(h.limiter.available);
        const refused = await h.limiter.acquire(h.capacity).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(QueueFullError);
        expect(h.limiter.stats()).toMatchObject({ rejected: 1, pending: 0 });
      });
    });
  });
}
