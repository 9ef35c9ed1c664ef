// Operation fuzzing: random interleavings of every public operation against one limiter on a
// VirtualClock, with the invariants checked after every step and conservation at quiescence.
// The model keeps only what a caller can see (calls, permits, events, signals, timers) and an
// independent reference of the rate budgets (leaky levels, token counts) rebuilt from events.
import fc from 'fast-check';
import { getEventListeners } from 'node:events';
import { expect } from 'vitest';
import {
  ConcurrencySemaphore,
  CreditSemaphore,
  LeakyBucketLimiter,
  LimiterClosedError,
  MaxWaitExceededError,
  QueueClearedError,
  QueueFullError,
  SlidingWindowLimiter,
  Throttle,
  TokenBucket,
  VirtualClock,
  type LimiterEvent,
  type Permit,
} from '../../src/index.js';

// ---------------------------------------------------------------- run settings (seed, count)

const LONG = process.env.FUZZ_LONG === '1';
/** npm test: fixed seed, modest count. npm run fuzz: random seed (or FUZZ_SEED), large count. */
export const FUZZ_SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : LONG ? (Date.now() ^ (Math.random() * 2 ** 31)) | 0 : 20_240_607;
export const fuzzRuns = (modest: number): number =>
  process.env.FUZZ_RUNS !== undefined ? Number(process.env.FUZZ_RUNS) : LONG ? modest * 20 : modest;
export const FUZZ_LONG = LONG;

/** Runs a property with the run's seed; on failure the message starts with how to replay it. */
export async function assertProperty<T>(name: string, property: fc.IAsyncPropertyWithHooks<T>, modestRuns: number): Promise<void> {
  const numRuns = fuzzRuns(modestRuns);
  if (LONG) console.log(`[fuzz] ${name}: seed=${FUZZ_SEED} runs=${numRuns}`);
  try {
    await fc.assert(property, { seed: FUZZ_SEED, numRuns, endOnFailure: false });
  } catch (error) {
    const message = `[fuzz] ${name} failed with seed=${FUZZ_SEED} (replay: FUZZ_SEED=${FUZZ_SEED} npm run fuzz)`;
    console.error(message);
    if (error instanceof Error) error.message = `${message}\n${error.message}`;
    throw error;
  }
}

// ---------------------------------------------------------------- limiter configurations

export type Kind = 'credit' | 'concurrency' | 'leaky' | 'token' | 'sliding' | 'throttle';

export interface Config {
  kind: Kind;
  /** Constructor options without `clock` and `onEvent`. */
  options: Record<string, unknown>;
  /** Clock start: large starts exercise float arithmetic at Date-like magnitudes. */
  start: number;
  /** The onEvent listener throws after recording (errors must be swallowed). */
  throwingListener: boolean;
}

const common = {
  admission: fc.constantFrom(undefined, 'fifo', 'opportunistic'),
  maxBypass: fc.constantFrom(undefined, undefined, 0, 1, 3),
  maxWaitMs: fc.constantFrom(undefined, undefined, undefined, 0, 5, 12.5, 40),
  // docs/semantics.md §11.2: a bounded queue, rejecting the newcomer or dropping the oldest of the lowest priority.
  maxPending: fc.constantFrom(undefined, undefined, undefined, 1, 3, 8),
  overflow: fc.constantFrom(undefined, 'reject', 'drop-oldest'),
};
const start = fc.constantFrom(0, 0, 1_000_003, 1_717_171_717_171);
const halves = (min: number, max: number) => fc.integer({ min: min * 2, max: max * 2 }).map((n) => n / 2);

const withCommon = (kind: Kind, own: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Config> =>
  fc.record({ own, ...common, start, throwingListener: fc.boolean() }).map(({ own, start, throwingListener, ...c }) => ({
    kind,
    options: strip({ ...own, ...c }),
    start,
    throwingListener,
  }));

function strip(o: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(o)) if (o[key] === undefined) delete o[key];
  return o;
}

export const configs: Record<Kind, fc.Arbitrary<Config>> = {
  credit: withCommon('credit', fc.record({ capacity: fc.oneof(fc.integer({ min: 1, max: 6 }), halves(0.5, 4)), refundMs: fc.constantFrom(undefined, 0, 7, 30) })),
  concurrency: withCommon('concurrency', fc.record({ capacity: fc.oneof(fc.integer({ min: 1, max: 5 }), halves(0.5, 3)) })),
  leaky: withCommon('leaky', fc.record({ maxRate: fc.integer({ min: 1, max: 8 }), periodMs: fc.constantFrom(undefined, 1, 7, 100, 8000) })),
  token: withCommon(
    'token',
    fc
      .record({ capacity: fc.integer({ min: 1, max: 8 }), refillAmount: fc.constantFrom(undefined, 1, 2, 0.5), refillIntervalMs: fc.constantFrom(1, 10, 33), initial: fc.nat(10) })
      .map(({ initial, ...o }) => ({ ...o, initialTokens: initial > o.capacity ? undefined : initial })),
  ),
  sliding: withCommon('sliding', fc.record({ limit: fc.oneof(fc.integer({ min: 1, max: 8 }), halves(0.5, 4)), windowMs: fc.constantFrom(1, 7, 100, 1_000, 2.5) })),
  throttle: withCommon(
    'throttle',
    fc.oneof(
      fc.record({ rate: fc.integer({ min: 1, max: 8 }), periodMs: fc.constantFrom(undefined, 10, 50), kind: fc.constantFrom(undefined, 'sliding', 'leaky'), concurrency: fc.constantFrom(undefined, 0, 1, 2, 4) }),
      fc.record({
        limits: fc.array(fc.record({ rate: fc.integer({ min: 1, max: 8 }), periodMs: fc.constantFrom(undefined, 5, 40, 300), kind: fc.constantFrom(undefined, 'sliding', 'leaky') }), { minLength: 1, maxLength: 3 }),
        concurrency: fc.constantFrom(undefined, 0, 1, 3),
      }),
    ),
  ),
};

// ---------------------------------------------------------------- operations

export type Op =
  | { t: 'acquire'; cost: number; signal: 'none' | 'fresh' | number; maxWaitMs: number | undefined; refundMs: number | undefined; via: 'acquire' | 'run' | 'transact'; fn: 'defer' | 'throw' | 'value'; priority?: number }
  | { t: 'burst'; n: number; cost: number; maxWaitMs: number | undefined; abortable: boolean }
  | { t: 'try'; cost: number }
  | { t: 'abort'; k: number }
  | { t: 'release'; k: number; how: 'release' | 'dispose' | 'asyncDispose' }
  | { t: 'finish'; k: number; ok: boolean }
  | { t: 'pause'; ms: number }
  | { t: 'clear'; reason: boolean }
  | { t: 'close'; reason: boolean; dispose: boolean }
  | { t: 'advance'; ms: number };

const cost = fc.oneof(
  { arbitrary: fc.constantFrom(1, 1, 1, 2, 0.5), weight: 16 },
  { arbitrary: halves(0, 4), weight: 6 },
  { arbitrary: fc.constant(0), weight: 1 },
  { arbitrary: fc.constant(9), weight: 1 },
);

export function operations(maxLength: number, opts: { close?: boolean } = {}): fc.Arbitrary<Op[]> {
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 24,
      arbitrary: fc.record({
        t: fc.constant('acquire' as const),
        cost,
        signal: fc.oneof(fc.constant('none' as const), fc.constant('fresh' as const), fc.nat(2)),
        maxWaitMs: fc.constantFrom(undefined, undefined, 0, 0.5, 1, 2.5, 10, 25, 100),
        refundMs: fc.constantFrom(undefined, undefined, 0, 3, 20),
        via: fc.constantFrom('acquire' as const, 'acquire' as const, 'run' as const, 'transact' as const),
        fn: fc.constantFrom('defer' as const, 'defer' as const, 'throw' as const, 'value' as const),
        priority: fc.constantFrom(undefined, undefined, undefined, -1, 0, 2),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('burst' as const),
        n: fc.integer({ min: 2, max: 40 }),
        cost,
        maxWaitMs: fc.constantFrom(undefined, 3, 30, 200),
        abortable: fc.boolean(),
      }),
    },
    { weight: 9, arbitrary: fc.record({ t: fc.constant('try' as const), cost }) },
    { weight: 6, arbitrary: fc.record({ t: fc.constant('abort' as const), k: fc.nat() }) },
    { weight: 15, arbitrary: fc.record({ t: fc.constant('release' as const), k: fc.nat(), how: fc.constantFrom('release' as const, 'dispose' as const, 'asyncDispose' as const) }) },
    { weight: 6, arbitrary: fc.record({ t: fc.constant('finish' as const), k: fc.nat(), ok: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('pause' as const), ms: fc.constantFrom(0, 1, 15, 60, 2 ** 31 + 5) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('clear' as const), reason: fc.boolean() }) },
    { weight: opts.close === false ? 0 : 1, arbitrary: fc.record({ t: fc.constant('close' as const), reason: fc.boolean(), dispose: fc.boolean() }) },
    { weight: 18, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.oneof(fc.constantFrom(0, 1, 1, 2, 5), fc.integer({ min: 1, max: 120 })) }) },
  );
  return fc.array(op, { minLength: maxLength >>> 1, maxLength, size: 'max' });
}

// ---------------------------------------------------------------- the model run

type AnyLimiter = CreditSemaphore | ConcurrencySemaphore | LeakyBucketLimiter | TokenBucket | SlidingWindowLimiter | Throttle;

interface Call {
  id: number;
  cost: number;
  via: 'acquire' | 'run' | 'transact';
  calledAt: number;
  maxWaitMs: number | undefined;
  refundMs: number;
  controller: Controller | undefined;
  settled: number;
  outcome: 'pending' | 'fulfilled' | 'rejected';
  value: unknown;
  /** For run/transact: fn was called (admitted) and has not settled yet. */
  running: boolean;
  /** For run/transact: fn was called. */
  started: boolean;
  finish?: (ok: boolean) => void;
  fnResult?: unknown;
  checked: boolean;
  /** acquire: its permit was taken into `held`. */
  held?: boolean;
  /** Queued when the limiter was closed; with the reason given to `close`. */
  closedWhileQueued?: { reason: unknown };
  /** Queued when `clear` was called, with the reason given. */
  clearedWhileQueued?: { reason: unknown };
  priority: number;
  /** retryAfterMs(cost) read just before the call. */
  retryAfter: number;
}

interface Controller {
  controller: AbortController;
  reason: unknown;
}

interface Held {
  permit: Permit;
  cost: number;
  released: boolean;
}

/** An independent reference of one rate limit: a leaky level, or a sliding window's admissions. */
export interface RateModel {
  kind: 'leaky' | 'sliding';
  rate: number;
  periodMs: number;
  /** Leaky: cost × periodMs in the bucket at `at`. */
  fill: number;
  at: number;
  /** Sliding: admissions still in the window, oldest first (same-instant admissions share one entry). */
  window: { at: number; cost: number }[];
}

function rateModel(kind: 'leaky' | 'sliding', rate: number, periodMs: number, start: number): RateModel {
  return { kind, rate, periodMs, fill: 0, at: start, window: [] };
}

/** The level (leaky) or the cost admitted in the window ending at `now` (sliding: freed at exactly at + periodMs). */
function usedAt(r: RateModel, now: number): number {
  if (r.kind === 'leaky') return Math.max(0, r.fill - (now - r.at) * r.rate) / r.periodMs;
  let used = 0;
  for (const w of r.window) if (w.at + r.periodMs > now) used += w.cost;
  return used;
}

function admitInto(r: RateModel, at: number, cost: number): void {
  if (r.kind === 'leaky') {
    r.fill = Math.max(0, r.fill - (at - r.at) * r.rate) + cost * r.periodMs;
    r.at = at;
    return;
  }
  while (r.window.length > 0 && r.window[0]!.at + r.periodMs <= at) r.window.shift();
  const last = r.window.at(-1);
  if (last !== undefined && Math.floor(last.at) === Math.floor(at)) {
    last.at = at;
    last.cost += cost;
  } else r.window.push({ at, cost });
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const EPS = 1e-9;
const close = (a: number, b: number, scale = 1) => Math.abs(a - b) <= EPS * Math.max(1, Math.abs(scale), Math.abs(a), Math.abs(b));

export class ModelRun {
  readonly clock: VirtualClock;
  readonly limiter: AnyLimiter;
  readonly events: LimiterEvent[] = [];
  readonly calls: Call[] = [];
  readonly #callsById = new Map<number, Call>();
  readonly #eventsById = new Map<string | number, LimiterEvent[]>();
  readonly #typeCounts = new Map<LimiterEvent['type'], number>();
  /** Sum of costs released with a delay (CreditSemaphore), and of those refunded. */
  #delayed = 0;
  #refunded = 0;
  /** Queued waiters by id, in arrival order, with how many later arrivals were admitted past each. */
  readonly #bypassed = new Map<number, number>();
  /** The maxBypass option (docs/semantics.md §11.1: it bounds passes by higher priorities too). */
  readonly #maxBypass: number | undefined;
  readonly held: Held[] = [];
  readonly controllers: Controller[] = [];
  readonly pool: (Controller | undefined)[] = [undefined, undefined, undefined];
  readonly unhandled: unknown[] = [];
  readonly capacity: number;
  readonly fifo: boolean;
  readonly defaultRefund: number;
  readonly defaultMaxWait: number | undefined;
  readonly rates: RateModel[] = [];
  readonly token: { capacity: number; amount: number; interval: number; tokens: number; last: number } | undefined;
  readonly concurrency: number;
  pausedUntil = -Infinity;
  closed = false;
  #seenEvents = 0;
  #nextId = 1;
  #released = 0;
  #onUnhandled = (reason: unknown) => this.unhandled.push(reason);

  constructor(readonly config: Config) {
    this.clock = new VirtualClock(config.start);
    const o = { ...config.options, clock: this.clock, onEvent: (e: LimiterEvent) => this.#record(e) };
    const opts = config.options as Record<string, any>;
    this.defaultRefund = opts.refundMs ?? 0;
    this.defaultMaxWait = opts.maxWaitMs;
    this.concurrency = opts.concurrency ?? 0;
    let token: ModelRun['token'];
    switch (config.kind) {
      case 'credit':
        this.limiter = new CreditSemaphore(o as any);
        break;
      case 'concurrency':
        this.limiter = new ConcurrencySemaphore(o as any);
        break;
      case 'leaky':
        this.limiter = new LeakyBucketLimiter(o as any);
        this.rates.push(rateModel('leaky', opts.maxRate, opts.periodMs ?? 60_000, config.start));
        break;
      case 'token':
        this.limiter = new TokenBucket(o as any);
        token = { capacity: opts.capacity, amount: opts.refillAmount ?? 1, interval: opts.refillIntervalMs, tokens: opts.initialTokens ?? opts.capacity, last: config.start };
        break;
      case 'sliding':
        this.limiter = new SlidingWindowLimiter(o as any);
        this.rates.push(rateModel('sliding', opts.limit, opts.windowMs, config.start));
        break;
      case 'throttle':
        this.limiter = new Throttle(o as any);
        // Throttle's limits are sliding windows unless they say 'leaky' (docs/semantics.md §8).
        for (const l of opts.limits ?? [{ rate: opts.rate, periodMs: opts.periodMs, kind: opts.kind }]) {
          this.rates.push(rateModel(l.kind ?? 'sliding', l.rate, l.periodMs ?? 1_000, config.start));
        }
        break;
      default:
        throw new Error(`unknown kind ${String(config.kind)}`);
    }
    this.token = token;
    this.capacity =
      config.kind === 'leaky' ? opts.maxRate : config.kind === 'sliding' ? opts.limit : config.kind === 'throttle' ? Math.min(...this.rates.map((r) => r.rate)) : opts.capacity;
    const defaultAdmission = config.kind === 'credit' ? 'opportunistic' : 'fifo';
    this.fifo = (opts.admission ?? defaultAdmission) === 'fifo' || opts.maxBypass === 0;
    this.#maxBypass = opts.maxBypass;
    process.on('unhandledRejection', this.#onUnhandled);
  }

  get now(): number {
    return this.clock.now();
  }

  get semaphore(): boolean {
    return this.config.kind === 'credit' || this.config.kind === 'concurrency';
  }

  #record(event: LimiterEvent): void {
    this.events.push(event);
    if (this.config.throwingListener) throw new Error('listener failure');
  }

  // ------------------------------------------------------------ steps

  async step(op: Op): Promise<void> {
    switch (op.t) {
      case 'acquire':
        this.#acquire(op);
        break;
      case 'burst':
        // Many waiters at once: grows the queue's slots and the deadline heap past their first sizes.
        for (let i = 0; i < op.n; i++) {
          this.#acquire({ t: 'acquire', cost: op.cost, signal: op.abortable ? 'fresh' : 'none', maxWaitMs: op.maxWaitMs, refundMs: undefined, via: 'acquire', fn: 'defer' });
        }
        break;
      case 'try':
        this.#try(op.cost);
        break;
      case 'abort': {
        if (this.controllers.length === 0) return;
        const c = this.controllers[op.k % this.controllers.length]!;
        c.controller.abort(c.reason);
        break;
      }
      case 'release': {
        if (this.held.length === 0) return;
        const h = this.held[op.k % this.held.length]!;
        const before = this.#snapshot();
        if (op.how === 'release') h.permit.release();
        else if (op.how === 'dispose') h.permit[Symbol.dispose]();
        else await h.permit[Symbol.asyncDispose]();
        if (h.released) {
          // A second release is a no-op: no event, no change.
          expect(this.#snapshot()).toEqual(before);
        } else if (h.cost > 0) this.#released++;
        h.released = true;
        break;
      }
      case 'finish': {
        const running = this.calls.filter((c) => c.running);
        if (running.length === 0) return;
        const call = running[op.k % running.length]!;
        call.running = false;
        call.finish!(op.ok);
        if (call.cost > 0) this.#released++;
        break;
      }
      case 'pause': {
        this.limiter.pause(op.ms);
        if (!this.closed) this.pausedUntil = Math.max(this.pausedUntil, this.now + op.ms);
        break;
      }
      case 'close': {
        const reason = op.reason ? new Error(`closed at ${this.now}`) : undefined;
        const queued = this.#queued();
        if (op.dispose) this.limiter[Symbol.dispose]();
        else this.limiter.close(reason);
        const already = this.closed;
        this.closed = true;
        // Nothing left armed or listening, at once.
        expect(this.clock.pendingTimers).toBe(0);
        this.#expectNoListeners();
        expect(this.limiter.pending).toBe(0);
        if (!already) for (const call of queued) call.closedWhileQueued = { reason: op.dispose ? undefined : reason };
        break;
      }
      case 'clear': {
        const reason = op.reason ? new Error(`cleared at ${this.now}`) : undefined;
        const queued = this.#queued();
        this.limiter.clear(reason);
        expect(this.limiter.pending).toBe(0);
        expect(this.clock.pendingTimers).toBe(0);
        this.#expectNoListeners();
        if (!this.closed) for (const call of queued) call.clearedWhileQueued = { reason };
        break;
      }
      case 'advance':
        await this.clock.advance(op.ms);
        break;
    }
    await flush();
    this.check();
  }

  #acquire(op: Extract<Op, { t: 'acquire' }>): void {
    const via = op.via === 'transact' && this.config.kind !== 'credit' ? 'run' : op.via;
    const id = this.#nextId++;
    let controller: Controller | undefined;
    if (op.signal === 'fresh') {
      controller = { controller: new AbortController(), reason: new Error(`abort ${id}`) };
      this.controllers.push(controller);
    } else if (op.signal !== 'none') {
      controller = this.pool[op.signal] ??= { controller: new AbortController(), reason: new Error(`abort pool ${op.signal}`) };
      if (!this.controllers.includes(controller)) this.controllers.push(controller);
    }
    // Every limiter is given the per-call refundMs; only CreditSemaphore reads it.
    const refundMs = op.refundMs;
    const call: Call = {
      id,
      cost: op.cost,
      via,
      calledAt: this.now,
      maxWaitMs: op.maxWaitMs ?? this.defaultMaxWait,
      refundMs: (this.config.kind === 'credit' ? refundMs : undefined) ?? this.defaultRefund,
      controller,
      settled: 0,
      outcome: 'pending',
      value: undefined,
      running: false,
      started: false,
      checked: false,
      retryAfter: op.cost <= this.capacity ? this.limiter.retryAfterMs(op.cost) : NaN,
      priority: op.priority ?? 0,
    };
    const options = strip({ signal: controller?.controller.signal, maxWaitMs: op.maxWaitMs, refundMs, id, priority: op.priority });
    const stateBefore = this.#snapshot();
    let promise: Promise<unknown>;
    if (via === 'acquire') promise = this.limiter.acquire(op.cost, options);
    else {
      const fn = () => {
        call.started = true;
        call.running = true;
        if (op.fn === 'throw') {
          call.running = false;
          if (op.cost > 0) this.#released++;
          throw (call.fnResult = new Error(`fn ${id} threw`));
        }
        if (op.fn === 'value') {
          call.running = false;
          if (op.cost > 0) this.#released++;
          return (call.fnResult = { value: id });
        }
        return new Promise((resolve, reject) => {
          call.finish = (ok) => (ok ? resolve((call.fnResult = { value: id })) : reject((call.fnResult = new Error(`fn ${id} failed`))));
        });
      };
      promise =
        via === 'run'
          ? this.limiter.run(fn, { ...options, cost: op.cost })
          : (this.limiter as CreditSemaphore).transact(fn, { ...options, credits: op.cost });
    }
    expect(promise).toBeInstanceOf(Promise);
    promise.then(
      (value) => {
        call.settled++;
        call.outcome = 'fulfilled';
        call.value = value;
      },
      (reason) => {
        call.settled++;
        call.outcome = 'rejected';
        call.value = reason;
      },
    );
    this.calls.push(call);
    this.#callsById.set(call.id, call);
    if (op.cost > this.capacity) {
      // A cost the limiter can never pay is rejected without touching it.
      expect(this.#snapshot()).toEqual(stateBefore);
    }
  }

  #try(cost: number): void {
    const before = this.#snapshot();
    const canPay = this.#queued().length === 0 && this.now >= this.pausedUntil && cost <= before.available;
    if (cost > this.capacity || Number.isNaN(cost)) {
      expect(() => this.limiter.tryAcquire(cost)).toThrow(RangeError);
      expect(this.#snapshot()).toEqual(before);
      return;
    }
    if (this.closed) {
      expect(() => this.limiter.tryAcquire(cost)).toThrow(LimiterClosedError);
      expect(this.#snapshot()).toEqual(before);
      return;
    }
    const permit = this.limiter.tryAcquire(cost);
    if (cost === 0) expect(permit).toBeDefined();
    // On the boundary float rounding may go either way; away from it the decision is exact.
    else if (!close(cost, before.available, this.capacity)) expect(permit !== undefined, `tryAcquire(${cost}) with available ${before.available}`).toBe(canPay);
    if (permit === undefined) {
      expect(this.#snapshot()).toEqual(before);
      return;
    }
    expect(permit.cost).toBe(cost);
    this.held.push({ permit, cost, released: false });
  }

  // ------------------------------------------------------------ invariants

  #queued(): Call[] {
    return this.calls.filter((c) => c.outcome === 'pending' && !c.started);
  }

  #heldCost(): { cost: number; count: number } {
    let cost = 0;
    let count = 0;
    for (const h of this.held) if (!h.released && h.cost > 0) (cost += h.cost), count++;
    for (const c of this.calls) if (c.running && c.cost > 0) (cost += c.cost), count++;
    return { cost, count };
  }

  #unreleased(): number {
    return this.held.filter((h) => !h.released).length + this.calls.filter((c) => c.running).length;
  }

  #snapshot() {
    const l = this.limiter;
    return {
      available: l.available,
      pending: l.pending,
      stats: l.stats(),
      retryAfter: l.retryAfterMs(Math.min(1, this.capacity)),
      timers: this.clock.pendingTimers,
      events: this.events.length,
    };
  }

  #expectNoListeners(): void {
    for (const c of this.controllers) expect(getEventListeners(c.controller.signal, 'abort')).toHaveLength(0);
  }

  /** After every step (promise callbacks flushed). */
  check(): void {
    const l = this.limiter;
    const now = this.now;
    this.#checkNewEvents();
    this.#checkCalls();
    const count = (type: LimiterEvent['type']) => this.#typeCounts.get(type) ?? 0;
    const queued = this.#queued();
    const { cost: heldCost, count: heldCount } = this.#heldCost();

    // pending equals the waiters actually queued.
    expect(l.pending).toBe(queued.length);
    if (this.closed) expect(l.pending).toBe(0);

    // Every abort listener belongs to a queued waiter.
    const waiting = new Map<Controller, number>();
    for (const call of queued) if (call.controller) waiting.set(call.controller, (waiting.get(call.controller) ?? 0) + 1);
    // One listener per signal, however many waiters share it (docs/semantics.md §16).
    for (const c of this.controllers) expect(getEventListeners(c.controller.signal, 'abort')).toHaveLength(waiting.has(c) ? 1 : 0);

    // One timer at most; none with nobody waiting or once closed; one whenever a wake-up is owed.
    const timers = this.clock.pendingTimers;
    expect(timers).toBeLessThanOrEqual(1);
    if (queued.length === 0 || this.closed) expect(timers).toBe(0);
    else {
      const needsRelease = this.semaphore || this.concurrency > 0;
      if (!(needsRelease && heldCount > 0)) expect(timers, 'a waiter is queued with nothing to wake it').toBe(1);
      if (now < this.pausedUntil && this.pausedUntil !== Infinity) expect(timers).toBe(1);
      if (queued.some((c) => c.maxWaitMs !== undefined)) expect(timers, 'a deadline has no timer').toBe(1);
    }

    // Budgets.
    const available = l.available;
    const stats = l.stats();
    expect(stats.available).toBe(available);
    expect(stats.pending).toBe(l.pending);
    expect(stats.admitted).toBe(count('admitted'));
    expect(stats.timedOut).toBe(count('timeout'));
    expect(stats.aborted).toBe(count('aborted'));
    expect(stats.pausedUntil).toBe(now < this.pausedUntil ? this.pausedUntil : undefined);
    // A zero-cost permit took nothing: its release is not an event (docs/semantics.md §5.2).
    expect(count('released')).toBe(this.#released);
    // docs/semantics.md §11: held is the cost of unreleased permits, running their number (zero-cost ones included).
    expect(stats.rejected).toBe(count('rejected'));
    expect(close(stats.held, heldCost, this.capacity), `stats.held ${stats.held} != ${heldCost}`).toBe(true);
    expect(stats.running).toBe(this.#unreleased());

    if (this.semaphore) {
      const refunding = l instanceof CreditSemaphore ? l.refunding : 0;
      if (l instanceof CreditSemaphore) expect((stats as { refunding?: number }).refunding).toBe(refunding);
      expect(refunding).toBeGreaterThanOrEqual(0);
      // Conservation: every credit is available, held or on its way back.
      expect(close(available + heldCost + refunding, this.capacity, this.capacity), `available ${available} + held ${heldCost} + refunding ${refunding} != capacity ${this.capacity}`).toBe(true);
      if (l instanceof CreditSemaphore) this.#checkRefunds(refunding);
    } else {
      this.#checkRates(available);
    }
    if (l instanceof Throttle) {
      const slotsFull = this.concurrency > 0 && heldCount >= this.concurrency;
      const rateRoom = Math.min(...this.rates.map((r) => r.rate - usedAt(r, now)));
      expect(close(available, slotsFull ? 0 : rateRoom, this.capacity), `throttle available ${available}`).toBe(true);
      // `running` is every unreleased permit (as stats().running); only positive costs hold a slot.
      expect(l.running).toBe(this.#unreleased());
      if (this.concurrency > 0) expect(heldCount).toBeLessThanOrEqual(this.concurrency);
    }

    // idle: nobody waiting, not paused, nothing held or refunding, nothing left to drain or refill
    // (a rate limiter's spent permit, unreleased, does not count; the harness sets no watchers).
    const full =
      this.semaphore ? heldCost === 0 && (l instanceof CreditSemaphore ? l.refunding === 0 : true)
      : l instanceof TokenBucket ? l.tokens >= this.token!.capacity
      : // A Throttle always counts its running permits (an unlimited concurrency is Infinity slots): one held is not idle.
        this.rates.every((r) => usedAt(r, now) <= 0) && (l instanceof Throttle ? heldCount === 0 : true);
    expect(l.idle, `idle with pending ${queued.length}, paused until ${this.pausedUntil}, full ${full}`).toBe(queued.length === 0 && now >= this.pausedUntil && full);

    // retryAfterMs agrees with available and the pause.
    const probe = Math.min(1, this.capacity);
    const retry = l.retryAfterMs(probe);
    const payable = probe <= available && now >= this.pausedUntil;
    if (!close(probe, available, this.capacity)) expect(retry === 0, `retryAfterMs(${probe}) = ${retry} with available ${available}`).toBe(payable);
    if (now < this.pausedUntil) expect(retry).toBeGreaterThanOrEqual(this.pausedUntil - now);

    // In fifo mode nobody waits behind a head that could be paid now.
    if (this.fifo && queued.length > 0 && !this.closed && now >= this.pausedUntil) {
      // The one who may go next: the oldest once it was passed maxBypass times, else the head in queue order.
      const oldest = queued[0]!;
      const blocked = this.#maxBypass !== undefined && (this.#bypassed.get(oldest.id) ?? 0) >= this.#maxBypass;
      const head = blocked ? oldest : [...queued].sort((a, b) => b.priority - a.priority || a.id - b.id)[0]!;
      expect(head.cost > available + EPS * this.capacity || close(head.cost, available, this.capacity), `head ${head.id} (cost ${head.cost}) payable (${available}) but still queued`).toBe(true);
    }
  }

  /** Rate budgets: the reference levels built from admitted events never exceed the limit. */
  #checkRates(available: number): void {
    const now = this.now;
    for (const r of this.rates) expect(usedAt(r, now)).toBeLessThanOrEqual(r.rate + EPS * r.rate);
    if (this.limiter instanceof LeakyBucketLimiter) {
      const r = this.rates[0]!;
      const level = Math.max(0, r.fill - (now - r.at) * r.rate) / r.periodMs;
      expect(close(this.limiter.level, level, r.rate), `level ${this.limiter.level} != model ${level}`).toBe(true);
      expect(close(available, r.rate - level, r.rate)).toBe(true);
    }
    if (this.limiter instanceof SlidingWindowLimiter) {
      const r = this.rates[0]!;
      const used = usedAt(r, now);
      expect(close(this.limiter.used, used, r.rate), `used ${this.limiter.used} != model ${used}`).toBe(true);
      expect(close(available, r.rate - used, r.rate)).toBe(true);
    }
    if (this.limiter instanceof TokenBucket) {
      const t = this.token!;
      this.#refillModel(now);
      expect(close(this.limiter.tokens, t.tokens, t.capacity), `tokens ${this.limiter.tokens} != model ${t.tokens}`).toBe(true);
      expect(this.limiter.tokens).toBeGreaterThanOrEqual(-EPS);
      expect(this.limiter.tokens).toBeLessThanOrEqual(t.capacity);
    }
  }

  #refillModel(now: number): void {
    const t = this.token!;
    const steps = Math.floor((now - t.last) / t.interval);
    if (steps > 0) {
      t.tokens = Math.min(t.capacity, t.tokens + steps * t.amount);
      t.last += steps * t.interval;
    }
  }

  /** What was released with a delay is either back (a refunded event) or still refunding. */
  #checkRefunds(refunding: number): void {
    this.#checkNewEvents(); // reading `refunding` reports the refunds that came due
    const delayed = this.#delayed;
    const refunded = this.#refunded;
    expect(close(delayed, refunded + refunding, this.capacity), `released with delay ${delayed} != refunded ${refunded} + refunding ${refunding}`).toBe(true);
  }

  #checkNewEvents(): void {
    for (; this.#seenEvents < this.events.length; this.#seenEvents++) {
      const e = this.events[this.#seenEvents]!;
      expect(e.at).toBeLessThanOrEqual(this.now);
      this.#typeCounts.set(e.type, (this.#typeCounts.get(e.type) ?? 0) + 1);
      if (e.id !== undefined) {
        const list = this.#eventsById.get(e.id);
        if (list) list.push(e);
        else this.#eventsById.set(e.id, [e]);
      }
      const call = e.id === undefined ? undefined : this.#callsById.get(e.id as number);
      if (e.type === 'released' && (call ? call.refundMs : this.defaultRefund) > 0) this.#delayed += e.cost;
      if (e.type === 'queued') this.#bypassed.set(e.id as number, 0);
      else if (e.id !== undefined && this.#bypassed.has(e.id as number) && e.type !== 'released' && e.type !== 'refunded') {
        // Fairness: fifo admits only the head; opportunistic lets at most maxBypass later arrivals pass a waiter.
        if (e.type === 'admitted') {
          const passer = this.#callsById.get(e.id as number)!;
          for (const [earlier, passed] of this.#bypassed) {
            if (earlier >= (e.id as number)) break;
            // Fifo lets only a higher priority pass; maxBypass bounds every pass, priorities included.
            const higher = passer.priority > this.#callsById.get(earlier)!.priority;
            const limit = this.#maxBypass !== undefined ? (this.fifo && !higher ? 0 : this.#maxBypass) : this.fifo && !higher ? 0 : Infinity;
            expect(passed + 1, `waiter ${earlier} passed by ${e.id}: more than ${limit} later arrivals admitted ahead of it`).toBeLessThanOrEqual(limit);
            this.#bypassed.set(earlier, passed + 1);
          }
        }
        this.#bypassed.delete(e.id as number);
      }
      if (e.type === 'refunded') this.#refunded += e.cost;
      if (e.type === 'admitted' && e.cost > 0) {
        expect(e.at, `admitted at ${e.at} during a pause until ${this.pausedUntil}`).toBeGreaterThanOrEqual(this.pausedUntil);
        for (const r of this.rates) {
          admitInto(r, e.at, e.cost);
          expect(usedAt(r, e.at), `${r.kind} rate ${r.rate}/${r.periodMs} exceeded at ${e.at}`).toBeLessThanOrEqual(r.rate * (1 + EPS));
        }
        if (this.token) {
          this.#refillModel(e.at);
          expect(this.token.tokens, `token bucket overdrawn at ${e.at}`).toBeGreaterThanOrEqual(e.cost - EPS * this.token.capacity);
          this.token.tokens -= e.cost;
        }
      }
      if (e.type === 'refunded') {
        if (call) {
          const released = this.#eventsById.get(call.id)!.find((r) => r.type === 'released')!;
          expect(released).toBeDefined();
          expect(e.at).toBe(released.at + call.refundMs);
        }
      }
    }
  }

  /** Each call, once settled, is checked against its events exactly once. */
  #checkCalls(): void {
    for (const call of this.calls) {
      expect(call.settled).toBeLessThanOrEqual(1);
      if (call.checked) continue;
      const mine = this.#eventsById.get(call.id) ?? [];
      const terminal = mine.filter((e) => e.type === 'admitted' || e.type === 'aborted' || e.type === 'timeout' || e.type === 'closed' || e.type === 'rejected' || e.type === 'cleared');
      const queuedEvents = mine.filter((e) => e.type === 'queued');
      expect(terminal.length).toBeLessThanOrEqual(1);
      expect(queuedEvents.length).toBeLessThanOrEqual(1);
      if (terminal[0]) expect(terminal[0].waitedMs, `${terminal[0].type} event of call ${call.id}: waitedMs`).toBe(terminal[0].at - call.calledAt);
      if (call.started) expect(terminal.map((e) => e.type)).toEqual(['admitted']);
      const admitted = terminal[0]?.type === 'admitted' ? terminal[0] : undefined;
      if (admitted) {
        expect(admitted.waitedMs).toBe(admitted.at - call.calledAt);
        if (call.maxWaitMs !== undefined) {
          expect(admitted.waitedMs!, `call ${call.id} admitted after waiting ${admitted.waitedMs} > maxWaitMs ${call.maxWaitMs}`).toBeLessThanOrEqual(call.maxWaitMs);
        }
        if (queuedEvents.length === 0) expect(admitted.at).toBe(call.calledAt);
        if (call.via === 'acquire' && !call.held) this.#takePermit(call);
      }
      if (call.outcome === 'pending') {
        // Queued: its 'queued' event and nothing else (run calls may be running fn).
        if (!call.started) expect(queuedEvents.length + terminal.length).toBe(1);
        continue;
      }
      call.checked = true;
      expect(call.settled).toBe(1);
      const reason = call.value;
      if (call.outcome === 'fulfilled') {
        if (call.via === 'acquire') {
          expect((reason as Permit).cost).toBe(call.cost);
          expect(admitted).toBeDefined();
        } else {
          expect(reason).toBe(call.fnResult);
          expect(admitted).toBeDefined();
        }
        continue;
      }
      // Rejected.
      if (call.started) {
        expect(reason).toBe(call.fnResult); // fn's own error, unchanged
        continue;
      }
      if (call.cost > this.capacity) {
        expect(reason).toBeInstanceOf(RangeError);
        expect(String((reason as Error).message)).toContain(String(call.cost));
        expect(String((reason as Error).message)).toContain(String(this.capacity));
        expect(mine).toHaveLength(0);
        continue;
      }
      expect(admitted).toBeUndefined();
      const type = terminal[0]?.type;
      if (reason instanceof MaxWaitExceededError) {
        expect(type).toBe('timeout');
        const t = terminal[0]!;
        expect(reason.maxWaitMs).toBe(call.maxWaitMs);
        expect(reason.waitedMs).toBe(t.waitedMs);
        expect(t.waitedMs).toBe(t.at - call.calledAt);
        if (queuedEvents.length === 0) {
          // Rejected at once: only when the wait was provably longer than maxWaitMs.
          expect(t.waitedMs).toBe(0);
          expect(call.retryAfter).toBeGreaterThan(call.maxWaitMs!);
        } else {
          // Rejected at its deadline, or at the first whole ms after it (timers fire on whole ms, at least 1 ms on).
          expect(t.at).toBeGreaterThanOrEqual(call.calledAt + call.maxWaitMs!);
          expect(t.at).toBeLessThanOrEqual(call.calledAt + Math.max(1, Math.ceil(call.maxWaitMs!)));
        }
      } else if (call.controller !== undefined && reason === call.controller.reason) {
        expect(type === 'aborted' || type === undefined).toBe(true);
        if (type === undefined) expect(queuedEvents).toHaveLength(0); // aborted before the call
      } else if (reason instanceof QueueFullError) {
        // docs/semantics.md §11.2: the newcomer at once (no queued event), or a dropped waiter.
        expect(type).toBe('rejected');
        expect(reason.maxPending).toBe(this.config.options.maxPending);
        if (queuedEvents.length > 0) expect(this.config.options.overflow).toBe('drop-oldest');
      } else if (call.clearedWhileQueued !== undefined && call.closedWhileQueued === undefined) {
        expect(type).toBe('cleared');
        const clearReason = call.clearedWhileQueued.reason;
        if (clearReason === undefined) expect(reason).toBeInstanceOf(QueueClearedError);
        else expect(reason).toBe(clearReason);
      } else if (call.closedWhileQueued !== undefined) {
        expect(type).toBe('closed');
        const closeReason = call.closedWhileQueued.reason;
        if (closeReason === undefined) expect(reason).toBeInstanceOf(LimiterClosedError);
        else expect(reason).toBe(closeReason);
      } else {
        expect(reason, `call ${call.id} rejected unexpectedly`).toBeInstanceOf(LimiterClosedError);
        expect(mine).toHaveLength(0);
      }
    }
  }

  #takePermit(call: Call): void {
    if (call.outcome !== 'fulfilled') return;
    call.held = true;
    this.held.push({ permit: call.value as Permit, cost: call.cost, released: false });
  }

  // ------------------------------------------------------------ quiescence

  /** Lets every waiter through (or closes), then checks that everything came back. */
  async quiesce(): Promise<void> {
    if (!this.closed) {
      for (let round = 0; round < 500; round++) {
        await this.#releaseAll();
        this.check();
        if (this.#queued().length === 0) break;
        await this.clock.runAll();
        await flush();
        this.check();
      }
      expect(this.#queued(), 'waiters left queued with everything released').toHaveLength(0);
      await this.#releaseAll();
      // Let refunds come due, buckets drain and refill.
      await this.clock.advance(10_000_000);
      this.check();
      const l = this.limiter;
      expect(l.available).toBe(this.capacity);
      if (l instanceof CreditSemaphore) expect(l.refunding).toBe(0);
      if (l instanceof LeakyBucketLimiter) expect(l.level).toBe(0);
      if (l instanceof TokenBucket) expect(l.tokens).toBe(this.token!.capacity);
      if (l instanceof SlidingWindowLimiter) expect(l.used).toBe(0);
      if (l instanceof Throttle) expect(l.running).toBe(0);
      expect(this.clock.pendingTimers).toBe(0);
      await this.step({ t: 'close', reason: false, dispose: false });
    } else {
      await this.#releaseAll();
      this.check();
    }
    // Every promise settled exactly once; nothing left armed or listening; nothing unhandled.
    for (const call of this.calls) expect(call.settled, `call ${call.id} never settled`).toBe(1);
    expect(this.clock.pendingTimers).toBe(0);
    this.#expectNoListeners();
    // A release after close is still accounted, and a second close changes nothing.
    const before = this.#snapshot();
    this.limiter.close(new Error('again'));
    expect(this.#snapshot()).toEqual(before);
    await flush();
    expect(this.unhandled).toEqual([]);
  }

  async #releaseAll(): Promise<void> {
    for (const call of this.calls) {
      if (call.running) {
        call.running = false;
        call.finish!(true);
        if (call.cost > 0) this.#released++;
      }
    }
    for (const h of this.held) {
      if (h.released) continue;
      h.permit.release();
      h.released = true;
      if (h.cost > 0) this.#released++;
    }
    await flush();
    // Admissions while releasing may hand out new permits: pick them up.
    this.check();
  }

  dispose(): void {
    process.off('unhandledRejection', this.#onUnhandled);
    if (!this.limiter.closed) this.limiter.close();
  }
}

/** The property every limiter runs: a random sequence, checked step by step, then quiescence. */
export function limiterProperty(config: fc.Arbitrary<Config>, ops: fc.Arbitrary<Op[]>) {
  return fc.asyncProperty(config, ops, async (config, ops) => {
    const run = new ModelRun(config);
    try {
      run.check();
      for (const op of ops) await run.step(op);
      await run.quiesce();
    } finally {
      run.dispose();
    }
  });
}
