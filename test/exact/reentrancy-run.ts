// The random re-entrant run of test/exact/reentrancy.test.ts (also used by test/fuzz/long).
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  LimiterClosedError,
  MaxWaitExceededError,
  QueueClearedError,
  QueueFullError,
  VirtualClock,
  type LimiterEvent,
  type Permit,
} from '../../src/index.js';
import { build, costOf, costSpec, flush, scaleOf, type AnyLimiter, type Config, type CostSpec } from '../support/exact-setup.js';

export type Action =
  | { t: 'none' }
  | { t: 'acquire'; cost: CostSpec; maxWaitMs: number | undefined; priority: number | undefined; signal: boolean }
  | { t: 'try'; cost: CostSpec }
  | { t: 'release'; k: number }
  | { t: 'abort'; k: number }
  | { t: 'pause'; ms: number }
  | { t: 'resume' }
  | { t: 'update'; which: 'maxWaitMs' | 'maxPending' | 'own'; value: number }
  | { t: 'clear'; reason: boolean }
  | { t: 'close'; reason: boolean }
  | { t: 'observe'; remaining: number; resetInMs: number; retryAfterMs: number | undefined }
  /** Waits for the queue; once it resolves, its callback clears, closes, or takes a listener's turn. */
  | { t: 'watch'; which: Which; n: number; then: 'clear' | 'close' | 'turn'; reason: boolean };

type Which = 'onEmpty' | 'onIdle' | 'onSizeLessThan';

export const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ t: 'none' } as const) },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('acquire' as const),
      cost: costSpec,
      maxWaitMs: fc.constantFrom(undefined, undefined, 0, 2.5, 10),
      priority: fc.constantFrom(undefined, undefined, 1, -1),
      signal: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('try' as const), cost: costSpec }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('release' as const), k: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('abort' as const), k: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('pause' as const), ms: fc.constantFrom(0, 1.5, 20) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'resume' } as const) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('update' as const), which: fc.constantFrom('maxWaitMs' as const, 'maxPending' as const, 'own' as const), value: fc.integer({ min: 1, max: 10 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clear' as const), reason: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('close' as const), reason: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('observe' as const), remaining: fc.integer({ min: 0, max: 3 }), resetInMs: fc.constantFrom(0, 5, 50), retryAfterMs: fc.constantFrom(undefined, undefined, 2) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('watch' as const),
      which: fc.constantFrom<Which>('onEmpty', 'onIdle', 'onSizeLessThan'),
      n: fc.integer({ min: 1, max: 3 }),
      then: fc.constantFrom('clear' as const, 'close' as const, 'turn' as const),
      reason: fc.boolean(),
    }),
  },
);

interface Watcher {
  which: Which;
  n: number;
  settled: number;
  outcome: 'pending' | 'resolved' | 'rejected';
  reason?: unknown;
}

interface Tracked {
  id: number;
  cost: number;
  controller: AbortController | undefined;
  abortReason: unknown;
  settled: number;
  outcome: 'pending' | 'admitted' | 'timedOut' | 'aborted' | 'rejected' | 'cleared' | 'closed' | 'other';
  reason?: unknown;
}

const TERMINAL: Record<string, Tracked['outcome']> = { admitted: 'admitted', timeout: 'timedOut', aborted: 'aborted', rejected: 'rejected', cleared: 'cleared', closed: 'closed' };

export class ReentrantRun {
  readonly clock: VirtualClock;
  readonly limiter: AnyLimiter;
  readonly scale: number;
  readonly tracked: Tracked[] = [];
  readonly held: Permit[] = [];
  readonly events: LimiterEvent[] = [];
  readonly clearReasons = new Set<unknown>();
  readonly closeReasons = new Set<unknown>();
  readonly watchers: Watcher[] = [];
  trySuccesses = 0;
  notEntered = 0;
  #i = 0;
  #depth = 0;
  #turns = 0;
  #nextId = 0;

  constructor(
    readonly config: Config,
    readonly actions: Action[],
  ) {
    this.clock = new VirtualClock(config.start);
    this.scale = scaleOf(config);
    this.limiter = build(config, this.clock, {
      onEvent: (e: LimiterEvent) => {
        this.events.push(e);
        expect(this.limiter.pending).toBeGreaterThanOrEqual(0);
        this.listener();
      },
    });
  }

  /** A listener's turn: the next action of the list, or nothing (bounded nesting). */
  listener(): void {
    // Deferred events are delivered in a loop, not nested: a listener's acquire queues an event
    // whose listener acquires again… so the listeners' turns are bounded in all, not by depth only.
    if (this.actions.length === 0 || this.#depth > 3 || ++this.#turns > 300) return;
    const a = this.actions[this.#i++ % this.actions.length]!;
    this.#depth++;
    try {
      this.act(a);
    } finally {
      this.#depth--;
    }
  }

  act(a: Action): void {
    const l = this.limiter;
    switch (a.t) {
      case 'none':
        return;
      case 'acquire': {
        const cost = costOf(a.cost, l.capacity, this.scale);
        const closed = l.closed;
        // Taken before the call: a listener run inside it may acquire too.
        const id = this.#nextId++;
        const t: Tracked = { id, cost, controller: a.signal ? new AbortController() : undefined, abortReason: new Error(`abort ${id}`), settled: 0, outcome: 'pending' };
        const options: Record<string, unknown> = { id };
        if (t.controller) {
          options.signal = t.controller.signal;
          // An abort listener of the caller's own, after the limiter's: it calls back in too.
          t.controller.signal.addEventListener('abort', () => this.listener(), { once: true });
        }
        if (a.maxWaitMs !== undefined) options.maxWaitMs = a.maxWaitMs;
        if (a.priority !== undefined) options.priority = a.priority;
        if (!closed) this.tracked.push(t);
        const promise = l.acquire(cost, options);
        if (closed) {
          this.notEntered++;
          promise.catch((e) => expect(e).toBeInstanceOf(LimiterClosedError));
          return;
        }
        promise.then(
          (permit) => {
            t.settled++;
            t.outcome = 'admitted';
            this.held.push(permit);
            this.listener();
          },
          (reason) => {
            t.settled++;
            t.reason = reason;
            t.outcome =
              reason instanceof MaxWaitExceededError ? 'timedOut'
              : reason === t.abortReason ? 'aborted'
              : reason instanceof QueueFullError || reason instanceof RangeError ? 'rejected'
              : reason instanceof QueueClearedError || this.clearReasons.has(reason) ? 'cleared'
              : reason instanceof LimiterClosedError || this.closeReasons.has(reason) ? 'closed'
              : 'other';
            this.listener();
          },
        );
        return;
      }
      case 'try': {
        if (l.closed) return;
        const permit = l.tryAcquire(costOf(a.cost, l.capacity, this.scale));
        if (permit !== undefined) {
          this.trySuccesses++;
          this.held.push(permit);
        }
        return;
      }
      case 'release': {
        if (this.held.length === 0) return;
        this.held.splice(a.k % this.held.length, 1)[0]!.release();
        return;
      }
      case 'abort': {
        const open = this.tracked.filter((t) => t.controller !== undefined && !t.controller.signal.aborted);
        if (open.length === 0) return;
        const t = open[a.k % open.length]!;
        t.controller!.abort(t.abortReason);
        return;
      }
      case 'pause':
        l.pause(a.ms);
        return;
      case 'resume':
        l.resume();
        return;
      case 'update': {
        const own = { credit: 'capacity', concurrency: 'capacity', leaky: 'maxRate', token: 'capacity', sliding: 'limit', throttle: 'concurrency' }[this.config.kind];
        const key = a.which === 'own' ? own : a.which;
        const value = a.which === 'maxWaitMs' ? a.value * 3 : a.which === 'own' && key !== 'concurrency' ? Math.max(1, Math.round((capacityFor(this.config) * this.scale * a.value) / 5)) / this.scale : a.value;
        // A Throttle with several limits takes `concurrency`; the rest take their own option.
        l.update({ [key]: value } as never);
        return;
      }
      case 'clear': {
        const reason = a.reason ? new Error('cleared by the test') : undefined;
        if (reason) this.clearReasons.add(reason);
        l.clear(reason);
        return;
      }
      case 'close': {
        const reason = a.reason ? new Error('closed by the test') : undefined;
        if (reason) this.closeReasons.add(reason);
        l.close(reason);
        expect(this.clock.pendingTimers, 'a close from inside left a timer armed').toBe(0);
        return;
      }
      case 'observe':
        l.observe({ remaining: a.remaining, resetInMs: a.resetInMs, retryAfterMs: a.retryAfterMs });
        return;
      case 'watch': {
        const w: Watcher = { which: a.which, n: a.which === 'onSizeLessThan' ? a.n : 1, settled: 0, outcome: 'pending' };
        this.watchers.push(w);
        const promise = a.which === 'onSizeLessThan' ? l.onSizeLessThan(a.n) : l[a.which]();
        promise.then(
          () => {
            w.settled++;
            w.outcome = 'resolved';
            // The resolution callback calls back in: what the audit found untested.
            if (a.then === 'turn') this.listener();
            else this.act({ t: a.then, reason: a.reason });
          },
          (reason: unknown) => {
            w.settled++;
            w.outcome = 'rejected';
            w.reason = reason;
          },
        );
        return;
      }
    }
  }

  /** What a watcher waits for holds now. */
  #holds(w: Watcher, s: { pending: number; running: number }): boolean {
    return s.pending < w.n && (w.which !== 'onIdle' || s.running === 0);
  }

  /**
   * Reads what comes due lazily (a refund is reported as `refunded` when a budget is next read,
   * and that listener may act), then lets promise callbacks run.
   */
  async settle(): Promise<void> {
    void this.limiter.stats();
    await flush();
  }

  /** At the end of an operation (after `settle`): the events say who waits, and the counts add up. */
  check(): void {
    const l = this.limiter;
    const byId = new Map<number, LimiterEvent[]>();
    for (const e of this.events) if (typeof e.id === 'number') (byId.get(e.id) ?? byId.set(e.id, []).get(e.id)!).push(e);
    let waiting = 0;
    for (const t of this.tracked) {
      expect(t.settled, `waiter ${t.id} settled more than once`).toBeLessThanOrEqual(1);
      const mine = byId.get(t.id) ?? [];
      const terminal = mine.filter((e) => e.type in TERMINAL);
      expect(terminal.length, `waiter ${t.id}: ${mine.map((e) => e.type).join(', ')}`).toBeLessThanOrEqual(1);
      if (terminal.length === 0) waiting++;
      if (t.outcome !== 'pending') {
        expect(t.outcome, `waiter ${t.id} rejected with ${String(t.reason)}`).not.toBe('other');
        expect(terminal.map((e) => TERMINAL[e.type]), `waiter ${t.id}`).toEqual([t.outcome]);
      }
    }
    expect(l.pending).toBeGreaterThanOrEqual(0);
    expect(l.pending, 'pending vs the events').toBe(waiting);
    const s = l.stats();
    const count = (o: Tracked['outcome']) => this.tracked.filter((t) => t.outcome === o).length;
    // Promise callbacks have run (flushed): outcomes are known for everyone not waiting.
    expect(this.tracked.filter((t) => t.outcome === 'pending').length).toBe(l.pending);
    expect(s.admitted).toBe(count('admitted') + this.trySuccesses);
    expect(s.timedOut).toBe(count('timedOut'));
    expect(s.aborted).toBe(count('aborted'));
    expect(s.rejected).toBe(count('rejected'));
    const total = count('admitted') + count('timedOut') + count('aborted') + count('rejected') + count('cleared') + count('closed') + l.pending;
    expect(total).toBe(this.tracked.length);
    if (l.closed) {
      expect(l.pending).toBe(0);
      expect(this.clock.pendingTimers).toBe(0);
    }
    // Waiting for the queue: settled once; rejected only by close (its reason, or a
    // LimiterClosedError for one asked for after it); one still pending waits for what does not hold.
    for (const w of this.watchers) {
      expect(w.settled, `${w.which}(${w.n}) settled more than once`).toBeLessThanOrEqual(1);
      if (w.outcome === 'rejected') {
        expect(l.closed, `${w.which}(${w.n}) rejected while open`).toBe(true);
        expect(w.reason instanceof LimiterClosedError || this.closeReasons.has(w.reason), `${w.which} rejected with ${String(w.reason)}`).toBe(true);
      }
      if (w.outcome === 'pending') {
        expect(l.closed, `${w.which}(${w.n}) still pending after close`).toBe(false);
        expect(this.#holds(w, s), `${w.which}(${w.n}) still pending though it holds: ${JSON.stringify(l.stats())}`).toBe(false);
      }
    }
  }
}

function capacityFor(c: Config): number {
  const o = c.options as any;
  return c.kind === 'leaky' ? o.maxRate : c.kind === 'sliding' ? o.limit : (o.capacity ?? 1);
}

export const step = fc.oneof(
  { weight: 3, arbitrary: action.map((a) => ({ t: 'act' as const, a })) },
  { weight: 2, arbitrary: fc.oneof(fc.constantFrom(0, 0.5, 1, 2.5), fc.integer({ min: 1, max: 60 })).map((ms) => ({ t: 'advance' as const, ms })) },
);

export const queueOptions = fc.record({ maxPending: fc.constantFrom(undefined, undefined, 1, 3), overflow: fc.constantFrom(undefined, 'reject', 'drop-oldest') });

