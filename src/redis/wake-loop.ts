import { systemClock } from '../core/clock.js';
import { WakeTimer } from '../core/wake-timer.js';
import { MaxWaitExceededError } from '../core/errors.js';
import type { Reply } from './script-runner.js';
import type { Ticket, TicketBook } from './tickets.js';

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
  /** The server granted `ticket`; the grant is valid until the local instant `validUntil`. */
  granted(ticket: string, validUntil: number): void;
  /** `w` leaves with `error`, and whatever the server holds for it is given back. */
  drop(w: Ticket, error: unknown): void;
}

/**
 * When this instance looks at the server again while its waiters wait: one timer for the earliest
 * of the next poll, the head hint and the earliest deadline. The poll is each placed ticket's
 * heartbeat and the fallback for a wake-up message that was missed or never sent.
 *
 * @example
 * ```ts
 * const loop = new WakeLoop(1000, book, host);
 * loop.placed(); // a first ticket is in the server's queue: poll a second from now
 * loop.arm();
 * ```
 */
export class WakeLoop {
  readonly #pollMs: number;
  readonly #book: TicketBook;
  readonly #host: WakeHost;
  readonly #timer = new WakeTimer(systemClock, () => this.#onTimer());
  #pollAt = Infinity;
  #hintAt = Infinity;
  #polling = false;
  #pollAgain = false;
  #stopped = false;

  constructor(pollMs: number, book: TicketBook, host: WakeHost) {
    this.#pollMs = pollMs;
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
  }

  /** One call for every placed waiter of this instance: heartbeats, grants missed, tickets the server lost. */
  async poll(): Promise<void> {
    // Polls never overlap: one asked for while another is out runs right after it.
    if (this.#polling) {
      this.#pollAgain = true;
      return;
    }
    const batch = this.#book.placed();
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
      const reply = await this.#host.call('poll', batch.flatMap((w) => [w.ticket, String(w.cost), w.score]));
      for (const entry of reply.value === '' ? [] : reply.value.split(',')) {
        const [ticket = '', msLeft = '0'] = entry.split(':');
        this.#host.granted(ticket, sentAt + Number(msLeft));
      }
    } catch (error) {
      for (const w of batch) if (w.queued) this.#host.drop(w, error);
    } finally {
      this.#polling = false;
      if (this.#pollAgain) {
        this.#pollAgain = false;
        void this.poll();
      }
      this.arm();
    }
  }

  /** One timer, kept alive by Node while anyone waits (a pending acquire needs it), gone otherwise. */
  arm(): void {
    const at = this.#book.size === 0 || this.#stopped ? Infinity : Math.min(this.#pollAt, this.#hintAt, this.#book.nextDeadline());
    this.#timer.arm(at, systemClock.now());
  }

  #onTimer(): void {
    const now = systemClock.now();
    for (const w of this.#book.due(now)) this.#host.drop(w, new MaxWaitExceededError(w.deadline - w.since, now - w.since));
    if (now >= Math.min(this.#pollAt, this.#hintAt)) void this.poll();
    this.arm();
  }
}
