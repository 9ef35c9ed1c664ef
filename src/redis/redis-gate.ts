import { randomBytes } from 'node:crypto';
import { systemClock } from '../core/clock.js';
import { LimiterClosedError } from '../core/errors.js';
import type { AcquireOptions, Permit } from '../core/types.js';
import { readAcquireOptions, type Entry } from '../core/acquire-options.js';
import { checkCost, checkFunction } from '../core/validate.js';
import { wrapWith } from '../core/wrap.js';
import { resolveOptions, type RedisGateSetup, type RedisLimiterOptions } from './redis-options.js';
import { type Reply, ScriptRunner } from './script-runner.js';
import { TicketDesk } from './ticket-desk.js';

const noop = (): void => {};

/**
 * The client half shared by the Redis limiters: local waiters keyed by their server ticket, one
 * timer (next poll, head hint, earliest deadline), pub/sub wake-ups. The server decides; this side
 * only learns of grants (from any reply, a message, or a poll) and undoes what a waiter that left
 * was given. A limiter kind only says how its permits are made.
 *
 * @example
 * ```ts
 * const semaphore: RedisGate = new RedisSemaphore({ redis, name: 'api', capacity: 3, leaseMs: 30_000 });
 * ```
 */
export abstract class RedisGate<P extends Permit = Permit> implements Disposable {
  readonly name: string;
  readonly capacity: number;
  readonly #keys: string[];
  readonly #holdMs: number;
  /** What a call without options gets (Redis permits have no refund delay). */
  readonly #defaults: Entry;
  /** Prefixes this instance's ticket ids, so the server publishes a grant only to the instance concerned. */
  readonly #idPrefix = randomBytes(8).toString('base64url');
  #seq = 0;
  readonly #runner: ScriptRunner;
  readonly #desk: TicketDesk<P>;
  #closed = false;

  protected constructor(o: RedisLimiterOptions, setup: RedisGateSetup) {
    const config = resolveOptions(o, setup, this.#idPrefix);
    this.name = config.name;
    this.capacity = setup.capacity;
    this.#keys = config.keys;
    this.#holdMs = setup.holdMs;
    this.#defaults = Object.freeze({ signal: undefined, maxWaitMs: config.maxWaitMs, id: undefined, refundMs: 0, priority: 0 });
    this.#runner = new ScriptRunner(config, (granted, head, delay, sentAt) => this.#desk.notice(granted, head, delay, sentAt));
    this.#desk = new TicketDesk<P>(
      { call: (op, args) => this.call(op, args), makePermit: (lease, cost, id, validUntil) => this.makePermit(lease, cost, id, validUntil) },
      config,
      setup,
    );
  }

  /** Waiters of this instance (this process) that are not admitted yet. */
  get pending(): number {
    return this.#desk.size;
  }

  /** The keys this limiter uses in Redis (for inspection and tests). */
  get keys(): readonly string[] {
    return this.#keys;
  }

  acquire(cost: number = 1, options?: AcquireOptions): Promise<P> {
    try {
      checkCost(cost, this.capacity);
      const { signal, maxWaitMs, id } = readAcquireOptions(options, this.#defaults, false);
      if (this.#closed) throw new LimiterClosedError();
      if (cost === 0) return Promise.resolve(this.makePermit('', 0, id, Infinity));
      return this.#desk.enter(this.#newId(), cost, id, signal, maxWaitMs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Admits now or resolves `undefined`; never queues, and `undefined` while anyone waits (in any process). */
  async tryAcquire(cost: number = 1): Promise<P | undefined> {
    checkCost(cost, this.capacity);
    if (this.#closed) throw new LimiterClosedError();
    if (cost === 0) return this.makePermit('', 0, undefined, Infinity);
    const lease = this.#newId();
    const sentAt = systemClock.now();
    const reply = await this.call('acquire', [lease, String(cost), '0', '-1']);
    return reply.status === 1 ? this.makePermit(lease, cost, undefined, sentAt + this.#holdMs) : undefined;
  }

  /** Acquires, calls `fn`, and releases when it settles (a failed release is left to expire). */
  async run<T>(fn: () => T | PromiseLike<T>, options?: AcquireOptions & { cost?: number }): Promise<T> {
    checkFunction('fn', fn);
    const permit = await this.acquire(options?.cost ?? 1, options);
    try {
      return await fn();
    } finally {
      await permit[Symbol.asyncDispose]().catch(noop);
    }
  }

  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>, cost: number = 1): (...args: A) => Promise<Awaited<R>> {
    return wrapWith(this, fn, cost);
  }

  /** Rejects this instance's waiters (with `reason`, default a `LimiterClosedError`) and later calls; gives their tickets back. Held permits stay valid. */
  close(reason?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#desk.close(reason === undefined ? new LimiterClosedError() : reason);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  protected abstract makePermit(lease: string, cost: number, id: string | number | undefined, validUntil: number): P;

  /** One script call; what it granted and the head hint are taken in here, whoever called. */
  protected call(op: string, args: string[]): Promise<Reply> {
    return this.#runner.call(op, args);
  }

  #newId(): string {
    return `${this.#idPrefix}.${(this.#seq++).toString(36)}`;
  }
}
