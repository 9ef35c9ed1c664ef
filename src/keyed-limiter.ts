import { type Clock, MAX_TIMER_DELAY } from './core/clock.js';
import { LimiterClosedError } from './core/errors.js';
import type { AcquireOptions, Limiter, Permit } from './core/types.js';
import { checkClock, checkFunction, checkNumber, checkObject } from './core/validate.js';

/**
 * What a {@link KeyedLimiter} keeps per key: a limiter that tells when it is as new (every tollgate limiter).
 * @example `const member: KeyedMember = new TokenBucket({ capacity: 5, refillIntervalMs: 1_000 });`
 */
export type KeyedMember = Limiter & { readonly idle: boolean };

/** Options of {@link KeyedLimiter}. @example `const options: KeyedLimiterOptions = { idleMs: 5 * 60_000 };` */
export interface KeyedLimiterOptions {
  /** How long a key is kept after its last use through the map before its limiter may be dropped. Default 60 000. */
  idleMs?: number;
  /** Time source of the map's one sweep timer; give the limiters the same. Default `systemClock`. */
  clock?: Clock;
}

/** No slot: the end of the use-order list, or of the free list. */
const NONE = -1;
/**
 * One sweep callback looks at no more than this many keys, and stops once about
 * {@link SLICE_MS} of clock time has gone by (read every {@link CHECK_EVERY} keys); the rest of
 * the sweep runs in later callbacks, so dropping a million keys never blocks the event loop
 * for long. The key bound alone holds under a clock that does not move by itself (fake timers).
 */
const SLICE_KEYS = 4_096;
const SLICE_MS = 4;
const CHECK_EVERY = 32;
/** Slot arrays larger than this are compacted once at most an eighth of them is in use. */
const COMPACT_ABOVE = 4_096;

/**
 * One limiter per key (user, tenant, host), created on first use and dropped once idle, so memory
 * stays bounded by the keys in use rather than every key ever seen.
 *
 * A key's `idleMs` countdown starts at its last use through the map (`get`, `acquire`, `run`).
 * When it runs out, the limiter is dropped (and closed) if it is idle: nobody waiting, nothing
 * held or refunding, budgets back to full, not paused. A limiter that is not idle then is kept
 * and looked at again `idleMs` later, as often as needed. Since an idle limiter is exactly as
 * new, dropping it never lets more through than keeping it would have. Use goes through the map:
 * a limiter kept from an earlier `get` does not renew its key, and is closed once dropped.
 *
 * Bookkeeping is O(1) per call and a few dozen bytes per key: a `Map` from key to a slot number,
 * and per slot the key, its limiter, its due instant and its neighbours in a list ordered by
 * due instant (a use moves the key to the back), in flat arrays, so no object is allocated per
 * key or per use. One timer, never holding the process open, sweeps from the front of the list,
 * in slices of a bounded number of keys and of clock time.
 *
 * Re-entrancy: whatever a limiter's `idle`, `close` or the factory does with the map (use a key,
 * the same one included, or close the map), every limiter handed out for a key is the one the
 * map holds for it, or is closed.
 *
 * @example
 * ```ts
 * const perUser = new KeyedLimiter((user: string) => new TokenBucket({ capacity: 10, refillIntervalMs: 6_000 }), { idleMs: 60_000 });
 * app.get('/api', async (req, res) => {
 *   const wait = perUser.get(req.user).retryAfterMs();
 *   if (wait > 0) return res.status(429).set('Retry-After', String(Math.ceil(wait / 1_000))).end();
 *   await perUser.run(req.user, () => handle(req, res));
 * });
 * ```
 */
export class KeyedLimiter<K = string, L extends KeyedMember = KeyedMember> implements Disposable {
  readonly #factory: (key: K) => L;
  readonly #idleMs: number;
  readonly #clock: Clock;
  /** Key → slot. */
  readonly #slots = new Map<K, number>();
  #keys: (K | undefined)[] = [];
  #limiters: (L | undefined)[] = [];
  /** When the sweep next looks at the slot's key: `idleMs` after its last use or after it was last found busy. */
  #due = new Float64Array(16);
  /** The use-order list, ordered by `#due` (which only grows at the back, so the sweep stops at the first key not due); `#next` also chains free slots. */
  #prev = new Int32Array(16);
  #next = new Int32Array(16);
  #first = NONE;
  #last = NONE;
  #free = NONE;
  /** Slots ever handed out since the arrays were last rebuilt. */
  #top = 0;
  #timer: unknown = undefined;
  #closed = false;

  constructor(factory: (key: K) => L, options?: KeyedLimiterOptions) {
    checkFunction('factory', factory);
    const o = checkObject('options', options) as KeyedLimiterOptions;
    this.#factory = factory;
    this.#idleMs = o.idleMs === undefined ? 60_000 : checkNumber('idleMs', o.idleMs, { positive: true, allowInfinity: true });
    this.#clock = checkClock(o.clock);
  }

  /** How many keys have a limiter now. */
  get size(): number {
    return this.#slots.size;
  }

  /** True once `close` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether `key` has a limiter now; not a use. @example `if (!perUser.has(id)) log('new or idle user', id);` */
  has(key: K): boolean {
    return this.#slots.has(key);
  }

  /**
   * The limiter of `key`, created by the factory on first use; counts as a use of `key`.
   *
   * @example
   * ```ts
   * perUser.get('alice').pause(30_000); // after a 429 for alice only
   * ```
   */
  get(key: K): L {
    if (this.#closed) throw new LimiterClosedError('the keyed limiter is closed');
    const slot = this.#slots.get(key);
    if (slot !== undefined) return this.#renew(slot, this.#clock.now());
    const limiter = this.#factory(key);
    if (!isMember(limiter)) {
      throw new TypeError(`factory must return a limiter (acquire, run, close and idle); got ${String(limiter)} for key ${String(key)}`);
    }
    // The factory may have called back into the map: closed it, or made this very key. The
    // limiter the map already hands out wins; this one was never handed out and is closed.
    if (this.#closed) {
      limiter.close();
      throw new LimiterClosedError('the keyed limiter is closed');
    }
    const now = this.#clock.now();
    const made = this.#slots.get(key);
    if (made !== undefined) {
      limiter.close();
      return this.#renew(made, now);
    }
    this.#add(key, limiter, now);
    if (this.#timer === undefined) this.#arm(now);
    return limiter;
  }

  /** `get(key).acquire(cost, options)`. @example `await using permit = await perUser.acquire('alice', 2, { maxWaitMs: 5_000 });` */
  acquire(key: K, cost: number = 1, options?: Parameters<L['acquire']>[1]): Promise<Permit> {
    try {
      return this.get(key).acquire(cost, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `get(key).run(fn, options)`. @example `const res = await perHost.run(new URL(url).host, () => fetch(url));` */
  run<T>(key: K, fn: () => T | PromiseLike<T>, options?: AcquireOptions & { cost?: number }): Promise<T> {
    try {
      return this.get(key).run(fn, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Closes every key's limiter with `reason` (rejecting all their waiters), forgets every key,
   * clears the timer; later calls throw (or reject with) a `LimiterClosedError`. Idempotent.
   * A limiter whose `close` throws does not keep the others open: the first error is rethrown
   * once all are closed.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => perUser.close());
   * ```
   */
  close(reason?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const limiters: L[] = [];
    for (let slot = this.#first; slot !== NONE; slot = this.#next[slot]!) limiters.push(this.#limiters[slot]!);
    this.#slots.clear();
    this.#rebuild(0);
    let failed = false;
    let failure: unknown;
    for (const limiter of limiters) {
      try {
        limiter.close(reason);
      } catch (error) {
        if (!failed) [failed, failure] = [true, error];
      }
    }
    if (failed) throw failure;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** A use of a key the map holds: due `idleMs` from now, so it moves to the back. */
  #renew(slot: number, now: number): L {
    this.#due[slot] = now + this.#idleMs;
    if (slot !== this.#last) {
      this.#unlink(slot);
      this.#append(slot);
    }
    return this.#limiters[slot]!;
  }

  #add(key: K, limiter: L, now: number): void {
    let slot = this.#free;
    if (slot !== NONE) this.#free = this.#next[slot]!;
    else {
      if (this.#top === this.#due.length) this.#grow(this.#due.length * 2);
      slot = this.#top++;
    }
    this.#keys[slot] = key;
    this.#limiters[slot] = limiter;
    this.#due[slot] = now + this.#idleMs;
    this.#append(slot);
    this.#slots.set(key, slot);
  }

  /** The key leaves the map (its limiter is then the caller's to close). */
  #remove(slot: number): void {
    this.#unlink(slot);
    this.#slots.delete(this.#keys[slot]!);
    this.#keys[slot] = undefined;
    this.#limiters[slot] = undefined;
    this.#next[slot] = this.#free;
    this.#free = slot;
  }

  #append(slot: number): void {
    this.#prev[slot] = this.#last;
    this.#next[slot] = NONE;
    if (this.#last === NONE) this.#first = slot;
    else this.#next[this.#last] = slot;
    this.#last = slot;
  }

  #unlink(slot: number): void {
    const prev = this.#prev[slot]!;
    const next = this.#next[slot]!;
    if (prev === NONE) this.#first = next;
    else this.#next[prev] = next;
    if (next === NONE) this.#last = prev;
    else this.#prev[next] = prev;
  }

  #grow(length: number): void {
    const due = new Float64Array(length);
    const prev = new Int32Array(length);
    const next = new Int32Array(length);
    due.set(this.#due);
    prev.set(this.#prev);
    next.set(this.#next);
    this.#due = due;
    this.#prev = prev;
    this.#next = next;
  }

  /**
   * Fresh arrays holding the keys in list order in slots 0…size−1, at least twice `size` long;
   * O(size), done only when at most an eighth of the slots is in use, so amortized O(1) per drop.
   */
  #rebuild(size: number): void {
    let length = 16;
    while (length < size * 2) length *= 2;
    const keys: (K | undefined)[] = [];
    const limiters: (L | undefined)[] = [];
    const due = new Float64Array(length);
    const prev = new Int32Array(length);
    const next = new Int32Array(length);
    let n = 0;
    for (let slot = size === 0 ? NONE : this.#first; slot !== NONE; slot = this.#next[slot]!, n++) {
      keys.push(this.#keys[slot]);
      limiters.push(this.#limiters[slot]);
      due[n] = this.#due[slot]!;
      prev[n] = n - 1;
      next[n] = n + 1;
      this.#slots.set(this.#keys[slot]!, n);
    }
    if (n > 0) next[n - 1] = NONE;
    this.#keys = keys;
    this.#limiters = limiters;
    this.#due = due;
    this.#prev = prev;
    this.#next = next;
    this.#first = n > 0 ? 0 : NONE;
    this.#last = n - 1;
    this.#free = NONE;
    this.#top = n;
  }

  /**
   * One slice of the sweep. It looks at most at the keys present when it starts, so a key
   * re-queued as busy is never looked at twice in one slice, even if `now + idleMs` rounds to
   * `now`; and at most at {@link SLICE_KEYS} keys or for about {@link SLICE_MS}. Keys still due
   * then are left at the front, so `#arm` re-arms the one timer for 1 ms later: the event loop
   * runs in between. A limiter's `idle` or `close` may call back into the map; the front is
   * read afresh for every key, and a key that moved meanwhile is looked at where it now is.
   */
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#closed) return;
    const now = this.#clock.now();
    let left = Math.min(this.#slots.size, SLICE_KEYS);
    try {
      while (left > 0 && this.#first !== NONE && !this.#closed) {
        const slot = this.#first;
        if (this.#due[slot]! > now) break;
        left--;
        if (left % CHECK_EVERY === 0 && this.#clock.now() - now >= SLICE_MS) left = 0;
        const limiter = this.#limiters[slot]!;
        const idle = limiter.idle;
        // `idle` may have used the key (moved or renewed it) or closed the map.
        if (this.#closed || this.#first !== slot || this.#limiters[slot] !== limiter || this.#due[slot]! > now) continue;
        if (idle) {
          this.#remove(slot);
          limiter.close();
        } else this.#renew(slot, now);
      }
    } finally {
      if (!this.#closed) {
        const size = this.#slots.size;
        if (this.#due.length > COMPACT_ABOVE && size * 8 <= this.#due.length) this.#rebuild(size);
        // A limiter's close may have called back into `get`, which armed already.
        if (this.#timer === undefined) this.#arm(now);
      }
    }
  };

  /**
   * Arms for the front key's instant. Whole ms, at least 1 (also when the front is due: the
   * sweep goes on after the event loop had its turn), at most Node's cap; never keeps the
   * process alive.
   */
  #arm(now: number): void {
    if (this.#first === NONE) return;
    const due = this.#due[this.#first]!;
    if (due === Infinity) return;
    const delay = Math.min(MAX_TIMER_DELAY, Math.max(1, Math.ceil(due - now)));
    const handle = this.#clock.setTimeout(this.#onTimer, delay);
    const unref = (handle as { unref?: unknown } | null | undefined)?.unref;
    if (typeof unref === 'function') unref.call(handle);
    this.#timer = handle;
  }
}

function isMember(value: unknown): value is KeyedMember {
  const l = value as Record<string, unknown> | null | undefined;
  return (
    typeof l?.acquire === 'function' && typeof l.run === 'function' && typeof l.close === 'function' && typeof l.idle === 'boolean'
  );
}
