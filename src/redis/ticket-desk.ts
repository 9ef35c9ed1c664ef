import { systemClock } from '../core/clock.js';
import { MaxWaitExceededError } from '../core/errors.js';
import { validityEnd } from './redis-permit.js';
import type { RedisGateConfig } from './redis-options.js';
import type { Grant, Reply } from './script-runner.js';
import { Ticket, TicketBook } from './tickets.js';
import { WakeLoop } from './wake-loop.js';
import { WakeSubscription } from './wake-subscription.js';

/**
 * What the desk needs from its limiter.
 *
 * @example
 * ```ts
 * const hooks = { release: async () => {}, expired: () => {} };
 * const host: DeskHost<RedisPermit> = { call: (op, args) => runner.call(op, args), makePermit: (w, grant, until) => new RedisPermit(w.cost, grant.ticket, grant.fence, until, hooks) };
 * ```
 */
export interface DeskHost<P> {
  call(op: string, args: string[]): Promise<Reply>;
  /** A permit for `w`, granted `grant`, known valid until the local instant `validUntil` (Infinity without leases). */
  makePermit(w: Ticket, grant: Grant, validUntil: number): P;
}

const noop = (): void => {};

/**
 * This instance's side of waiting. The server decides; this side places each waiter's ticket,
 * learns of its grant (from any reply, a wake-up message, or a poll), and undoes what the server
 * gave a waiter that left (abort, deadline, close, a failed call). With leases, a grant is only
 * ever counted from the send time of a call the server had seen before it granted: the call whose
 * reply reported it, or, for a wake-up message, the waiter's last heartbeat found still queued (the
 * server counts the lease from its latest heartbeat, never an earlier one). A message is only
 * that if its grant is newer than that heartbeat (its fence above what the heartbeat's reply
 * reported) and newer than any grant given back: a late message for a grant already gone is
 * never a permit. A grant learned too late to be sure is claimed with a poll instead, or given
 * back, and the waiter goes on waiting in its place.
 *
 * @example
 * ```ts
 * const desk = new TicketDesk(host, config, true);
 * const permit = await desk.enter('a3f09c1d2e4b5f60.7', 1, undefined, signal, 5_000);
 * ```
 */
export class TicketDesk<P> {
  readonly #host: DeskHost<P>;
  readonly #lease: boolean;
  readonly #book = new TicketBook();
  readonly #loop: WakeLoop;
  readonly #wakeUps: WakeSubscription;

  constructor(host: DeskHost<P>, config: RedisGateConfig, lease: boolean) {
    this.#host = host;
    this.#lease = lease;
    this.#loop = new WakeLoop(config.pollMs, config.ticketTtlMs, this.#book, {
      call: (op, args) => host.call(op, args),
      granted: (ticket, grant, sentAt) => this.#granted(ticket, grant, sentAt),
      drop: (w, error) => this.#drop(w, error),
    });
    this.#wakeUps = new WakeSubscription(config.redis, config.channel, config.commandTimeoutMs, this.#onMessage, () => void this.#loop.poll());
  }

  /** Waiters that are not admitted yet. */
  get size(): number {
    return this.#book.size;
  }

  /** Resolves once the server grants `ticket`; rejects on abort, after `maxWaitMs`, on close, or if a call fails. */
  enter(ticket: string, cost: number, id: string | number | undefined, signal: AbortSignal | undefined, maxWaitMs: number | undefined, refundMs = 0): Promise<P> {
    const w = new Ticket(ticket, cost, id, systemClock.now(), maxWaitMs, this.#onAbort);
    w.refundMs = refundMs;
    const promise = w.promise as Promise<P>;
    this.#book.add(w, signal);
    if (w.deadline !== Infinity) this.#loop.arm();
    void this.#send(w);
    return promise;
  }

  /** Every reply of this limiter, whoever called: what it granted to this instance, and the head hint. */
  notice(reply: Reply): void {
    if (this.#book.size === 0) return;
    for (const grant of reply.grants) this.#granted(grant.ticket, grant, reply.sentAt);
    this.#loop.hint(reply.head, reply.delay);
    this.#loop.arm();
  }

  /** Rejects every waiter with `error` and gives their tickets back; nothing is looked for again. */
  close(error: unknown): void {
    this.#loop.stop();
    for (const w of this.#book.all()) this.#drop(w, error);
    this.#wakeUps.stop();
  }

  async #send(w: Ticket): Promise<void> {
    const late = w.maxWaitMs === undefined || w.maxWaitMs === Infinity ? '-1' : String(w.maxWaitMs);
    const sentAt = systemClock.now();
    let reply: Reply;
    try {
      reply = await this.#host.call('acquire', [w.ticket, String(w.cost), '1', late]);
    } catch (error) {
      // It may have reached the server all the same: give back what it placed or granted.
      this.#cancel(w.ticket, w.cost, false);
      if (w.queued) {
        this.#leave(w);
        w.reject(error);
      }
      return;
    }
    const { status } = reply;
    if (!w.queued) {
      // It left (abort, deadline, close) while the call was out: undo what the server gave it.
      if (status === 1 || status === 2) this.#cancel(w.ticket, w.cost, status === 1);
      return;
    }
    if (status === 1) {
      const [ms = '0', fence = '0'] = reply.value.split(':');
      return this.#admit(w, { ticket: w.ticket, ms: Number(ms), fence: Number(fence) }, sentAt);
    }
    if (status === 3) return this.#drop(w, new MaxWaitExceededError(w.maxWaitMs!, 0));
    if (status === 4) return this.#tooBig(w, Number(reply.value));
    if (status !== 2) return this.#drop(w, new Error(`tollgate/redis: unexpected acquire status ${status}`));
    w.placed = true;
    w.score = reply.value;
    w.confirmedAt = sentAt;
    if (w.early !== undefined) return this.#admit(w, w.early.grant, w.early.sentAt);
    this.#wakeUps.start();
    this.#loop.placed();
    if (w.hinted) void this.#loop.poll();
    this.#loop.hint(reply.head, reply.delay);
    this.#loop.arm();
  }

  #granted(ticket: string, grant: Grant, sentAt: number): void {
    const w = this.#book.get(ticket);
    if (w === undefined) return;
    if (w.placed) this.#admit(w, grant, sentAt);
    else w.early = { grant, sentAt };
  }

  #admit(w: Ticket, grant: Grant, sentAt: number): void {
    if (grant.ms < 0) return this.#tooBig(w, grant.fence);
    const validUntil = this.#lease ? validityEnd(sentAt, grant.ms) : Infinity;
    if (validUntil <= systemClock.now()) {
      // Learned too late to be sure the lease is still held (a stall, a pause): never handed out.
      // Given back, and looked for again: a poll puts the ticket back at its own arrival score.
      // A wake-up message for this grant may still be on its way: it is old from now on.
      w.seenFence = Math.max(w.seenFence, grant.fence);
      w.early = undefined;
      this.#cancel(w.ticket, w.cost, false);
      if (w.placed) void this.#loop.poll();
      else void this.#send(w);
      return;
    }
    this.#leave(w);
    w.resolve(this.#host.makePermit(w, grant, validUntil) as never);
  }

  /** A lowered capacity can never pay `w`: the server has already dropped its ticket. */
  #tooBig(w: Ticket, capacity: number): void {
    this.#leave(w);
    w.reject(new RangeError(`cost must be a finite number from 0 to the capacity ${capacity}; got ${w.cost}`));
  }

  /** Rejects a waiter with `error` and gives back its place (or what it was granted meanwhile). */
  #drop(w: Ticket, error: unknown): void {
    this.#leave(w);
    w.reject(error);
    if (w.placed) this.#cancel(w.ticket, w.cost, false);
  }

  #leave(w: Ticket): void {
    this.#book.remove(w);
    if (this.#book.size === 0) this.#loop.idle();
    this.#loop.arm();
  }

  /** Best effort: if the call fails, the ticket's heartbeat lapses (or its lease expires) and the server drops it anyway. */
  #cancel(ticket: string, cost: number, admitted: boolean): void {
    this.#host.call('cancel', [ticket, String(cost), admitted ? '1' : '0']).then(() => this.#loop.arm(), noop);
  }

  readonly #onMessage = (grants: Grant[], head: string, delay: number): void => {
    if (this.#book.size === 0) return;
    let claim = false;
    for (const grant of grants) {
      const w = this.#book.get(grant.ticket);
      if (w === undefined) continue;
      // Without leases there is nothing to be valid for: the message is the grant.
      if (!this.#lease) this.#granted(grant.ticket, grant, systemClock.now());
      else if (!w.placed) w.hinted = true;
      else if (grant.fence > w.seenFence && grant.hold !== undefined && validityEnd(w.confirmedAt, grant.hold) > systemClock.now()) {
        // Newer than the last heartbeat found queued, so counted from it: a hand-off without a claim.
        this.#admit(w, { ticket: grant.ticket, ms: grant.hold, fence: grant.fence }, w.confirmedAt);
      } else {
        // Too old to count from that heartbeat, or a grant already gone (given back, expired
        // unclaimed) whose message came late: only a poll can tell what the server holds now.
        claim = true;
      }
    }
    if (claim) void this.#loop.poll();
    this.#loop.hint(head, delay);
    this.#loop.arm();
  };

  readonly #onAbort = (w: Ticket): void => {
    if (!w.queued) return;
    this.#drop(w, w.signal!.reason);
  };
}
