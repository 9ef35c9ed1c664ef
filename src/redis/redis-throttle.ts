import { checkNumber, checkObject, checkOneOf, checkRatePeriod, optionalNumber } from '../core/validate.js';
import { THROTTLE_SCRIPT } from './budgets/throttle.js';
import { RedisGate } from './redis-gate.js';
import { type RedisLimiterOptions, updateOptions } from './redis-options.js';

/**
 * One rate limit of a {@link RedisThrottle}: at most `rate` per `periodMs`, as a sliding window
 * (default) or a leaky bucket.
 *
 * @example
 * ```ts
 * const perMinute: RedisRateLimit = { rate: 500, periodMs: 60_000, kind: 'leaky' };
 * ```
 */
export interface RedisRateLimit {
  rate: number;
  /** Default 1 000. */
  periodMs?: number;
  /** `'sliding'` (default): never more than `rate` in any window of `periodMs`; `'leaky'`: a level draining at `rate / periodMs`. */
  kind?: 'sliding' | 'leaky';
}

/**
 * Options of {@link RedisThrottle}: one limit (`rate`, `periodMs`, `kind`) or several (`limits`), not both.
 *
 * @example
 * ```ts
 * const options: RedisThrottleOptions = { redis: fromIoredis(client), name: 'api', limits: [{ rate: 10 }, { rate: 500, periodMs: 60_000 }], concurrency: 4 };
 * ```
 */
export interface RedisThrottleOptions extends RedisLimiterOptions {
  rate?: number;
  periodMs?: number;
  kind?: 'sliding' | 'leaky';
  limits?: readonly RedisRateLimit[];
  /** At most this many admitted and not yet released across every process, whatever their cost. 0 (default) = unlimited. */
  concurrency?: number;
  /** With `concurrency`: a slot not renewed for this long expires (a dead holder's slot comes back after it). Default 30 000. */
  leaseMs?: number;
}

interface Limit {
  rate: number;
  periodMs: number;
  kind: 'sliding' | 'leaky';
}

/**
 * `Throttle` across processes: rate limits of both kinds and a concurrency limit paid together
 * at the same instant from one FIFO queue shared by every process using the same Redis and
 * `name`, counted on the server's clock; one script per decision, one round trip when nobody
 * waits. Concurrency slots are leases (renewed while held; `permit.signal` aborts if one is
 * lost); rates are spent at admission (releasing gives nothing back).
 *
 * @example
 * ```ts
 * const throttle = new RedisThrottle({ redis: fromIoredis(client, { subscriber }), name: 'api', rate: 10, periodMs: 1_000, concurrency: 2 });
 * const res = await throttle.run(({ signal }) => fetch(url, { signal }));
 * await throttle.observe(res); // a 429 with Retry-After pauses every process
 * ```
 */
export class RedisThrottle extends RedisGate {
  readonly limits: readonly Readonly<Limit>[];
  /** 0 = unlimited. */
  readonly concurrency: number;
  /** 0 without a concurrency limit (nothing is held). */
  readonly leaseMs: number;

  constructor(options: RedisThrottleOptions) {
    const o = checkObject('options', options) as unknown as RedisThrottleOptions;
    const limits = readLimits(o);
    const concurrency = optionalNumber('concurrency', o.concurrency, 0, { integer: true });
    const leaseMs = concurrency > 0 ? optionalNumber('leaseMs', o.leaseMs, 30_000, { positive: true }) : 0;
    const params = [leaseMs, concurrency, limits.length];
    for (const l of limits) params.push(l.kind === 'sliding' ? 1 : 0, l.rate, l.periodMs);
    super(o, {
      kind: 'throttle',
      script: THROTTLE_SCRIPT,
      capacity: Math.min(...limits.map((l) => l.rate)),
      params,
      holdMs: leaseMs,
      idleMs: Math.max(leaseMs, ...limits.map((l) => l.periodMs)),
      keys: limits.map((_, i) => `l${i}`),
    });
    this.limits = limits.map((l) => Object.freeze({ ...l }));
    this.concurrency = concurrency;
    this.leaseMs = leaseMs;
  }

  /**
   * Changes rates, periods or `concurrency` on the server, for every process sharing `name`.
   * Limits are matched by position and keep their kind and state (level, window); `rate`,
   * `periodMs` apply to a throttle of one limit. A concurrency limit can be changed (0 =
   * unlimited) but not added to a throttle constructed without one (it holds no leases). Bad
   * values throw as in the constructor and change nothing.
   *
   * @example
   * ```ts
   * const throttle = new RedisThrottle({ redis, name: 'api', rate: 10, concurrency: 4 });
   * await throttle.update({ rate: 5, concurrency: 8 });
   * ```
   */
  update(options: { rate?: number; periodMs?: number; limits?: readonly RedisRateLimit[]; concurrency?: number }): Promise<void> {
    const o = updateOptions(options, ['rate', 'periodMs', 'limits', 'concurrency']);
    const pairs: Array<[number, number]> = [];
    if (o.concurrency !== undefined) {
      const concurrency = checkNumber('concurrency', o.concurrency, { integer: true });
      if (concurrency > 0 && this.concurrency === 0) throw new TypeError('update: concurrency cannot be added to a throttle constructed without one (create it with a concurrency)');
      pairs.push([2, concurrency]);
    }
    if (o.limits !== undefined || o.rate !== undefined || o.periodMs !== undefined) {
      if (o.limits === undefined && this.limits.length !== 1) throw new TypeError('update: this throttle has several limits; give limits, not rate/periodMs');
      const first = this.limits[0]!;
      const given = o.limits === undefined ? { rate: o.rate ?? first.rate, periodMs: o.periodMs ?? first.periodMs, kind: first.kind } : { limits: o.limits, rate: o.rate, periodMs: o.periodMs };
      const limits = readLimits(given as RedisThrottleOptions);
      if (limits.length !== this.limits.length || limits.some((l, i) => l.kind !== this.limits[i]!.kind)) {
        throw new TypeError(`update: limits must keep their number (${this.limits.length}) and kinds (${this.limits.map((l) => l.kind).join(', ')})`);
      }
      limits.forEach((l, i) => pairs.push([5 + 3 * i, l.rate], [6 + 3 * i, l.periodMs]));
    }
    return this.sendUpdate(pairs);
  }
}

function readLimits(o: RedisThrottleOptions): Limit[] {
  if (o.limits === undefined) return [readLimit(o as RedisRateLimit, '')];
  if (o.rate !== undefined || o.periodMs !== undefined || o.kind !== undefined) throw new TypeError('give either rate/periodMs/kind or limits, not both');
  if (!Array.isArray(o.limits) || o.limits.length === 0) throw new TypeError(`limits must be a non-empty array; got ${String(o.limits)}`);
  return o.limits.map((limit, i) => readLimit(checkObject(`limits[${i}]`, limit) as unknown as RedisRateLimit, `limits[${i}].`));
}

function readLimit(l: RedisRateLimit, prefix: string): Limit {
  const rate = checkNumber(`${prefix}rate`, l.rate, { positive: true });
  const periodMs = optionalNumber(`${prefix}periodMs`, l.periodMs, 1_000, { positive: true });
  checkRatePeriod(`${prefix}rate`, rate, `${prefix}periodMs`, periodMs);
  const kind = checkOneOf(`${prefix}kind`, l.kind, ['sliding', 'leaky'], 'sliding');
  return { rate, periodMs, kind };
}
