import type { Lane } from './lane.js';
import { LaneTree } from './lane-tree.js';
import type { Waiter } from './waiter.js';

/**
 * Every queued waiter of a limiter, in queue order: higher priority first, then arrival. One
 * {@link Lane} per priority in use, in a {@link LaneTree} keyed by priority. With n waiters and P
 * distinct priorities queued (1 unless priorities are used; P ≤ n), every operation is
 * O(log P + log n), whatever P (expected over the tree's random ranks; a new priority and a lane's
 * emptying amortized): the head is O(1) (the first lane holding waiters is kept), a waiter of the
 * head's priority joins in amortized O(1) without touching the tree, a first-fit search is one
 * descent of the tree then one of a lane, the fewest units needed and the oldest waiter are the
 * tree's minima (O(1) to read, O(log P) to keep), and `lowest` is one descent. `list` and `drain`
 * are O(n + P).
 *
 * The admission choice is made here (`candidate`): the head in fifo, the first waiter that fits
 * in opportunistic mode, and the oldest waiter once it has been passed `maxBypass` times.
 *
 * Bypass counting: a waiter's count is the number of later arrivals admitted while it waits, so
 * an older waiter's count is never below a younger one's. Only the oldest can reach `maxBypass`
 * first, and only its count is kept: the arrival numbers of the waiters admitted ahead of it that
 * are younger than it, in a min-heap, pruned as the oldest changes (a younger oldest was passed
 * only by those younger still).
 *
 * @example
 * ```ts
 * const queue = new WaiterQueue({ opportunistic: true, maxBypass: 3 });
 * queue.push(new Waiter({ cost: 1, units: 1e9, priority: 0, seq: 0, id: undefined, refundMs: 0, since: 0, maxWaitMs: undefined }));
 * queue.candidate(2e9); // who may be admitted now with 2e9 units free, or undefined
 * ```
 */
export class WaiterQueue {
  readonly #opportunistic: boolean;
  #maxBypass: number;
  readonly #lanes: LaneTree;
  /** The first lane in queue order that holds a waiter. */
  #first: Lane | undefined = undefined;
  #size = 0;
  /** Arrival numbers of admitted waiters younger than the oldest queued one (only with a finite `maxBypass`). */
  #overtakers: number[] = [];
  #oldest: Waiter | undefined = undefined;

  constructor(o: { opportunistic: boolean; maxBypass: number }) {
    this.#opportunistic = o.opportunistic;
    this.#maxBypass = o.maxBypass;
    this.#lanes = new LaneTree(o.opportunistic);
  }

  get size(): number {
    return this.#size;
  }

  /** A new bound counts from now: passes made before it are forgotten. */
  set maxBypass(value: number) {
    this.#maxBypass = value;
    this.#overtakers = [];
    this.#oldest = undefined;
    this.#oldestWaiter();
  }

  /** Later arrivals admitted while the oldest waiter waited. */
  get bypassed(): number {
    return this.#overtakers.length;
  }

  /** True once the oldest waiter blocks everyone behind it. */
  get blocked(): boolean {
    return this.#overtakers.length >= this.#maxBypass;
  }

  /** The first waiter in queue order. */
  head(): Waiter | undefined {
    return this.#first?.head();
  }

  /** The oldest waiter of the lowest priority (who `'drop-oldest'` drops). */
  lowest(): Waiter | undefined {
    return this.#lanes.lastLive()?.head();
  }

  /** The waiter the next admission must be, given `free` units, or undefined when none can be paid. */
  candidate(free: number): Waiter | undefined {
    if (this.#size === 0) return undefined;
    let waiter: Waiter | undefined;
    if (this.blocked) waiter = this.#oldestWaiter();
    else if (!this.#opportunistic) waiter = this.#first!.head();
    else return this.#lanes.firstFit(free)?.firstFit(free);
    return waiter !== undefined && waiter.units <= free ? waiter : undefined;
  }

  /** The fewest units any admissible waiter needs: the wake-up instant is when that fits. */
  neededUnits(): number {
    if (this.blocked) return this.#oldestWaiter()!.units;
    if (!this.#opportunistic) return this.#first!.head()!.units;
    return this.#lanes.fewestUnits();
  }

  /** Queues `waiter`; true when it became the head (it must be considered at once). */
  push(waiter: Waiter): boolean {
    const lane = this.#first;
    if (lane === undefined || lane.priority !== waiter.priority) return this.#pushBehind(waiter);
    // Behind the head in its own lane: the oldest is unchanged, the fewest units may drop.
    lane.push(waiter);
    this.#size++;
    if (this.#opportunistic && waiter.units < lane.fitBelow) this.#lanes.refresh(lane);
    return false;
  }

  /** The waiter leaves without being admitted (abort, timeout, drop, clear). */
  remove(waiter: Waiter): void {
    this.#vacate(waiter);
  }

  /** The waiter leaves admitted. */
  admit(waiter: Waiter): void {
    if (this.#maxBypass !== Infinity && waiter !== this.#oldest) heapPush(this.#overtakers, waiter.seq);
    this.#vacate(waiter);
  }

  /** A queued waiter's cost in the units of a new quantum; its place is unchanged. */
  rekey(waiter: Waiter, units: number): void {
    waiter.units = units;
    const lane = waiter.lane as Lane;
    lane.rekeyed(waiter);
    this.#lanes.refresh(lane);
  }

  /** Every waiter, in queue order (the queue is unchanged). */
  list(): Waiter[] {
    const out: Waiter[] = [];
    this.#lanes.forEachLive((lane) => lane.forEach((waiter) => out.push(waiter)));
    return out;
  }

  /** Removes and returns every waiter, in queue order. */
  drain(): Waiter[] {
    const out: Waiter[] = [];
    this.#lanes.forEachLive((lane) => lane.drainInto(out));
    this.#emptied();
    return out;
  }

  /** Into another priority's lane than the head's, or into an empty queue. */
  #pushBehind(waiter: Waiter): boolean {
    const lane = this.#lanes.laneFor(waiter.priority);
    const was = lane.size;
    if (was === 0) this.#lanes.filled();
    lane.push(waiter);
    if (++this.#size === 1) this.#oldest = waiter;
    // Into a lane already queued: its oldest is unchanged (arrivals only grow), only its fewest units may drop.
    if (was === 0 || (this.#opportunistic && waiter.units < lane.fitBelow)) this.#lanes.refresh(lane);
    const first = this.#first;
    if (first !== undefined && first.priority > lane.priority) return false;
    this.#first = lane;
    return true;
  }

  #vacate(waiter: Waiter): void {
    const lane = waiter.lane as Lane;
    // The minima on the lane's path change only if the leaver was its subtree's oldest or lightest.
    const changes = waiter === lane.oldestBelow || (this.#opportunistic && waiter.units <= lane.fitBelow);
    lane.remove(waiter);
    waiter.lane = undefined;
    if (--this.#size === 0) return this.#emptied();
    if (changes) this.#lanes.refresh(lane);
    if (lane.size === 0) {
      this.#lanes.emptied();
      if (lane === this.#first) this.#first = this.#lanes.firstLive();
    }
    if (waiter === this.#oldest) {
      this.#oldest = undefined;
      if (this.#maxBypass !== Infinity) {
        const oldest = this.#oldestWaiter()!;
        while (this.#overtakers.length > 0 && this.#overtakers[0]! < oldest.seq) heapPop(this.#overtakers);
      }
    }
  }

  /** Nobody waits: the lanes go too (an idle limiter keeps none), and so does the bypass count. */
  #emptied(): void {
    this.#lanes.clear();
    this.#first = undefined;
    this.#size = 0;
    this.#overtakers.length = 0;
    this.#oldest = undefined;
  }

  /** The oldest queued waiter: the tree's minimum. */
  #oldestWaiter(): Waiter | undefined {
    if (this.#oldest !== undefined || this.#size === 0) return this.#oldest;
    return (this.#oldest = this.#lanes.oldest());
  }
}

function heapPush(heap: number[], value: number): void {
  let i = heap.push(value) - 1;
  while (i > 0) {
    const parent = (i - 1) >>> 1;
    if (heap[parent]! <= value) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = value;
}

function heapPop(heap: number[]): void {
  const last = heap.pop()!;
  const n = heap.length;
  if (n === 0) return;
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap[child + 1]! < heap[child]!) child++;
    if (heap[child]! >= last) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = last;
}
