// Direct tests of the deadline heap, for what mutation testing showed the limiter-level suites
// left unpinned: its live count, the strict/non-strict boundary of `due`, `clear`, and the
// rebuild that drops waiters who left once most of the heap is stale (it runs only past 64
// entries, and must leave a valid heap of whatever is still queued, down to one waiter).
import { describe, expect, it } from 'vitest';
import { DeadlineHeap } from '../../src/core/deadline-heap.js';
import { Waiter } from '../../src/core/waiter-queue.js';

/** A waiter as the queue leaves it while queued (`pos >= 0`); `leave` marks it gone, as the queue would. */
function queued(deadline: number): Waiter {
  const waiter = new Waiter(1, undefined, 0, 0, deadline, () => {});
  waiter.pos = 0;
  return waiter;
}

function leave(waiter: Waiter): void {
  waiter.pos = -1;
}

const deadlines = (waiters: Waiter[]) => waiters.map((w) => w.deadline);

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

  it('due takes deadlines at or before now, or only before now when strict', () => {
    const heap = new DeadlineHeap();
    heap.push(queued(10));
    heap.push(queued(20));
    expect(heap.due(9)).toEqual([]);
    expect(heap.due(10, true)).toEqual([]);
    expect(deadlines(heap.due(10))).toEqual([10]);
    expect(heap.due(20, true)).toEqual([]);
    expect(deadlines(heap.due(20.5, true))).toEqual([20]);
    expect(heap.next()).toBe(Infinity);
    expect(heap.size).toBe(2); // due waiters stay counted until `forget`
  });

  it('gives deadlines earliest first whatever the push order, skipping waiters that left', () => {
    const heap = new DeadlineHeap();
    const waiters = [50, 20, 80, 10, 70, 30, 60, 40, 90].map((d) => queued(d));
    for (const w of waiters) heap.push(w);
    expect(heap.next()).toBe(10);
    leave(waiters[3]!); // 10
    leave(waiters[5]!); // 30
    expect(heap.next()).toBe(20);
    expect(deadlines(heap.due(45))).toEqual([20, 40]);
    expect(deadlines(heap.due(Infinity))).toEqual([50, 60, 70, 80, 90]);
  });

  it('clear forgets every waiter, still queued or not', () => {
    const heap = new DeadlineHeap();
    const gone = queued(6);
    for (const w of [gone, queued(7), queued(8)]) heap.push(w);
    leave(gone);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.next()).toBe(Infinity);
    expect(heap.due(Infinity)).toEqual([]);
  });

  it('after a clear, orders only the waiters pushed since', () => {
    const heap = new DeadlineHeap();
    heap.push(queued(7));
    heap.clear();
    // No read between the clear and these pushes (a read drops a leftover entry sitting on top):
    // this run's sift-ups and sift-downs would carry a leftover to where it hides the earliest
    // deadline (15) below a later one.
    for (const d of [1, 10, 20]) heap.push(queued(d));
    expect(deadlines(heap.due(1))).toEqual([1]);
    for (const d of [30, 40, 15, 5]) heap.push(queued(d));
    expect(deadlines(heap.due(5))).toEqual([5]);
    heap.push(queued(50));
    expect(deadlines(heap.due(10))).toEqual([10]);
    expect(heap.next()).toBe(15);
    expect(deadlines(heap.due(Infinity))).toEqual([15, 20, 30, 40, 50]);
    expect(heap.size).toBe(8);
  });

  describe('rebuild once most of the heap is stale', () => {
    /**
     * 66 waiters, all but `late` (50) and `early` (3) about to leave; those two sit where, once
     * the stale ones are filtered out, 50 ends up above 3 unless the rest is heapified again.
     */
    function staleHeap(): { heap: DeadlineHeap; stale: Waiter[]; late: Waiter; early: Waiter } {
      const heap = new DeadlineHeap();
      const stale: Waiter[] = [];
      const push = (w: Waiter) => {
        heap.push(w);
        return w;
      };
      stale.push(push(queued(1))); // index 0
      const late = push(queued(50)); // index 1
      stale.push(push(queued(2))); // index 2
      stale.push(push(queued(100)), push(queued(100))); // indexes 3, 4
      const early = push(queued(3)); // index 5, below the 2
      for (let i = 0; i < 60; i++) stale.push(push(queued(200)));
      return { heap, stale, late, early };
    }

    it('keeps the earliest deadline on top when two waiters are left', () => {
      const { heap, stale, late, early } = staleHeap();
      for (const w of stale) leave(w);
      for (let i = 0; i < stale.length; i++) heap.forget();
      expect(heap.size).toBe(2);
      expect(heap.next()).toBe(3);
      expect(heap.due(Infinity)).toEqual([early, late]);
      expect(heap.next()).toBe(Infinity);
    });

    it('keeps a single waiter left, and nothing else', () => {
      const { heap, stale, late, early } = staleHeap();
      leave(late);
      for (const w of stale) leave(w);
      for (let i = 0; i <= stale.length; i++) heap.forget();
      expect(heap.size).toBe(1);
      expect(heap.next()).toBe(3);
      expect(heap.due(3)).toEqual([early]);
      expect(heap.next()).toBe(Infinity);
      expect(heap.due(Infinity)).toEqual([]);
    });

    it('waiters leaving one at a time from anywhere: the rest still come due earliest first', () => {
      const heap = new DeadlineHeap();
      // Deadlines 0..99 pushed in a scrambled order (37 is coprime with 100).
      const waiters = Array.from({ length: 100 }, (_, i) => queued((i * 37) % 100));
      for (const w of waiters) heap.push(w);
      const survivors = new Set([3, 17, 42, 58, 64, 71, 88, 99]);
      let left = 0;
      for (const w of waiters) {
        if (survivors.has(w.deadline)) continue;
        leave(w);
        heap.forget();
        if (++left % 23 === 0) expect(heap.next()).toBe(Math.min(...waiters.filter((x) => x.queued).map((x) => x.deadline)));
      }
      expect(heap.size).toBe(8);
      expect(deadlines(heap.due(60))).toEqual([3, 17, 42, 58]);
      expect(deadlines(heap.due(Infinity))).toEqual([64, 71, 88, 99]);
    });
  });
});
