import type { SignalLink, Waiter } from './waiter.js';

/** The waiters of one limiter that share one signal, linked in arrival order; its one listener. */
class SignalGroup {
  first: Waiter | undefined = undefined;
  last: Waiter | undefined = undefined;
  constructor(
    readonly signal: AbortSignal,
    readonly owner: SignalGroups,
  ) {}

  handleEvent(): void {
    this.owner.aborted(this);
  }
}

/**
 * One abort listener per distinct signal, not per waiter: EventTarget walks its listener list on
 * every add and remove, so thousands of waiters sharing one signal would cost O(n²), and Node warns
 * (`MaxListenersExceededWarning`) past ten listeners. Joining and leaving are O(1).
 *
 * @example
 * ```ts
 * const groups = new SignalGroups((waiters, reason) => waiters.forEach((w) => w.reject(reason)));
 * const waiter = new Waiter({ cost: 1, units: 1e9, priority: 0, seq: 0, id: undefined, refundMs: 0, since: 0, maxWaitMs: undefined });
 * groups.add(waiter, new AbortController().signal);
 * groups.remove(waiter); // on every way out of the queue
 * ```
 */
export class SignalGroups {
  readonly #groups = new Map<AbortSignal, SignalGroup>();
  readonly #onAbort: (waiters: Waiter[], reason: unknown) => void;

  constructor(onAbort: (waiters: Waiter[], reason: unknown) => void) {
    this.#onAbort = onAbort;
  }

  add(waiter: Waiter, signal: AbortSignal): void {
    let group = this.#groups.get(signal);
    if (group === undefined) {
      group = new SignalGroup(signal, this);
      this.#groups.set(signal, group);
      signal.addEventListener('abort', group, { once: true });
    }
    const link: SignalLink = { owner: group, prev: group.last, next: undefined };
    waiter.group = link;
    if (group.last === undefined) group.first = waiter;
    else group.last.group!.next = waiter;
    group.last = waiter;
  }

  remove(waiter: Waiter): void {
    const link = waiter.group;
    if (link === undefined) return;
    const group = link.owner as SignalGroup;
    const { prev, next } = link;
    if (prev === undefined) group.first = next;
    else prev.group!.next = next;
    if (next === undefined) group.last = prev;
    else next.group!.prev = prev;
    waiter.group = undefined;
    if (group.first === undefined) this.#drop(group);
  }

  /** The signal aborted: every waiter on it, in arrival order, leaves together. */
  aborted(group: SignalGroup): void {
    if (this.#groups.get(group.signal) !== group) return;
    const waiters: Waiter[] = [];
    for (let w = group.first; w !== undefined; w = w.group!.next) waiters.push(w);
    for (const w of waiters) w.group = undefined;
    this.#drop(group);
    this.#onAbort(waiters, group.signal.reason);
  }

  #drop(group: SignalGroup): void {
    this.#groups.delete(group.signal);
    group.signal.removeEventListener('abort', group);
    group.first = group.last = undefined;
  }
}
