// TEMPORARY: the redis adapter's copy of the old waiter, until tollgate/redis is restructured on the new core.
import type { Permit } from './types.js';

/**
 * One queued `acquire`. Its own abort listener (`handleEvent`), so a signal costs no closure.
 */
export class LegacyWaiter {
  /** Index in the queue's slots while queued; -1 once it has left. */
  pos = -1;
  resolve!: (permit: Permit) => void;
  reject!: (reason: unknown) => void;
  signal: AbortSignal | undefined = undefined;
  constructor(
    readonly cost: number,
    readonly id: string | number | undefined,
    readonly refundMs: number,
    readonly since: number,
    readonly deadline: number,
    readonly onAbort: (waiter: LegacyWaiter) => void,
  ) {}

  get queued(): boolean {
    return this.pos >= 0;
  }

  /** The promise this waiter settles through `resolve` / `reject`. Call once. */
  promise(): Promise<Permit> {
    binding = this;
    const promise = new Promise<Permit>(bindSettlers);
    binding = undefined;
    return promise;
  }

  handleEvent(): void {
    this.onAbort(this);
  }
}

/**
 * The waiter whose promise is being made. A promise's executor runs synchronously inside
 * `new Promise`, so one shared executor serves every waiter: queueing allocates no executor
 * closure and context to collect (about 50 bytes per waiter, on the contended path).
 */
let binding: LegacyWaiter | undefined;
function bindSettlers(resolve: (permit: Permit) => void, reject: (reason: unknown) => void): void {
  binding!.resolve = resolve;
  binding!.reject = reject;
}

/** Stands in a slot for a waiter admitted ahead of the head, so the head's bypass count stays exact. */
const OVERTOOK = Symbol('overtook');
type Slot = LegacyWaiter | typeof OVERTOOK | undefined;



/**
 * Queued waiters that have a deadline, as a binary min-heap on `deadline`: the limiter's one
 * timer needs only the earliest. Waiters that leave early are dropped lazily when they surface,
 * and the heap is rebuilt once more than half of it is stale, so it never holds more than about
 * twice the waiters that still have a deadline.
 */
export class LegacyDeadlineHeap {
  #heap: LegacyWaiter[] = [];
  #live = 0;

  /** How many queued waiters have a deadline. */
  get size(): number {
    return this.#live;
  }

  push(waiter: LegacyWaiter): void {
    this.#live++;
    const heap = this.#heap;
    let i = heap.push(waiter) - 1;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (heap[parent]!.deadline <= waiter.deadline) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = waiter;
  }

  /** A waiter with a deadline left the queue. */
  forget(): void {
    this.#live--;
    if (this.#heap.length > 64 && this.#heap.length > 2 * this.#live) this.#rebuild();
  }

  /** The earliest deadline among queued waiters, or Infinity. */
  next(): number {
    this.#dropStale();
    return this.#heap.length === 0 ? Infinity : this.#heap[0]!.deadline;
  }

  /** Queued waiters whose deadline is at or before `now` (before it, when `strict`), earliest first. They stay counted until `forget`. */
  due(now: number, strict = false): LegacyWaiter[] {
    const due: LegacyWaiter[] = [];
    const isDue = (deadline: number) => deadline < now || (!strict && deadline === now);
    for (this.#dropStale(); this.#heap.length > 0 && isDue(this.#heap[0]!.deadline); this.#dropStale()) {
      due.push(this.#pop());
    }
    return due;
  }

  clear(): void {
    this.#heap = [];
    this.#live = 0;
  }

  #dropStale(): void {
    while (this.#heap.length > 0 && !this.#heap[0]!.queued) this.#pop();
  }

  #pop(): LegacyWaiter {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) this.#siftDown(last, 0);
    return top;
  }

  #siftDown(waiter: LegacyWaiter, i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap[child + 1]!.deadline < heap[child]!.deadline) child++;
      if (heap[child]!.deadline >= waiter.deadline) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = waiter;
  }

  #rebuild(): void {
    const heap = this.#heap.filter((w) => w.queued);
    this.#heap = heap;
    for (let i = (heap.length >>> 1) - 1; i >= 0; i--) this.#siftDown(heap[i]!, i);
  }
}
