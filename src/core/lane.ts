import type { Waiter } from './waiter.js';

/**
 * The waiters of one priority, in arrival order, in a slot array that is compacted or doubled
 * when full (amortized O(1) push; memory within a small factor of the waiters queued, however
 * long one waiter stays at the head). Leaving is O(1) without a cost tree. With one
 * (opportunistic admission) a min-cost tree over the slots finds the first waiter that fits in
 * O(log n), so a scan costs O(admitted · log n), not a walk over every waiter.
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
  #slots: (Waiter | undefined)[] = new Array(8);
  #tree: Float64Array | undefined;
  #head = 0;
  #tail = 0;
  #size = 0;

  constructor(priority: number, costTree: boolean) {
    this.priority = priority;
    this.#tree = costTree ? new Float64Array(16).fill(Infinity) : undefined;
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
      this.#head = this.#tail = 0;
      return;
    }
    if (pos === this.#head) while (this.#slots[this.#head] === undefined) this.#head++;
  }

  /** A queued waiter's `units` changed (a new quantum): the cost tree follows. */
  rekeyed(waiter: Waiter): void {
    if (this.#tree !== undefined) this.#setUnits(waiter.pos, waiter.units);
  }

  /** The first waiter in arrival order of at most `limit` units (cost tree only). */
  firstFit(limit: number): Waiter | undefined {
    const tree = this.#tree!;
    if (!(tree[1]! <= limit)) return undefined;
    const leaves = tree.length >>> 1;
    let node = 1;
    while (node < leaves) node = tree[2 * node]! <= limit ? 2 * node : 2 * node + 1;
    return this.#slots[node - leaves];
  }

  /** The fewest units queued (cost tree only). */
  minUnits(): number {
    return this.#tree![1]!;
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
        out.push(slot);
        this.#slots[i] = undefined;
        if (this.#tree !== undefined) this.#setUnits(i, Infinity);
      }
    }
    this.#head = this.#tail = this.#size = 0;
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
    const length = this.#size * 2 <= old.length ? old.length : old.length * 2;
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
    if (this.#tree === undefined) return;
    const tree = new Float64Array(2 * length).fill(Infinity);
    for (let i = 0; i < next; i++) tree[length + i] = slots[i]!.units;
    for (let node = length - 1; node > 0; node--) tree[node] = Math.min(tree[2 * node]!, tree[2 * node + 1]!);
    this.#tree = tree;
  }
}
