import { systemClock } from '../core/clock.js';
import type { RedisScriptClient } from './adapters.js';
import { RedisLimiterError } from './errors.js';
import type { RedisGateConfig } from './redis-options.js';

/**
 * A grant the server made: to `ticket`, with `ms` of validity left when the script ran (0 for
 * spent budgets) and its fencing token; a lease granted to a queued ticket also has `hold`, its
 * length counted from the ticket's last heartbeat (see src/redis/script.ts).
 *
 * @example
 * ```ts
 * const [grant] = parseGrants('a3f09c1d2e4b5f60.7:29998.5:1764635000123456:30000');
 * grant.hold; // 30000
 * ```
 */
export interface Grant {
  ticket: string;
  ms: number;
  fence: number;
  hold?: number;
}

/**
 * A parsed reply: status, the op's value, what the call granted, the queue head with the ms until
 * it may fit, and `sentAt`: the local instant the call was sent, no later than the server's decision.
 *
 * @example
 * ```ts
 * const { status, value, sentAt } = await runner.call('acquire', [ticket, '1', '0', '-1']);
 * ```
 */
export interface Reply {
  status: number;
  value: string;
  grants: Grant[];
  head: string;
  delay: number;
  sentAt: number;
  /** The capacity the server used (an update may have changed it), or NaN. */
  capacity: number;
}

/**
 * Parses `'id:ms:fence,...'` (an empty string is none).
 *
 * @example
 * ```ts
 * parseGrants('x.1:100:7'); // [{ ticket: 'x.1', ms: 100, fence: 7 }]
 * ```
 */
export function parseGrants(csv: string): Grant[] {
  if (csv === '') return [];
  return csv.split(',').map((entry) => {
    const [ticket = '', ms = '0', fence = '0', hold] = entry.split(':');
    const grant: Grant = { ticket, ms: Number(ms), fence: Number(fence) };
    if (hold !== undefined) grant.hold = Number(hold);
    return grant;
  });
}

/** A client error's text; some (node-redis timeouts) have an empty message. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const text = error.message !== '' ? error.message : error.name !== 'Error' ? error.name : error.constructor.name;
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}

/**
 * Runs one limiter's script, each call bounded by `commandTimeoutMs` whatever the client does.
 * Any reply may grant tickets of this instance (the script admits whoever fits whenever it
 * runs), so every reply goes to `onReply` whoever called.
 *
 * @example
 * ```ts
 * const runner = new ScriptRunner(config, (reply) => desk.notice(reply));
 * const left = (await runner.call('renew', leases)).value.split(',');
 * ```
 */
/** Where `unknownState` sits in the arguments after `op` (see `resolveOptions`). */
const UNKNOWN_ARG = 5;

export class ScriptRunner {
  readonly #redis: RedisScriptClient;
  readonly #script: string;
  readonly #keys: string[];
  readonly #args: string[];
  #waitOnceSeen: boolean;
  readonly #name: string;
  readonly #timeoutMs: number;
  readonly #onReply: (reply: Reply) => void;

  constructor(config: RedisGateConfig, onReply: (reply: Reply) => void) {
    this.#redis = config.redis;
    this.#script = config.script;
    this.#keys = config.keys;
    this.#args = config.args;
    this.#waitOnceSeen = config.waitOnceSeen;
    this.#name = config.name;
    this.#timeoutMs = config.commandTimeoutMs;
    this.#onReply = onReply;
  }

  async call(op: string, args: string[]): Promise<Reply> {
    const sentAt = systemClock.now();
    let raw: unknown;
    try {
      raw = await this.#bounded(op, this.#redis.evalScript(this.#script, this.#keys, [op, ...this.#args, ...args]));
    } catch (cause) {
      if (cause instanceof RedisLimiterError) throw cause;
      throw new RedisLimiterError(`tollgate/redis: ${op} on "${this.#name}" failed: ${describe(cause)}`, { op, cause });
    }
    if (!Array.isArray(raw) || raw.length < 5) {
      throw new RedisLimiterError(`tollgate/redis: ${op} on "${this.#name}" got an unexpected reply: ${JSON.stringify(raw)}`, { op });
    }
    const reply: Reply = {
      status: Number(raw[0]),
      value: String(raw[1]),
      grants: parseGrants(String(raw[2])),
      head: String(raw[3]),
      delay: Number(raw[4]),
      sentAt,
      capacity: raw.length > 5 ? Number(raw[5]) : Number.NaN,
    };
    if (this.#waitOnceSeen) {
      // This instance has seen the limiter's state: from now on, finding none means it was lost.
      this.#waitOnceSeen = false;
      this.#args[UNKNOWN_ARG] = '1';
    }
    this.#onReply(reply);
    return reply;
  }

  /** The client's promise, or a `RedisLimiterError` after `commandTimeoutMs`: a stalled connection never hangs a caller. */
  #bounded<T>(op: string, promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = systemClock.setTimeout(() => {
        reject(new RedisLimiterError(`tollgate/redis: ${op} on "${this.#name}" timed out after ${this.#timeoutMs} ms`, { op, timedOut: true }));
      }, Math.max(1, Math.ceil(this.#timeoutMs)));
      promise.then(
        (value) => {
          systemClock.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          systemClock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
