import type { Clock } from './clock.js';
import type { ServerReport } from '../server-report.js';

/**
 * Per-call options of `acquire` and `run`.
 *
 * @example
 * ```ts
 * const permit = await limiter.acquire(2, { signal: AbortSignal.timeout(5_000), maxWaitMs: 1_000, id: 'job-7' });
 * ```
 */
export interface AcquireOptions {
  /** Aborting it while queued rejects with `signal.reason` and takes nothing. */
  signal?: AbortSignal;
  /** Not admitted within this many ms: rejects with `MaxWaitExceededError`. */
  maxWaitMs?: number;
  /** Carried into the events of this call. */
  id?: string | number;
  /** Higher is admitted first (default 0); within one priority, the limiter's admission rule. */
  priority?: number;
}

/**
 * What an admission hands back. Releasing is idempotent; `using`/`await using` release it at the
 * end of the block.
 *
 * @example
 * ```ts
 * {
 *   await using permit = await limiter.acquire(3);
 *   await callTheApi();
 * } // released here, on return and on throw alike
 * ```
 */
export interface Permit {
  /** What this admission took. */
  readonly cost: number;
  /**
   * Gives the cost back (credits after their `refundMs`; rate budgets keep it spent). A second call does nothing.
   *
   * @example
   * ```ts
   * const permit = await limiter.acquire();
   * try { await work(); } finally { permit.release(); }
   * ```
   */
  release(): void;
  /** `release()`, for `using permit = limiter.tryAcquire()`-style blocks. */
  [Symbol.dispose](): void;
  /** `release()`, for `await using permit = await limiter.acquire()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Something that happened to a limiter, delivered to the `onEvent` option.
 *
 * @example
 * ```ts
 * new ConcurrencySemaphore({ capacity: 2, onEvent: (e) => console.log(e.at, e.type, e.cost, e.id) });
 * ```
 */
export interface LimiterEvent {
  type: 'queued' | 'admitted' | 'released' | 'refunded' | 'aborted' | 'timeout' | 'closed' | 'rejected' | 'cleared';
  cost: number;
  id?: string | number;
  /** Clock milliseconds: for `refunded`, the instant the credits came due. */
  at: number;
  /** For `admitted`, `aborted`, `timeout`, `closed`, `cleared` and `rejected`: how long the waiter waited. */
  waitedMs?: number;
}

/**
 * A snapshot from `limiter.stats()`: a fresh plain object on every call.
 *
 * @example
 * ```ts
 * const { available, pending, admitted, timedOut, aborted, pausedUntil } = limiter.stats();
 * ```
 */
export interface LimiterStats {
  available: number;
  pending: number;
  admitted: number;
  timedOut: number;
  aborted: number;
  /** Waiters turned away by a full queue (the newcomer or a dropped waiter), or by a lowered capacity. */
  rejected: number;
  /** Cost of the permits not yet released. */
  held: number;
  /** Permits not yet released. */
  running: number;
  /** Clock ms at which a pause ends, or `undefined` when not paused. */
  pausedUntil: number | undefined;
}

/**
 * Options every limiter takes.
 *
 * @example
 * ```ts
 * new TokenBucket({ capacity: 5, refillIntervalMs: 1000, maxWaitMs: 10_000, onEvent: console.log });
 * ```
 */
export interface CommonOptions {
  /** Time source; defaults to {@link systemClock}. */
  clock?: Clock;
  /** Default `maxWaitMs` for every `acquire`. */
  maxWaitMs?: number;
  /** `'fifo'`: only the head may be admitted; `'opportunistic'`: every waiter that fits, in arrival order. */
  admission?: 'fifo' | 'opportunistic';
  /** Opportunistic only: how many later arrivals may overtake a waiter before it blocks them. */
  maxBypass?: number;
  /**
   * Receives every {@link LimiterEvent}, and the limiter (its state already updated: `pending`
   * after the event). Called when the limiter is consistent, so it may call any of its methods;
   * a listener that throws is ignored.
   */
  onEvent?: (event: LimiterEvent, limiter: Limiter) => void;
  /** At most this many waiters queued (default `Infinity`). */
  maxPending?: number;
  /** With `maxPending` waiters queued: reject the newcomer (`'reject'`, default) or the oldest waiter of the lowest priority (`'drop-oldest'`). */
  overflow?: 'reject' | 'drop-oldest';
  /** A name for metrics and diagnostics. */
  name?: string;
}

/**
 * What `run` hands the task.
 *
 * @example
 * ```ts
 * await limiter.run(({ signal }) => fetch(url, { signal }), { signal: AbortSignal.timeout(5_000) });
 * ```
 */
export interface RunContext {
  /** The `signal` given to `run`, if any. */
  signal: AbortSignal | undefined;
}

/**
 * The contract every tollgate limiter keeps.
 *
 * @example
 * ```ts
 * async function fetchAll(limiter: Limiter, urls: string[]) {
 *   return Promise.all(urls.map((u) => limiter.run(() => fetch(u))));
 * }
 * ```
 */
export interface Limiter extends Disposable {
  /**
   * Waits until `cost` (default 1) is admitted, behind everyone already waiting. Rejects with
   * `signal.reason` on abort, `MaxWaitExceededError` after `maxWaitMs`, a `RangeError` for a cost
   * above the capacity; in each case nothing is taken.
   *
   * @example
   * ```ts
   * const permit = await limiter.acquire(2, { maxWaitMs: 5_000 });
   * try { await callTheApi(); } finally { permit.release(); }
   * ```
   */
  acquire(cost?: number, options?: AcquireOptions): Promise<Permit>;
  /**
   * Admits `cost` now or returns `undefined`; never queues, and never jumps the queue.
   *
   * @example
   * ```ts
   * const permit = limiter.tryAcquire();
   * if (!permit) return res.status(429).set('Retry-After', String(Math.ceil(limiter.retryAfterMs() / 1_000))).end();
   * ```
   */
  tryAcquire(cost?: number): Permit | undefined;
  /**
   * Acquires, calls `fn`, releases when it settles (also when it throws); returns or rethrows `fn`'s result.
   *
   * @example
   * ```ts
   * const page = await limiter.run(() => fetch(url), { cost: 1, signal });
   * ```
   */
  run<T>(fn: (context: RunContext) => T | PromiseLike<T>, options?: AcquireOptions & { cost?: number }): Promise<T>;
  /**
   * `fn` with the same parameters, each call going through `run` with `cost`.
   *
   * @example
   * ```ts
   * const getUser = limiter.wrap((id: string) => api.users.get(id));
   * await Promise.all(ids.map(getUser));
   * ```
   */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>, cost?: number): (...args: A) => Promise<Awaited<R>>;
  /**
   * Admits nobody for `ms` from now (extends a pause, never shortens it); waiters stay queued.
   *
   * @example
   * ```ts
   * if (res.status === 429) limiter.pause(Number(res.headers.get('retry-after')) * 1_000);
   * ```
   */
  pause(ms: number): void;
  /**
   * Ends a pause at once.
   *
   * @example
   * ```ts
   * limiter.pause(Infinity); // until told
   * limiter.resume();
   * ```
   */
  resume(): void;
  /**
   * Feeds what the server reported: a {@link ServerReport} or a response (`headers` and `status`).
   * `remaining` + `resetInMs` cap admissions until the reset; `retryAfterMs` (or a 429/503 with
   * `Retry-After`) pauses. Header values that do not parse are ignored.
   *
   * @example
   * ```ts
   * const res = await limiter.run(() => fetch(url));
   * limiter.observe(res);
   * ```
   */
  observe(input: unknown): void;
  /**
   * Changes numeric options at run time; bad values throw and change nothing.
   *
   * @example
   * ```ts
   * limiter.update({ maxWaitMs: 5_000 });
   * ```
   */
  update(options: Record<string, unknown>): void;
  /**
   * Rejects every waiter with `reason` (default a `QueueClearedError`); the limiter stays open.
   *
   * @example
   * ```ts
   * limiter.clear();
   * ```
   */
  clear(reason?: unknown): void;
  /**
   * Resolves once nobody waits (at once if nobody does); rejects if the limiter closes first.
   *
   * @example
   * ```ts
   * await limiter.onEmpty();
   * ```
   */
  onEmpty(): Promise<void>;
  /**
   * Resolves once nobody waits and every permit is released.
   *
   * @example
   * ```ts
   * urls.forEach((u) => void limiter.run(() => fetch(u)));
   * await limiter.onIdle();
   * ```
   */
  onIdle(): Promise<void>;
  /**
   * Resolves once fewer than `n` wait.
   *
   * @example
   * ```ts
   * for (const job of jobs) { await limiter.onSizeLessThan(100); void limiter.run(job); }
   * ```
   */
  onSizeLessThan(n: number): Promise<void>;
  /** The largest cost payable now from the budgets alone (ignores the queue and a pause). */
  readonly available: number;
  /** How many waiters are queued. */
  readonly pending: number;
  /**
   * Counts since construction and the state now, as a fresh plain object.
   *
   * @example
   * ```ts
   * setInterval(() => metrics.gauge('limiter.pending', limiter.stats().pending), 10_000);
   * ```
   */
  stats(): LimiterStats;
  /**
   * Ms until `cost` could be paid if nobody else took anything: 0 when payable now, `Infinity`
   * when only a release can free it. Includes a pause.
   *
   * @example
   * ```ts
   * res.set('Retry-After', String(Math.ceil(limiter.retryAfterMs() / 1_000)));
   * ```
   */
  retryAfterMs(cost?: number): number;
  /**
   * Rejects every waiter with `reason` (default a `LimiterClosedError`) and every later `acquire`;
   * clears the timer. Idempotent; `using limiter = ...` calls it at the end of the block.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => limiter.close());
   * ```
   */
  close(reason?: unknown): void;
}
