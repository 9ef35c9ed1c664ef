import { checkNumber, checkObject, optionalNumber } from '../core/validate.js';
import type { RedisScriptClient } from './adapters.js';

/**
 * Options every Redis limiter takes. Every process sharing a `name` must pass the same options.
 *
 * @example
 * ```ts
 * const common: RedisLimiterOptions = { redis: fromIoredis(client), name: 'payments-api', maxWaitMs: 10_000 };
 * ```
 */
export interface RedisLimiterOptions {
  /** The script runner: `fromIoredis(client)`, `fromNodeRedis(client)` or your own. */
  redis: RedisScriptClient;
  /** What processes share: limiters of one kind with the same `prefix` and `name` are one limiter. */
  name: string;
  /** Default `maxWaitMs` for every `acquire`. */
  maxWaitMs?: number;
  /** Fallback poll period while waiting, also each waiter's heartbeat. Default 1000 with a subscriber, else 100 (capped at `leaseMs / 3`). */
  pollMs?: number;
  /** Key prefix. Default `'tollgate'`. */
  prefix?: string;
  /**
   * Ms after which a Redis call of this limiter is given up (`RedisLimiterError`, `timedOut: true`),
   * whatever the client does meanwhile. Default `min(2000, leaseMs / 3)`, 2000 without leases.
   */
  commandTimeoutMs?: number;
  /**
   * What to do when Redis has no trace at all of the limiter (a first use, an idle of more than
   * seven days, or a total loss: FLUSHALL, a restart without persistence, every key including the
   * guard evicted). Nothing on the server tells these apart. `'wait'` always assumes a loss: held
   * capacity (a semaphore's, a throttle's `concurrency`) is granted to nobody for `leaseMs` (plus
   * `refundMs` for credits), rate budgets start spent (a bucket empty, a window full); the price is
   * that wait on every first use of a name. `'fresh'` always starts at once as new (full). Unset
   * (the default): `'fresh'` for this instance's first call, `'wait'` from then on, for every kind.
   * So a first use starts at once, and a loss this instance lives through is never extra capacity.
   * The risk left: after a total loss, an instance whose first call comes after it admits as new,
   * while an old holder may still believe it holds until its next renewal fails (at most about one
   * renewal period, `leaseMs / 3`, plus `commandTimeoutMs` later) or, cut off from Redis, until its
   * validity ends. `'wait'` removes that risk.
   * (A partial loss, the usual case with eviction, is detected whatever this says.)
   */
  unknownState?: 'wait' | 'fresh';
}

/**
 * What a limiter kind is on the server: its script (the common part around its Lua budget) and
 * the budget's parameters. A new kind is a budget and a thin class handing this to `RedisGate`.
 *
 * @example
 * ```ts
 * const budget: RedisBudget = { kind: 'semaphore', script: '-- the common Lua around the budget', capacity: 3, params: [30_000], holdMs: 30_000, idleMs: 30_000 };
 * ```
 */
export interface RedisBudget {
  /** The key segment of this kind: limiters of different kinds never share state. */
  kind: string;
  script: string;
  capacity: number;
  /** The budget's P[1..n], the same on every call. */
  params: readonly number[];
  /** Ms a grant is held unless renewed (a lease, renewed while the permit is held), or 0 (spent). */
  holdMs: number;
  /** Ms after its last use at which the state means nothing (every lease expired, the bucket full again). */
  idleMs: number;
  /** The budget's own keys, after the six common ones (KEYS[7..] in its Lua): suffixes, e.g. `['r']`. */
  keys?: readonly string[];
  /** Default ms after a release at which a lease's cost comes back (sent with every release), or undefined. */
  refundMs?: number;
}

/**
 * The options checked, and what follows from them for one instance.
 *
 * @example
 * ```ts
 * const budget: RedisBudget = { kind: 'semaphore', script: '-- Lua', capacity: 3, params: [30_000], holdMs: 30_000, idleMs: 30_000 };
 * const { keys, channel } = resolveOptions(options, budget, 'a3f09c1d2e4b5f60');
 * ```
 */
export interface RedisGateConfig {
  redis: RedisScriptClient;
  name: string;
  script: string;
  maxWaitMs: number | undefined;
  pollMs: number;
  commandTimeoutMs: number;
  /** A queued ticket not heard from for this long is dropped by the server. */
  ticketTtlMs: number;
  keys: string[];
  /** This instance's own channel: the script publishes only to the instances a grant or a head concerns. */
  channel: string;
  /** The script's arguments after the op, the same on every call. */
  args: string[];
  /**
   * `unknownState` unset: the first call goes out as `'fresh'`, and `args[UNKNOWN_ARG]` turns to
   * `'wait'` after its reply, so from then on finding no trace of the limiter counts as a loss.
   */
  waitOnceSeen: boolean;
}

/**
 * The given subset of `allowed`: an unknown option is a `TypeError` naming it.
 *
 * @example
 * ```ts
 * const o = updateOptions({ capacity: 5 }, ['capacity']); // { capacity: 5 }
 * ```
 */
export function updateOptions(options: unknown, allowed: readonly string[]): Record<string, unknown> {
  const o = checkObject('options', options);
  for (const key of Object.keys(o)) {
    if (o[key] !== undefined && !allowed.includes(key)) throw new TypeError(`update: ${key} cannot be changed here (only ${allowed.join(', ')})`);
  }
  return o;
}

const KEYS = ['s', 'q', 'w', 'c', 'x', 'g'];
const WEEK_MS = 7 * 24 * 3600 * 1000;

/**
 * Checks the options (bad ones throw, naming the option and the value) and lays out the keys.
 * `instance` prefixes this instance's ticket ids, so the server can tell whom to wake.
 *
 * @example
 * ```ts
 * const budget: RedisBudget = { kind: 'bucket', script: '-- Lua', capacity: 10, params: [1, 100], holdMs: 0, idleMs: 1_100 };
 * const config = resolveOptions({ redis, name: 'api' }, budget, 'a3f09c1d2e4b5f60');
 * ```
 */
export function resolveOptions(o: RedisLimiterOptions, budget: RedisBudget, instance: string): RedisGateConfig {
  const redis = o.redis;
  if (typeof redis?.evalScript !== 'function') {
    throw new TypeError(`redis must have evalScript(script, keys, args): use fromIoredis(client) or fromNodeRedis(client); got ${String(redis)}`);
  }
  if (typeof o.name !== 'string' || o.name === '') throw new TypeError(`name must be a non-empty string; got ${JSON.stringify(o.name)}`);
  const prefix = o.prefix ?? 'tollgate';
  if (typeof prefix !== 'string') throw new TypeError(`prefix must be a string; got ${String(prefix)}`);
  const maxWaitMs = o.maxWaitMs === undefined ? undefined : checkNumber('maxWaitMs', o.maxWaitMs, { allowInfinity: true });
  const lease = budget.holdMs > 0;
  const maxPollMs = lease ? budget.holdMs / 3 : Infinity;
  const pollMs = Math.max(1, Math.min(optionalNumber('pollMs', o.pollMs, redis.subscribe ? 1000 : 100, { positive: true }), maxPollMs));
  const commandTimeoutMs = optionalNumber('commandTimeoutMs', o.commandTimeoutMs, lease ? Math.min(2000, budget.holdMs / 3) : 2000, { positive: true });
  const unknownState = o.unknownState;
  if (unknownState !== undefined && unknownState !== 'wait' && unknownState !== 'fresh') throw new TypeError(`unknownState must be 'wait' or 'fresh'; got ${String(unknownState)}`);
  // A waiter that stops polling (its process died or stalled) blocks the head for at most this
  // long; with leases, at most leaseMs, so a dead process's tickets never outlive its leases.
  const ticketTtlMs = lease ? budget.holdMs : Math.ceil(3 * pollMs + 1000);
  const keyTtl = Math.min(1e12, Math.ceil(Math.max(budget.idleMs, ticketTtlMs) + 1000));
  // One hash tag: every key of one limiter lands in one cluster slot, as a script needs.
  const base = `${prefix}:${budget.kind}:{${o.name}}`;
  return {
    redis,
    name: o.name,
    script: budget.script,
    maxWaitMs,
    pollMs,
    commandTimeoutMs,
    ticketTtlMs,
    keys: [...KEYS, ...(budget.keys ?? [])].map((k) => `${base}:${k}`),
    channel: `${base}:wake:${instance}`,
    waitOnceSeen: unknownState === undefined,
    args: [
      `${base}:wake`,
      String(budget.capacity),
      String(ticketTtlMs),
      String(keyTtl),
      String(Math.max(WEEK_MS, keyTtl)),
      unknownState === 'wait' ? '1' : '0',
      String(budget.params.length),
      ...budget.params.map(String),
    ],
  };
}
