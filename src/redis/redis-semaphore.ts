import { checkNumber, checkObject } from '../core/validate.js';
import { SEMAPHORE_SCRIPT } from './budgets/semaphore.js';
import { RedisGate } from './redis-gate.js';
import { type RedisLimiterOptions, updateOptions } from './redis-options.js';

/**
 * Options of {@link RedisSemaphore}.
 *
 * @example
 * ```ts
 * const options: RedisSemaphoreOptions = { redis: fromIoredis(client), name: 'api', capacity: 3, leaseMs: 30_000 };
 * ```
 */
export interface RedisSemaphoreOptions extends RedisLimiterOptions {
  /** The most held at once across every process, and the largest cost. */
  capacity: number;
  /**
   * A lease not renewed for this long expires: how long a dead or cut-off holder's capacity stays
   * taken. Renewed every `leaseMs / 3` while held; a permit not confirmed within it is lost.
   */
  leaseMs: number;
}

/**
 * A weighted semaphore shared by every process that uses the same Redis and `name`: never more
 * than `capacity` held at once, FIFO across processes, leases that a dead holder loses after
 * `leaseMs`, a permit's `signal` aborted (`LeaseLostError`) the moment its lease is no longer
 * known to be held, and a `fencingToken` on each permit. Each decision is one Lua script timed by
 * the server's clock.
 *
 * @example
 * ```ts
 * const semaphore = new RedisSemaphore({ redis: fromIoredis(client, { subscriber }), name: 'api', capacity: 3, leaseMs: 30_000 });
 * await semaphore.run(({ signal }) => fetch(url, { signal }), { cost: 1, maxWaitMs: 10_000 });
 * ```
 */
export class RedisSemaphore extends RedisGate {
  readonly leaseMs: number;

  constructor(options: RedisSemaphoreOptions) {
    const o = checkObject('options', options) as unknown as RedisSemaphoreOptions;
    const capacity = checkNumber('capacity', o.capacity, { positive: true });
    const leaseMs = checkNumber('leaseMs', o.leaseMs, { positive: true });
    super(o, { kind: 'semaphore', script: SEMAPHORE_SCRIPT, capacity, params: [leaseMs], holdMs: leaseMs, idleMs: leaseMs });
    this.leaseMs = leaseMs;
  }

  /**
   * Changes `capacity` on the server, for every process sharing `name`. A lower capacity never
   * revokes a permit (nobody is admitted until enough is released); waiters whose cost it can
   * never pay reject with a `RangeError`. Bad values throw as in the constructor and change nothing.
   *
   * @example
   * ```ts
   * await semaphore.update({ capacity: 5 });
   * ```
   */
  update(options: { capacity?: number }): Promise<void> {
    const o = updateOptions(options, ['capacity']);
    const pairs: Array<[number, number]> = [];
    if (o.capacity !== undefined) pairs.push([0, checkNumber('capacity', o.capacity, { positive: true })]);
    return this.sendUpdate(pairs);
  }
}
