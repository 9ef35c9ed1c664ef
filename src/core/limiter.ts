import type { AcquireOptions, LimiterStats, Permit, RunContext } from './types.js';
import type { ServerReport } from '../server-report.js';

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
   * `ms` is a number >= 0 or `Infinity`: to follow a server's `Retry-After` (seconds or an HTTP
   * date), hand the response to `observe`, or read it with `parseRateLimitHeaders`.
   *
   * @example
   * ```ts
   * limiter.pause(30_000); // maintenance: nobody for 30 s
   * const { retryAfterMs } = parseRateLimitHeaders(res.headers);
   * if (res.status === 429 && retryAfterMs !== undefined) limiter.pause(retryAfterMs);
   * limiter.observe(res); // the same, and X-RateLimit-* / RateLimit too
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
