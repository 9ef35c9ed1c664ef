import type { Permit } from './types.js';

/**
 * One queued `acquire`. Its own abort listener (`handleEvent`), so a signal costs no closure.
 */
export class Waiter {
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
    readonly onAbort: (waiter: Waiter) => void,
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
let binding: Waiter | undefined;
function bindSettlers(resolve: (permit: Permit) => void, reject: (reason: unknown) => void): void {
  binding!.resolve = resolve;
  binding!.reject = reject;
}

/** Stands in a slot for a waiter admitted ahead of the head, so the head's bypass count stays exact. */
const OVERTOOK = Symbol('overtook');
type Slot = Waiter | typeof OVERTOOK | undefined;

/**
 * Waiters in arrival order, in a slot array that is compacted or doubled when full (amortized
 * O(1) push, and memory stays within a small factor of the waiters queued, however long one
 * waiter stays at the head).
 *
 * Leaving is O(1) in fifo mode. In opportunistic mode a min-cost tree over the slots finds the
 * first waiter (in arrival order) that fits in O(log n), so a scan costs O(admitted · log n)
 * instead of a walk over every waiter; leaving then costs O(log n) to update the tree.
 *
 * Bypass counting: a waiter's count is the number of later arrivals admitted while it waits, so
 * an earlier waiter's count is never below a later one's. Only the head can reach `maxBypass`
 * first, and only the head's count is kept (`bypassed`).
 */
export class WaiterQueue {
  #slots: Slot[];
  #tree: Float64Array | undefined;
  #head = 0;
  #tail = 0;
  #size = 0;
  #marks = 0;
  #bypassed = 0;
  readonly #countBypass: boolean;

  constructor(opportunistic: boolean, countBypass: boolean) {
    this.#slots = new Array<Slot>(16);
    this.#tree = opportunistic ? new Float64Array(32).fill(Infinity) : undefined;
    this.#countBypass = countBypass;
  }

  get size(): number {
    return this.#size;
  }

  /** Later arrivals admitted while the current head waited. */
  get bypassed(): number {
    return this.#bypassed;
  }

  head(): Waiter | undefined {
    return this.#size === 0 ? undefined : (this.#slots[this.#head] as Waiter);
  }

  push(waiter: Waiter): void {
    if (this.#tail === this.#slots.length) this.#resize();
    waiter.pos = this.#tail++;
    this.#slots[waiter.pos] = waiter;
    this.#size++;
    this.#setCost(waiter.pos, waiter.cost);
  }

  /** The waiter leaves without being admitted (abort, timeout). */
  remove(waiter: Waiter): void {
    this.#vacate(waiter, undefined);
  }

  /** The waiter leaves admitted. */
  admit(waiter: Waiter): void {
    const overtook = this.#countBypass && waiter.pos !== this.#head;
    if (overtook) {
      this.#bypassed++;
      this.#marks++;
    }
    this.#vacate(waiter, overtook ? OVERTOOK : undefined);
  }

  /** The first waiter in arrival order whose cost is at most `limit` (opportunistic mode). */
  firstFit(limit: number): Waiter | undefined {
    const tree = this.#tree!;
    if (!(tree[1]! <= limit)) return undefined;
    const leaves = tree.length >>> 1;
    let node = 1;
    while (node < leaves) node = tree[2 * node]! <= limit ? 2 * node : 2 * node + 1;
    return this.#slots[node - leaves] as Waiter;
  }

  /** The smallest cost queued (opportunistic mode). */
  minCost(): number {
    return this.#tree![1]!;
  }

  /** Removes and returns every waiter, in arrival order. */
  drain(): Waiter[] {
    const out: Waiter[] = [];
    for (let i = this.#head; i < this.#tail; i++) {
      const slot = this.#slots[i];
      if (slot instanceof Waiter) {
        slot.pos = -1;
        out.push(slot);
      }
    }
    this.#reset();
    return out;
  }

  #vacate(waiter: Waiter, mark: Slot): void {
    const pos = waiter.pos;
    this.#slots[pos] = mark;
    waiter.pos = -1;
    this.#setCost(pos, Infinity);
    if (--this.#size === 0) return this.#reset();
    if (pos === this.#head) this.#advance();
  }

  /** Moves the head past empty slots; marks it passes belonged to waiters that overtook the old head only. */
  #advance(): void {
    const slots = this.#slots;
    while (!(slots[this.#head] instanceof Waiter)) {
      if (slots[this.#head] === OVERTOOK) {
        this.#bypassed--;
        this.#marks--;
      }
      slots[this.#head++] = undefined;
    }
  }

  #reset(): void {
    this.#slots.fill(undefined, this.#head, this.#tail);
    this.#head = this.#tail = this.#size = this.#marks = this.#bypassed = 0;
  }

  #setCost(pos: number, cost: number): void {
    const tree = this.#tree;
    if (tree === undefined) return;
    let node = (tree.length >>> 1) + pos;
    tree[node] = cost;
    for (node >>>= 1; node > 0; node >>>= 1) tree[node] = Math.min(tree[2 * node]!, tree[2 * node + 1]!);
  }

  /** Full: compact in place when at most half the slots are in use, else double. */
  #resize(): void {
    const used = this.#size + this.#marks;
    const old = this.#slots;
    const length = used * 2 <= old.length ? old.length : old.length * 2;
    const slots = new Array<Slot>(length);
    let next = 0;
    for (let i = this.#head; i < this.#tail; i++) {
      const slot = old[i];
      if (slot === undefined) continue;
      if (slot !== OVERTOOK) slot.pos = next;
      slots[next++] = slot;
    }
    this.#slots = slots;
    this.#head = 0;
    this.#tail = next;
    if (this.#tree === undefined) return;
    const tree = new Float64Array(2 * length).fill(Infinity);
    for (let i = 0; i < next; i++) {
      const slot = slots[i];
      if (slot instanceof Waiter) tree[length + i] = slot.cost;
    }
    for (let node = length - 1; node > 0; node--) tree[node] = Math.min(tree[2 * node]!, tree[2 * node + 1]!);
    this.#tree = tree;
  }
}
