import { checkNumber, checkObject } from '../core/validate.js';
import { SLIDING_WINDOW_SCRIPT } from './budgets/sliding-window.js';
import { RedisGate } from './redis-gate.js';
import { type RedisLimiterOptions, updateOptions } from './redis-options.js';

/**
 * Options of {@link RedisSlidingWindow}.
 *
 * @example
 * ```ts
 * const options: RedisSlidingWindowOptions = { redis: fromIoredis(client), name: 'api', limit: 10, windowMs: 1000 };
 * ```
 */
export interface RedisSlidingWindowOptions extends RedisLimiterOptions {
  /** The most admitted (in cost) in any window of `windowMs`, and the largest cost. */
  limit: number;
  windowMs: number;
}

/**
 * `SlidingWindowLimiter` across processes: an admission of cost c at t (the server's clock) frees
 * c at exactly t + windowMs, so no window [t, t + windowMs) ever holds more than `limit`, summed
 * over every process sharing Redis and `name`; FIFO. Releasing gives nothing back.
 *
 * @example
 * ```ts
 * const window = new RedisSlidingWindow({ redis: fromIoredis(client, { subscriber }), name: 'api', limit: 10, windowMs: 1000 });
 * await window.run(() => fetch(url)); // never more than 10 in any second, across every process
 * ```
 */
export class RedisSlidingWindow extends RedisGate {
  readonly limit: number;
  readonly windowMs: number;

  constructor(options: RedisSlidingWindowOptions) {
    const o = checkObject('options', options) as unknown as RedisSlidingWindowOptions;
    const limit = checkNumber('limit', o.limit, { positive: true });
    const windowMs = checkNumber('windowMs', o.windowMs, { positive: true });
    super(o, { kind: 'window', script: SLIDING_WINDOW_SCRIPT, capacity: limit, params: [limit, windowMs], holdMs: 0, idleMs: windowMs, keys: ['a'] });
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /**
   * Changes `limit` or `windowMs` on the server, for every process sharing `name`; admissions
   * already counted free when they were due to. Bad values throw as in the constructor and change nothing.
   *
   * @example
   * ```ts
   * const perSecond = new RedisSlidingWindow({ redis, name: 'api', limit: 10, windowMs: 1000 });
 * await perSecond.update({ limit: 20 });
   * ```
   */
  update(options: { limit?: number; windowMs?: number }): Promise<void> {
    const o = updateOptions(options, ['limit', 'windowMs']);
    const pairs: Array<[number, number]> = [];
    if (o.limit !== undefined) {
      const limit = checkNumber('limit', o.limit, { positive: true });
      pairs.push([0, limit], [1, limit]);
    }
    if (o.windowMs !== undefined) pairs.push([2, checkNumber('windowMs', o.windowMs, { positive: true })]);
    return this.sendUpdate(pairs);
  }
}
