/*
 * The one implementation of the Limiter contract. How it works, in the invariants it keeps:
 *
 * - Fair entry. A newcomer is admitted at once only when nobody waits, nothing is paused and
 *   every budget can pay it; otherwise it is queued and considered at the next scan. A newcomer
 *   queued ahead of everyone (a higher priority) is that scan's reason: it is scanned at once.
 * - Admissions happen only in a scan (or on the entry path above). A scan runs when what the
 *   limiter can pay grows (a release, a refund or refill coming due, the drain reaching a waiting
 *   cost, a server report), when a waiter leaves (abort, timeout, drop, clear) or a pause ends.
 *   Who may be admitted is the queue's choice (`WaiterQueue.candidate`).
 * - One timer. While anyone waits, the armed instant is the earliest of: the next deadline, the
 *   end of a pause, and the instant the candidate becomes payable (`Budget.readyAt`, exact and
 *   never early: budgets only grow with time between takes). Timers are whole ms, rounded up;
 *   waking early re-arms, never admits. Nobody waiting: no timer.
 * - Deadlines. At an instant, waiters due strictly before it are late and rejected before any
 *   scan; a waiter due exactly at it may still be admitted, and only those that then still
 *   cannot be paid are rejected, one at a time in queue order with a scan after each, so a head
 *   timing out gives those behind it their chance in the same instant. Large waves are sliced.
 * - Events are delivered only when the state is consistent: inside an operation they are queued
 *   and delivered when it ends, so a listener may call anything (close included).
 * - Arithmetic: costs are whole quanta (`Quantum`), so totals never depend on history. An
 *   `update` past what the quantum spans makes it coarser (`rescaleTo`): every budget rounds what
 *   is used up and what is free down, and while permits taken before are out, releases leave the
 *   short path (`#release` is `NO_UNITS`) so none gives back more than it surely took.
 */
import { readAcquireOptions, type CallOptions, type Entry } from './acquire-options.js';
import type { Budget } from './budget.js';
import { AllOf } from './budgets/all-of.js';
import { ServerCap } from './budgets/server-cap.js';
import type { Clock } from './clock.js';
import { DeadlineHeap } from './deadline-heap.js';
import { LimiterClosedError, MaxWaitExceededError, QueueClearedError, QueueFullError, withoutStack } from './errors.js';
import { eventChannel, type EventChannel } from './diagnostics.js';
import { deliver, makeEvent } from './events.js';
import { GatePermit, RELEASE, type PermitOwner, type PermitTerms } from './permit.js';
import { checkUnits, NO_UNITS, Quantum, unitsUp } from './quantum.js';
import { QueueWatchers } from './queue-watchers.js';
import { SignalGroups } from './signal-groups.js';
import type { AcquireOptions, CommonOptions, Limiter, LimiterEvent, LimiterStats, Permit, RunContext } from './types.js';
import { checkClock, checkFunction, checkNumber, checkObject, checkOneOf, checkString, isCost, optionalNumber, throwBadCost } from './validate.js';
import { WakeTimer } from './wake-timer.js';
import { Waiter } from './waiter.js';
import { WaiterQueue } from './waiter-queue.js';
import { wrapWith } from './wrap.js';
import { EMPTY, ownList, PLAIN, readCommonUpdate, runHolding, type Settings, settingsOf, slice } from './gate-parts.js';
import { readServerReport } from '../server-report.js';

/** What a limiter class hands its base: its budgets (in whole quanta) and defaults. */
export interface GateSetup {
  budgets: Budget[];
  /** The quantum every budget counts in. */
  quantum: Quantum;
  admission: 'fifo' | 'opportunistic';
  /** Release delay for permits that do not name one (CreditSemaphore's `refundMs`). */
  refundMs?: number;
  /** Whether `acquire` reads a per-call `refundMs`. */
  perCallRefund?: boolean;
}

/** The `tollgate:event` diagnostics channel: `null` until the first limiter looks it up, `undefined` where there is none. */
let channel: EventChannel | undefined | null = null;

type EventType = LimiterEvent['type'];

/**
 * The one implementation of the {@link Limiter} contract: a fair waiter queue paying from one or
 * more budgets at the same instant, with one timer. Each limiter is a subclass that only chooses
 * its budgets (see the notes at the top of this file).
 *
 * @example
 * ```ts
 * class Unlimited extends Gate {
 *   constructor() { super({}, { budgets: [], quantum: Quantum.for(1), admission: 'fifo' }); }
 * }
 * ```
 */
export abstract class Gate implements Limiter, PermitOwner {
  /** What every admission pays: the limiter's one budget, or all of them at once (`AllOf`). */
  #budget: Budget;
  /** The limiter's own budgets (without a server's report): the one budget itself when there is one, which spares an idle limiter an array. */
  #own: Budget | readonly Budget[];
  #cap: ServerCap | undefined = undefined;
  #quantum: Quantum;
  /** What releases compute their units with: `#quantum`, or `NO_UNITS` while permits taken before a change of quantum are out. */
  #release: Quantum;
  #capacity: number;
  readonly #clock: Clock;
  /**
   * The latest clock reading, and until when `#now()` must read afresh. A clock read costs more
   * than the rest of an uncontended acquire, so it is skipped when it cannot change an answer:
   * past `#until` every pause has ended, every refund and deadline has come due, and no budget
   * changes with time (`Budget.timed`), so the latest reading answers exactly as the true instant
   * would. (Fields, not an object of their own: a KeyedLimiter holds many idle limiters.)
   */
  #last = -Infinity;
  #until: number;
  /** `EMPTY` until the first waiter: an idle limiter (KeyedLimiter holds many) allocates no queue. */
  #queue: WaiterQueue = EMPTY;
  #deadlines: DeadlineHeap | undefined = undefined;
  #signals: SignalGroups | undefined = undefined;
  #watchers: QueueWatchers | undefined = undefined;
  #timer: WakeTimer | undefined = undefined;
  /** Settings read off the hot paths, in one object shared by every limiter that keeps the defaults. */
  #settings: Settings;
  /** What a call without options gets. */
  #defaults: Entry;
  readonly #onEvent: ((event: LimiterEvent, limiter: Limiter) => void) | undefined;
  readonly #name: string | undefined;
  #pausedUntil = -Infinity;
  #closed = false;
  #scanning = false;
  /** Operations in progress: events wait in `#outbox` until the outermost one ends. */
  #depth = 0;
  #outbox: LimiterEvent[] | undefined = undefined;
  #flushing = false;
  #seq = 0;
  #admitted = 0;
  #timedOut = 0;
  #aborted = 0;
  #rejected = 0;
  /** Units of unreleased permits, and how many there are. */
  #held = 0;
  #running = 0;

  constructor(options: CommonOptions | undefined, setup: GateSetup) {
    const o = checkObject('options', options) as CommonOptions;
    // Looked up once, at the first limiter (never at import): the hot paths then read one variable.
    if (channel === null) channel = eventChannel();
    this.#clock = checkClock(o.clock);
    const maxWaitMs = o.maxWaitMs === undefined ? undefined : checkNumber('maxWaitMs', o.maxWaitMs, { allowInfinity: true });
    const admission = checkOneOf('admission', o.admission, ['fifo', 'opportunistic'], setup.admission);
    const maxBypass = optionalNumber('maxBypass', o.maxBypass, Infinity, { integer: true, allowInfinity: true });
    const maxPending = optionalNumber('maxPending', o.maxPending, Infinity, { integer: true, allowInfinity: true });
    const dropOldest = checkOneOf('overflow', o.overflow, ['reject', 'drop-oldest'], 'reject') === 'drop-oldest';
    if (o.onEvent !== undefined) checkFunction('onEvent', o.onEvent);
    this.#name = o.name === undefined ? undefined : checkString('name', o.name);
    this.#onEvent = o.onEvent;
    this.#settings = settingsOf({ opportunistic: admission === 'opportunistic', maxBypass, maxPending, dropOldest, perCallRefund: setup.perCallRefund ?? false });
    this.#own = setup.budgets.length === 1 ? setup.budgets[0]! : setup.budgets;
    this.#budget = setup.budgets.length === 1 ? setup.budgets[0]! : new AllOf(setup.budgets);
    this.#quantum = setup.quantum;
    this.#release = setup.quantum;
    this.#capacity = this.#quantum.cost(this.#budget.capacity);
    this.#until = o.onEvent !== undefined || this.#budget.timed !== false ? Infinity : -Infinity;
    const refundMs = setup.refundMs ?? 0;
    // Most limiters take the plain defaults: one shared object, not one each (KeyedLimiter keeps many).
    this.#defaults = maxWaitMs === undefined && refundMs === 0 ? PLAIN : Object.freeze({ ...PLAIN, maxWaitMs, refundMs });
  }

  /** The clock this limiter reads. */
  protected get clock(): Clock {
    return this.#clock;
  }

  /** The quantum this limiter's budgets count in. */
  protected get quantum(): Quantum {
    return this.#quantum;
  }

  /** The name given in the options, if any. */
  get name(): string | undefined {
    return this.#name;
  }

  /** The largest cost this limiter can ever pay. */
  get capacity(): number {
    return this.#capacity;
  }

  /** The largest cost payable now from the budgets alone (the queue and a pause are reported by `pending` and `stats().pausedUntil`). */
  get available(): number {
    return this.#quantum.cost(this.#budget.available(this.#read()));
  }

  /** How many waiters are queued. */
  get pending(): number {
    return this.#queue.size;
  }

  /** True once `close` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  acquire(cost: number = 1, options?: AcquireOptions): Promise<Permit> {
    // The common call (no options, payable now) is kept small enough for the caller's loop to
    // inline it; every other call, errors included, takes the full path.
    const permit = options === undefined ? this.#payableAtOnce(cost) : undefined;
    return permit !== undefined ? Promise.resolve(permit) : this.#enterOrReject(cost, options);
  }

  tryAcquire(cost: number = 1): Permit | undefined {
    const units = this.#units(cost);
    if (this.#closed) throw new LimiterClosedError();
    const now = this.#now();
    if (units > 0 && !this.#canPayNow(units, now)) return undefined;
    return this.#admitNow(cost, units, now, this.#defaults);
  }

  run<T>(fn: (context: RunContext) => T | PromiseLike<T>, options?: CallOptions & { cost?: number }): Promise<T> {
    try {
      checkFunction('fn', fn);
    } catch (error) {
      return Promise.reject(error);
    }
    // Not an async function awaiting the permit: a suspended one would hold a few hundred bytes
    // more per waiter (its frame and await closures) for as long as the waiter is queued.
    // The reaction holds the signal, not the options: a queued call keeps no more of them alive.
    const signal = options?.signal;
    return this.acquire(options?.cost, options).then((permit) => runHolding(permit, fn, signal));
  }

  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>, cost: number = 1): (...args: A) => Promise<Awaited<R>> {
    return wrapWith(this, fn, cost);
  }

  pause(ms: number): void {
    checkNumber('ms', ms, { allowInfinity: true });
    const now = this.#read();
    if (this.#closed || now + ms <= this.#pausedUntil) return;
    this.#pausedUntil = now + ms;
    this.#readUntil(this.#pausedUntil);
    if (this.#queue.size > 0) this.#arm(now);
  }

  resume(): void {
    const now = this.#read();
    if (this.#closed || this.#pausedUntil <= now) return;
    this.#pausedUntil = -Infinity;
    if (this.#queue.size > 0) this.#settle(now);
  }

  observe(input: unknown): void {
    const report = readServerReport(input);
    if (this.#closed) return;
    const now = this.#read();
    this.#begin();
    try {
      if (report.retryAfterMs !== undefined) this.pause(report.retryAfterMs);
      if (report.remaining === undefined || report.resetInMs === undefined) return;
      const cap = this.#serverCap();
      const resetAt = now + report.resetInMs;
      // Not clamped to the capacity, which `update` may raise while the report is in force.
      cap.report(report.remaining, resetAt, now, this.#quantum.scale);
      this.#readUntil(resetAt);
      if (this.#queue.size > 0) this.#settle(now);
    } finally {
      this.#end();
    }
  }

  update(options: Record<string, unknown>): void {
    const o = checkObject('options', options);
    const { maxWaitMs, maxBypass, maxPending } = readCommonUpdate(o, this.updatableOptions(), this.#defaults.maxWaitMs, this.#settings.maxPending);
    const now = this.#read();
    const apply = this.prepareUpdate(o, now);
    if (this.#closed) return;
    this.#begin();
    try {
      this.#settings = settingsOf({ ...this.#settings, maxPending, maxBypass: maxBypass ?? this.#settings.maxBypass });
      if (maxWaitMs !== this.#defaults.maxWaitMs) this.#defaults = Object.freeze({ ...this.#defaults, maxWaitMs });
      if (maxBypass !== undefined && this.#queue !== EMPTY) this.#queue.maxBypass = maxBypass;
      apply?.();
      this.#capacity = this.#quantum.cost(this.#budget.capacity);
      this.#rejectAbove(this.#budget.capacity, now);
      if (this.#queue.size > 0) this.#settle(now);
    } finally {
      this.#end();
    }
  }

  retryAfterMs(cost: number = 1): number {
    const units = this.#units(cost);
    if (units === 0) return 0;
    const now = this.#read();
    const at = Math.max(this.#pausedUntil, this.#budget.readyAt(units, now));
    return at <= now ? 0 : Math.ceil(at - now);
  }

  stats(): LimiterStats {
    const now = this.#read();
    const q = this.#quantum;
    return {
      available: q.cost(this.#budget.available(now)),
      pending: this.#queue.size,
      admitted: this.#admitted,
      timedOut: this.#timedOut,
      aborted: this.#aborted,
      rejected: this.#rejected,
      held: q.cost(this.#held),
      running: this.#running,
      pausedUntil: now < this.#pausedUntil ? this.#pausedUntil : undefined,
    };
  }

  onEmpty(): Promise<void> {
    return this.#watch(1, false);
  }

  onIdle(): Promise<void> {
    return this.#watch(1, true);
  }

  onSizeLessThan(n: number): Promise<void> {
    try {
      checkNumber('n', n, { positive: true, allowInfinity: true });
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#watch(n, false);
  }

  clear(reason?: unknown): void {
    if (this.#closed || this.#queue.size === 0) return;
    const now = this.#read();
    this.#begin();
    try {
      const error = reason === undefined ? new QueueClearedError() : reason;
      for (const waiter of this.#drainQueue()) {
        waiter.reject(error);
        this.#emit('cleared', waiter.cost, waiter.id, now, now - waiter.since);
      }
      this.#arm(now);
    } finally {
      this.#end();
    }
  }

  close(reason?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.arm(Infinity, 0);
    if (this.#queue.size === 0 && this.#watchers === undefined) return;
    const now = this.#read();
    const error = reason === undefined ? new LimiterClosedError() : reason;
    this.#begin();
    try {
      for (const waiter of this.#drainQueue()) {
        waiter.reject(error);
        this.#emit('closed', waiter.cost, waiter.id, now, now - waiter.since);
      }
      this.#watchers?.rejectAll(error);
    } finally {
      this.#end();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * True when the limiter is as new: nobody waiting or watching (no `onEmpty`, `onIdle` or
   * `onSizeLessThan` pending), nothing held (slots, credits) or refunding, nothing left to refill
   * or drain, no server report in force, and not paused. Replacing an idle limiter with a fresh one
   * changes nothing a caller could observe but its counts, which is what lets `KeyedLimiter` drop
   * it. A rate limiter's spent permit that was never released does not count: its release gives
   * nothing back (users of rate limiters rarely release), so holding the key for it would only leak.
   *
   * @example
   * ```ts
   * const sem = new ConcurrencySemaphore({ capacity: 2 });
   * const permit = sem.tryAcquire()!;
   * sem.idle; // false
   * permit.release();
   * sem.idle; // true
   * ```
   */
  get idle(): boolean {
    const now = this.#read();
    return this.#queue.size === 0 && (this.#watchers?.size ?? 0) === 0 && now >= this.#pausedUntil && this.#budget.isFull(now);
  }

  /** `tryAcquire` would succeed now (LeakyBucketLimiter's `hasCapacity`). */
  protected canAdmitNow(cost: number): boolean {
    const units = this.#units(cost);
    return !this.#closed && (units === 0 || this.#canPayNow(units, this.#read()));
  }

  /** The names `update` takes beyond the common ones. */
  protected updatableOptions(): readonly string[] {
    return [];
  }

  /**
   * Checks the limiter's own options of an `update` (throwing as the constructor does) and
   * returns what applies them, or undefined. Nothing may change before every option is checked.
   */
  protected prepareUpdate(_options: Record<string, unknown>, _now: number): (() => void) | undefined {
    return undefined;
  }

  /** `value` (an option named `name`) in whole quanta: a `RangeError` when it is finer than the quantum or too large for it. */
  protected toUnits(name: string, value: number, quantum: Quantum = this.#quantum): number {
    return checkUnits(quantum, name, value);
  }

  /**
   * The quantum an `update` to `size` (a capacity, a limit, a leaky bucket's `maxRate × periodMs`)
   * needs: the current one while it spans `size`, else the one a constructor given `size` would
   * choose (always coarser). It never gets finer again: state already rounded stays exact.
   */
  protected quantumFor(size: number): Quantum {
    return this.#quantum.spans(size) ? this.#quantum : Quantum.for(size);
  }

  /**
   * Inside an `update`'s apply step, before the new sizes are set: every amount the limiter keeps
   * moves to the coarser `quantum` (see the notes at the top of this file). Waiters whose cost is
   * finer than it reject with the `RangeError` an `acquire` of that cost would now get.
   */
  protected rescaleTo(quantum: Quantum, now: number): void {
    const factor = this.#quantum.scale / quantum.scale;
    if (quantum === this.#quantum || !(factor > 1)) return;
    for (const budget of ownList(this.#own)) budget.rescale?.(factor, now, quantum.scale);
    this.#cap?.rescale(factor, now, quantum.scale);
    this.#held = unitsUp(this.#held, factor);
    this.#quantum = quantum;
    if (this.#running === 0) this.#release = quantum;
    else this.#release = NO_UNITS;
    for (const waiter of this.#queue.list()) {
      const units = quantum.units(waiter.cost);
      if (!Number.isNaN(units)) {
        this.#queue.rekey(waiter, units);
        continue;
      }
      this.#leave(waiter);
      this.#rejected++;
      try {
        checkUnits(quantum, 'cost', waiter.cost);
      } catch (error) {
        waiter.reject(error);
      }
      this.#emit('rejected', waiter.cost, waiter.id, now, now - waiter.since);
    }
  }

  /** Throttle's `update({ limits })`: the budgets paid from now on (those kept keep their state). */
  protected replaceBudgets(budgets: Budget[]): void {
    this.#own = budgets.length === 1 ? budgets[0]! : budgets;
    const all = this.#cap === undefined ? budgets : [...budgets, this.#cap];
    this.#budget = all.length === 1 ? all[0]! : new AllOf(all);
  }

  /** CreditSemaphore's `update({ refundMs })`: the delay of permits released from now on that name none. */
  protected setDefaultRefund(refundMs: number): void {
    this.#defaults = Object.freeze({ ...this.#defaults, refundMs });
  }

  /** For budgets that report on their own schedule (refunds). */
  protected emitEvent(type: EventType, cost: number, id: string | number | undefined, at: number): void {
    this.#emit(type, cost, id, at, undefined);
  }

  /** The clock's instant as this limiter last read it, reading afresh. */
  protected readNow(): number {
    return this.#read();
  }

  /**
   * A permit for a call without options that can be admitted now with a positive cost, else
   * undefined (errors are left to `#enter`). `tryAcquire` keeps its own throwing copy of these
   * steps: routing it through here costs it about a third of its time.
   */
  #payableAtOnce(cost: number): Permit | undefined {
    if (this.#closed || !isCost(cost, this.#capacity)) return undefined;
    const units = this.#quantum.units(cost);
    if (!(units > 0)) return undefined;
    const now = this.#now();
    return this.#canPayNow(units, now) ? this.#admitNow(cost, units, now, this.#defaults) : undefined;
  }

  #enterOrReject(cost: number, options: CallOptions | undefined): Promise<Permit> {
    try {
      return this.#enter(cost, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #enter(cost: number, options: CallOptions | undefined): Promise<Permit> {
    const units = this.#units(cost);
    const entry = options === undefined ? this.#defaults : readAcquireOptions(options, this.#defaults, this.#settings.perCallRefund);
    if (this.#closed) throw new LimiterClosedError();
    // A deadline is a real instant: it needs a fresh reading.
    const now = entry.maxWaitMs === undefined ? this.#now() : this.#read();
    if (units === 0 || this.#canPayNow(units, now)) return Promise.resolve(this.#admitNow(cost, units, now, entry));
    return this.#wait(cost, units, now, entry);
  }

  /** Queues a newcomer that cannot be admitted now (kept apart so the admitted-at-once path stays short). */
  #wait(cost: number, units: number, now: number, entry: Entry): Promise<Permit> {
    const { maxWaitMs, signal, id, priority } = entry;
    this.#begin();
    try {
      if (maxWaitMs !== undefined && this.#provablyLate(units, now, maxWaitMs)) {
        this.#timedOut++;
        this.#emit('timeout', cost, id, now, 0);
        throw new MaxWaitExceededError(maxWaitMs, 0);
      }
      const dropped = this.#queue.size >= this.#settings.maxPending && this.#overflow(cost, id, priority, now);
      const waiter = new Waiter({ cost, units, priority, seq: this.#seq++, id, refundMs: entry.refundMs, since: now, maxWaitMs });
      const promise = waiter.promise();
      if (this.#queue === EMPTY) this.#queue = new WaiterQueue(this.#settings);
      const ahead = this.#queue.push(waiter);
      if (signal !== undefined) (this.#signals ??= new SignalGroups((waiters, reason) => this.#abort(waiters, reason))).add(waiter, signal);
      if (waiter.deadline !== Infinity) {
        (this.#deadlines ??= new DeadlineHeap()).push(waiter);
        this.#readUntil(waiter.deadline);
      }
      this.#emit('queued', cost, id, now, undefined);
      if (dropped || (ahead && this.#queue.size > 1)) this.#settle(now);
      else this.#armForNewcomer(waiter, now);
      return promise;
    } finally {
      this.#end();
    }
  }

  /** The queue is full: throws for the newcomer, or drops the oldest of the lowest priority (true). */
  #overflow(cost: number, id: string | number | undefined, priority: number, now: number): boolean {
    const lowest = this.#queue.lowest();
    if (!this.#settings.dropOldest || lowest === undefined || priority < lowest.priority) {
      this.#rejected++;
      this.#emit('rejected', cost, id, now, 0);
      throw new QueueFullError(this.#settings.maxPending);
    }
    this.#leave(lowest);
    this.#rejected++;
    lowest.reject(new QueueFullError(this.#settings.maxPending));
    this.#emit('rejected', lowest.cost, lowest.id, now, now - lowest.since);
    return true;
  }

  #canPayNow(units: number, now: number): boolean {
    return this.#queue.size === 0 && now >= this.#pausedUntil && units <= this.#budget.available(now);
  }

  /**
   * Only a wait that a pause or budgets which never give back (rates, a server's report) make
   * longer is provable: a release could shorten any other (even `maxWaitMs: 0` may be admitted
   * by a scan in the same instant).
   */
  #provablyLate(units: number, now: number, maxWaitMs: number): boolean {
    let at = this.#pausedUntil;
    for (const budget of ownList(this.#own)) if (budget.spends) at = Math.max(at, budget.readyAt(units, now));
    if (this.#cap !== undefined) at = Math.max(at, this.#cap.readyAt(units, now));
    return at - now > maxWaitMs;
  }

  #admitNow(cost: number, units: number, now: number, terms: PermitTerms): Permit {
    if (units > 0) this.#budget.take(units, now);
    this.#admitted++;
    this.#running++;
    this.#held += units;
    this.#emit('admitted', cost, terms.id, now, 0);
    return new GatePermit(this, cost, terms);
  }

  /** A permit's first release. */
  [RELEASE](permit: GatePermit): void {
    const units = this.#release.units(permit.cost);
    // Cost 0, and every cost while `#release` is `NO_UNITS` (NaN): one comparison either way.
    if (!(units > 0)) return this.#releaseOther(permit);
    this.#running--;
    this.#held -= units;
    const terms = permit.terms;
    // A refund falls due at a real instant: it needs a fresh reading.
    const now = terms.refundMs > 0 ? this.#read() : this.#now();
    const grows = this.#budget.release(units, now, terms.refundMs, terms.id);
    // Most releases give back at once to a limiter nobody waits on or listens to: they end here,
    // which keeps this small enough for the caller's loop to inline it.
    if (grows <= now && this.#queue.size === 0 && this.#onEvent === undefined && this.#watchers === undefined && !channel?.hasSubscribers) return;
    this.#released(permit, grows, now);
  }

  /**
   * Cost 0 took nothing: its release gives nothing back and is not an event (only `onIdle` may
   * care). Otherwise permits taken before an `update` coarsened the quantum are out: their cost
   * may be a fraction of the new quantum, so each permit gives back the whole units its cost
   * surely holds, and what that rounding (and the limiter's own, `rescaleTo`) kept comes back
   * with the last permit out; from then on the count is exact and releases take the short path.
   */
  #releaseOther(permit: GatePermit): void {
    const cost = permit.cost;
    this.#running--;
    if (this.#release !== NO_UNITS) return this.#watchers?.check(this.#queue.size, this.#running);
    const units = cost === 0 ? 0 : Math.min(this.#held, wholeUnits(this.#quantum, cost));
    this.#held -= units;
    const terms = permit.terms;
    const now = terms.refundMs > 0 && units > 0 ? this.#read() : this.#now();
    // A permit of positive cost took from every budget (a Throttle's slot too), even if its units now round to 0.
    let grows = cost === 0 ? Infinity : this.#budget.release(units, now, units > 0 ? terms.refundMs : 0, terms.id);
    if (this.#running === 0) {
      if (this.#held > 0) {
        for (const budget of ownList(this.#own)) budget.restore?.(this.#held);
        grows = now;
      }
      this.#held = 0;
      this.#release = this.#quantum;
    }
    if (cost > 0) return this.#released(permit, grows, now);
    if (this.#queue.size > 0 && !this.#closed && grows <= now) this.#settle(now);
    this.#watchers?.check(this.#queue.size, this.#running);
  }

  #released(permit: GatePermit, grows: number, now: number): void {
    this.#begin();
    try {
      if (grows > now && grows !== Infinity) this.#readUntil(grows); // a refund coming due
      this.#emit('released', permit.cost, permit.terms.id, now, undefined);
      if (this.#queue.size > 0 && !this.#closed) this.#grown(grows, now);
    } finally {
      this.#end();
    }
  }

  /**
   * Only growth is a reason to scan: a release whose credits come back later wakes the limiter
   * then (a refund coming due is a scan), so waiters parked by fair entry are not admitted early.
   */
  #grown(grows: number, now: number): void {
    if (grows <= now) this.#settle(now);
    else if (grows !== Infinity) {
      if (this.#settings.opportunistic) this.#armAt(Math.min(this.#timer?.armedAt ?? Infinity, grows), now);
      else this.#arm(now);
    }
  }

  #abort(waiters: Waiter[], reason: unknown): void {
    const now = this.#read();
    this.#begin();
    try {
      for (const waiter of waiters) {
        if (!waiter.queued) continue;
        this.#leave(waiter);
        this.#aborted++;
        waiter.reject(reason);
        this.#emit('aborted', waiter.cost, waiter.id, now, now - waiter.since);
      }
      if (!this.#closed) this.#settle(now);
    } finally {
      this.#end();
    }
  }

  #settle(now: number): void {
    this.#begin();
    try {
      const enough = slice();
      const deadlines = this.#deadlines;
      if (deadlines !== undefined && deadlines.size > 0) {
        // Late: due strictly before now. Never admitted, whatever a scan could pay.
        for (let late = deadlines.popDue(now, true); late !== undefined; late = deadlines.popDue(now, true)) {
          this.#timeout(late, now);
          if (enough()) return this.#armNext(now);
        }
      }
      for (;;) {
        this.#scan(now);
        // Due exactly now and still not admitted: leaves, and those behind it get their chance.
        const due = deadlines?.popDue(now, false);
        if (due === undefined) break;
        this.#timeout(due, now);
        if (enough()) return this.#armNext(now);
      }
      this.#arm(now);
    } finally {
      this.#end();
    }
  }

  #timeout(waiter: Waiter, now: number): void {
    this.#leave(waiter);
    this.#timedOut++;
    const waited = now - waiter.since;
    waiter.reject(withoutStack(() => new MaxWaitExceededError(waiter.maxWaitMs!, waited)));
    this.#emit('timeout', waiter.cost, waiter.id, now, waited);
  }

  #scan(now: number): void {
    if (this.#scanning) return;
    this.#scanning = true;
    try {
      const queue = this.#queue;
      while (queue.size > 0 && !this.#closed && now >= this.#pausedUntil) {
        const waiter = queue.candidate(this.#budget.available(now));
        if (waiter === undefined) break;
        // A sliced wave of timeouts may not have reached it yet: late is never admitted.
        if (waiter.deadline < now) this.#timeout(waiter, now);
        else this.#admitWaiter(waiter, now);
      }
    } finally {
      this.#scanning = false;
    }
  }

  #admitWaiter(waiter: Waiter, now: number): void {
    this.#queue.admit(waiter);
    this.#detach(waiter);
    this.#budget.take(waiter.units, now);
    this.#admitted++;
    this.#running++;
    this.#held += waiter.units;
    waiter.resolve(new GatePermit(this, waiter.cost, waiter));
    this.#emit('admitted', waiter.cost, waiter.id, now, now - waiter.since);
  }

  /** A capacity lowered by `update` rejects the waiters it can never pay, as `acquire` would. */
  #rejectAbove(units: number, now: number): void {
    for (const waiter of this.#queue.list()) {
      if (waiter.units <= units) continue;
      this.#leave(waiter);
      this.#rejected++;
      try {
        throwBadCost(waiter.cost, this.#capacity, 'cost');
      } catch (error) {
        waiter.reject(error);
      }
      this.#emit('rejected', waiter.cost, waiter.id, now, now - waiter.since);
    }
  }

  #leave(waiter: Waiter): void {
    this.#queue.remove(waiter);
    this.#detach(waiter);
  }

  #detach(waiter: Waiter): void {
    if (waiter.group !== undefined) this.#signals!.remove(waiter);
    if (waiter.deadline !== Infinity) this.#deadlines!.forget();
  }

  /** Empties the queue (clear, close): every waiter leaves its signal; the deadlines are dropped at once. */
  #drainQueue(): Waiter[] {
    if (this.#queue.size === 0) return [];
    const waiters = this.#queue.drain();
    for (const waiter of waiters) if (waiter.group !== undefined) this.#signals!.remove(waiter);
    this.#deadlines?.clear();
    return waiters;
  }

  /** After a scan every waiter left is unpayable or blocked, so the candidate's instant is in the future. */
  #arm(now: number): void {
    const queue = this.#queue;
    let at = Infinity;
    if (queue.size > 0 && !this.#closed) {
      at = now < this.#pausedUntil ? this.#pausedUntil : this.#budget.readyAt(queue.neededUnits(), now);
      if (this.#deadlines !== undefined) at = Math.min(at, this.#deadlines.next());
    }
    this.#armAt(at, now);
  }

  /**
   * A newcomer that is not scanned at once may only bring the wake-up forward: for its deadline,
   * when it cannot be paid now, or, when it can (parked by fair entry), for the next refund or
   * refill step: that is its next scan in opportunistic mode.
   */
  #armForNewcomer(waiter: Waiter, now: number): void {
    let at = Math.min(this.#timer?.armedAt ?? Infinity, waiter.deadline);
    if (now < this.#pausedUntil) at = Math.min(at, this.#pausedUntil);
    else if (this.#settings.opportunistic || this.#queue.size === 1) {
      const ready = this.#budget.readyAt(waiter.units, now);
      at = Math.min(at, ready > now ? ready : this.#budget.nextStep(now));
    }
    this.#armAt(at, now);
  }

  /** The rest of a sliced wave goes on at the same instant, after other callbacks (see `slice`). */
  #armNext(now: number): void {
    if (this.#closed) return this.#armAt(Infinity, now);
    (this.#timer ??= this.#wakeTimer()).armNext(now);
  }

  #wakeTimer(): WakeTimer {
    return new WakeTimer(this.#clock, () => this.#settle(this.#read()));
  }

  #armAt(at: number, now: number): void {
    if (this.#closed) at = Infinity;
    if (this.#timer === undefined) {
      if (at === Infinity) return;
      this.#timer = this.#wakeTimer();
    }
    this.#timer.arm(at, now);
  }

  #serverCap(): ServerCap {
    if (this.#cap === undefined) {
      this.#cap = new ServerCap();
      this.#budget = new AllOf([...ownList(this.#own), this.#cap]);
    }
    return this.#cap;
  }

  #units(cost: number): number {
    if (!isCost(cost, this.#capacity)) throwBadCost(cost, this.#capacity, 'cost');
    const units = this.#quantum.units(cost);
    return Number.isNaN(units) ? checkUnits(this.#quantum, 'cost', cost) : units;
  }

  #watch(below: number, idle: boolean): Promise<void> {
    if (this.#closed) return Promise.reject(new LimiterClosedError());
    return (this.#watchers ??= new QueueWatchers()).add(below, idle, this.#queue.size, this.#running);
  }

  /** The current instant, or the latest reading when nothing can have changed since. */
  #now(): number {
    return this.#last > this.#until ? this.#last : this.#read();
  }

  /** A fresh reading; every reading goes through here so `#last` is the latest even if the clock was swapped (fake timers). */
  #read(): number {
    return (this.#last = this.#clock.now());
  }

  /** Something will change at `at`: until then `#now()` reads the clock. */
  #readUntil(at: number): void {
    if (at > this.#until) this.#until = at;
  }

  #begin(): void {
    this.#depth++;
  }

  /** The outermost operation ends: deliver what it emitted, then resolve what waited for the queue. */
  #end(): void {
    if (--this.#depth > 0) return;
    if (this.#outbox !== undefined && this.#outbox.length > 0) this.#flush();
    this.#watchers?.check(this.#queue.size, this.#running);
  }

  #flush(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    const outbox = this.#outbox!;
    try {
      // A listener's own calls append here (their operations end while this one flushes): delivered in order.
      for (let i = 0; i < outbox.length; i++) this.#deliver(outbox[i]!);
    } finally {
      outbox.length = 0;
      this.#flushing = false;
    }
  }

  /**
   * On every hot path, and most limiters have no listener and nobody subscribes to the
   * diagnostics channel: then nothing is built (the channel lookup is cached; an unobserved
   * channel answers `hasSubscribers` false).
   */
  #emit(type: EventType, cost: number, id: string | number | undefined, at: number, waitedMs: number | undefined): void {
    if (this.#onEvent === undefined && !channel?.hasSubscribers) return;
    const event = makeEvent({ type, cost, id, at, waitedMs });
    if (this.#depth > 0 || this.#flushing) (this.#outbox ??= []).push(event);
    else this.#deliver(event);
  }

  /** To the `onEvent` listener, then to the `tollgate:event` diagnostics channel if anyone listens there. */
  #deliver(event: LimiterEvent): void {
    if (this.#onEvent !== undefined) deliver(this.#onEvent, event, this);
    if (channel?.hasSubscribers) {
      try {
        channel.publish({ limiter: this, name: this.#name, kind: this.constructor.name, event });
      } catch {
        // A subscriber that throws must not reach the caller either (Node reports it on its own).
      }
    }
  }
}

/** The whole units of `quantum` that `cost` surely holds: its units, or rounded down when it is finer than the quantum. */
function wholeUnits(quantum: Quantum, cost: number): number {
  const units = quantum.units(cost);
  if (!Number.isNaN(units)) return units;
  let whole = Math.floor(cost * quantum.scale);
  while (whole > 0 && quantum.cost(whole) > cost) whole--;
  return Math.max(0, whole);
}
