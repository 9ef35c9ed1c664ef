import type { AcquireOptions } from '../core/types.js';
import { checkFunction, checkNumber, checkObject, optionalNumber } from '../core/validate.js';
import { CREDIT_SEMAPHORE_SCRIPT } from './budgets/credit-semaphore.js';
import { RedisGate, type RunContext } from './redis-gate.js';
import { type RedisLimiterOptions, updateOptions } from './redis-options.js';
import type { RedisPermit } from './redis-permit.js';

/**
 * Options of {@link RedisCreditSemaphore}.
 *
 * @example
 * ```ts
 * const options: RedisCreditSemaphoreOptions = { redis: fromIoredis(client), name: 'api', capacity: 40, refundMs: 10_000, leaseMs: 30_000 };
 * ```
 */
export interface RedisCreditSemaphoreOptions extends RedisLimiterOptions {
  /** Credits in all, across every process; the largest cost. */
  capacity: number;
  /** Ms after a release at which its credits come back. Default 0. */
  refundMs?: number;
  /** How long held credits stay taken without a renewal (a dead holder's credits come back after it). */
  leaseMs: number;
  /** Default `'opportunistic'`: every waiter that fits, in arrival order; `'fifo'`: only the head. */
  admission?: 'fifo' | 'opportunistic';
  /** Opportunistic: once this many later arrivals were admitted ahead of the head, nobody behind it is until it is. Default Infinity. */
  maxBypass?: number;
}

/**
 * `CreditSemaphore` across processes: credits are taken at admission and come back `refundMs`
 * after the work ends (the permit is released, or `fn` settles), counted on the server's clock
 * across every process sharing Redis and `name`. Held credits are a lease (renewed while held,
 * `permit.signal` aborted if it is lost), so a process that dies frees them after `leaseMs`.
 *
 * @example
 * ```ts
 * const credits = new RedisCreditSemaphore({ redis: fromIoredis(client, { subscriber }), name: 'api', capacity: 40, refundMs: 10_000, leaseMs: 30_000 });
 * await credits.transact(() => callTheApi(), { credits: 20 });
 * ```
 */
export class RedisCreditSemaphore extends RedisGate {
  readonly refundMs: number;
  readonly leaseMs: number;
  readonly admission: 'fifo' | 'opportunistic';
  readonly maxBypass: number;

  constructor(options: RedisCreditSemaphoreOptions) {
    const o = checkObject('options', options) as unknown as RedisCreditSemaphoreOptions;
    const capacity = checkNumber('capacity', o.capacity, { positive: true });
    const leaseMs = checkNumber('leaseMs', o.leaseMs, { positive: true });
    const refundMs = optionalNumber('refundMs', o.refundMs, 0);
    const admission = o.admission ?? 'opportunistic';
    if (admission !== 'fifo' && admission !== 'opportunistic') throw new TypeError(`admission must be 'fifo' or 'opportunistic'; got ${String(admission)}`);
    const maxBypass = optionalNumber('maxBypass', o.maxBypass, Infinity, { allowInfinity: true });
    super(o, {
      kind: 'credits',
      script: CREDIT_SEMAPHORE_SCRIPT,
      capacity,
      params: [leaseMs, admission === 'opportunistic' ? 1 : 0, refundMs, maxBypass === Infinity ? -1 : maxBypass],
      holdMs: leaseMs,
      idleMs: leaseMs + refundMs,
      keys: ['r'],
      refundMs,
    });
    this.refundMs = refundMs;
    this.leaseMs = leaseMs;
    this.admission = admission;
    this.maxBypass = maxBypass;
  }

  /** `acquire(credits, { refundMs })`: this permit's credits come back `refundMs` after its release. */
  override acquire(credits: number = 1, options?: AcquireOptions & { refundMs?: number }): Promise<RedisPermit> {
    return super.acquire(credits, options);
  }

  /**
   * Changes `capacity` or `maxBypass` on the server, for every process sharing `name`. A lower
   * capacity never revokes credits taken (nobody is admitted until enough come back); waiters
   * whose cost it can never pay reject with a `RangeError`. Bad values throw and change nothing.
   *
   * @example
   * ```ts
   * const credits = new RedisCreditSemaphore({ redis, name: 'api', capacity: 40, leaseMs: 30_000 });
 * await credits.update({ capacity: 60 });
   * ```
   */
  update(options: { capacity?: number; maxBypass?: number }): Promise<void> {
    const o = updateOptions(options, ['capacity', 'maxBypass']);
    const pairs: Array<[number, number]> = [];
    if (o.capacity !== undefined) pairs.push([0, checkNumber('capacity', o.capacity, { positive: true })]);
    if (o.maxBypass !== undefined) {
      const maxBypass = checkNumber('maxBypass', o.maxBypass, { allowInfinity: true });
      pairs.push([4, maxBypass === Infinity ? -1 : maxBypass]);
    }
    return this.sendUpdate(pairs);
  }

  /** Takes `credits`, calls `fn`, and releases when it settles (its credits back `refundMs` later); `fn`'s result or error unchanged. */
  transact<T>(fn: (context: RunContext) => T | PromiseLike<T>, options: AcquireOptions & { credits: number; refundMs?: number }): Promise<T> {
    try {
      checkFunction('fn', fn);
      const o = checkObject('options', options) as unknown as AcquireOptions & { credits: number; refundMs?: number };
      return this.run(fn, { ...o, cost: o.credits });
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
