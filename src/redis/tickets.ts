import { LegacyDeadlineHeap as DeadlineHeap } from '../core/legacy-waiter.js';
import { LegacyWaiter as Waiter } from '../core/legacy-waiter.js';

/**
 * One waiting `acquire` of this instance, known to the server by `ticket`.
 *
 * @example
 * ```ts
 * const w = new Ticket('k3Jx9aQ2.7', 2, 'job-7', now, now + 5_000, onAbort);
 * ```
 */
export class Ticket extends Waiter {
  /** The server holds it in its queue: the acquire reply came back with status 2. */
  placed = false;
  /** Its arrival score, sent with each poll so a server that lost its queue (a restart) puts it back in place. */
  score = '';
  /** Granted before the acquire reply came back: when its grant stops being valid. */
  early: number | undefined = undefined;
  constructor(readonly ticket: string, cost: number, id: string | number | undefined, since: number, deadline: number, onAbort: (w: Waiter) => void) {
    super(cost, id, 0, since, deadline, onAbort);
  }
}

/**
 * This instance's waiters by ticket, with their deadlines in core's heap (the one timer needs only
 * the earliest). A waiter is `queued` (`pos` 0) from `add` until `remove`: there is no local
 * queue order, the server keeps it.
 *
 * @example
 * ```ts
 * book.add(w, signal);
 * book.get(w.ticket) === w; // true until book.remove(w)
 * ```
 */
export class TicketBook {
  readonly #tickets = new Map<string, Ticket>();
  readonly #deadlines = new DeadlineHeap();

  get size(): number {
    return this.#tickets.size;
  }

  get(ticket: string): Ticket | undefined {
    return this.#tickets.get(ticket);
  }

  /** A copy, so callers may remove while they walk it. */
  all(): Ticket[] {
    return [...this.#tickets.values()];
  }

  placed(): Ticket[] {
    return this.all().filter((w) => w.placed);
  }

  add(w: Ticket, signal: AbortSignal | undefined): void {
    w.pos = 0;
    this.#tickets.set(w.ticket, w);
    if (signal !== undefined) {
      w.signal = signal;
      signal.addEventListener('abort', w, { once: true });
    }
    if (w.deadline !== Infinity) this.#deadlines.push(w);
  }

  remove(w: Ticket): void {
    w.pos = -1;
    this.#tickets.delete(w.ticket);
    w.signal?.removeEventListener('abort', w);
    if (w.deadline !== Infinity) this.#deadlines.forget();
  }

  /** The earliest deadline of a waiter here, or Infinity. */
  nextDeadline(): number {
    return this.#deadlines.next();
  }

  /** Waiters whose deadline is at or before `now`, earliest first; each stays here until `remove`. */
  due(now: number): Ticket[] {
    return this.#deadlines.due(now) as Ticket[];
  }
}
