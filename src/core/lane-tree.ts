import { Lane } from './lane.js';
import type { Waiter } from './waiter.js';

/** Empty lanes kept for reuse before a purge is considered: a priority that empties and refills keeps its lane. */
const IDLE_SLACK = 8;

/** xorshift32 state for the lanes' ranks: fixed, so a queue's shape is reproducible, and independent of the priorities. */
let rankState = 0x2545f491;

function nextRank(): number {
  rankState ^= rankState << 13;
  rankState ^= rankState >>> 17;
  rankState ^= rankState << 5;
  // 30 bits: a small integer, stored unboxed in the lane.
  return rankState & 0x3fffffff;
}

/**
 * The lanes of one queue, one per priority, in a search tree ordered by priority (higher first,
 * so in-order is queue order), each lane its own node. Every node keeps two minima over its
 * subtree, updated along the path to the root when a lane's head or fewest units change: the
 * fewest units any waiter needs (`fitBelow`, when costs are tracked), so the first lane in queue
 * order with a waiter that fits is one descent, and the oldest waiter (`oldestBelow`), which also
 * tells whether a subtree holds any waiter.
 *
 * Balance is a treap's: each lane draws a random rank and the tree is a heap of ranks, so its
 * depth is O(log P) expected (P the lanes) whatever order priorities arrive in, and a new lane
 * costs O(log P) expected (under two rotations on average). A lane that empties stays in the tree
 * (a priority that refills costs no allocation); once the empty lanes outnumber the others (and
 * {@link IDLE_SLACK}), they are all taken out, O(log P) each, paid for by the emptyings since the
 * last purge. So lookup, insertion and every query are O(log P), P at most twice the priorities
 * queued plus the slack.
 *
 * @example
 * ```ts
 * const tree = new LaneTree(true);
 * const lane = tree.laneFor(3); // made, empty
 * lane.push(new Waiter({ cost: 1, units: 1e9, priority: 3, seq: 0, id: undefined, refundMs: 0, since: 0, maxWaitMs: undefined }));
 * tree.filled();
 * tree.refresh(lane);
 * tree.firstFit(2e9); // that lane: the first in queue order holding a waiter of at most 2e9 units
 * ```
 */
export class LaneTree {
  readonly #costs: boolean;
  #root: Lane | undefined = undefined;
  /** Lanes in the tree, empty ones included. */
  #count = 0;
  /** Empty lanes in the tree. */
  #idle = 0;

  constructor(costs: boolean) {
    this.#costs = costs;
  }

  /** The lane of `priority`; a new one (empty, counted idle) when there is none. */
  laneFor(priority: number): Lane {
    let node = this.#root;
    if (node === undefined) return (this.#root = this.#make(priority));
    for (;;) {
      if (node.priority === priority) return node;
      const next: Lane | undefined = priority > node.priority ? node.left : node.right;
      if (next === undefined) break;
      node = next;
    }
    const lane = this.#make(priority);
    if (priority > node.priority) node.left = lane;
    else node.right = lane;
    lane.parent = node;
    // Empty, it changes no minimum above it: only the rotations' two nodes are recomputed.
    while (lane.parent !== undefined && lane.rank < lane.parent.rank) this.#rotateUp(lane);
    return lane;
  }

  /** An empty lane got a waiter. */
  filled(): void {
    this.#idle--;
  }

  /** A lane emptied (the queue still holds waiters elsewhere). */
  emptied(): void {
    if (++this.#idle <= IDLE_SLACK || 2 * this.#idle <= this.#count) return;
    for (const lane of this.#inOrder()) if (lane.size === 0) this.#delete(lane);
    this.#count -= this.#idle;
    this.#idle = 0;
  }

  /** Drops every lane (the queue is empty). */
  clear(): void {
    this.#root = undefined;
    this.#count = this.#idle = 0;
  }

  /** `lane`'s head or fewest units changed: the minima on its path to the root follow, stopping where they no longer change. */
  refresh(lane: Lane): void {
    for (let node: Lane | undefined = lane; node !== undefined; node = node.parent) {
      const fit = this.#fit(node);
      const oldest = oldestOf(node);
      if (fit === node.fitBelow && oldest === node.oldestBelow) return;
      node.fitBelow = fit;
      node.oldestBelow = oldest;
    }
  }

  /** The oldest waiter queued. */
  oldest(): Waiter | undefined {
    return this.#root?.oldestBelow;
  }

  /** The fewest units any queued waiter needs (costs tracked). */
  fewestUnits(): number {
    return this.#root?.fitBelow ?? Infinity;
  }

  /** The first lane in queue order holding a waiter of at most `limit` units (costs tracked). */
  firstFit(limit: number): Lane | undefined {
    // Empty lanes' Infinity must never fit.
    if (limit > Number.MAX_VALUE) limit = Number.MAX_VALUE;
    let node = this.#root;
    if (node === undefined || !(node.fitBelow <= limit)) return undefined;
    for (;;) {
      const left: Lane | undefined = node.left;
      if (left !== undefined && left.fitBelow <= limit) node = left;
      else if (node.minUnits() <= limit) return node;
      else node = node.right!;
    }
  }

  /** The first lane in queue order that holds a waiter. */
  firstLive(): Lane | undefined {
    let node = this.#root;
    if (node?.oldestBelow === undefined) return undefined;
    for (;;) {
      if (node.left?.oldestBelow !== undefined) node = node.left;
      else if (node.size > 0) return node;
      else node = node.right!;
    }
  }

  /** The last lane in queue order that holds a waiter. */
  lastLive(): Lane | undefined {
    let node = this.#root;
    if (node?.oldestBelow === undefined) return undefined;
    for (;;) {
      if (node.right?.oldestBelow !== undefined) node = node.right;
      else if (node.size > 0) return node;
      else node = node.left!;
    }
  }

  /** Every lane holding a waiter, in queue order. */
  forEachLive(visit: (lane: Lane) => void): void {
    for (const lane of this.#inOrder()) if (lane.size > 0) visit(lane);
  }

  #make(priority: number): Lane {
    const lane = new Lane(priority, this.#costs);
    lane.rank = nextRank();
    this.#count++;
    this.#idle++;
    return lane;
  }

  /** Takes an empty lane out: rotated down until it is a leaf (it changes no minimum, so cutting it off changes none). */
  #delete(lane: Lane): void {
    for (;;) {
      const { left, right } = lane;
      if (left === undefined && right === undefined) break;
      this.#rotateUp(right === undefined || (left !== undefined && left.rank < right.rank) ? left! : right);
    }
    const parent = lane.parent;
    if (parent === undefined) this.#root = undefined;
    else if (parent.left === lane) parent.left = undefined;
    else parent.right = undefined;
    lane.parent = undefined;
  }

  /** `node` takes its parent's place, the parent becoming its child; in-order is unchanged. */
  #rotateUp(node: Lane): void {
    const parent = node.parent!;
    const grand = parent.parent;
    if (parent.left === node) {
      parent.left = node.right;
      if (node.right !== undefined) node.right.parent = parent;
      node.right = parent;
    } else {
      parent.right = node.left;
      if (node.left !== undefined) node.left.parent = parent;
      node.left = parent;
    }
    parent.parent = node;
    node.parent = grand;
    if (grand === undefined) this.#root = node;
    else if (grand.left === parent) grand.left = node;
    else grand.right = node;
    this.#pull(parent);
    this.#pull(node);
  }

  #pull(node: Lane): void {
    node.fitBelow = this.#fit(node);
    node.oldestBelow = oldestOf(node);
  }

  #fit(node: Lane): number {
    if (!this.#costs) return Infinity;
    let fit = node.minUnits();
    if (node.left !== undefined && node.left.fitBelow < fit) fit = node.left.fitBelow;
    if (node.right !== undefined && node.right.fitBelow < fit) fit = node.right.fitBelow;
    return fit;
  }

  /** The lanes in queue order (an explicit stack: its depth is O(log P) expected). */
  #inOrder(): Lane[] {
    const out: Lane[] = [];
    const stack: Lane[] = [];
    let node = this.#root;
    while (node !== undefined || stack.length > 0) {
      while (node !== undefined) {
        stack.push(node);
        node = node.left;
      }
      node = stack.pop()!;
      out.push(node);
      node = node.right;
    }
    return out;
  }
}

/** The oldest of a lane's head and its children's oldest. */
function oldestOf(node: Lane): Waiter | undefined {
  let oldest = node.head();
  const left = node.left?.oldestBelow;
  if (left !== undefined && (oldest === undefined || left.seq < oldest.seq)) oldest = left;
  const right = node.right?.oldestBelow;
  if (right !== undefined && (oldest === undefined || right.seq < oldest.seq)) oldest = right;
  return oldest;
}
