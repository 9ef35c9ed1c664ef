import { before, type Waiter } from './waiter.js';

/** Earlier deadline first; equal deadlines in queue order, so the one blocking the others leaves first. */
const earlier = (a: Waiter, b: Waiter): boolean => a.deadline < b.deadline || (a.deadline === b.deadline && before(a, b));

/**
 * Queued waiters that have a deadline, as a binary min-heap on `deadline`: the limiter's one
 * timer needs only the earliest. Waiters that leave early are dropped lazily when they surface,
 * and the heap is rebuilt once more than half of it is stale, so it never holds more than about
 * twice the waiters that still have a deadline.
 */
export class DeadlineHeap {
  #heap: Waiter[] = [];
  #live = 0;

  /** How many queued waiters have a deadline. */
  get size(): number {
    return this.#live;
  }

  push(waiter: Waiter): void {
    this.#live++;
    const heap = this.#heap;
    let i = heap.push(waiter) - 1;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (!earlier(waiter, heap[parent]!)) break;
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

  /** Removes and returns the queued waiter with the earliest deadline if it is before `limit`, or at it unless `strict`. It stays counted until `forget`. */
  popDue(limit: number, strict: boolean): Waiter | undefined {
    this.#dropStale();
    const top = this.#heap[0];
    if (top === undefined || top.deadline > limit || (strict && top.deadline === limit)) return undefined;
    return this.#pop();
  }

  clear(): void {
    this.#heap = [];
    this.#live = 0;
  }

  #dropStale(): void {
    while (this.#heap.length > 0 && !this.#heap[0]!.queued) this.#pop();
  }

  #pop(): Waiter {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) this.#siftDown(last, 0);
    return top;
  }

  #siftDown(waiter: Waiter, i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && earlier(heap[child + 1]!, heap[child]!)) child++;
      if (!earlier(heap[child]!, waiter)) break;
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
