import { systemClock } from '../core/clock.js';
import { LimiterClosedError } from '../core/errors.js';
import type { AcquireOptions } from '../core/types.js';
import { checkCost, checkFunction, checkId, checkNumber, checkObject, checkSignal } from '../core/validate.js';
import { LeaseKeeper } from './lease-keeper.js';
import { resolveOptions, type RedisBudget, type RedisLimiterOptions } from './redis-options.js';
import { RedisPermit, validityEnd } from './redis-permit.js';
import { type Grant, type Reply, ScriptRunner } from './script-runner.js';
import { TicketDesk } from './ticket-desk.js';

/**
 * What `run` hands `fn`: a signal that aborts when the lease is lost (or the caller's `signal`
 * aborts), and the permit's fencing token.
 *
 * @example
 * ```ts
 * await semaphore.run(({ signal, fencingToken }) => fetch(url, { signal, headers: { 'x-fencing-token': String(fencingToken) } }));
 * ```
 */
export interface RunContext {
  signal: AbortSignal;
  fencingToken: number;
}

const spentHooks = { release: () => Promise.resolve(), expired: () => {} };
const zeroHooks = spentHooks;

/**
 * A signal that aborts when either does, and a function removing what it added to them (run's
 * `finally`): `AbortSignal.any` where it exists (Node 20.3+), else one listener on each.
 */
function eitherSignal(a: AbortSignal, b: AbortSignal): [AbortSignal, () => void] {
  if (typeof AbortSignal.any === 'function') return [AbortSignal.any([a, b]), () => {}];
  const controller = new AbortController();
  const dispose = (): void => {
    a.removeEventListener('abort', onAbort);
    b.removeEventListener('abort', onAbort);
  };
  const onAbort = (event: Event): void => {
    dispose();
    controller.abort((event.target as AbortSignal).reason);
  };
  if (a.aborted || b.aborted) controller.abort(a.aborted ? a.reason : b.reason);
  else for (const s of [a, b]) s.addEventListener('abort', onAbort, { once: true });
  return [controller.signal, dispose];
}

/** 16 hex digits from Web Crypto: unique per instance, so the server publishes a grant only to the instance concerned. */
function instanceId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The client half of every Redis limiter: local waiters keyed by their server ticket, one timer
 * (next poll, head hint, earliest deadline), pub/sub wake-ups, and, for budgets that hold leases,
 * renewals and a watchdog. The server decides; this side learns of grants and undoes what a
 * waiter that left was given. A limiter kind is only its `RedisBudget` (the Lua and its
 * parameters) and option checks.
 *
 * @example
 * ```ts
 * const semaphore: RedisGate = new RedisSemaphore({ redis, name: 'api', capacity: 3, leaseMs: 30_000 });
 * ```
 */
export abstract class RedisGate implements Disposable {
  readonly name: string;
  readonly capacity: number;
  /** Ms after which a Redis call is given up. */
  readonly commandTimeoutMs: number;
  readonly #keys: string[];
  readonly #maxWaitMs: number | undefined;
  readonly #idPrefix = instanceId();
  #seq = 0;
  readonly #runner: ScriptRunner;
  readonly #desk: TicketDesk<RedisPermit>;
  readonly #keeper: LeaseKeeper | undefined;
  /** The budget's default refund delay, when its permits' costs come back after a delay. */
  readonly #refundMs: number | undefined;
  #closed = false;

  protected constructor(o: RedisLimiterOptions, budget: RedisBudget) {
    const config = resolveOptions(o, budget, this.#idPrefix);
    this.name = config.name;
    this.capacity = budget.capacity;
    this.commandTimeoutMs = config.commandTimeoutMs;
    this.#keys = config.keys;
    this.#maxWaitMs = config.maxWaitMs;
    this.#refundMs = budget.refundMs;
    this.#runner = new ScriptRunner(config, (reply) => this.#desk.notice(reply));
    const call = (op: string, args: string[]): Promise<Reply> => this.#runner.call(op, args);
    this.#keeper = budget.holdMs > 0 ? new LeaseKeeper(budget.holdMs, call) : undefined;
    this.#desk = new TicketDesk<RedisPermit>({ call, makePermit: (w, grant, validUntil) => this.#permit(w.cost, grant, validUntil, w.refundMs) }, config, this.#keeper !== undefined);
  }

  /** Waiters of this instance (this process) that are not admitted yet. */
  get pending(): number {
    return this.#desk.size;
  }

  /** The keys this limiter uses in Redis (for inspection and tests): state, queue, heartbeats, costs, grants, guard. */
  get keys(): readonly string[] {
    return this.#keys;
  }

  acquire(cost: number = 1, options?: AcquireOptions): Promise<RedisPermit> {
    try {
      checkCost(cost, this.capacity);
      const o = checkObject('options', options) as AcquireOptions & { refundMs?: number };
      const signal = checkSignal(o.signal);
      const maxWaitMs = o.maxWaitMs === undefined ? this.#maxWaitMs : checkNumber('maxWaitMs', o.maxWaitMs, { allowInfinity: true });
      const id = checkId(o.id);
      const refundMs = this.#refundMs === undefined || o.refundMs === undefined ? (this.#refundMs ?? 0) : checkNumber('refundMs', o.refundMs);
      signal?.throwIfAborted();
      if (this.#closed) throw new LimiterClosedError();
      if (cost === 0) return Promise.resolve(new RedisPermit(0, '', 0, Infinity, zeroHooks));
      return this.#desk.enter(this.#newId(), cost, id, signal, maxWaitMs, refundMs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Admits now or resolves `undefined`; never queues, and `undefined` while anyone waits (in any process). At most `commandTimeoutMs`. */
  async tryAcquire(cost: number = 1): Promise<RedisPermit | undefined> {
    checkCost(cost, this.capacity);
    if (this.#closed) throw new LimiterClosedError();
    if (cost === 0) return new RedisPermit(0, '', 0, Infinity, zeroHooks);
    const lease = this.#newId();
    let reply: Reply;
    try {
      reply = await this.#runner.call('acquire', [lease, String(cost), '0', '-1']);
    } catch (error) {
      // It may have been admitted all the same: give it back (a lease; tokens stay spent).
      this.#giveBack(lease, cost);
      throw error;
    }
    if (reply.status !== 1) return undefined;
    const [ms = '0', fence = '0'] = reply.value.split(':');
    const validUntil = this.#keeper === undefined ? Infinity : validityEnd(reply.sentAt, Number(ms));
    if (validUntil <= systemClock.now()) {
      // The answer came too late to be sure the lease is still held.
      this.#giveBack(lease, cost);
      return undefined;
    }
    return this.#permit(cost, { ticket: lease, ms: Number(ms), fence: Number(fence) }, validUntil, this.#refundMs ?? 0);
  }

  /**
   * Acquires, calls `fn` with `{ signal, fencingToken }` (the signal aborts when the lease is
   * lost or the caller's signal aborts), and releases when it settles, without waiting for the
   * release to reach Redis (one that cannot is left to expire). Returns or rethrows `fn`'s result.
   */
  async run<T>(fn: (context: RunContext) => T | PromiseLike<T>, options?: AcquireOptions & { cost?: number }): Promise<T> {
    checkFunction('fn', fn);
    const permit = await this.acquire(options?.cost ?? 1, options);
    const [signal, dispose] = options?.signal === undefined ? [permit.signal, () => {}] : eitherSignal(permit.signal, options.signal);
    try {
      return await fn({ signal, fencingToken: permit.fencingToken });
    } finally {
      dispose();
      permit.release();
    }
  }

  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>, cost: number = 1): (...args: A) => Promise<Awaited<R>> {
    checkFunction('fn', fn);
    checkCost(cost, this.capacity);
    const run = <T>(f: () => T | PromiseLike<T>) => this.run(f, { cost });
    return function (this: unknown, ...args: A) {
      return run(() => fn.apply(this, args)) as Promise<Awaited<R>>;
    };
  }

  /**
   * Admits nobody, in any process, until `ms` from now on the server's clock (extends a pause,
   * never shortens it); waiters stay queued. `ms >= 0` or `Infinity`. The answer to a 429 with
   * `Retry-After` seen by any one process.
   */
  async pause(ms: number): Promise<void> {
    const delay = checkNumber('ms', ms, { allowInfinity: true });
    await this.#runner.call('pause', [String(delay === Infinity ? 1e15 : delay)]);
  }

  /** Ends a pause at once, for every process; waiters that fit are admitted. */
  async resume(): Promise<void> {
    await this.#runner.call('resume', []);
  }

  /** The largest cost that could be paid now (0 while paused), ignoring the queue. */
  get available(): Promise<number> {
    return this.#peek(0).then(([available]) => available);
  }

  /** Ms until `cost` could be paid if nobody else took anything (the queue ignored): 0 when now, Infinity when only a release can free it. */
  async retryAfterMs(cost: number = 1): Promise<number> {
    checkCost(cost, this.capacity);
    const [, ms] = await this.#peek(cost);
    return ms < 0 ? Infinity : ms;
  }

  async #peek(cost: number): Promise<[number, number]> {
    const [available = '0', ms = '-1'] = (await this.#runner.call('peek', [String(cost)])).value.split(':');
    return [Math.min(this.capacity, Number(available)), Number(ms)];
  }

  /** Rejects this instance's waiters (with `reason`, default a `LimiterClosedError`) and later calls; gives their tickets back. Held permits stay valid and renewed until released. */
  close(reason?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#desk.close(reason === undefined ? new LimiterClosedError() : reason);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #permit(cost: number, grant: Grant, validUntil: number, refundMs: number): RedisPermit {
    return this.#keeper?.permit(cost, grant, validUntil, refundMs) ?? new RedisPermit(cost, grant.ticket, grant.fence, Infinity, spentHooks);
  }

  #giveBack(lease: string, cost: number): void {
    if (this.#keeper !== undefined) this.#runner.call('cancel', [lease, String(cost), '0']).catch(() => {});
  }

  #newId(): string {
    return `${this.#idPrefix}.${(this.#seq++).toString(36)}`;
  }
}

