// Direct tests of the deadline heap: its live count, `popDue(limit, strict)` at the boundary,
// queue order on equal deadlines (docs/semantics.md §7.3: the waiter blocking the others leaves
// first), `clear`, and the rebuild that drops waiters who left once most of the heap is stale.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlineHeap } from '../../src/core/deadline-heap.js';
import type { Waiter } from '../../src/core/waiter.js';
import { leave, queuedWith as queued } from '../support/waiters.js';

const deadlines = (waiters: Waiter[]) => waiters.map((w) => w.deadline);

function popAll(heap: DeadlineHeap, limit: number, strict = false): Waiter[] {
  const out: Waiter[] = [];
  for (let w = heap.popDue(limit, strict); w !== undefined; w = heap.popDue(limit, strict)) out.push(w);
  return out;
}

describe('DeadlineHeap', () => {
  it('size counts the waiters pushed and not yet forgotten', () => {
    const heap = new DeadlineHeap();
    expect(heap.size).toBe(0);
    const a = queued(10);
    heap.push(a);
    heap.push(queued(20));
    heap.push(queued(30));
    expect(heap.size).toBe(3);
    leave(a);
    heap.forget();
    expect(heap.size).toBe(2);
  });

  it('popDue takes a deadline at or before the limit, or only before it when strict', () => {
    const heap = new DeadlineHeap();
    heap.push(queued(10));
    heap.push(queued(20));
    expect(heap.popDue(9, false)).toBeUndefined();
    expect(heap.popDue(10, true)).toBeUndefined();
    expect(heap.popDue(10, false)?.deadline).toBe(10);
    expect(heap.popDue(20, true)).toBeUndefined();
    expect(heap.popDue(20.5, true)?.deadline).toBe(20);
    expect(heap.next()).toBe(Infinity);
    expect(heap.size).toBe(2); // popped waiters stay counted until `forget`
  });

  it('a fractional deadline: due strictly before the next whole ms', () => {
    const heap = new DeadlineHeap();
    heap.push(queued(2.5));
    expect(heap.popDue(2.5, true)).toBeUndefined();
    expect(heap.popDue(3, true)?.deadline).toBe(2.5);
  });

  it('gives deadlines earliest first whatever the push order, skipping waiters that left', () => {
    const heap = new DeadlineHeap();
    const waiters = [50, 20, 80, 10, 70, 30, 60, 40, 90].map((d) => queued(d));
    for (const w of waiters) heap.push(w);
    expect(heap.next()).toBe(10);
    leave(waiters[3]!); // 10
    leave(waiters[5]!); // 30
    expect(heap.next()).toBe(20);
    expect(deadlines(popAll(heap, 45))).toEqual([20, 40]);
    expect(deadlines(popAll(heap, Infinity))).toEqual([50, 60, 70, 80, 90]);
  });

  it('equal deadlines come out in queue order: higher priority first, then arrival', () => {
    const heap = new DeadlineHeap();
    const first = queued(100);
    const second = queued(100);
    const urgent = queued(100, { priority: 5 });
    const sooner = queued(50, { priority: -1 });
    for (const w of [second, first, urgent, sooner]) heap.push(w);
    expect(popAll(heap, 100)).toEqual([sooner, urgent, first, second]);
    expect(popAll(heap, Infinity)).toEqual([]);
  });

  it('clear forgets every waiter, still queued or not', () => {
    const heap = new DeadlineHeap();
    const gone = queued(6);
    for (const w of [gone, queued(7), queued(8)]) heap.push(w);
    leave(gone);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.next()).toBe(Infinity);
    expect(heap.popDue(Infinity, false)).toBeUndefined();
  });

  it('after a clear, orders only the waiters pushed since', () => {
    const heap = new DeadlineHeap();
    heap.push(queued(7));
    heap.clear();
    for (const d of [1, 10, 20]) heap.push(queued(d));
    expect(deadlines(popAll(heap, 1))).toEqual([1]);
    for (const d of [30, 40, 15, 5]) heap.push(queued(d));
    expect(deadlines(popAll(heap, 5))).toEqual([5]);
    heap.push(queued(50));
    expect(deadlines(popAll(heap, 10))).toEqual([10]);
    expect(heap.next()).toBe(15);
    expect(deadlines(popAll(heap, Infinity))).toEqual([15, 20, 30, 40, 50]);
    expect(heap.size).toBe(8);
  });

  describe('rebuild once most of the heap is stale', () => {
    /** 66 waiters, all but `late` (50) and `early` (3) about to leave, placed so a rebuild must heapify again. */
    function staleHeap(): { heap: DeadlineHeap; stale: Waiter[]; late: Waiter; early: Waiter } {
      const heap = new DeadlineHeap();
      const stale: Waiter[] = [];
      const push = (w: Waiter) => {
        heap.push(w);
        return w;
      };
      stale.push(push(queued(1)));
      const late = push(queued(50));
      stale.push(push(queued(2)));
      stale.push(push(queued(100)), push(queued(100)));
      const early = push(queued(3));
      for (let i = 0; i < 60; i++) stale.push(push(queued(200)));
      return { heap, stale, late, early };
    }

    it('keeps the earliest deadline on top when two waiters are left', () => {
      const { heap, stale, late, early } = staleHeap();
      for (const w of stale) leave(w);
      for (let i = 0; i < stale.length; i++) heap.forget();
      expect(heap.size).toBe(2);
      expect(heap.next()).toBe(3);
      expect(popAll(heap, Infinity)).toEqual([early, late]);
      expect(heap.next()).toBe(Infinity);
    });

    it('keeps a single waiter left, and nothing else', () => {
      const { heap, stale, late, early } = staleHeap();
      leave(late);
      for (const w of stale) leave(w);
      for (let i = 0; i <= stale.length; i++) heap.forget();
      expect(heap.size).toBe(1);
      expect(heap.next()).toBe(3);
      expect(popAll(heap, 3)).toEqual([early]);
      expect(popAll(heap, Infinity)).toEqual([]);
    });
  });

  it('matches a sorted-list model under random pushes, leaves and pops', () => {
    type Op = { t: 'push'; d: number; p: number } | { t: 'leave'; k: number } | { t: 'pop'; limit: number; strict: boolean };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ t: fc.constant('push' as const), d: fc.integer({ min: 0, max: 40 }), p: fc.integer({ min: -1, max: 1 }) }) },
      { weight: 3, arbitrary: fc.record({ t: fc.constant('leave' as const), k: fc.nat() }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('pop' as const), limit: fc.integer({ min: 0, max: 40 }), strict: fc.boolean() }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const heap = new DeadlineHeap();
        let live: Waiter[] = [];
        const order = (a: Waiter, b: Waiter) => a.deadline - b.deadline || b.priority - a.priority || a.seq - b.seq;
        for (const o of ops) {
          if (o.t === 'push') {
            const w = queued(o.d, { priority: o.p });
            heap.push(w);
            live.push(w);
          } else if (o.t === 'leave') {
            if (live.length === 0) continue;
            const w = live[o.k % live.length]!;
            leave(w);
            heap.forget();
            live = live.filter((x) => x !== w);
          } else {
            live.sort(order);
            const first = live[0];
            const expected = first !== undefined && (first.deadline < o.limit || (!o.strict && first.deadline === o.limit)) ? first : undefined;
            const got = heap.popDue(o.limit, o.strict);
            expect(got).toBe(expected);
            if (got !== undefined) {
              leave(got);
              heap.forget();
              live.shift();
            }
          }
          expect(heap.size).toBe(live.length);
          expect(heap.next()).toBe(live.length === 0 ? Infinity : Math.min(...live.map((w) => w.deadline)));
        }
      }),
      { seed: 3, numRuns: 200 },
    );
  });
});
