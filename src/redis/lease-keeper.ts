import { systemClock } from '../core/clock.js';
import { RedisPermit, validityEnd } from './redis-permit.js';
import type { Grant, Reply } from './script-runner.js';
import { WakeTimer } from '../core/wake-timer.js';

const noop = (): void => {};

/**
 * The held leases of one limiter instance: one renewal call for all of them, a third of
 * `leaseMs` after the last confirmation (sooner again after a failure), and a watchdog that
 * aborts a permit's signal the moment its validity runs out unconfirmed, without waiting for
 * Redis to answer anything. Both timers are `unref`ed: a process that ends has no use for its
 * leases. Finding the earliest validity is a walk over the held permits (few: at most capacity
 * divided by the smallest cost).
 *
 * @example
 * ```ts
 * const keeper = new LeaseKeeper(30_000, (op, args) => runner.call(op, args));
 * const grant = { ticket: 'a3f09c1d2e4b5f60.0', ms: 30_000, fence: 1 };
 * const permit = keeper.permit(2, grant, performance.now() + 29_969);
 * ```
 */
export class LeaseKeeper {
  readonly #leaseMs: number;
  readonly #call: (op: string, args: string[]) => Promise<Reply>;
  readonly #held = new Set<RedisPermit>();
  readonly #refunds = new WeakMap<RedisPermit, number>();
  readonly #renewTimer = new WakeTimer(systemClock, () => void this.#renew(), { unref: true });
  readonly #watchdog = new WakeTimer(systemClock, () => this.#watch(), { unref: true });
  readonly #hooks = { release: (p: RedisPermit) => this.#release(p), expired: (p: RedisPermit) => this.#lose(p) };
  #renewing = false;
  #retryAt = 0;

  constructor(leaseMs: number, call: (op: string, args: string[]) => Promise<Reply>) {
    this.#leaseMs = leaseMs;
    this.#call = call;
  }

  /** Permits held (not released, not lost). */
  get size(): number {
    return this.#held.size;
  }

  /** `refundMs`: when the cost comes back after the release (budgets with refunds), else 0. */
  permit(cost: number, grant: Grant, validUntil: number, refundMs = 0): RedisPermit {
    const permit = new RedisPermit(cost, grant.ticket, grant.fence, validUntil, this.#hooks);
    this.#held.add(permit);
    this.#refunds.set(permit, refundMs);
    this.#arm();
    return permit;
  }

  async #release(permit: RedisPermit): Promise<void> {
    const held = this.#held.delete(permit);
    this.#arm();
    if (held) await this.#call('cancel', this.#releaseArgs(permit));
  }

  #releaseArgs(permit: RedisPermit): string[] {
    return [permit.lease, String(permit.cost), '1', String(this.#refunds.get(permit) ?? 0)];
  }

  /** Lost: told at once, and given back in case the server still counts it (a renewal that timed out but ran). */
  #lose(permit: RedisPermit): void {
    if (!this.#held.delete(permit)) return;
    permit.lose();
    this.#call('cancel', this.#releaseArgs(permit)).catch(noop);
    this.#arm();
  }

  #watch(): void {
    const now = systemClock.now();
    for (const p of [...this.#held]) if (now >= p.validUntil) this.#lose(p);
    this.#arm();
  }

  #arm(): void {
    let earliest = Infinity;
    for (const p of this.#held) earliest = Math.min(earliest, p.validUntil);
    this.#watchdog.arm(earliest, systemClock.now());
    if (this.#renewing) return;
    const at = earliest === Infinity ? Infinity : Math.max(earliest - (2 * this.#leaseMs) / 3, this.#retryAt, systemClock.now() + 1);
    this.#renewTimer.arm(at, systemClock.now());
  }

  async #renew(): Promise<void> {
    if (this.#renewing || this.#held.size === 0) return;
    this.#renewing = true;
    const permits = [...this.#held];
    const sentAt = systemClock.now();
    try {
      const left = (await this.#call('renew', permits.map((p) => p.lease))).value.split(',');
      this.#retryAt = 0;
      permits.forEach((p, i) => {
        if (!this.#held.has(p)) return;
        const ms = Number(left[i] ?? 0);
        if (ms > 0) p.extend(validityEnd(sentAt, ms));
        else this.#lose(p); // gone from Redis: expired there, or the state was lost
      });
    } catch {
      // Not confirmed: each lease stays valid until its last known end (the watchdog sees to
      // that); try again soon.
      this.#retryAt = systemClock.now() + Math.max(1, this.#leaseMs / 12);
    } finally {
      this.#renewing = false;
      this.#watch();
    }
  }
}
