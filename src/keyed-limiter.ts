import { type Clock, MAX_TIMER_DELAY } from './core/clock.js';
import { LimiterClosedError } from './core/errors.js';
import type { AcquireOptions, Permit, RunContext } from './core/types.js';
import { checkClock, checkFunction, checkNumber, checkObject } from './core/validate.js';

/**
 * What a {@link KeyedLimiter} keeps per key: a limiter that tells when it is as new. Every
 * tollgate limiter is one, in-process or in `tollgate/redis` (its `AsyncLimiter`s answer
 * `tryAcquire` with a promise; the map only ever calls what is listed here).
 * @example `const member: KeyedMember = new TokenBucket({ capacity: 5, refillIntervalMs: 1_000 });`
 */
export interface KeyedMember {
  acquire(cost?: number, options?: AcquireOptions): Promise<Permit>;
  run<T>(fn: (context: RunContext) => T | PromiseLike<T>, options?: AcquireOptions & { cost?: number }): Promise<T>;
  close(reason?: unknown): void;
  readonly idle: boolean;
}

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
const SLICE_MS = 2;
const CHECK_EVERY = 16;
/**
 * Slot arrays longer than this shrink (to twice the keys, rounded up to a power of two) once at
 * most an eighth of them is in use. Shrinking moves the keys of the top slots down a few at a
 * time (at most {@link MOVES_PER_SLICE} slots looked at per sweep callback), so it never blocks
 * the event loop either.
 */
const SHRINK_ABOVE = 4_096;
const MOVES_PER_SLICE = 8_192;
/**
 * A `Map` rehashes itself in one go when it grows past its capacity and when under a quarter of
 * it is in use: tens of ms at a few hundred thousand keys. So once a map that held at least
 * {@link MIGRATE_ABOVE} keys is down to {@link MIGRATE_AT} of that peak (before it can shrink: a
 * capacity is below twice the peak), it is frozen: never deleted from again, looked up after the
 * new map (an entry is live while its slot still holds its key). Once the live keys are few
 * enough for the new map to grow to hold them cheaply (at most {@link MIGRATE_MAX}, or a quarter
 * of the peak, which bounds what the frozen map keeps alive), they are copied into the new map,
 * {@link MIGRATE_PER_SLICE} entries per sweep callback, and the frozen map is dropped whole.
 * Until then a lookup that misses costs two `Map` lookups, and the frozen map keeps the keys
 * dropped since reachable (never their limiters): at most the peak's worth.
 */
const MIGRATE_ABOVE = 65_536;
const MIGRATE_AT = 0.6;
const MIGRATE_MAX = 65_536;
const MIGRATE_PER_SLICE = 4_096;

/**
 * One limiter per key (user, tenant, host), created on first use and dropped once idle, so memory
 * stays bounded by the keys in use rather than every key ever seen.
 *
 * A key's `idleMs` countdown starts at its last use through the map (`get`, `acquire`, `run`).
 * When it runs out, the limiter is dropped (and closed) if it is idle: nobody waiting or watching
 * (`onEmpty`, `onIdle`), nothing held or refunding, budgets back to full, not paused (a rate
 * limiter's spent permit that was never released does not keep it). A limiter that is not idle then is kept
 * and looked at again `idleMs` later, as often as needed. Since an idle limiter is exactly as
 * new, dropping it never lets more through than keeping it would have. Use goes through the map:
 * a limiter kept from an earlier `get` does not renew its key, and is closed once dropped.
 *
 * Bookkeeping is O(1) per call and a few dozen bytes per key: a `Map` from key to a slot number,
 * and per slot the key, its limiter, its due instant and its neighbours in a list ordered by
 * due instant (a use moves the key to the back), in flat arrays, so no object is allocated per
 * key or per use. One timer, never holding the process open, sweeps from the front of the list,
 * in slices of a bounded number of keys and of clock time (about 2 ms), 1 ms apart, so even a
 * million keys falling idle together never block the event loop for long; the arrays and the
 * `Map` are shrunk after a peak in bounded steps too (a `Map` would otherwise rehash in one go).
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
  /** Key → slot, for every key added or looked up since the last migration began. */
  #slots = new Map<K, number>();
  /** Frozen: the previous map, never deleted from; an entry is live while its slot still holds its key. */
  #old: Map<K, number> | undefined = undefined;
  /** While copying the frozen map's live keys into the current one. */
  #oldEntries: Iterator<[K, number]> | undefined = undefined;
  /** Keys held, and the most held since the current map was made. */
  #count = 0;
  #peak = 0;
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
  /** Slots at and above this have never been handed out (since the arrays were made or shrunk). */
  #top = 0;
  /** While shrinking: the new length (keys at and above it are moved below it); 0 otherwise. */
  #shrinkTo = 0;
  /** While shrinking: every slot below this that is not free was in use when last looked at. */
  #hole = 0;
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
    return this.#count;
  }

  /** True once `close` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether `key` has a limiter now; not a use. @example `if (!perUser.has(id)) log('new or idle user', id);` */
  has(key: K): boolean {
    return this.#find(key) !== undefined;
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
    const slot = this.#find(key);
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
    const made = this.#find(key);
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

  /**
   * `get(key).run(fn, options)`: `fn` gets `{ signal }`, as from the key's own `run`.
   * @example `const res = await perHost.run(new URL(url).host, ({ signal }) => fetch(url, { signal }), { signal: AbortSignal.timeout(5_000) });`
   */
  run<T>(key: K, fn: (context: RunContext) => T | PromiseLike<T>, options?: AcquireOptions & { cost?: number }): Promise<T> {
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
    this.#reset();
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

  /** The slot of `key`, or undefined. A key found in the map being retired is copied into the current one. */
  #find(key: K): number | undefined {
    const slot = this.#slots.get(key);
    if (slot !== undefined || this.#old === undefined) return slot;
    const old = this.#old.get(key);
    if (old === undefined || !sameKey(this.#keys[old], key)) return undefined;
    this.#slots.set(key, old);
    return old;
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
    let slot = this.#shrinkTo === 0 ? this.#free : this.#lowHole();
    if (slot === NONE) {
      if (this.#top === this.#due.length) this.#grow(this.#due.length * 2);
      slot = this.#top++;
    } else if (this.#shrinkTo === 0) this.#free = this.#next[slot]!;
    this.#keys[slot] = key;
    this.#limiters[slot] = limiter;
    this.#due[slot] = now + this.#idleMs;
    this.#append(slot);
    this.#slots.set(key, slot);
    if (++this.#count > this.#peak) this.#peak = this.#count;
  }

  /** The key leaves the map (its limiter is then the caller's to close). */
  #remove(slot: number): void {
    this.#unlink(slot);
    // Deleting from a map that was just migrated away from would shrink it in one go: it is dropped whole later instead.
    this.#slots.delete(this.#keys[slot]!);
    this.#count--;
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

  /** Empty arrays of the initial length (on close: the limiters are the caller's to close). */
  #reset(): void {
    this.#slots = new Map();
    this.#old = this.#oldEntries = undefined;
    this.#count = this.#peak = 0;
    this.#keys = [];
    this.#limiters = [];
    this.#due = new Float64Array(16);
    this.#prev = new Int32Array(16);
    this.#next = new Int32Array(16);
    this.#first = this.#last = this.#free = NONE;
    this.#top = this.#shrinkTo = this.#hole = 0;
  }

  /**
   * One step of shrinking, at the end of a sweep callback: starts when at most an eighth of the
   * slots is in use, then moves at most {@link MOVES_PER_SLICE} keys from the top slots into free
   * slots below the new length. New keys meanwhile take free slots below it too. Once nothing at
   * or above the new length is in use, the arrays are cut to it and the free list is made anew
   * (the old one may hold slots that were reused or cut): O(new length), once per halving or more.
   */
  #shrinkStep(): void {
    // Moving keys sets them in the current map: not while a frozen one is around (it would grow the current map at once).
    if (this.#old !== undefined) return;
    const size = this.#count;
    if (this.#shrinkTo === 0) {
      if (this.#due.length <= SHRINK_ABOVE || size * 8 > this.#due.length) return;
      let length = 16;
      while (length < size * 2) length *= 2;
      this.#shrinkTo = length;
      this.#hole = 0;
    } else if (size * 4 > this.#shrinkTo) {
      // Keys came back faster than the top emptied: stay at this length.
      this.#shrinkTo = 0;
      this.#relist(this.#top);
      return;
    }
    const end = this.#shrinkTo;
    for (let steps = 0; this.#top > end && steps < MOVES_PER_SLICE; this.#top--, steps++) {
      const from = this.#top - 1;
      if (this.#limiters[from] === undefined) continue;
      let to = this.#lowHole();
      if (to === NONE) {
        // Slots freed behind the cursor: look again from the start (there are free ones, size ≤ end / 4).
        this.#hole = 0;
        to = this.#lowHole();
        if (to === NONE) return;
      }
      this.#move(from, to);
    }
    if (this.#top > end) return;
    this.#keys.length = end;
    this.#limiters.length = end;
    this.#due = this.#due.slice(0, end);
    this.#prev = this.#prev.slice(0, end);
    this.#next = this.#next.slice(0, end);
    this.#shrinkTo = 0;
    this.#relist(this.#top);
  }

  /** One step of freezing the map and moving to a fresh one (see {@link MIGRATE_ABOVE}), at the end of a sweep callback. */
  #migrateStep(): void {
    if (this.#old === undefined) {
      if (this.#peak < MIGRATE_ABOVE || this.#count > this.#peak * MIGRATE_AT) return;
      this.#old = this.#slots;
      this.#slots = new Map();
      return;
    }
    if (this.#oldEntries === undefined) {
      if (this.#count > MIGRATE_MAX && this.#count * 4 > this.#peak) return;
      this.#oldEntries = this.#old.entries();
    }
    for (let n = 0; n < MIGRATE_PER_SLICE; n++) {
      const next = this.#oldEntries.next();
      if (next.done === true) {
        this.#old = this.#oldEntries = undefined;
        this.#peak = this.#count;
        return;
      }
      const [key, slot] = next.value;
      // Skips keys dropped since (their slot no longer holds them) and keys already copied (a lookup, a move).
      if (sameKey(this.#keys[slot], key) && !this.#slots.has(key)) this.#slots.set(key, slot);
    }
  }

  /** While shrinking: a free slot below the new length, or NONE. */
  #lowHole(): number {
    const end = Math.min(this.#shrinkTo, this.#top);
    while (this.#hole < end && this.#limiters[this.#hole] !== undefined) this.#hole++;
    return this.#hole < end ? this.#hole++ : NONE;
  }

  #move(from: number, to: number): void {
    const key = this.#keys[from]!;
    this.#keys[to] = key;
    this.#limiters[to] = this.#limiters[from];
    this.#due[to] = this.#due[from]!;
    const prev = this.#prev[from]!;
    const next = this.#next[from]!;
    this.#prev[to] = prev;
    this.#next[to] = next;
    if (prev === NONE) this.#first = to;
    else this.#next[prev] = to;
    if (next === NONE) this.#last = to;
    else this.#prev[next] = to;
    this.#keys[from] = undefined;
    this.#limiters[from] = undefined;
    this.#slots.set(key, to);
  }

  /** The free list anew: every slot below `top` not in use. */
  #relist(top: number): void {
    let free = NONE;
    for (let slot = top - 1; slot >= 0; slot--) {
      if (this.#limiters[slot] !== undefined) continue;
      this.#next[slot] = free;
      free = slot;
    }
    this.#free = free;
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
    let left = Math.min(this.#count, SLICE_KEYS);
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
        this.#migrateStep();
        this.#shrinkStep();
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

/** The `Map` key equality (SameValueZero): NaN is NaN. */
function sameKey(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

function isMember(value: unknown): value is KeyedMember {
  const l = value as Record<string, unknown> | null | undefined;
  return (
    typeof l?.acquire === 'function' && typeof l.run === 'function' && typeof l.close === 'function' && typeof l.idle === 'boolean'
  );
}
