import type { Grant } from './script-runner.js';

/**
 * One waiting `acquire` of this instance, known to the server by `ticket`. Its own abort
 * listener (`handleEvent`), so a signal costs no closure.
 *
 * @example
 * ```ts
 * const w = new Ticket('a3f09c1d2e4b5f60.7', 2, 'job-7', now, 5_000, onAbort);
 * ```
 */
export class Ticket {
  /** In the book (waiting, locally) until it is admitted or leaves. */
  queued = true;
  /** The server holds it in its queue: the acquire reply came back with status 2. */
  placed = false;
  /** Its arrival score, sent with each poll so a server that lost its queue puts it back in place. */
  score = '';
  /**
   * The send time of its last heartbeat (acquire or poll) whose reply found it still queued: the
   * server counts a queued ticket's lease from its latest heartbeat, so never earlier than this.
   * A poll that found it granted refreshed nothing, so it leaves this alone.
   */
  confirmedAt = 0;
  /**
   * No grant to it with a fence at or below this is held for it any more: one it gave back, or
   * one older than a heartbeat that found it queued (the poll reports the fence then). A wake-up
   * message that arrives late for such a grant is never taken as a grant.
   */
  seenFence = 0;
  /** Granted before its acquire reply came back: the grant and the send time of the call that learned it. */
  early: { grant: Grant; sentAt: number } | undefined = undefined;
  /** A wake-up message said it was granted, before it was placed: claim it once placed. */
  hinted = false;
  signal: AbortSignal | undefined = undefined;
  /** Ms after its release at which its cost comes back (budgets with refunds). */
  refundMs = 0;
  /** Index in the deadline heap, or -1. */
  slot = -1;
  resolve!: (value: never) => void;
  reject!: (reason: unknown) => void;
  readonly promise: Promise<unknown>;
  /** `since + maxWaitMs`, or Infinity. */
  readonly deadline: number;

  constructor(
    readonly ticket: string,
    readonly cost: number,
    readonly id: string | number | undefined,
    readonly since: number,
    /** As the caller gave it (errors report it exactly), or undefined. */
    readonly maxWaitMs: number | undefined,
    readonly onAbort: (w: Ticket) => void,
  ) {
    this.deadline = maxWaitMs === undefined ? Infinity : since + maxWaitMs;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve as (value: never) => void;
      this.reject = reject;
    });
  }

  handleEvent(): void {
    this.onAbort(this);
  }
}

/**
 * This instance's waiters by ticket, with their deadlines in a binary min-heap (the one timer
 * needs only the earliest; add and remove are O(log n)). There is no local queue order: the
 * server keeps it.
 *
 * @example
 * ```ts
 * book.add(w, signal);
 * book.get(w.ticket) === w; // true until book.remove(w)
 * ```
 */
export class TicketBook {
  readonly #tickets = new Map<string, Ticket>();
  readonly #heap: Ticket[] = [];

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
    this.#tickets.set(w.ticket, w);
    if (signal !== undefined) {
      w.signal = signal;
      signal.addEventListener('abort', w, { once: true });
    }
    if (w.deadline !== Infinity) {
      w.slot = this.#heap.push(w) - 1;
      this.#up(w.slot);
    }
  }

  remove(w: Ticket): void {
    w.queued = false;
    this.#tickets.delete(w.ticket);
    w.signal?.removeEventListener('abort', w);
    if (w.slot >= 0) {
      const i = w.slot;
      const last = this.#heap.pop()!;
      w.slot = -1;
      if (last !== w) {
        this.#heap[i] = last;
        last.slot = i;
        this.#down(i);
        this.#up(i);
      }
    }
  }

  /** The earliest deadline of a waiter here, or Infinity. */
  nextDeadline(): number {
    return this.#heap[0]?.deadline ?? Infinity;
  }

  /** The waiter with the earliest deadline if it is at or before `now` (it stays here until `remove`). */
  firstDue(now: number): Ticket | undefined {
    const w = this.#heap[0];
    return w !== undefined && w.deadline <= now ? w : undefined;
  }

  #up(i: number): void {
    const heap = this.#heap;
    const w = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (heap[parent]!.deadline <= w.deadline) break;
      heap[i] = heap[parent]!;
      heap[i]!.slot = i;
      i = parent;
    }
    heap[i] = w;
    w.slot = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const w = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap[child + 1]!.deadline < heap[child]!.deadline) child++;
      if (heap[child]!.deadline >= w.deadline) break;
      heap[i] = heap[child]!;
      heap[i]!.slot = i;
      i = child;
    }
    heap[i] = w;
    w.slot = i;
  }
}
