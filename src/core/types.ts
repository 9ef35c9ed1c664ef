import type { Clock } from './clock.js';
import type { Limiter } from './limiter.js';

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
  /** `'fifo'`: only the head may be admitted; `'opportunistic'`: every waiter that fits, in queue order (priority, then arrival). */
  admission?: 'fifo' | 'opportunistic';
  /**
   * How many later arrivals may be admitted ahead of a waiter before it blocks them (default
   * `Infinity`): higher-priority ones in either admission mode, lighter ones in opportunistic
   * mode. The bound on starvation once priorities are in use.
   */
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

export type { Limiter } from './limiter.js';
