import { Lane } from './lane.js';
import type { Waiter } from './waiter.js';

/**
 * Every queued waiter of a limiter, in queue order: higher priority first, then arrival. One
 * {@link Lane} per priority in use, kept sorted (P lanes: the head is O(1), a first-fit search
 * O(P log n); P is the number of distinct priorities queued, 1 unless priorities are used).
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
  #lanes: Lane[] = [];
  #size = 0;
  /** Arrival numbers of admitted waiters younger than the oldest queued one (only with a finite `maxBypass`). */
  #overtakers: number[] = [];
  #oldest: Waiter | undefined = undefined;

  constructor(o: { opportunistic: boolean; maxBypass: number }) {
    this.#opportunistic = o.opportunistic;
    this.#maxBypass = o.maxBypass;
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
    return this.#lanes[0]?.head();
  }

  /** The oldest waiter of the lowest priority (who `'drop-oldest'` drops). */
  lowest(): Waiter | undefined {
    return this.#lanes[this.#lanes.length - 1]?.head();
  }

  /** The waiter the next admission must be, given `free` units, or undefined when none can be paid. */
  candidate(free: number): Waiter | undefined {
    if (this.#size === 0) return undefined;
    let waiter: Waiter | undefined;
    if (this.blocked) waiter = this.#oldestWaiter();
    else if (!this.#opportunistic) waiter = this.#lanes[0]!.head();
    else {
      for (const lane of this.#lanes) if ((waiter = lane.firstFit(free)) !== undefined) return waiter;
      return undefined;
    }
    return waiter !== undefined && waiter.units <= free ? waiter : undefined;
  }

  /** The fewest units any admissible waiter needs: the wake-up instant is when that fits. */
  neededUnits(): number {
    if (this.blocked) return this.#oldestWaiter()!.units;
    if (!this.#opportunistic) return this.#lanes[0]!.head()!.units;
    let units = Infinity;
    for (const lane of this.#lanes) units = Math.min(units, lane.minUnits());
    return units;
  }

  /** Queues `waiter`; true when it became the head (it must be considered at once). */
  push(waiter: Waiter): boolean {
    const lanes = this.#lanes;
    let lane = lanes[0];
    if (lane === undefined || lane.priority !== waiter.priority) lane = this.#laneFor(waiter.priority);
    lane.push(waiter);
    this.#size++;
    if (this.#size === 1) this.#oldest = waiter;
    return lane === lanes[0] && lane.size === 1;
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
    (waiter.lane as Lane).rekeyed(waiter);
  }

  /** Every waiter, in queue order (the queue is unchanged). */
  list(): Waiter[] {
    const out: Waiter[] = [];
    for (const lane of this.#lanes) lane.forEach((waiter) => out.push(waiter));
    return out;
  }

  /** Removes and returns every waiter, in queue order. */
  drain(): Waiter[] {
    const out: Waiter[] = [];
    for (const lane of this.#lanes) lane.drainInto(out);
    this.#lanes = [];
    this.#size = 0;
    this.#overtakers = [];
    this.#oldest = undefined;
    return out;
  }

  #vacate(waiter: Waiter): void {
    const lane = waiter.lane as Lane;
    lane.remove(waiter);
    waiter.lane = undefined;
    this.#size--;
    if (lane.size === 0) this.#lanes.splice(this.#lanes.indexOf(lane), 1);
    if (waiter === this.#oldest) {
      this.#oldest = undefined;
      if (this.#size === 0) this.#overtakers.length = 0;
      else if (this.#maxBypass !== Infinity) {
        const oldest = this.#oldestWaiter()!;
        while (this.#overtakers.length > 0 && this.#overtakers[0]! < oldest.seq) heapPop(this.#overtakers);
      }
    }
  }

  /** The oldest queued waiter: one of the lanes' heads. */
  #oldestWaiter(): Waiter | undefined {
    if (this.#oldest !== undefined || this.#size === 0) return this.#oldest;
    let oldest: Waiter | undefined;
    for (const lane of this.#lanes) {
      const head = lane.head()!;
      if (oldest === undefined || head.seq < oldest.seq) oldest = head;
    }
    return (this.#oldest = oldest);
  }

  #laneFor(priority: number): Lane {
    const lanes = this.#lanes;
    let i = 0;
    while (i < lanes.length && lanes[i]!.priority > priority) i++;
    if (lanes[i]?.priority === priority) return lanes[i]!;
    const lane = new Lane(priority, this.#opportunistic);
    lanes.splice(i, 0, lane);
    return lane;
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
