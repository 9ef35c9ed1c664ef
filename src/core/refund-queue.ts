interface Node {
  readonly at: number;
  units: number;
  readonly id: string | number | undefined;
  readonly seq: number;
  /** Heap priority of the treap: random, so the expected depth is O(log n) whatever the order of inserts. */
  readonly weight: number;
  left: Node | undefined;
  right: Node | undefined;
  /** Units in this subtree: lets "when will `need` units be back" descend in O(log n). */
  sum: number;
}

/**
 * Refunds due at future instants, ordered by instant (ties by insertion), with the units of every
 * subtree summed. Every operation is O(log n) expected, out-of-order inserts (per-call delays)
 * included, and "the first instant by which `need` units are back" is one descent.
 *
 * @example
 * ```ts
 * const refunds = new RefundQueue();
 * refunds.push(13_000, 30, undefined);
 * refunds.push(9_000, 20, undefined);
 * refunds.instantOf(40); // 13 000: 20 are back at 9 000, 50 at 13 000
 * ```
 */
export class RefundQueue {
  #root: Node | undefined = undefined;
  #seq = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Units due back in all. */
  get total(): number {
    return this.#root?.sum ?? 0;
  }

  /** The earliest instant due, or `Infinity`. */
  get next(): number {
    let node = this.#root;
    if (node === undefined) return Infinity;
    while (node.left !== undefined) node = node.left;
    return node.at;
  }

  push(at: number, units: number, id: string | number | undefined): void {
    const node: Node = { at, units, id, seq: this.#seq++, weight: Math.random(), left: undefined, right: undefined, sum: units };
    const [before, after] = split(this.#root, at);
    this.#root = merge(merge(before, node), after);
    this.#size++;
  }

  /** Removes the earliest refund if it is due at or before `now`; returns it. */
  popDue(now: number): { at: number; units: number; id: string | number | undefined } | undefined {
    const root = this.#root;
    if (root === undefined || this.next > now) return undefined;
    let first = root;
    while (first.left !== undefined) first = first.left;
    this.#root = removeFirst(root);
    this.#size--;
    return first;
  }

  /** The first instant by which at least `need` units are back (need > 0), or `Infinity`. */
  instantOf(need: number): number {
    let node = this.#root;
    if (node === undefined || node.sum < need) return Infinity;
    for (;;) {
      const left = node.left?.sum ?? 0;
      if (need <= left) node = node.left!;
      else if (need <= left + node.units) return node.at;
      else {
        need -= left + node.units;
        node = node.right!;
      }
    }
  }

  clear(): void {
    this.#root = undefined;
    this.#size = 0;
  }

  /** Every refund's units mapped by `convert` (a change of quantum), the subtree sums redone. */
  rescale(convert: (units: number) => number): void {
    const visit = (node: Node | undefined): void => {
      if (node === undefined) return;
      visit(node.left);
      visit(node.right);
      node.units = convert(node.units);
      update(node);
    };
    visit(this.#root);
  }
}

function update(node: Node): Node {
  node.sum = (node.left?.sum ?? 0) + node.units + (node.right?.sum ?? 0);
  return node;
}

/** Nodes due at or before `at` go left, so equal instants keep insertion order. */
function split(node: Node | undefined, at: number): [Node | undefined, Node | undefined] {
  if (node === undefined) return [undefined, undefined];
  if (node.at <= at) {
    const [l, r] = split(node.right, at);
    node.right = l;
    return [update(node), r];
  }
  const [l, r] = split(node.left, at);
  node.left = r;
  return [l, update(node)];
}

function merge(a: Node | undefined, b: Node | undefined): Node | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.weight > b.weight) {
    a.right = merge(a.right, b);
    return update(a);
  }
  b.left = merge(a, b.left);
  return update(b);
}

function removeFirst(node: Node): Node | undefined {
  if (node.left === undefined) return node.right;
  node.left = removeFirst(node.left);
  return update(node);
}
