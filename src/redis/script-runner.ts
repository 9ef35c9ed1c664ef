import { systemClock } from '../core/clock.js';
import type { RedisScriptClient } from './adapters.js';
import { RedisLimiterError } from './errors.js';
import type { RedisGateConfig } from './redis-options.js';

/**
 * A parsed reply: status, an op's value, and the queue head with the ms until it may fit.
 *
 * @example
 * ```ts
 * const { status, value } = await runner.call('acquire', [ticket, '1', '0', '-1']);
 * ```
 */
export interface Reply {
  status: number;
  value: string;
  head: string;
  delay: number;
}

/**
 * What every reply and every wake-up message carries: the tickets granted (comma-separated), the
 * queue head, the ms until it may fit (or -1), and a local instant no later than the decision.
 *
 * @example
 * ```ts
 * const onGrants: OnGrants = (granted, head, delay, sentAt) => desk.notice(granted, head, delay, sentAt);
 * ```
 */
export type OnGrants = (granted: string, head: string, delay: number, sentAt: number) => void;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Runs one limiter's script. Any reply may grant tickets of this instance (the script admits
 * whoever fits whenever it runs), so what it granted goes to `onGrants` whoever called.
 *
 * @example
 * ```ts
 * const runner = new ScriptRunner(config, onGrants);
 * const flags = (await runner.call('renew', leases)).value.split(',');
 * ```
 */
export class ScriptRunner {
  readonly #redis: RedisScriptClient;
  readonly #script: string;
  readonly #keys: string[];
  readonly #args: string[];
  readonly #name: string;
  readonly #onGrants: OnGrants;

  constructor(config: RedisGateConfig, onGrants: OnGrants) {
    this.#redis = config.redis;
    this.#script = config.script;
    this.#keys = config.keys;
    this.#args = config.args;
    this.#name = config.name;
    this.#onGrants = onGrants;
  }

  async call(op: string, args: string[]): Promise<Reply> {
    const sentAt = systemClock.now();
    let raw: unknown;
    try {
      raw = await this.#redis.evalScript(this.#script, this.#keys, [op, ...this.#args, ...args]);
    } catch (cause) {
      throw new RedisLimiterError(`tollgate/redis: ${op} on "${this.#name}" failed: ${messageOf(cause)}`, { cause });
    }
    if (!Array.isArray(raw) || raw.length < 5) {
      throw new RedisLimiterError(`tollgate/redis: ${op} on "${this.#name}" got an unexpected reply: ${JSON.stringify(raw)}`);
    }
    const reply = { status: Number(raw[0]), value: String(raw[1]), head: String(raw[3]), delay: Number(raw[4]) };
    this.#onGrants(String(raw[2]), reply.head, reply.delay, sentAt);
    return reply;
  }
}
