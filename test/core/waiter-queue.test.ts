// Direct tests of the waiter queue, for what mutation testing showed the limiter-level suites
// left unpinned: bypass counting only when asked for, `drain`, `firstFit` when nothing fits, and
// the slot array's growth and compaction, which rebuild the min-cost tree and must carry the
// marks of waiters that overtook the head (they are not waiters, and must count as used slots).
import { describe, expect, it } from 'vitest';
import { Waiter, WaiterQueue } from '../../src/core/waiter-queue.js';

function waiter(cost: number, id?: string | number): Waiter {
  return new Waiter(cost, id, 0, 0, Infinity, () => {});
}

/** What `firstFit` must answer: the first waiter in arrival order whose cost fits. */
function expectFirstFits(queue: WaiterQueue, inOrder: Waiter[], limits: number[]): void {
  for (const limit of limits) {
    expect(queue.firstFit(limit), `firstFit(${limit})`).toBe(inOrder.find((w) => w.cost <= limit));
  }
  expect(queue.minCost()).toBe(Math.min(...inOrder.map((w) => w.cost)));
}

describe('Waiter', () => {
  it('is queued only between push and leaving', () => {
    const queue = new WaiterQueue(false, false);
    const w = waiter(1);
    expect(w.queued).toBe(false);
    queue.push(w);
    expect(w.queued).toBe(true);
    queue.remove(w);
    expect(w.queued).toBe(false);
  });
});

describe('WaiterQueue', () => {
  it('does not count bypasses unless asked to', () => {
    const queue = new WaiterQueue(true, false);
    const [a, b, c] = [waiter(5), waiter(1), waiter(1)];
    for (const w of [a, b, c]) queue.push(w);
    queue.admit(b);
    queue.admit(c);
    expect(queue.bypassed).toBe(0);
    expect(queue.head()).toBe(a);
  });

  it('counts later arrivals admitted while the head waits, and forgets them when the head leaves', () => {
    const queue = new WaiterQueue(true, true);
    const [a, b, c, d] = [waiter(5), waiter(1), waiter(1), waiter(5)];
    for (const w of [a, b, c, d]) queue.push(w);
    queue.admit(c);
    queue.admit(b);
    expect(queue.bypassed).toBe(2);
    queue.admit(a);
    expect(queue.head()).toBe(d);
    expect(queue.bypassed).toBe(0);
  });

  it('drain returns every waiter in arrival order, none still queued, and leaves the queue empty', () => {
    const queue = new WaiterQueue(true, true);
    const ws = [waiter(3, 'a'), waiter(1, 'b'), waiter(2, 'c'), waiter(4, 'd')];
    for (const w of ws) queue.push(w);
    queue.admit(ws[1]!);
    queue.remove(ws[2]!);
    expect(queue.drain()).toEqual([ws[0], ws[3]]);
    expect(ws.map((w) => w.queued)).toEqual([false, false, false, false]);
    expect(queue.size).toBe(0);
    expect(queue.head()).toBeUndefined();
    expect(queue.bypassed).toBe(0);
    expect(queue.firstFit(Infinity)).toBeUndefined();
  });

  it('firstFit finds nothing when no cost fits, with every first slot taken', () => {
    const queue = new WaiterQueue(true, false);
    const ws = Array.from({ length: 16 }, (_, i) => waiter(10 + i));
    for (const w of ws) queue.push(w);
    expect(queue.firstFit(9)).toBeUndefined();
    expect(queue.firstFit(10)).toBe(ws[0]);
    expect(queue.firstFit(Infinity)).toBe(ws[0]);
    queue.remove(ws[0]!);
    expect(queue.firstFit(10)).toBeUndefined();
    expect(queue.firstFit(12)).toBe(ws[1]);
    expect(queue.minCost()).toBe(11);
  });

  it('grows past its first 16 slots with firstFit and minCost exact', () => {
    const queue = new WaiterQueue(true, false);
    // Costs 1..40 in a scrambled order (17 is coprime with 40), so each half of the tree matters.
    const ws = Array.from({ length: 40 }, (_, i) => waiter(((i * 17) % 40) + 1, i));
    for (const w of ws) queue.push(w);
    expect(queue.size).toBe(40);
    const limits = Array.from({ length: 42 }, (_, i) => i);
    expectFirstFits(queue, ws, limits);
    const left = ws.filter((_, i) => i % 3 !== 0);
    for (const [i, w] of ws.entries()) if (i % 3 === 0) queue.remove(w);
    expectFirstFits(queue, left, limits);
    expect(queue.drain()).toEqual(left);
  });

  it('compacts when at most half its slots are in use: positions, head and tree follow', () => {
    const queue = new WaiterQueue(true, false);
    const first = Array.from({ length: 16 }, (_, i) => waiter(16 - i, i));
    for (const w of first) queue.push(w);
    for (const w of first.slice(0, 12)) queue.remove(w);
    const more = Array.from({ length: 8 }, (_, i) => waiter(20 + i, 16 + i));
    for (const w of more) queue.push(w); // the first push finds the slots full: compaction
    let inOrder = [...first.slice(12), ...more];
    expect(queue.head()).toBe(first[12]);
    expectFirstFits(queue, inOrder, [0, 1, 2, 3, 4, 19, 20, 25, 30]);
    // Leaving after the move must vacate the right slot.
    queue.remove(first[15]!);
    queue.remove(more[3]!);
    inOrder = inOrder.filter((w) => w !== first[15] && w !== more[3]);
    expectFirstFits(queue, inOrder, [0, 1, 2, 3, 4, 19, 20, 23, 25, 30]);
    expect(queue.drain()).toEqual(inOrder);
  });

  it('grows while the head waits behind 15 marks of waiters that overtook it', () => {
    const queue = new WaiterQueue(true, true);
    const head = waiter(100, 'head');
    queue.push(head);
    const overtaking = Array.from({ length: 15 }, (_, i) => waiter(1, i));
    for (const w of overtaking) queue.push(w);
    for (let i = 0; i < 15; i++) queue.admit(queue.firstFit(1)!);
    expect(queue.bypassed).toBe(15);
    expect(queue.size).toBe(1);

    // Head plus 15 marks fill all 16 slots: the next push must grow, not compact in place.
    const later = Array.from({ length: 5 }, (_, i) => waiter(2 + i, `later${i}`));
    for (const w of later) queue.push(w);
    expect(queue.size).toBe(6);
    expect(queue.head()).toBe(head);
    expect(queue.bypassed).toBe(15);
    expectFirstFits(queue, [head, ...later], [1, 2, 3, 6, 99, 100]);

    queue.admit(head);
    expect(queue.bypassed).toBe(0);
    expect(queue.head()).toBe(later[0]);
    expectFirstFits(queue, later, [1, 2, 4, 100]);
    queue.admit(later[2]!);
    expect(queue.bypassed).toBe(1);
    expect(queue.drain()).toEqual([later[0], later[1], later[3], later[4]]);
  });
});
