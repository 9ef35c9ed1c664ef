import { systemClock } from '../core/clock.js';
import { checkNumber, checkObject } from '../core/validate.js';
import { LeasePermit } from './lease-permit.js';
import { RedisGate } from './redis-gate.js';
import type { RedisLimiterOptions } from './redis-options.js';
import { SEMAPHORE_SCRIPT } from './scripts.js';

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
  /** A lease not renewed for this long expires: how long a dead holder's capacity stays taken. Renewed every `leaseMs / 3` while held. */
  leaseMs: number;
}

/**
 * A weighted semaphore shared by every process that uses the same Redis and `name`: never more
 * than `capacity` held at once, FIFO across processes, leases that a dead holder loses after
 * `leaseMs`. Each decision is one Lua script timed by the server's clock.
 *
 * @example
 * ```ts
 * const semaphore = new RedisSemaphore({ redis: fromIoredis(client, { subscriber }), name: 'api', capacity: 3, leaseMs: 30_000 });
 * await semaphore.run(() => fetch(url), { cost: 1, maxWaitMs: 10_000 });
 * ```
 */
export class RedisSemaphore extends RedisGate<LeasePermit> {
  readonly leaseMs: number;
  readonly #held = new Set<LeasePermit>();
  #renewTimer: unknown = undefined;

  constructor(options: RedisSemaphoreOptions) {
    const o = checkObject('options', options) as unknown as RedisSemaphoreOptions;
    const capacity = checkNumber('capacity', o.capacity, { positive: true });
    const leaseMs = checkNumber('leaseMs', o.leaseMs, { positive: true });
    super(o, { kind: 'semaphore', script: SEMAPHORE_SCRIPT, capacity, params: [leaseMs, 0], holdMs: leaseMs, idleMs: leaseMs, maxPollMs: leaseMs / 3, provable: false });
    this.leaseMs = leaseMs;
  }

  protected override makePermit(lease: string, cost: number, _id: unknown, validUntil: number): LeasePermit {
    if (cost === 0) return new LeasePermit(0, '', Infinity, () => Promise.resolve());
    const permit = new LeasePermit(cost, lease, validUntil, (p) => this.#release(p));
    this.#held.add(permit);
    this.#armRenew();
    return permit;
  }

  async #release(permit: LeasePermit): Promise<void> {
    this.#held.delete(permit);
    await this.call('cancel', [permit.lease, String(permit.cost), '1']);
  }

  /** Renewals do not keep the process alive: a process that ends has no use for its leases. */
  #armRenew(): void {
    if (this.#renewTimer !== undefined || this.#held.size === 0) return;
    const timer = systemClock.setTimeout(this.#renew, Math.max(1, Math.floor(this.leaseMs / 3)));
    (timer as { unref?: () => void } | undefined)?.unref?.();
    this.#renewTimer = timer;
  }

  /** One call renews every lease this instance holds. */
  readonly #renew = async (): Promise<void> => {
    this.#renewTimer = undefined;
    const permits = [...this.#held];
    const sentAt = systemClock.now();
    try {
      const flags = (await this.call('renew', permits.map((p) => p.lease))).value.split(',');
      permits.forEach((p, i) => (flags[i] === '1' ? (p.validUntil = sentAt + this.leaseMs) : this.#lose(p)));
    } catch {
      // Redis unreachable: the lease is safe until its last known expiry, lost after it.
      const now = systemClock.now();
      for (const p of permits) if (now >= p.validUntil) this.#lose(p);
    }
    this.#armRenew();
  };

  #lose(permit: LeasePermit): void {
    this.#held.delete(permit);
    permit.lose();
  }
}
