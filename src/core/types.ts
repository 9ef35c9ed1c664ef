import type { Clock } from './clock.js';

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
  readonly cost: number;
  release(): void;
  [Symbol.dispose](): void;
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
  type: 'queued' | 'admitted' | 'released' | 'refunded' | 'aborted' | 'timeout' | 'closed';
  cost: number;
  id?: string | number;
  /** Clock milliseconds: for `refunded`, the instant the credits came due. */
  at: number;
  /** For `admitted`, `aborted`, `timeout` and `closed`: how long the waiter waited. */
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
  /** Receives every {@link LimiterEvent}; a listener that throws is ignored. */
  onEvent?: (event: LimiterEvent) => void;
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
  acquire(cost?: number, options?: AcquireOptions): Promise<Permit>;
  tryAcquire(cost?: number): Permit | undefined;
  run<T>(fn: () => T | PromiseLike<T>, options?: AcquireOptions & { cost?: number }): Promise<T>;
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>, cost?: number): (...args: A) => Promise<Awaited<R>>;
  pause(ms: number): void;
  readonly available: number;
  readonly pending: number;
  stats(): LimiterStats;
  retryAfterMs(cost?: number): number;
  close(reason?: unknown): void;
}
