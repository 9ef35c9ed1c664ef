import { systemClock } from '../core/clock.js';
import { LimiterClosedError, MaxWaitExceededError } from '../core/errors.js';
import { readServerReport } from '../server-report.js';
import type { AsyncLimiter, AsyncLimiterStats, RunContext } from './async-limiter.js';
import type { AcquireOptions } from '../core/types.js';
import { checkCost, checkFunction, isCost, throwBadCost, checkId, checkNumber, checkObject, checkSignal } from '../core/validate.js';
import { LeaseKeeper } from './lease-keeper.js';
import { resolveOptions, type RedisBudget, type RedisLimiterOptions } from './redis-options.js';
import { RedisPermit, validityEnd } from './redis-permit.js';
import { type Grant, type Reply, ScriptRunner } from './script-runner.js';
import { TicketDesk } from './ticket-desk.js';

export type { RunContext };

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
export abstract class RedisGate implements AsyncLimiter<RedisPermit> {
  readonly name: string;
  /** The largest cost, as the server last said (an `update` in any process may change it). */
  #capacity: number;
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
  #admitted = 0;
  #timedOut = 0;
  #aborted = 0;
  #rejected = 0;
  #held = 0;
  #running = 0;

  protected constructor(o: RedisLimiterOptions, budget: RedisBudget) {
    const config = resolveOptions(o, budget, this.#idPrefix);
    this.name = config.name;
    this.#capacity = budget.capacity;
    this.commandTimeoutMs = config.commandTimeoutMs;
    this.#keys = config.keys;
    this.#maxWaitMs = config.maxWaitMs;
    this.#refundMs = budget.refundMs;
    this.#runner = new ScriptRunner(config, (reply) => {
      if (reply.capacity > 0) this.#capacity = reply.capacity;
      this.#desk.notice(reply);
    });
    const call = (op: string, args: string[]): Promise<Reply> => this.#runner.call(op, args);
    this.#keeper = budget.holdMs > 0 ? new LeaseKeeper(budget.holdMs, call) : undefined;
    this.#desk = new TicketDesk<RedisPermit>({ call, makePermit: (w, grant, validUntil) => this.#permit(w.cost, grant, validUntil, w.refundMs) }, config, this.#keeper !== undefined);
  }

  /** Waiters of this instance (this process) that are not admitted yet. */
  get pending(): number {
    return this.#desk.size;
  }

  /** True when this instance has nobody waiting and no permit unreleased (a `KeyedLimiter` may then close it; its keys expire on the server). */
  get idle(): boolean {
    return this.#desk.size === 0 && this.#running === 0;
  }

  /** The largest cost that can ever be paid, as the server last said (an `update` in any process changes it). */
  get capacity(): number {
    return this.#capacity;
  }

  /** The keys this limiter uses in Redis (for inspection and tests): state, queue, heartbeats, costs, grants, guard. */
  get keys(): readonly string[] {
    return this.#keys;
  }

  acquire(cost: number = 1, options?: AcquireOptions): Promise<RedisPermit> {
    try {
      this.#checkCost(cost);
      const o = checkObject('options', options) as AcquireOptions & { refundMs?: number };
      const signal = checkSignal(o.signal);
      const maxWaitMs = o.maxWaitMs === undefined ? this.#maxWaitMs : checkNumber('maxWaitMs', o.maxWaitMs, { allowInfinity: true });
      const id = checkId(o.id);
      const refundMs = this.#refundMs === undefined || o.refundMs === undefined ? (this.#refundMs ?? 0) : checkNumber('refundMs', o.refundMs);
      signal?.throwIfAborted();
      if (this.#closed) throw new LimiterClosedError();
      if (cost === 0) return Promise.resolve(this.#track(new RedisPermit(0, '', 0, Infinity, zeroHooks)));
      return this.#desk.enter(this.#newId(), cost, id, signal, maxWaitMs, refundMs).then(
        (permit) => this.#track(permit),
        (error: unknown) => {
          if (error instanceof MaxWaitExceededError) this.#timedOut++;
          else if (signal?.aborted === true && error === signal.reason) this.#aborted++;
          else if (!this.#closed) this.#rejected++;
          throw error;
        },
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Admits now or resolves `undefined`; never queues, and `undefined` while anyone waits (in any process). At most `commandTimeoutMs`. */
  async tryAcquire(cost: number = 1): Promise<RedisPermit | undefined> {
    this.#checkCost(cost);
    if (this.#closed) throw new LimiterClosedError();
    if (cost === 0) return this.#track(new RedisPermit(0, '', 0, Infinity, zeroHooks));
    const lease = this.#newId();
    let reply: Reply;
    try {
      reply = await this.#runner.call('acquire', [lease, String(cost), '0', '-1']);
    } catch (error) {
      // It may have been admitted all the same: give it back (a lease; tokens stay spent).
      this.#giveBack(lease, cost);
      throw error;
    }
    if (reply.status === 4) throwBadCost(cost, Number(reply.value), 'cost');
    if (reply.status !== 1) return undefined;
    const [ms = '0', fence = '0'] = reply.value.split(':');
    const validUntil = this.#keeper === undefined ? Infinity : validityEnd(reply.sentAt, Number(ms));
    if (validUntil <= systemClock.now()) {
      // The answer came too late to be sure the lease is still held.
      this.#giveBack(lease, cost);
      return undefined;
    }
    return this.#track(this.#permit(cost, { ticket: lease, ms: Number(ms), fence: Number(fence) }, validUntil, this.#refundMs ?? 0));
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

  /**
   * A snapshot: `available` and `pausedUntil` from the server (one call), the counts this
   * instance's own (`rejected`: waiters rejected because a Redis call failed).
   */
  async stats(): Promise<AsyncLimiterStats> {
    const [available, , pausedUntil] = await this.#peek(0);
    return {
      available,
      pending: this.#desk.size,
      admitted: this.#admitted,
      timedOut: this.#timedOut,
      aborted: this.#aborted,
      rejected: this.#rejected,
      held: this.#held,
      running: this.#running,
      pausedUntil,
    };
  }

  /**
   * Feeds a server's answer to every process: a `ServerReport` or a response (fetch, node:http,
   * axios, got). A 429 or 503 with `Retry-After` (or `retryAfterMs`) pauses on the server;
   * `remaining` + `resetInMs` caps what is admitted before the reset, across every process, on
   * top of the limiter's own budget (a newer report replaces the older). At most two calls.
   */
  async observe(input: unknown): Promise<void> {
    const report = readServerReport(input);
    const calls: Promise<unknown>[] = [];
    if (report.retryAfterMs !== undefined) calls.push(this.pause(report.retryAfterMs));
    if (report.remaining !== undefined && report.resetInMs !== undefined && report.resetInMs > 0) {
      calls.push(this.#runner.call('cap', [String(report.remaining), String(report.resetInMs)]));
    }
    await Promise.all(calls);
  }

  /** [available, ms until `cost` fits or -1, pausedUntil on this process's clock or undefined]. */
  async #peek(cost: number): Promise<[number, number, number | undefined]> {
    const sentAt = systemClock.now();
    const [available = '0', ms = '-1', paused = '0'] = (await this.#runner.call('peek', [String(cost)])).value.split(':');
    const pausedMs = Number(paused);
    const pausedUntil = pausedMs > 0 ? (pausedMs >= 1e14 ? Infinity : sentAt + pausedMs) : undefined;
    return [Math.min(this.capacity, Number(available)), Number(ms), pausedUntil];
  }

  /**
   * A cost above the capacity this instance knows of still goes to the server, which may know a
   * larger one (an update by another process) and refuses it otherwise (a `RangeError` all the same).
   */
  #checkCost(cost: number): void {
    if (!isCost(cost, Infinity)) throwBadCost(cost, this.#capacity, 'cost');
  }

  /** Numeric options stored on the server, for every process (each kind names its own). */
  abstract update(options: Record<string, unknown>): Promise<void>;

  /**
   * Stores numeric options on the server, for every process: `[index, value]` pairs, index 0 the
   * capacity, i the budget's P[i]. Waiters (in any process) whose cost a lowered capacity can
   * never pay reject with a `RangeError`.
   */
  protected async sendUpdate(pairs: ReadonlyArray<readonly [number, number]>): Promise<void> {
    if (this.#closed) throw new LimiterClosedError();
    await this.#runner.call('update', pairs.flatMap(([i, v]) => [String(i), String(v)]));
  }

  #track(permit: RedisPermit): RedisPermit {
    this.#admitted++;
    this.#held += permit.cost;
    this.#running++;
    return permit.onRelease(() => {
      this.#held -= permit.cost;
      this.#running--;
    });
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

