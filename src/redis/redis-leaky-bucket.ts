import { checkNumber, checkObject, optionalNumber } from '../core/validate.js';
import { LEAKY_BUCKET_SCRIPT } from './budgets/leaky-bucket.js';
import { RedisGate } from './redis-gate.js';
import { type RedisLimiterOptions, updateOptions } from './redis-options.js';

/**
 * Options of {@link RedisLeakyBucket}.
 *
 * @example
 * ```ts
 * const options: RedisLeakyBucketOptions = { redis: fromIoredis(client), name: 'api', maxRate: 100, periodMs: 60_000 };
 * ```
 */
export interface RedisLeakyBucketOptions extends RedisLimiterOptions {
  /** The level's ceiling (the largest burst and cost); it drains `maxRate` per `periodMs`. */
  maxRate: number;
  /** Default 60 000. */
  periodMs?: number;
}

/**
 * `LeakyBucketLimiter` across processes: a level that drains continuously at `maxRate / periodMs`
 * per ms of the server's clock; `acquire(amount)` is admitted when `level + amount <= maxRate`,
 * FIFO across every process sharing Redis and `name`. Releasing gives nothing back.
 *
 * @example
 * ```ts
 * const bucket = new RedisLeakyBucket({ redis: fromIoredis(client, { subscriber }), name: 'api', maxRate: 4, periodMs: 8000 });
 * await bucket.acquire(); // 4 at once, then one every 2 s, across every process
 * ```
 */
export class RedisLeakyBucket extends RedisGate {
  readonly maxRate: number;
  readonly periodMs: number;

  constructor(options: RedisLeakyBucketOptions) {
    const o = checkObject('options', options) as unknown as RedisLeakyBucketOptions;
    const maxRate = checkNumber('maxRate', o.maxRate, { positive: true });
    const periodMs = optionalNumber('periodMs', o.periodMs, 60_000, { positive: true });
    super(o, { kind: 'leaky', script: LEAKY_BUCKET_SCRIPT, capacity: maxRate, params: [maxRate, periodMs], holdMs: 0, idleMs: periodMs });
    this.maxRate = maxRate;
    this.periodMs = periodMs;
  }

  /**
   * Changes `maxRate` or `periodMs` on the server, for every process sharing `name`; the level
   * carries over. Bad values throw as in the constructor and change nothing.
   *
   * @example
   * ```ts
   * const leaky = new RedisLeakyBucket({ redis, name: 'api', maxRate: 4, periodMs: 8000 });
 * await leaky.update({ maxRate: 8 });
   * ```
   */
  update(options: { maxRate?: number; periodMs?: number }): Promise<void> {
    const o = updateOptions(options, ['maxRate', 'periodMs']);
    const pairs: Array<[number, number]> = [];
    if (o.maxRate !== undefined) {
      const maxRate = checkNumber('maxRate', o.maxRate, { positive: true });
      pairs.push([0, maxRate], [1, maxRate]);
    }
    if (o.periodMs !== undefined) pairs.push([2, checkNumber('periodMs', o.periodMs, { positive: true })]);
    return this.sendUpdate(pairs);
  }
}
