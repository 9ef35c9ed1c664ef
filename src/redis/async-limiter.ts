import type { AcquireOptions, LimiterStats, Permit } from '../core/types.js';

/**
 * What `run` hands `fn` on a Redis limiter: a signal that aborts when the lease is lost (or the
 * caller's `signal` aborts), and the permit's fencing token.
 *
 * @example
 * ```ts
 * await semaphore.run(({ signal, fencingToken }) => fetch(url, { signal, headers: { 'x-fencing-token': String(fencingToken) } }));
 * ```
 */
export interface RunContext {
  signal: AbortSignal;
  fencingToken: number;
}

/**
 * `stats()` of a Redis limiter. `available` and `pausedUntil` are read from the server (every
 * process's view); the counts are this instance's own. `pausedUntil` is on this process's
 * monotonic clock (`performance.now()`), `Infinity` for an endless pause, `undefined` when not paused.
 *
 * @example
 * ```ts
 * const { available, pending, admitted, timedOut, held, pausedUntil } = await limiter.stats();
 * ```
 */
export type AsyncLimiterStats = LimiterStats;

/**
 * The `Limiter` contract where what needs the server returns a promise: `tryAcquire`,
 * `available`, `retryAfterMs`, `stats`, and `pause`/`resume`/`observe`/`update` (which act on
 * the server, so every process sees them). Every Redis limiter implements it; code written
 * against it takes any of them.
 *
 * @example
 * ```ts
 * async function callApi(limiter: AsyncLimiter, url: string): Promise<Response> {
 *   const res = await limiter.run(({ signal }) => fetch(url, { signal }), { maxWaitMs: 10_000 });
 *   await limiter.observe(res); // a 429 with Retry-After pauses every process
 *   return res;
 * }
 * ```
 */
export interface AsyncLimiter<P extends Permit = Permit> extends Disposable {
  /** Waits until `cost` (default 1) is admitted, behind everyone already waiting in any process. */
  acquire(cost?: number, options?: AcquireOptions): Promise<P>;
  /** Admits now or resolves `undefined`; never queues; `undefined` while anyone waits. */
  tryAcquire(cost?: number): Promise<P | undefined>;
  /** Acquires, calls `fn({ signal, fencingToken })`, releases when it settles; `fn`'s result or error. */
  run<T>(fn: (context: RunContext) => T | PromiseLike<T>, options?: AcquireOptions & { cost?: number }): Promise<T>;
  /** A function with `fn`'s parameters and result, each call going through `run`. */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>, cost?: number): (...args: A) => Promise<Awaited<R>>;
  /** Admits nobody, in any process, until `ms` from now on the server's clock (extends, never shortens). */
  pause(ms: number): Promise<void>;
  /** Ends a pause at once, for every process. */
  resume(): Promise<void>;
  /** A `ServerReport` or a response: a 429/503 with `Retry-After` pauses; `remaining` + `resetInMs` caps, on the server. */
  observe(input: unknown): Promise<void>;
  /** Numeric options (capacity, rates, concurrency) stored on the server, for every process. Bad values throw and change nothing. */
  update(options: Record<string, unknown>): Promise<void>;
  /** The largest cost that could be paid now (0 while paused), ignoring the queue. */
  readonly available: Promise<number>;
  /** This instance's waiters not admitted yet. */
  readonly pending: number;
  /** True when this instance has nobody waiting and no permit unreleased. */
  readonly idle: boolean;
  /** Ms until `cost` could be paid if nobody else took anything: 0 now, `Infinity` when only a release can help. */
  retryAfterMs(cost?: number): Promise<number>;
  stats(): Promise<AsyncLimiterStats>;
  /** Rejects this instance's waiters and later calls; idempotent. */
  close(reason?: unknown): void;
}
