import type { Waiter } from './waiter.js';

/** Shared by every lane that holds no slots yet (or gave them back): a lane costs nothing more until its first waiter. */
const NO_SLOTS: (Waiter | undefined)[] = [];

/** Up to this many slots a first-fit walk is O(1) and costs less than a tree: the cost tree is made only past it. */
const SMALL = 8;

/** A lane that empties with more slots than this gives them back: an idle lane kept for reuse stays small. */
const KEPT_SLOTS = 64;

/**
 * The waiters of one priority, in arrival order, in a slot array that is compacted or doubled
 * when full (amortized O(1) push; memory within a small factor of the waiters queued, however
 * long one waiter stays at the head). Leaving is O(1) without a cost tree. With costs tracked
 * (opportunistic admission) a min-cost tree over the slots finds the first waiter that fits in
 * O(log n), so a scan costs O(admitted · log n), not a walk over every waiter; up to 8 slots a
 * lane has no tree (a walk over at most 8 slots is O(1)), so a lane of one waiter, as with many
 * distinct priorities, costs one small array and the lane itself.
 *
 * A lane is also a node of its queue's {@link LaneTree}: `left`, `right`, `parent`, `rank`,
 * `fitBelow` and `oldestBelow` belong to that tree.
 *
 * @example
 * ```ts
 * const lane = new Lane(0, true);
 * lane.push(new Waiter({ cost: 2, units: 2e9, priority: 0, seq: 0, id: undefined, refundMs: 0, since: 0, maxWaitMs: undefined }));
 * lane.firstFit(5e9); // the first waiter (in arrival order) of at most 5e9 units
 * ```
 */
export class Lane {
  readonly priority: number;
  /** Lanes of higher priority (earlier in queue order). */
  left: Lane | undefined = undefined;
  /** Lanes of lower priority. */
  right: Lane | undefined = undefined;
  parent: Lane | undefined = undefined;
  /** The treap's heap key: a parent's rank is never above its children's. */
  rank = 0;
  /** The fewest units any waiter of this subtree needs (`Infinity` when none, or costs not tracked). */
  fitBelow = Infinity;
  /** The oldest head of this subtree's lanes: the oldest waiter in it. */
  oldestBelow: Waiter | undefined = undefined;
  readonly #costs: boolean;
  #slots = NO_SLOTS;
  #tree: Float64Array | undefined = undefined;
  #head = 0;
  #tail = 0;
  #size = 0;

  constructor(priority: number, costs: boolean) {
    this.priority = priority;
    this.#costs = costs;
  }

  get size(): number {
    return this.#size;
  }

  head(): Waiter | undefined {
    return this.#size === 0 ? undefined : this.#slots[this.#head];
  }

  push(waiter: Waiter): void {
    if (this.#tail === this.#slots.length) this.#resize();
    waiter.pos = this.#tail++;
    waiter.lane = this;
    this.#slots[waiter.pos] = waiter;
    this.#size++;
    if (this.#tree !== undefined) this.#setUnits(waiter.pos, waiter.units);
  }

  remove(waiter: Waiter): void {
    const pos = waiter.pos;
    this.#slots[pos] = undefined;
    waiter.pos = -1;
    if (this.#tree !== undefined) this.#setUnits(pos, Infinity);
    if (--this.#size === 0) {
      this.#empty();
      return;
    }
    if (pos === this.#head) while (this.#slots[this.#head] === undefined) this.#head++;
  }

  /** A queued waiter's `units` changed (a new quantum): the cost tree follows. */
  rekeyed(waiter: Waiter): void {
    if (this.#tree !== undefined) this.#setUnits(waiter.pos, waiter.units);
  }

  /** The first waiter in arrival order of at most `limit` units (costs tracked). */
  firstFit(limit: number): Waiter | undefined {
    // An empty slot's Infinity must never fit: the walk below would reach it.
    if (limit > Number.MAX_VALUE) limit = Number.MAX_VALUE;
    const tree = this.#tree;
    if (tree === undefined) {
      for (let i = this.#head; i < this.#tail; i++) {
        const slot = this.#slots[i];
        if (slot !== undefined && slot.units <= limit) return slot;
      }
      return undefined;
    }
    if (!(tree[1]! <= limit)) return undefined;
    const leaves = tree.length >>> 1;
    let node = 1;
    while (node < leaves) node = tree[2 * node]! <= limit ? 2 * node : 2 * node + 1;
    return this.#slots[node - leaves];
  }

  /** The fewest units queued (costs tracked), `Infinity` when empty. */
  minUnits(): number {
    if (this.#tree !== undefined) return this.#tree[1]!;
    // At most SMALL slots: O(1), and no field (a double, boxed) to keep per lane.
    let min = Infinity;
    for (let i = this.#head; i < this.#tail; i++) {
      const slot = this.#slots[i];
      if (slot !== undefined && slot.units < min) min = slot.units;
    }
    return min;
  }

  forEach(visit: (waiter: Waiter) => void): void {
    for (let i = this.#head; i < this.#tail; i++) {
      const slot = this.#slots[i];
      if (slot !== undefined) visit(slot);
    }
  }

  /** Every waiter, in arrival order; the lane is left empty. */
  drainInto(out: Waiter[]): void {
    for (let i = this.#head; i < this.#tail; i++) {
      const slot = this.#slots[i];
      if (slot !== undefined) {
        slot.pos = -1;
        slot.lane = undefined;
        out.push(slot);
        this.#slots[i] = undefined;
      }
    }
    this.#tree?.fill(Infinity);
    this.#size = 0;
    this.#empty();
  }

  /** Empty now (every slot cleared): a lane kept for reuse keeps only small slots. */
  #empty(): void {
    if (this.#slots.length > KEPT_SLOTS) {
      this.#slots = NO_SLOTS;
      this.#tree = undefined;
    }
    this.#head = this.#tail = 0;
  }

  #setUnits(pos: number, units: number): void {
    const tree = this.#tree!;
    let node = (tree.length >>> 1) + pos;
    tree[node] = units;
    for (node >>>= 1; node > 0; node >>>= 1) tree[node] = Math.min(tree[2 * node]!, tree[2 * node + 1]!);
  }

  /** Full: compact in place when at most half the slots are in use, else double. */
  #resize(): void {
    const old = this.#slots;
    const length = old.length === 0 ? 2 : this.#size * 2 <= old.length ? old.length : old.length * 2;
    const slots = new Array<Waiter | undefined>(length);
    let next = 0;
    for (let i = this.#head; i < this.#tail; i++) {
      const slot = old[i];
      if (slot === undefined) continue;
      slot.pos = next;
      slots[next++] = slot;
    }
    this.#slots = slots;
    this.#head = 0;
    this.#tail = next;
    if (!this.#costs || length <= SMALL) return;
    const tree = new Float64Array(2 * length).fill(Infinity);
    for (let i = 0; i < next; i++) tree[length + i] = slots[i]!.units;
    for (let node = length - 1; node > 0; node--) tree[node] = Math.min(tree[2 * node]!, tree[2 * node + 1]!);
    this.#tree = tree;
  }
}
