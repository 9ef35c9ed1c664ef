import { randomBytes } from 'node:crypto';
import { MAX_TIMER_DELAY, systemClock } from '../core/clock.js';
import { DeadlineHeap } from '../core/deadline-heap.js';
import { LimiterClosedError, MaxWaitExceededError } from '../core/errors.js';
import type { AcquireOptions, Permit } from '../core/types.js';
import { checkCost, checkFunction, checkId, checkNumber, checkObject, checkSignal, optionalNumber } from '../core/validate.js';
import { Waiter } from '../core/waiter-queue.js';
import type { RedisScriptClient } from './adapters.js';
import { RedisLimiterError } from './errors.js';

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

/** What a limiter kind hands its base. */
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

/** A parsed reply: status, an op's value, what the script granted, and the queue head with the ms until it may fit. */
export interface Reply {
  status: number;
  value: string;
  head: string;
  delay: number;
}

const KEYS = ['s', 'q', 'w', 'c', 'x'];
const noop = (): void => {};
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

class Ticket extends Waiter {
  /** The server holds it in its queue: the acquire reply came back with status 2. */
  placed = false;
  score = '';
  /** Granted before the acquire reply came back: when its grant stops being valid. */
  early: number | undefined = undefined;
  constructor(readonly ticket: string, cost: number, id: string | number | undefined, since: number, deadline: number, onAbort: (w: Waiter) => void) {
    super(cost, id, 0, since, deadline, onAbort);
  }
}

/**
 * The client half shared by the Redis limiters: local waiters keyed by their server ticket, one
 * timer (next poll, head hint, earliest deadline), pub/sub wake-ups. The server decides; this side
 * only learns of grants (from any reply, a message, or a poll) and undoes what a waiter that left
 * was given.
 *
 * @example
 * ```ts
 * const semaphore: RedisGate = new RedisSemaphore({ redis, name: 'api', capacity: 3, leaseMs: 30_000 });
 * ```
 */
export abstract class RedisGate implements Disposable {
  readonly name: string;
  readonly capacity: number;
  readonly #redis: RedisScriptClient;
  readonly #script: string;
  readonly #keys: string[];
  readonly #channel: string;
  readonly #config: string[];
  readonly #holdMs: number;
  readonly #provable: boolean;
  readonly #pollMs: number;
  readonly #maxWaitMs: number | undefined;
  readonly #idPrefix = randomBytes(8).toString('base64url');
  #seq = 0;
  readonly #waiters = new Map<string, Ticket>();
  readonly #deadlines = new DeadlineHeap();
  #timer: unknown = undefined;
  #timerAt = Infinity;
  #pollAt = Infinity;
  #hintAt = Infinity;
  #polling = false;
  #pollAgain = false;
  #subscription: Promise<(() => Promise<void>) | undefined> | undefined;
  #closed = false;

  protected constructor(o: RedisLimiterOptions, setup: RedisGateSetup) {
    const redis = o.redis;
    if (typeof redis?.evalScript !== 'function') {
      throw new TypeError(`redis must have evalScript(script, keys, args): use fromIoredis(client) or fromNodeRedis(client); got ${String(redis)}`);
    }
    if (typeof o.name !== 'string' || o.name === '') throw new TypeError(`name must be a non-empty string; got ${JSON.stringify(o.name)}`);
    const prefix = o.prefix ?? 'tollgate';
    if (typeof prefix !== 'string') throw new TypeError(`prefix must be a string; got ${String(prefix)}`);
    this.#maxWaitMs = o.maxWaitMs === undefined ? undefined : checkNumber('maxWaitMs', o.maxWaitMs, { allowInfinity: true });
    const pollMs = optionalNumber('pollMs', o.pollMs, redis.subscribe ? 1000 : 100, { positive: true });
    this.#pollMs = Math.max(1, Math.min(pollMs, setup.maxPollMs));
    // A waiter that stops polling (its process died) blocks the head for at most this long.
    const ticketTtl = Math.ceil(3 * this.#pollMs + 1000);
    const keyTtl = Math.min(1e12, Math.ceil(Math.max(setup.idleMs, ticketTtl) + 1000));
    // One hash tag: every key of one limiter lands in one cluster slot, as a script needs.
    const base = `${prefix}:${setup.kind}:{${o.name}}`;
    this.name = o.name;
    this.capacity = setup.capacity;
    this.#redis = redis;
    this.#script = setup.script;
    this.#keys = KEYS.map((k) => `${base}:${k}`);
    this.#channel = `${base}:wake`;
    this.#config = [this.#channel, String(setup.capacity), String(ticketTtl), String(keyTtl), ...setup.params.map(String)];
    this.#holdMs = setup.holdMs;
    this.#provable = setup.provable;
  }

  /** Waiters of this instance (this process) that are not admitted yet. */
  get pending(): number {
    return this.#waiters.size;
  }

  /** The keys this limiter uses in Redis (for inspection and tests). */
  get keys(): readonly string[] {
    return this.#keys;
  }

  acquire(cost: number = 1, options?: AcquireOptions): Promise<Permit> {
    try {
      checkCost(cost, this.capacity);
      const o = checkObject('options', options) as AcquireOptions;
      const signal = checkSignal(o.signal);
      const maxWaitMs = o.maxWaitMs === undefined ? this.#maxWaitMs : checkNumber('maxWaitMs', o.maxWaitMs, { allowInfinity: true });
      const id = checkId(o.id);
      signal?.throwIfAborted();
      if (this.#closed) throw new LimiterClosedError();
      if (cost === 0) return Promise.resolve(this.makePermit('', 0, id, Infinity));
      return this.#enter(cost, id, signal, maxWaitMs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Admits now or resolves `undefined`; never queues, and `undefined` while anyone waits (in any process). */
  async tryAcquire(cost: number = 1): Promise<Permit | undefined> {
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
    checkFunction('fn', fn);
    checkCost(cost, this.capacity);
    const gate = this;
    return function (this: unknown, ...args: A) {
      return gate.run(() => fn.apply(this, args), { cost }) as Promise<Awaited<R>>;
    };
  }

  /** Rejects this instance's waiters (with `reason`, default a `LimiterClosedError`) and later calls; gives their tickets back. Held permits stay valid. */
  close(reason?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    const error = reason === undefined ? new LimiterClosedError() : reason;
    for (const w of [...this.#waiters.values()]) this.#drop(w, error);
    this.#arm();
    const subscription = this.#subscription;
    this.#subscription = undefined;
    void subscription?.then((unsubscribe) => unsubscribe?.()).catch(noop);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  protected abstract makePermit(lease: string, cost: number, id: string | number | undefined, validUntil: number): Permit;

  /** One script call; what it granted and the head hint are taken in here, whoever called. */
  protected async call(op: string, args: string[]): Promise<Reply> {
    const sentAt = systemClock.now();
    let raw: unknown;
    try {
      raw = await this.#redis.evalScript(this.#script, this.#keys, [op, ...this.#config, ...args]);
    } catch (cause) {
      throw new RedisLimiterError(`tollgate/redis: ${op} on "${this.name}" failed: ${messageOf(cause)}`, { cause });
    }
    if (!Array.isArray(raw) || raw.length < 5) {
      throw new RedisLimiterError(`tollgate/redis: ${op} on "${this.name}" got an unexpected reply: ${JSON.stringify(raw)}`);
    }
    const reply = { status: Number(raw[0]), value: String(raw[1]), head: String(raw[3]), delay: Number(raw[4]) };
    this.#notice(String(raw[2]), reply.head, reply.delay, sentAt);
    return reply;
  }

  #newId(): string {
    return `${this.#idPrefix}.${(this.#seq++).toString(36)}`;
  }

  #enter(cost: number, id: string | number | undefined, signal: AbortSignal | undefined, maxWaitMs: number | undefined): Promise<Permit> {
    const now = systemClock.now();
    const deadline = maxWaitMs === undefined ? Infinity : now + maxWaitMs;
    const w = new Ticket(this.#newId(), cost, id, now, deadline, this.#onAbort);
    const promise = new Promise<Permit>((resolve, reject) => {
      w.resolve = resolve;
      w.reject = reject;
    });
    w.pos = 0;
    this.#waiters.set(w.ticket, w);
    if (signal !== undefined) {
      w.signal = signal;
      signal.addEventListener('abort', w, { once: true });
    }
    if (deadline !== Infinity) {
      this.#deadlines.push(w);
      this.#arm();
    }
    void this.#send(w, maxWaitMs);
    return promise;
  }

  async #send(w: Ticket, maxWaitMs: number | undefined): Promise<void> {
    const sentAt = systemClock.now();
    const late = this.#provable && maxWaitMs !== undefined && maxWaitMs !== Infinity ? String(maxWaitMs) : '-1';
    let reply: Reply;
    try {
      reply = await this.call('acquire', [w.ticket, String(w.cost), '1', late]);
    } catch (error) {
      if (w.queued) this.#drop(w, error);
      return;
    }
    const { status } = reply;
    if (!w.queued) {
      // It left (abort, deadline, close) while the call was out: undo what the server gave it.
      if (status === 1 || status === 2) this.#cancel(w, status === 1);
      return;
    }
    if (status === 1) return this.#admit(w, sentAt + this.#holdMs);
    if (status === 3) return this.#drop(w, new MaxWaitExceededError(maxWaitMs!, 0));
    w.placed = true;
    w.score = reply.value;
    if (w.early !== undefined) return this.#admit(w, w.early);
    this.#subscribe();
    if (this.#pollAt === Infinity) this.#pollAt = systemClock.now() + this.#pollMs;
    this.#hint(reply.head, reply.delay);
    this.#arm();
  }

  #admit(w: Ticket, validUntil: number): void {
    this.#leave(w);
    w.resolve(this.makePermit(w.ticket, w.cost, w.id, validUntil));
  }

  /** Rejects a waiter with `error` and gives back its place (or what it was granted meanwhile). */
  #drop(w: Ticket, error: unknown): void {
    this.#leave(w);
    w.reject(error);
    if (w.placed) this.#cancel(w, false);
  }

  #leave(w: Ticket): void {
    w.pos = -1;
    this.#waiters.delete(w.ticket);
    w.signal?.removeEventListener('abort', w);
    if (w.deadline !== Infinity) this.#deadlines.forget();
    if (this.#waiters.size === 0) this.#pollAt = this.#hintAt = Infinity;
  }

  /** Best effort: if the call fails, the ticket's heartbeat lapses and the server drops it anyway. */
  #cancel(w: Ticket, admitted: boolean): void {
    this.call('cancel', [w.ticket, String(w.cost), admitted ? '1' : '0']).then(() => this.#arm(), noop);
  }

  readonly #onAbort = (waiter: Waiter): void => {
    const w = waiter as Ticket;
    if (!w.queued) return;
    this.#drop(w, w.signal!.reason);
    this.#arm();
  };

  readonly #onMessage = (message: string): void => {
    const [granted = '', head = '', delay = '-1'] = message.split('|');
    this.#notice(granted, head, Number(delay), systemClock.now());
  };

  /** `sentAt`: no later than the server's decision, so a lease is never thought valid past its expiry. */
  #notice(granted: string, head: string, delay: number, sentAt: number): void {
    if (this.#waiters.size === 0) return;
    for (const ticket of granted === '' ? [] : granted.split(',')) this.#granted(ticket, sentAt + this.#holdMs);
    this.#hint(head, delay);
    this.#arm();
  }

  /** The head may fit `delay` ms after the server looked; counted from now, after that look, so never early. */
  #hint(head: string, delay: number): void {
    const w = this.#waiters.get(head);
    if (w?.placed && delay >= 0) this.#hintAt = Math.min(this.#hintAt, systemClock.now() + Math.max(1, delay));
  }

  #granted(ticket: string, validUntil: number): void {
    const w = this.#waiters.get(ticket);
    if (w === undefined) return;
    if (w.placed) this.#admit(w, validUntil);
    else w.early = validUntil;
  }

  #subscribe(): void {
    const subscribe = this.#redis.subscribe;
    if (subscribe === undefined || this.#subscription !== undefined || this.#closed) return;
    this.#subscription = subscribe.call(this.#redis, this.#channel, this.#onMessage).then(
      (unsubscribe) => {
        // Grants published before the subscription took effect were missed: look once.
        void this.#poll();
        return unsubscribe;
      },
      () => (this.#subscription = undefined),
    );
  }

  /** One call for every placed waiter of this instance: heartbeats, grants missed, tickets the server lost. */
  async #poll(): Promise<void> {
    if (this.#polling) {
      this.#pollAgain = true;
      return;
    }
    const batch = [...this.#waiters.values()].filter((w) => w.placed);
    this.#hintAt = Infinity;
    if (batch.length === 0) {
      // Nobody placed yet: the acquire reply that places the first one starts the polling.
      this.#pollAt = Infinity;
      return;
    }
    this.#polling = true;
    this.#pollAt = systemClock.now() + this.#pollMs;
    const sentAt = systemClock.now();
    try {
      const reply = await this.call('poll', batch.flatMap((w) => [w.ticket, String(w.cost), w.score]));
      for (const entry of reply.value === '' ? [] : reply.value.split(',')) {
        const [ticket = '', msLeft = '0'] = entry.split(':');
        this.#granted(ticket, sentAt + Number(msLeft));
      }
    } catch (error) {
      for (const w of batch) if (w.queued) this.#drop(w, error);
    } finally {
      this.#polling = false;
      if (this.#pollAgain) {
        this.#pollAgain = false;
        void this.#poll();
      }
      this.#arm();
    }
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = systemClock.now();
    for (const waiter of this.#deadlines.due(now)) {
      const w = waiter as Ticket;
      this.#drop(w, new MaxWaitExceededError(w.deadline - w.since, now - w.since));
    }
    if (now >= Math.min(this.#pollAt, this.#hintAt)) void this.#poll();
    this.#arm();
  };

  /** One timer, kept alive by Node while anyone waits (a pending acquire needs it), gone otherwise. */
  #arm(): void {
    const at = this.#waiters.size === 0 || this.#closed ? Infinity : Math.min(this.#pollAt, this.#hintAt, this.#deadlines.next());
    if (at === this.#timerAt) return;
    if (this.#timer !== undefined) systemClock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === Infinity) return;
    const delay = Math.min(MAX_TIMER_DELAY, Math.max(1, Math.ceil(at - systemClock.now())));
    this.#timer = systemClock.setTimeout(this.#onTimer, delay);
  }
}
