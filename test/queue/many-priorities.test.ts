// Tens of thousands of distinct priorities (issue #15: every queue operation O(log n) whatever
// the number P of priorities queued, docs/semantics.md §11, §16.6). Without timing: 50 000
// waiters of (almost) all-distinct priorities, in the order worst for an unbalanced search tree,
// go through both semaphores (queueing, aborts, drop-oldest, first-fit and head admissions) and
// must come out exactly as a sort says; the O(P) queue this replaced timed out here (over 25 s a
// limiter), this one takes well under a second.
// The lane tree's depth and its kept empty lanes are checked structurally, and a property with
// many priorities checks the queue against the reference model while lanes are made, rotated and purged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lane } from '../../src/core/lane.js';
import { LaneTree } from '../../src/core/lane-tree.js';
import type { Waiter } from '../../src/core/waiter.js';
import { WaiterQueue } from '../../src/core/waiter-queue.js';
import { ConcurrencySemaphore, CreditSemaphore, QueueFullError, VirtualClock, type LimiterEvent, type Permit } from '../../src/index.js';
import { flush } from '../support/queue-limiters.js';
import { QueueTwin } from '../support/queue-twin.js';
import { waiter } from '../support/waiters.js';

const N = 50_000;

interface Ref {
  id: number;
  seq: number;
  units: number;
  priority: number;
}

const queueOrder = (a: Ref, b: Ref): number => b.priority - a.priority || a.seq - b.seq;

/** Queue order reversed: lowest priority first, then arrival (so the first is who drop-oldest drops). */
const dropOrder = (a: Ref, b: Ref): number => a.priority - b.priority || a.seq - b.seq;

/** Inserts `r` into `sorted` (by `dropOrder`) by binary search. */
function insertSorted(sorted: Ref[], r: Ref): void {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (dropOrder(sorted[mid]!, r) < 0) lo = mid + 1;
    else hi = mid;
  }
  sorted.splice(lo, 0, r);
}

describe.each([
  ['CreditSemaphore (opportunistic)', true],
  ['ConcurrencySemaphore (fifo)', false],
] as const)('50 000 distinct priorities: %s', (_name, credit) => {
  it('queue, abort, drop-oldest, then admit one at a time and all at once, in the order a sort gives', async () => {
    const clock = new VirtualClock();
    const admitted: number[] = [];
    const dropped: number[] = [];
    const rejected: number[] = [];
    const onEvent = (e: LimiterEvent): void => {
      if (e.type === 'admitted' && typeof e.id === 'number') admitted.push(e.id);
    };
    const HELD = 400;
    const maxPending = N - 600;
    const options = { capacity: HELD, clock, onEvent, maxPending, overflow: 'drop-oldest' as const };
    const sem = credit ? new CreditSemaphore(options) : new ConcurrencySemaphore(options);
    const held: Permit[] = [];
    for (let i = 0; i < HELD; i++) held.push(sem.tryAcquire(1)!);

    const queued = new Set<Ref>();
    const controllers = new Map<number, AbortController>();
    const refs: Ref[] = [];
    let byDrop: Ref[] | undefined;
    for (let i = 0; i < N; i++) {
      // Descending priorities (each new one the lowest yet: the degenerate insertion order),
      // every 64th a random older one (in the middle of the tree), every 10th sharing the last.
      const priority = i % 10 === 9 ? refs[i - 1]!.priority : i % 64 === 63 ? ((i * 7919) % N) / 2 - N : -i - 0.5;
      const units = credit ? 1 + ((i * 31) % 3) : 1;
      const r: Ref = { id: i, seq: i, units, priority };
      refs.push(r);
      if (queued.size >= maxPending) {
        // The reference for drop-oldest: the queued waiters sorted once, then kept sorted.
        byDrop ??= [...queued].sort(dropOrder);
        const lowest = byDrop[0]!;
        if (priority < lowest.priority) dropped.push(i);
        else {
          byDrop.shift();
          queued.delete(lowest);
          dropped.push(lowest.id);
          queued.add(r);
          insertSorted(byDrop, r);
        }
      } else queued.add(r);
      const signal = i % 13 === 0 ? new AbortController() : undefined;
      if (signal !== undefined) controllers.set(i, signal);
      sem.acquire(units, { id: i, priority, signal: signal?.signal }).catch((error: unknown) => {
        if (error instanceof QueueFullError) rejected.push(i);
      });
    }
    expect(sem.pending).toBe(maxPending);
    for (const [i, controller] of controllers) {
      if (i % 2 === 0 || !queued.has(refs[i]!)) continue;
      controller.abort();
      queued.delete(refs[i]!);
    }
    await flush();
    expect(sem.pending).toBe(queued.size);
    expect(rejected.sort((a, b) => a - b)).toEqual(dropped.sort((a, b) => a - b));
    expect(dropped.length).toBe(600);

    const order = [...queued].sort(queueOrder);
    // One unit at a time: opportunistic admits the first waiter of one unit in queue order, fifo the head.
    const single = credit ? order.filter((r) => r.units === 1).slice(0, 300) : order.slice(0, 300);
    for (let k = 0; k < 300; k++) held.pop()!.release();
    await flush();
    expect(admitted).toEqual(single.map((r) => r.id));
    // Then everything fits: queue order.
    const first = new Set(single);
    const rest = order.filter((r) => !first.has(r));
    admitted.length = 0;
    sem.update({ capacity: 10 * N });
    await flush();
    expect(admitted).toEqual(rest.map((r) => r.id));
    expect(sem.pending).toBe(0);
  }, 20_000);
});

/** Every lane of the tree that holds `lane`, with its depth. */
function walk(lane: Lane): { depth: number; lanes: number; idle: number } {
  let root = lane;
  while (root.parent !== undefined) root = root.parent;
  let depth = 0;
  let lanes = 0;
  let idle = 0;
  let linked = true;
  const visit = (node: Lane | undefined, d: number, parent: Lane | undefined): void => {
    if (node === undefined) return;
    linked &&= node.parent === parent;
    depth = Math.max(depth, d);
    lanes++;
    if (node.size === 0) idle++;
    visit(node.left, d + 1, node);
    visit(node.right, d + 1, node);
  };
  visit(root, 1, undefined);
  expect(linked, "every lane is its parent's child").toBe(true);
  return { depth, lanes, idle };
}

describe('LaneTree, structurally', () => {
  it('stays O(log P) deep under descending then ascending priorities; empty lanes are purged', () => {
    const queue = new WaiterQueue({ opportunistic: true, maxBypass: Infinity });
    const ws: Waiter[] = [];
    for (let i = 0; i < N; i++) {
      const w = waiter(1 + (i % 5), { priority: i < N / 2 ? -i : i });
      ws.push(w);
      queue.push(w);
    }
    let shape = walk(ws[0]!.lane as Lane);
    expect(shape.lanes).toBe(N);
    // A treap's height is about 4.3 ln P (31 for a balanced tree, 50 000 for a list).
    expect(shape.depth).toBeLessThanOrEqual(4 * Math.log2(N));
    // Empty nine lanes in ten: kept while few, then purged in bulk, never more empty than full ones (plus 8).
    for (let i = 0; i < N; i++) if (i % 10 !== 0) queue.remove(ws[i]!);
    shape = walk(ws[0]!.lane as Lane);
    expect(shape.lanes - shape.idle).toBe(N / 10);
    expect(shape.idle).toBeLessThanOrEqual(shape.lanes - shape.idle + 8);
    expect(queue.list()).toEqual(ws.filter((_, i) => i % 10 === 0).sort((a, b) => b.priority - a.priority || a.seq - b.seq));
    expect(queue.lowest()).toBe(ws[N / 2 - 10]);
    expect(queue.head()).toBe(ws[N - 10]);
  });

  it('a lane that empties is kept for its priority, and found again', () => {
    const tree = new LaneTree(false);
    const lanes = [3, 1, 2].map((p) => tree.laneFor(p));
    expect(tree.laneFor(1)).toBe(lanes[1]);
    expect(tree.firstLive()).toBeUndefined();
    expect(tree.firstFit(Infinity)).toBeUndefined();
    const w = waiter(1, { priority: 2 });
    lanes[2]!.push(w);
    tree.filled();
    tree.refresh(lanes[2]!);
    expect(tree.firstLive()).toBe(lanes[2]);
    expect(tree.lastLive()).toBe(lanes[2]);
    expect(tree.oldest()).toBe(w);
  });
});

describe('WaiterQueue with many priorities against the reference model', () => {
  it('agrees on every candidate, neededUnits, lowest and order while lanes are made, rotated and purged', () => {
    type Op = { t: 'push'; units: number; priority: number | 'down' | 'up' } | { t: 'remove'; k: number } | { t: 'admit'; free: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          t: fc.constant('push' as const),
          units: fc.integer({ min: 1, max: 6 }),
          priority: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.constant('down' as const), fc.constant('up' as const)),
        }),
      },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('remove' as const), k: fc.nat() }) },
      { weight: 4, arbitrary: fc.record({ t: fc.constant('admit' as const), free: fc.integer({ min: 0, max: 7 }) }) },
    );
    fc.assert(
      fc.property(fc.boolean(), fc.constantFrom(0, 2, 5, Infinity), fc.array(op, { maxLength: 400 }), (opportunistic, maxBypass, ops) => {
        const twin = new QueueTwin(opportunistic, maxBypass);
        const { queue, model, real } = twin;
        let down = -41;
        let up = 41;
        for (const o of ops) {
          if (o.t === 'push') twin.push(o.units, o.priority === 'down' ? down-- : o.priority === 'up' ? up++ : o.priority);
          else if (o.t === 'remove') twin.remove(o.k);
          else twin.admit(o.free);
          const ordered = model.ordered();
          expect(queue.size).toBe(ordered.length);
          expect(queue.head()).toBe(ordered.length === 0 ? undefined : real.get(ordered[0]!));
          if (ordered.length > 0) {
            const lowest = ordered.filter((m) => m.priority === ordered.at(-1)!.priority)[0]!;
            expect(queue.lowest()).toBe(real.get(lowest));
            const needed = model.blocker()?.units ?? (opportunistic ? Math.min(...ordered.map((m) => m.units)) : ordered[0]!.units);
            expect(queue.neededUnits()).toBe(needed);
            expect(queue.blocked).toBe(model.blocker() !== undefined);
            expect(queue.candidate(Infinity)).toBe(real.get(model.candidate(Infinity)!));
          }
        }
        expect(queue.list()).toEqual(twin.ordered());
        expect(queue.drain()).toEqual(twin.ordered());
        expect(queue.size).toBe(0);
      }),
      { seed: 15, numRuns: 300 },
    );
  });
});
