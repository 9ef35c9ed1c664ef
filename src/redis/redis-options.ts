import { checkNumber, optionalNumber } from '../core/validate.js';
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
  /** Fallback poll period while waiting, also each waiter's heartbeat. Default 1000 with a subscriber, else 100 (a semaphore caps it at `leaseMs / 3`). */
  pollMs?: number;
  /** Key prefix. Default `'tollgate'`. */
  prefix?: string;
}

/**
 * What a limiter kind hands its base.
 *
 * @example
 * ```ts
 * const setup: RedisGateSetup = { kind: 'semaphore', script: SEMAPHORE_SCRIPT, capacity: 3, params: [30_000, 0], holdMs: 30_000, idleMs: 30_000, maxPollMs: 10_000, provable: false };
 * ```
 */
export interface RedisGateSetup {
  kind: 'semaphore' | 'bucket';
  script: string;
  capacity: number;
  params: [number, number];
  /** Ms a grant is held before it must be renewed (semaphore leases), or 0. */
  holdMs: number;
  /** Ms after its last use at which the state means nothing (every lease expired, the bucket full again). */
  idleMs: number;
  maxPollMs: number;
  /** Whether the script's `readyDelay` bounds every wait from below (rates), so a too-long wait can be refused at once. */
  provable: boolean;
}

/**
 * The options checked, and what follows from them for one instance.
 *
 * @example
 * ```ts
 * const { keys, channel } = resolveOptions(options, setup, 'k3Jx9aQ2');
 * ```
 */
export interface RedisGateConfig {
  redis: RedisScriptClient;
  name: string;
  script: string;
  maxWaitMs: number | undefined;
  pollMs: number;
  keys: string[];
  /** This instance's own channel: the script publishes only to the instances a grant or a head concerns. */
  channel: string;
  /** The script's arguments after the op, the same on every call. */
  args: string[];
}

const KEYS = ['s', 'q', 'w', 'c', 'x'];

/**
 * Checks the options (bad ones throw, naming the option and the value) and lays out the keys.
 * `instance` prefixes this instance's ticket ids, so the server can tell whom to wake.
 *
 * @example
 * ```ts
 * const config = resolveOptions({ redis, name: 'api' }, setup, randomBytes(8).toString('base64url'));
 * ```
 */
export function resolveOptions(o: RedisLimiterOptions, setup: RedisGateSetup, instance: string): RedisGateConfig {
  const redis = o.redis;
  if (typeof redis?.evalScript !== 'function') {
    throw new TypeError(`redis must have evalScript(script, keys, args): use fromIoredis(client) or fromNodeRedis(client); got ${String(redis)}`);
  }
  if (typeof o.name !== 'string' || o.name === '') throw new TypeError(`name must be a non-empty string; got ${JSON.stringify(o.name)}`);
  const prefix = o.prefix ?? 'tollgate';
  if (typeof prefix !== 'string') throw new TypeError(`prefix must be a string; got ${String(prefix)}`);
  const maxWaitMs = o.maxWaitMs === undefined ? undefined : checkNumber('maxWaitMs', o.maxWaitMs, { allowInfinity: true });
  const pollMs = Math.max(1, Math.min(optionalNumber('pollMs', o.pollMs, redis.subscribe ? 1000 : 100, { positive: true }), setup.maxPollMs));
  // A waiter that stops polling (its process died) blocks the head for at most this long.
  const ticketTtl = Math.ceil(3 * pollMs + 1000);
  const keyTtl = Math.min(1e12, Math.ceil(Math.max(setup.idleMs, ticketTtl) + 1000));
  // One hash tag: every key of one limiter lands in one cluster slot, as a script needs.
  const base = `${prefix}:${setup.kind}:{${o.name}}`;
  return {
    redis,
    name: o.name,
    script: setup.script,
    maxWaitMs,
    pollMs,
    keys: KEYS.map((k) => `${base}:${k}`),
    channel: `${base}:wake:${instance}`,
    args: [`${base}:wake`, String(setup.capacity), String(ticketTtl), String(keyTtl), ...setup.params.map(String)],
  };
}
