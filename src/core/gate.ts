import type { Budget } from './budget.js';
import { readAcquireOptions, type CallOptions, type Entry } from './acquire-options.js';
import type { Clock } from './clock.js';
import { ClockReader } from './clock-reader.js';
import { deliver } from './events.js';
import { AllOf } from './budgets/all-of.js';
import { DeadlineHeap } from './deadline-heap.js';
import { LimiterClosedError, MaxWaitExceededError } from './errors.js';
import { GatePermit } from './permit.js';
import type { AcquireOptions, CommonOptions, Limiter, LimiterEvent, LimiterStats, Permit } from './types.js';
import { checkClock, checkCost, checkFunction, checkNumber, checkObject, checkOneOf, isCost, optionalNumber } from './validate.js';
import { WakeTimer } from './wake-timer.js';
import { wrapWith } from './wrap.js';
import { Waiter, WaiterQueue } from './waiter-queue.js';

/** What a limiter class hands its base: its budgets and defaults. */
export interface GateSetup {
  budgets: Budget[];
  admission: 'fifo' | 'opportunistic';
  /** Release delay for permits that do not name one (CreditSemaphore's `refundMs`). */
  refundMs?: number;
  /** Whether `acquire` reads a per-call `refundMs`. */
  perCallRefund?: boolean;
}

/**
 * The one implementation of the {@link Limiter} contract: a fair waiter queue paying from one or
 * more budgets at the same instant, with one timer. Each limiter is a subclass that only chooses
 * its budgets.
 *
 * Invariants: admissions happen only in a scan (or on the fast path while nobody waits); while
 * anyone waits, the armed instant is the earliest of the next deadline, the end of a pause, and
 * the instant the candidate (the head in fifo, the cheapest waiter in opportunistic) becomes
 * payable, which is exact because budgets only grow with time.
 *
 * @example
 * ```ts
 * class Unlimited extends Gate {
 *   constructor() { super({}, { budgets: [], admission: 'fifo' }); }
 * }
 * ```
 */
export abstract class Gate implements Limiter {
  /** What every admission pays: the limiter's one budget, or all of them at once (`AllOf`). */
  readonly #budget: Budget;
  /** The budgets that never give back (rates): only the waits they impose are provable. */
  readonly #rates: Budget[];
  readonly #capacity: number;
  readonly #clock: Clock;
  readonly #queue: WaiterQueue;
  readonly #deadlines = new DeadlineHeap();
  readonly #fifo: boolean;
  readonly #maxBypass: number;
  readonly #maxWaitMs: number | undefined;
  readonly #refundMs: number;
  readonly #perCallRefund: boolean;
  /** What a call without options gets. */
  readonly #defaults: Entry;
  readonly #onEvent: ((event: LimiterEvent) => void) | undefined;
  readonly #timer: WakeTimer;
  readonly #time: ClockReader;
  #pausedUntil = -Infinity;
  #closed = false;
  #scanning = false;
  #rescan = false;
  #admitted = 0;
  #timedOut = 0;
  #aborted = 0;

  constructor(options: CommonOptions | undefined, setup: GateSetup) {
    const o = checkObject('options', options) as CommonOptions;
    this.#clock = checkClock(o.clock);
    this.#maxWaitMs = o.maxWaitMs === undefined ? undefined : checkNumber('maxWaitMs', o.maxWaitMs, { allowInfinity: true });
    const admission = checkOneOf('admission', o.admission, ['fifo', 'opportunistic'], setup.admission);
    this.#maxBypass = optionalNumber('maxBypass', o.maxBypass, Infinity, { integer: true, allowInfinity: true });
    if (o.onEvent !== undefined) checkFunction('onEvent', o.onEvent);
    this.#onEvent = o.onEvent;
    this.#fifo = admission === 'fifo' || this.#maxBypass === 0;
    this.#queue = new WaiterQueue(!this.#fifo, !this.#fifo && this.#maxBypass !== Infinity);
    this.#budget = setup.budgets.length === 1 ? setup.budgets[0]! : new AllOf(setup.budgets);
    this.#rates = setup.budgets.filter((b) => b.spends);
    this.#capacity = this.#budget.capacity;
    this.#refundMs = setup.refundMs ?? 0;
    this.#perCallRefund = setup.perCallRefund ?? false;
    this.#time = new ClockReader(this.#clock, o.onEvent !== undefined || this.#budget.timed !== false);
    this.#timer = new WakeTimer(this.#clock, () => this.#settle(this.#time.read()));
    this.#defaults = Object.freeze({ signal: undefined, maxWaitMs: this.#maxWaitMs, id: undefined, refundMs: this.#refundMs });
  }

  /** The clock this limiter reads. */
  protected get clock(): Clock {
    return this.#clock;
  }

  /** The largest cost this limiter can ever pay. */
  get capacity(): number {
    return this.#capacity;
  }

  /** The largest cost payable now from the budgets alone (the queue and a pause are reported by `pending` and `stats().pausedUntil`). */
  get available(): number {
    return this.#budget.available(this.#time.read());
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
    checkCost(cost, this.#capacity);
    if (this.#closed) throw new LimiterClosedError();
    const now = this.#time.now();
    if (cost > 0 && !this.#canPayNow(cost, now)) return undefined;
    return this.#admitNow(cost, now, this.#refundMs, undefined);
  }

  run<T>(fn: () => T | PromiseLike<T>, options?: CallOptions & { cost?: number }): Promise<T> {
    try {
      checkFunction('fn', fn);
    } catch (error) {
      return Promise.reject(error);
    }
    // Not an async function awaiting the permit: a suspended one would hold a few hundred bytes
    // more per waiter (its frame and await closures) for as long as the waiter is queued.
    return this.acquire(options?.cost, options).then((permit) => runHolding(permit, fn));
  }

  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>, cost: number = 1): (...args: A) => Promise<Awaited<R>> {
    return wrapWith(this, fn, cost);
  }

  pause(ms: number): void {
    checkNumber('ms', ms, { allowInfinity: true });
    const now = this.#time.read();
    if (this.#closed || now + ms <= this.#pausedUntil) return;
    this.#pausedUntil = now + ms;
    this.#time.until(this.#pausedUntil);
    if (this.#queue.size > 0) this.#arm(now);
  }

  retryAfterMs(cost: number = 1): number {
    checkCost(cost, this.#capacity);
    if (cost === 0) return 0;
    const now = this.#time.read();
    const at = Math.max(this.#pausedUntil, this.#budget.readyAt(cost, now));
    return at <= now ? 0 : Math.ceil(at - now);
  }

  stats(): LimiterStats {
    const now = this.#time.read();
    return {
      available: this.#budget.available(now),
      pending: this.#queue.size,
      admitted: this.#admitted,
      timedOut: this.#timedOut,
      aborted: this.#aborted,
      pausedUntil: now < this.#pausedUntil ? this.#pausedUntil : undefined,
    };
  }

  close(reason?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer.arm(Infinity, 0);
    const error = reason === undefined ? new LimiterClosedError() : reason;
    const now = this.#time.read();
    this.#deadlines.clear();
    for (const waiter of this.#queue.drain()) {
      this.#detach(waiter);
      waiter.reject(error);
      this.#emit('closed', waiter.cost, waiter.id, now, now - waiter.since);
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * True when the limiter is as new: nobody waiting, nothing held or refunding, nothing left to
   * refill or drain, and not paused. Replacing an idle limiter with a fresh one changes nothing a
   * caller could observe but its counts, which is what lets `KeyedLimiter` drop it.
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
    const now = this.#time.read();
    return this.#queue.size === 0 && now >= this.#pausedUntil && this.#budget.isFull(now);
  }

  /** `tryAcquire` would succeed now (LeakyBucketLimiter's `hasCapacity`). */
  protected canAdmitNow(cost: number): boolean {
    checkCost(cost, this.#capacity);
    return !this.#closed && (cost === 0 || this.#canPayNow(cost, this.#time.read()));
  }

  /**
   * A permit for a call without options that can be admitted now with a positive cost, else
   * undefined (errors are left to `#enter`). `tryAcquire` keeps its own throwing copy of these
   * steps: routing it through here costs it about a third of its time (measured, 17 → 26 ns).
   */
  #payableAtOnce(cost: number): Permit | undefined {
    if (this.#closed || !isCost(cost, this.#capacity) || cost === 0) return undefined;
    const now = this.#time.now();
    return this.#canPayNow(cost, now) ? this.#admitNow(cost, now, this.#refundMs, undefined) : undefined;
  }

  #enterOrReject(cost: number, options: CallOptions | undefined): Promise<Permit> {
    try {
      return this.#enter(cost, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #enter(cost: number, options: CallOptions | undefined): Promise<Permit> {
    checkCost(cost, this.#capacity);
    // Most calls pass no options: the defaults are read once, which keeps this path short enough to inline.
    const entry = options === undefined ? this.#defaults : readAcquireOptions(options, this.#defaults, this.#perCallRefund);
    if (this.#closed) throw new LimiterClosedError();

    // A deadline is a real instant: it needs a fresh reading.
    const now = entry.maxWaitMs === undefined ? this.#time.now() : this.#time.read();
    // Fair entry: with anyone queued, a newcomer joins the back even if it could be paid now.
    if (cost === 0 || this.#canPayNow(cost, now)) return Promise.resolve(this.#admitNow(cost, now, entry.refundMs, entry.id));
    return this.#wait(cost, now, entry);
  }

  /** Queues a newcomer that cannot be admitted now (kept apart so the admitted-at-once path stays short). */
  #wait(cost: number, now: number, { maxWaitMs, signal, id, refundMs }: Entry): Promise<Permit> {
    if (maxWaitMs !== undefined && this.#provablyLate(cost, now, maxWaitMs)) {
      this.#timedOut++;
      this.#emit('timeout', cost, id, now, 0);
      throw new MaxWaitExceededError(maxWaitMs, 0);
    }

    const waiter = new Waiter(cost, id, refundMs, now, maxWaitMs === undefined ? Infinity : now + maxWaitMs, this.#onAbort);
    const promise = waiter.promise();
    this.#queue.push(waiter);
    if (signal !== undefined) {
      waiter.signal = signal;
      signal.addEventListener('abort', waiter, { once: true });
    }
    if (waiter.deadline !== Infinity) {
      this.#deadlines.push(waiter);
      this.#time.until(waiter.deadline);
    }
    this.#emit('queued', cost, id, now, undefined);
    this.#armForNewcomer(waiter, now);
    return promise;
  }

  #canPayNow(cost: number, now: number): boolean {
    return this.#queue.size === 0 && now >= this.#pausedUntil && cost <= this.#budget.available(now);
  }

  /**
   * Only a wait that budgets which never give back (rates) make longer than `maxWaitMs` is
   * provable: a release could shorten any other.
   */
  #provablyLate(cost: number, now: number, maxWaitMs: number): boolean {
    let at = this.#pausedUntil;
    for (const rate of this.#rates) at = Math.max(at, rate.readyAt(cost, now));
    return at - now > maxWaitMs;
  }

  #admitNow(cost: number, now: number, refundMs: number, id: string | number | undefined): Permit {
    if (cost > 0) this.#budget.take(cost, now);
    this.#admitted++;
    this.#emit('admitted', cost, id, now, 0);
    return new GatePermit(cost, this.#onRelease, refundMs, id);
  }

  readonly #onRelease = (permit: GatePermit): void => {
    if (permit.cost === 0) return;
    // A refund falls due at a real instant: it needs a fresh reading.
    const now = permit.refundMs > 0 ? this.#time.read() : this.#time.now();
    const grows = this.#budget.release(permit.cost, now, permit.refundMs, permit.id);
    // Most releases give back at once to a limiter nobody waits on or listens to: they end here,
    // which keeps this small enough for the caller's loop to inline it.
    if (grows <= now && this.#queue.size === 0 && this.#onEvent === undefined) return;
    this.#released(permit, grows, now);
  };

  #released(permit: GatePermit, grows: number, now: number): void {
    if (grows > now && grows !== Infinity) this.#time.until(grows); // a refund coming due
    this.#emit('released', permit.cost, permit.id, now, undefined);
    if (this.#queue.size > 0 && !this.#closed) this.#grown(grows, now);
  }

  /**
   * Only growth is a reason to scan: a release whose credits come back later wakes the limiter
   * then (a refund coming due is a scan), so waiters parked by fair entry are not admitted early.
   */
  #grown(grows: number, now: number): void {
    if (grows <= now) this.#settle(now);
    else if (grows !== Infinity) this.#fifo ? this.#arm(now) : this.#timer.arm(Math.min(this.#timer.armedAt, grows), now);
  }

  readonly #onAbort = (waiter: Waiter): void => {
    if (!waiter.queued) return;
    const now = this.#time.read();
    this.#leave(waiter);
    this.#aborted++;
    waiter.reject(waiter.signal!.reason);
    this.#emit('aborted', waiter.cost, waiter.id, now, now - waiter.since);
    this.#settle(now);
  };

  /**
   * Reject what is already past its deadline, admit what can be paid, then reject what is due now
   * (admission at the deadline instant is in time), then scan again since those leaving may have
   * blocked others; then arm. The first pass matters when the timer could only fire after the
   * deadline (a 0 ms or fractional `maxWaitMs`, a late real timer): a waiter is never admitted late.
   */
  #settle(now: number): void {
    this.#expire(now, true);
    this.#scan(now);
    if (this.#expire(now, false)) this.#scan(now);
    this.#arm(now);
  }

  /** Rejects waiters whose deadline is before `now` (`strict`) or at/before it; true if any. */
  #expire(now: number, strict: boolean): boolean {
    if (this.#deadlines.size === 0) return false;
    const due = this.#deadlines.due(now, strict);
    for (const waiter of due) {
      this.#leave(waiter);
      this.#timedOut++;
      const waited = now - waiter.since;
      waiter.reject(new MaxWaitExceededError(waiter.deadline - waiter.since, waited));
      this.#emit('timeout', waiter.cost, waiter.id, now, waited);
    }
    return due.length > 0;
  }

  /** A listener may call back into the limiter mid-scan; such a call only asks for another pass. */
  #scan(now: number): void {
    if (this.#scanning) {
      this.#rescan = true;
      return;
    }
    this.#scanning = true;
    try {
      do {
        this.#rescan = false;
        const queue = this.#queue;
        while (queue.size > 0 && !this.#closed && now >= this.#pausedUntil) {
          const payable = this.#budget.available(now);
          const waiter = this.#fifo || queue.bypassed >= this.#maxBypass ? queue.head()! : queue.firstFit(payable);
          if (waiter === undefined || waiter.cost > payable) break;
          this.#admitWaiter(waiter, now);
        }
      } while (this.#rescan);
    } finally {
      this.#scanning = false;
    }
  }

  #admitWaiter(waiter: Waiter, now: number): void {
    this.#queue.admit(waiter);
    this.#detach(waiter);
    this.#budget.take(waiter.cost, now);
    this.#admitted++;
    waiter.resolve(new GatePermit(waiter.cost, this.#onRelease, waiter.refundMs, waiter.id));
    this.#emit('admitted', waiter.cost, waiter.id, now, now - waiter.since);
  }

  #leave(waiter: Waiter): void {
    this.#queue.remove(waiter);
    this.#detach(waiter);
  }

  #detach(waiter: Waiter): void {
    if (waiter.signal !== undefined) waiter.signal.removeEventListener('abort', waiter);
    if (waiter.deadline !== Infinity) this.#deadlines.forget();
  }

  /** After a scan every waiter left is unpayable or blocked behind the head, so the candidate's instant is in the future. */
  #arm(now: number): void {
    const queue = this.#queue;
    let at = Infinity;
    if (queue.size > 0 && !this.#closed) {
      if (now < this.#pausedUntil) at = this.#pausedUntil;
      else {
        const blocked = this.#fifo || queue.bypassed >= this.#maxBypass;
        at = this.#budget.readyAt(blocked ? queue.head()!.cost : queue.minCost(), now);
      }
      at = Math.min(at, this.#deadlines.next());
    }
    this.#timer.arm(at, now);
  }

  /**
   * A newcomer is considered at the next scan, so it never triggers one; it may only bring the
   * wake-up forward: for its deadline, when it cannot be paid now, or, when it can (parked by
   * fair entry), for the next refund or refill step: that is its next scan in opportunistic
   * mode, and nothing else may be armed for it (after a scan every other waiter is unpayable).
   */
  #armForNewcomer(waiter: Waiter, now: number): void {
    let at = Math.min(this.#timer.armedAt, waiter.deadline);
    if (now < this.#pausedUntil) at = Math.min(at, this.#pausedUntil);
    else if (!this.#fifo || this.#queue.size === 1) {
      const ready = this.#budget.readyAt(waiter.cost, now);
      if (ready > now) at = Math.min(at, ready);
      else at = Math.min(at, this.#budget.nextStep(now));
    }
    this.#timer.arm(at, now);
  }

  /** On every hot path, and most limiters have no listener: building the event stays out of line. */
  #emit(type: LimiterEvent['type'], cost: number, id: string | number | undefined, at: number, waitedMs: number | undefined): void {
    if (this.#onEvent !== undefined) deliver(this.#onEvent, type, cost, id, at, waitedMs);
  }

  /** For budgets that report on their own schedule (refunds). */
  protected emitEvent(type: LimiterEvent['type'], cost: number, id: string | number | undefined, at: number): void {
    this.#emit(type, cost, id, at, undefined);
  }
}

/** Calls `fn` and releases `permit` when it settles, fulfilled or rejected (also when it throws synchronously). */
async function runHolding<T>(permit: Permit, fn: () => T | PromiseLike<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    permit.release();
  }
}
