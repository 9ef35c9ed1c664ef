import { systemClock } from '../core/clock.js';
import { MaxWaitExceededError } from '../core/errors.js';
import type { Grant, Reply } from './script-runner.js';
import type { Ticket, TicketBook } from './tickets.js';
import { WakeTimer } from '../core/wake-timer.js';

/**
 * What the loop needs from its desk: the script call, and what to do with what a poll or a
 * deadline decides.
 *
 * @example
 * ```ts
 * const host: WakeHost = { call: (op, args) => runner.call(op, args), granted: admitByTicket, drop: reject };
 * ```
 */
export interface WakeHost {
  call(op: string, args: string[]): Promise<Reply>;
  /** The server granted `ticket`, learned by a call sent at the local instant `sentAt`. */
  granted(ticket: string, grant: Grant, sentAt: number): void;
  /** `w` leaves with `error`, and whatever the server holds for it is given back. */
  drop(w: Ticket, error: unknown): void;
}

/**
 * When this instance looks at the server again while its waiters wait: one timer for the earliest
 * of the next poll, the head hint and the earliest deadline. The poll is each placed ticket's
 * heartbeat, the claim of a lease granted to it, and the fallback for a wake-up message that was
 * missed or never sent. Deadlines fire on this timer whatever calls are out, so `maxWaitMs` holds
 * whatever Redis does.
 *
 * @example
 * ```ts
 * const loop = new WakeLoop(1000, 30_000, book, host);
 * loop.placed(); // a first ticket is in the server's queue: poll a second from now
 * loop.arm();
 * ```
 */
export class WakeLoop {
  readonly #pollMs: number;
  readonly #ticketTtlMs: number;
  readonly #book: TicketBook;
  readonly #host: WakeHost;
  // Kept alive by Node while anyone waits (a pending acquire needs it); cleared otherwise.
  readonly #timer = new WakeTimer(systemClock, () => this.#onTimer());
  #pollAt = Infinity;
  #hintAt = Infinity;
  #polling = false;
  #pollAgain = false;
  #stopped = false;

  constructor(pollMs: number, ticketTtlMs: number, book: TicketBook, host: WakeHost) {
    this.#pollMs = pollMs;
    this.#ticketTtlMs = ticketTtlMs;
    this.#book = book;
    this.#host = host;
  }

  /** A ticket was placed in the server's queue: its heartbeats start, unless they already run. */
  placed(): void {
    if (this.#pollAt === Infinity) this.#pollAt = systemClock.now() + this.#pollMs;
  }

  /** The head may fit `delay` ms after the server looked; counted from now, after that look, so never early. */
  hint(head: string, delay: number): void {
    const w = this.#book.get(head);
    if (w?.placed && delay >= 0) this.#hintAt = Math.min(this.#hintAt, systemClock.now() + Math.max(1, delay));
  }

  /** Nobody waits here: nothing to look for until a ticket is placed again. */
  idle(): void {
    this.#pollAt = this.#hintAt = Infinity;
  }

  /** For good (the limiter closed): the timer is never armed again. */
  stop(): void {
    this.#stopped = true;
    this.#timer.arm(Infinity, systemClock.now());
  }

  /** One call for every placed waiter of this instance: heartbeats, grants to claim, tickets the server lost. */
  async poll(): Promise<void> {
    // Polls never overlap: one asked for while another is out runs right after it.
    if (this.#polling) {
      this.#pollAgain = true;
      return;
    }
    const batch = this.#book.placed();
    this.#hintAt = Infinity;
    if (batch.length === 0 || this.#stopped) {
      // Nobody placed yet: the acquire reply that places the first one starts the polling.
      this.#pollAt = Infinity;
      return;
    }
    this.#polling = true;
    const sentAt = systemClock.now();
    this.#pollAt = sentAt + this.#pollMs;
    try {
      const reply = await this.#host.call('poll', batch.flatMap((w) => [w.ticket, String(w.cost), w.score]));
      const [seen = '0', list = ''] = reply.value.split('|');
      const grants = list === '' ? [] : list.split(',').map((entry) => entry.split(':'));
      const granted = new Set(grants.map(([ticket]) => ticket));
      for (const w of batch) {
        // Only a ticket the server found queued (or put back) had its heartbeat refreshed; one it
        // found granted keeps the lease counted from an earlier heartbeat.
        if (!w.queued || granted.has(w.ticket)) continue;
        w.confirmedAt = sentAt;
        w.seenFence = Math.max(w.seenFence, Number(seen));
      }
      for (const [ticket = '', ms = '0', fence = '0'] of grants) {
        this.#host.granted(ticket, { ticket, ms: Number(ms), fence: Number(fence) }, sentAt);
      }
    } catch (error) {
      // A failed poll is tried again at the next one; a waiter whose heartbeat has lapsed on the
      // server meanwhile (so its place is gone) leaves with the error: never waiting on nothing.
      const now = systemClock.now();
      for (const w of batch) if (w.queued && now - w.confirmedAt >= this.#ticketTtlMs) this.#host.drop(w, error);
    } finally {
      this.#polling = false;
      if (this.#pollAgain) {
        this.#pollAgain = false;
        void this.poll();
      }
      this.arm();
    }
  }

  /** One timer, kept alive by Node while anyone waits, gone otherwise. */
  arm(): void {
    const at = this.#book.size === 0 || this.#stopped ? Infinity : Math.min(this.#pollAt, this.#hintAt, this.#book.nextDeadline());
    this.#timer.arm(at, systemClock.now());
  }

  #onTimer(): void {
    const now = systemClock.now();
    for (let w = this.#book.firstDue(now); w !== undefined; w = this.#book.firstDue(now)) {
      this.#host.drop(w, new MaxWaitExceededError(w.maxWaitMs!, now - w.since));
    }
    if (now >= Math.min(this.#pollAt, this.#hintAt)) void this.poll();
    this.arm();
  }
}
