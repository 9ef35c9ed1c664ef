import { systemClock } from '../core/clock.js';
import { MaxWaitExceededError } from '../core/errors.js';
import type { Permit } from '../core/types.js';
import type { LegacyWaiter as Waiter } from '../core/legacy-waiter.js';
import type { RedisGateConfig, RedisGateSetup } from './redis-options.js';
import type { Reply } from './script-runner.js';
import { Ticket, TicketBook } from './tickets.js';
import { WakeLoop } from './wake-loop.js';
import { WakeSubscription } from './wake-subscription.js';

/**
 * What the desk needs from its limiter.
 *
 * @example
 * ```ts
 * const host: DeskHost<LeasePermit> = { call: (op, args) => gate.call(op, args), makePermit: (lease, cost, id, until) => new LeasePermit(cost, lease, until, release) };
 * ```
 */
export interface DeskHost<P extends Permit> {
  call(op: string, args: string[]): Promise<Reply>;
  makePermit(lease: string, cost: number, id: string | number | undefined, validUntil: number): P;
}

const noop = (): void => {};

/**
 * This instance's side of waiting. The server decides; this side places each waiter's ticket,
 * learns of its grant (from any reply, a wake-up message or a poll), and undoes what the server
 * gave a waiter that left (abort, deadline, close, a failed call).
 *
 * @example
 * ```ts
 * const desk = new TicketDesk(host, config, setup);
 * const permit = await desk.enter('k3Jx9aQ2.7', 1, undefined, signal, 5_000);
 * ```
 */
export class TicketDesk<P extends Permit> {
  readonly #host: DeskHost<P>;
  readonly #holdMs: number;
  readonly #provable: boolean;
  readonly #book = new TicketBook();
  readonly #loop: WakeLoop;
  readonly #wakeUps: WakeSubscription;

  constructor(host: DeskHost<P>, config: RedisGateConfig, setup: RedisGateSetup) {
    this.#host = host;
    this.#holdMs = setup.holdMs;
    this.#provable = setup.provable;
    this.#loop = new WakeLoop(config.pollMs, this.#book, {
      call: (op, args) => host.call(op, args),
      granted: (ticket, validUntil) => this.#granted(ticket, validUntil),
      drop: (w, error) => this.#drop(w, error),
    });
    const onWake = (granted: string, head: string, delay: number): void => this.notice(granted, head, delay, systemClock.now());
    this.#wakeUps = new WakeSubscription(config.redis, config.channel, onWake, () => void this.#loop.poll());
  }

  /** Waiters that are not admitted yet. */
  get size(): number {
    return this.#book.size;
  }

  /** Resolves once the server grants `ticket`; rejects on abort, after `maxWaitMs`, on close, or if a call fails. */
  enter(ticket: string, cost: number, id: string | number | undefined, signal: AbortSignal | undefined, maxWaitMs: number | undefined): Promise<P> {
    const now = systemClock.now();
    const deadline = maxWaitMs === undefined ? Infinity : now + maxWaitMs;
    const w = new Ticket(ticket, cost, id, now, deadline, this.#onAbort);
    // The desk resolves each ticket with the permit its host makes (a P).
    const promise = w.promise() as Promise<P>;
    this.#book.add(w, signal);
    if (deadline !== Infinity) this.#loop.arm();
    void this.#send(w, maxWaitMs);
    return promise;
  }

  /** `sentAt`: no later than the server's decision, so a lease is never thought valid past its expiry. */
  notice(granted: string, head: string, delay: number, sentAt: number): void {
    if (this.#book.size === 0) return;
    for (const ticket of granted === '' ? [] : granted.split(',')) this.#granted(ticket, sentAt + this.#holdMs);
    this.#loop.hint(head, delay);
    this.#loop.arm();
  }

  /** Rejects every waiter with `error` and gives their tickets back; nothing is looked for again. */
  close(error: unknown): void {
    this.#loop.stop();
    for (const w of this.#book.all()) this.#drop(w, error);
    this.#loop.arm();
    this.#wakeUps.stop();
  }

  async #send(w: Ticket, maxWaitMs: number | undefined): Promise<void> {
    const sentAt = systemClock.now();
    const late = this.#provable && maxWaitMs !== undefined && maxWaitMs !== Infinity ? String(maxWaitMs) : '-1';
    let reply: Reply;
    try {
      reply = await this.#host.call('acquire', [w.ticket, String(w.cost), '1', late]);
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
    this.#wakeUps.start();
    this.#loop.placed();
    this.#loop.hint(reply.head, reply.delay);
    this.#loop.arm();
  }

  #granted(ticket: string, validUntil: number): void {
    const w = this.#book.get(ticket);
    if (w === undefined) return;
    if (w.placed) this.#admit(w, validUntil);
    else w.early = validUntil;
  }

  #admit(w: Ticket, validUntil: number): void {
    this.#leave(w);
    w.resolve(this.#host.makePermit(w.ticket, w.cost, w.id, validUntil));
  }

  /** Rejects a waiter with `error` and gives back its place (or what it was granted meanwhile). */
  #drop(w: Ticket, error: unknown): void {
    this.#leave(w);
    w.reject(error);
    if (w.placed) this.#cancel(w, false);
  }

  #leave(w: Ticket): void {
    this.#book.remove(w);
    if (this.#book.size === 0) this.#loop.idle();
  }

  /** Best effort: if the call fails, the ticket's heartbeat lapses and the server drops it anyway. */
  #cancel(w: Ticket, admitted: boolean): void {
    this.#host.call('cancel', [w.ticket, String(w.cost), admitted ? '1' : '0']).then(() => this.#loop.arm(), noop);
  }

  readonly #onAbort = (waiter: Waiter): void => {
    const w = waiter as Ticket;
    if (!w.queued) return;
    this.#drop(w, w.signal!.reason);
    this.#loop.arm();
  };
}
