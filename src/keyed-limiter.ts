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

/** `due`: when the sweep next looks at the key, `idleMs` after its last use or after it was last found busy. */
type Entry<L> = { readonly limiter: L; due: number };

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
 * Bookkeeping is O(1) per call: the keys live in a `Map` in order of their next look (a use
 * re-inserts the key at the back), and one timer, never holding the process open, sweeps from
 * the front.
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
  /** Ordered by `due`: a use re-inserts at the back with `due = now + idleMs`, which only grows, so the sweep stops at the first key not due. */
  readonly #entries = new Map<K, Entry<L>>();
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
    return this.#entries.size;
  }

  /** True once `close` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether `key` has a limiter now; not a use. @example `if (!perUser.has(id)) log('new or idle user', id);` */
  has(key: K): boolean {
    return this.#entries.has(key);
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
    const now = this.#clock.now();
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      const limiter = this.#factory(key);
      if (!isMember(limiter)) {
        throw new TypeError(`factory must return a limiter (acquire, run, close and idle); got ${String(limiter)} for key ${String(key)}`);
      }
      entry = { limiter, due: 0 };
    } else this.#entries.delete(key);
    entry.due = now + this.#idleMs;
    this.#entries.set(key, entry);
    if (this.#timer === undefined) this.#arm(now);
    return entry.limiter;
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
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const entry of entries) entry.limiter.close(reason);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Looks at most at the keys present when it starts, so a key re-inserted as busy is never
   * looked at twice in one sweep, even if `now + idleMs` rounds to `now`.
   */
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#closed) return;
    const now = this.#clock.now();
    let left = this.#entries.size;
    for (const [key, entry] of this.#entries) {
      if (left-- === 0 || entry.due > now) break;
      this.#entries.delete(key);
      if (entry.limiter.idle) entry.limiter.close();
      else {
        entry.due = now + this.#idleMs;
        this.#entries.set(key, entry);
      }
    }
    // A limiter's close may have called back into `get`, which armed already.
    if (this.#timer === undefined) this.#arm(now);
  };

  /**
   * Arms for the front key's instant. A use moves a key back, so the armed instant may come
   * before the front's; the sweep then finds nothing due and re-arms, which keeps `get` free of
   * timer calls. Whole ms, at least 1, at most Node's cap; never keeps the process alive.
   */
  #arm(now: number): void {
    const first = this.#entries.values().next();
    if (first.done || first.value.due === Infinity) return;
    const delay = Math.min(MAX_TIMER_DELAY, Math.max(1, Math.ceil(first.value.due - now)));
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
