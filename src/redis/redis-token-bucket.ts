import { checkNumber, checkObject, optionalNumber } from '../core/validate.js';
import { TOKEN_BUCKET_SCRIPT } from './budgets/token-bucket.js';
import { RedisGate } from './redis-gate.js';
import { type RedisLimiterOptions, updateOptions } from './redis-options.js';

/**
 * Options of {@link RedisTokenBucket}.
 *
 * @example
 * ```ts
 * const options: RedisTokenBucketOptions = { redis: fromIoredis(client), name: 'api', capacity: 10, refillIntervalMs: 100 };
 * ```
 */
export interface RedisTokenBucketOptions extends RedisLimiterOptions {
  /** The most tokens held (the largest burst), and the largest cost. */
  capacity: number;
  /** Tokens added each step. Default 1. */
  refillAmount?: number;
  /** Ms between steps, counted on the server's clock from the bucket's first use. */
  refillIntervalMs: number;
}

/**
 * A token bucket shared by every process that uses the same Redis and `name`: in any window of
 * T ms, at most `capacity + refillAmount × ⌈T / refillIntervalMs⌉` tokens are admitted across all
 * of them, FIFO across processes. Each decision is one Lua script timed by the server's clock.
 * Releasing a permit gives nothing back: the tokens were spent.
 *
 * @example
 * ```ts
 * const bucket = new RedisTokenBucket({ redis: fromIoredis(client, { subscriber }), name: 'api', capacity: 10, refillIntervalMs: 100 });
 * await bucket.acquire(); // ≤ 10 at once, then 10 per second, across every process
 * ```
 */
export class RedisTokenBucket extends RedisGate {
  readonly refillAmount: number;
  readonly refillIntervalMs: number;

  constructor(options: RedisTokenBucketOptions) {
    const o = checkObject('options', options) as unknown as RedisTokenBucketOptions;
    const capacity = checkNumber('capacity', o.capacity, { positive: true });
    const amount = optionalNumber('refillAmount', o.refillAmount, 1, { positive: true });
    const every = checkNumber('refillIntervalMs', o.refillIntervalMs, { positive: true });
    // Unused for this long, the bucket is full again: its keys can go.
    const fillMs = (Math.ceil(capacity / amount) + 1) * every;
    super(o, { kind: 'bucket', script: TOKEN_BUCKET_SCRIPT, capacity, params: [amount, every], holdMs: 0, idleMs: fillMs });
    this.refillAmount = amount;
    this.refillIntervalMs = every;
  }

  /**
   * Changes `capacity`, `refillAmount` or `refillIntervalMs` on the server, for every process
   * sharing `name`; the tokens carry over. Bad values throw as in the constructor and change nothing.
   *
   * @example
   * ```ts
   * const tokens = new RedisTokenBucket({ redis, name: 'api', capacity: 10, refillIntervalMs: 100 });
 * await tokens.update({ capacity: 20, refillIntervalMs: 50 });
   * ```
   */
  update(options: { capacity?: number; refillAmount?: number; refillIntervalMs?: number }): Promise<void> {
    const o = updateOptions(options, ['capacity', 'refillAmount', 'refillIntervalMs']);
    const pairs: Array<[number, number]> = [];
    if (o.capacity !== undefined) pairs.push([0, checkNumber('capacity', o.capacity, { positive: true })]);
    if (o.refillAmount !== undefined) pairs.push([1, checkNumber('refillAmount', o.refillAmount, { positive: true })]);
    if (o.refillIntervalMs !== undefined) pairs.push([2, checkNumber('refillIntervalMs', o.refillIntervalMs, { positive: true })]);
    return this.sendUpdate(pairs);
  }
}
