// Direct tests of Lane (one priority's waiters, with the min-cost tree) and WaiterQueue (lanes by
// priority, candidate(), bypass bound): slot growth and compaction carrying positions and the
// tree, `push` saying "became the head", `lowest` for drop-oldest, `list`/`drain` in queue order,
// and a property against the plain reference model in test/model/queue-model.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lane } from '../../src/core/lane.js';
import type { Waiter } from '../../src/core/waiter.js';
import { WaiterQueue } from '../../src/core/waiter-queue.js';
import { QueueTwin } from '../support/queue-twin.js';
import { waiter } from '../support/waiters.js';

/** What `firstFit` must answer: the first waiter in arrival order of at most `limit` units. */
function expectFirstFits(lane: Lane, inOrder: Waiter[], limits: number[]): void {
  for (const limit of limits) expect(lane.firstFit(limit), `firstFit(${limit})`).toBe(inOrder.find((w) => w.units <= limit));
  expect(lane.minUnits()).toBe(Math.min(...inOrder.map((w) => w.units)));
  const seen: Waiter[] = [];
  lane.forEach((w) => seen.push(w));
  expect(seen).toEqual(inOrder);
  expect(lane.size).toBe(inOrder.length);
  expect(lane.head()).toBe(inOrder[0]);
}

describe('Waiter', () => {
  it('is queued only between push and leaving; its deadline is since + maxWaitMs', () => {
    const queue = new WaiterQueue({ opportunistic: false, maxBypass: Infinity });
    const w = waiter(1, { since: 10.5, maxWaitMs: 150 });
    expect(w.deadline).toBe(160.5);
    expect(w.maxWaitMs).toBe(150);
    expect(waiter(1).deadline).toBe(Infinity);
    expect(w.queued).toBe(false);
    queue.push(w);
    expect(w.queued).toBe(true);
    queue.remove(w);
    expect(w.queued).toBe(false);
  });
});

describe('Lane', () => {
  it('firstFit finds nothing when no cost fits, with every first slot taken', () => {
    const lane = new Lane(0, true);
    const ws = Array.from({ length: 16 }, (_, i) => waiter(10 + i));
    for (const w of ws) lane.push(w);
    expect(lane.firstFit(9)).toBeUndefined();
    expect(lane.firstFit(10)).toBe(ws[0]);
    expect(lane.firstFit(Infinity)).toBe(ws[0]);
    lane.remove(ws[0]!);
    expect(lane.firstFit(10)).toBeUndefined();
    expect(lane.firstFit(12)).toBe(ws[1]);
    expect(lane.minUnits()).toBe(11);
    expect(lane.head()).toBe(ws[1]);
  });

  it('grows past its first slots with firstFit and minUnits exact', () => {
    const lane = new Lane(0, true);
    const ws = Array.from({ length: 40 }, (_, i) => waiter(((i * 17) % 40) + 1));
    for (const w of ws) lane.push(w);
    const limits = Array.from({ length: 42 }, (_, i) => i);
    expectFirstFits(lane, ws, limits);
    const left = ws.filter((_, i) => i % 3 !== 0);
    for (const [i, w] of ws.entries()) if (i % 3 === 0) lane.remove(w);
    expectFirstFits(lane, left, limits);
    const out: Waiter[] = [];
    lane.drainInto(out);
    expect(out).toEqual(left);
    expect(lane.size).toBe(0);
    expect(left.every((w) => !w.queued)).toBe(true);
    expect(lane.firstFit(Infinity)).toBeUndefined();
  });

  it('compacts when at most half its slots are in use: positions, head and tree follow', () => {
    const lane = new Lane(0, true);
    const first = Array.from({ length: 8 }, (_, i) => waiter(8 - i));
    for (const w of first) lane.push(w);
    for (const w of first.slice(0, 6)) lane.remove(w);
    const more = Array.from({ length: 4 }, (_, i) => waiter(20 + i));
    for (const w of more) lane.push(w); // the first push finds the 8 slots full with 2 in use: compaction
    let inOrder = [...first.slice(6), ...more];
    expectFirstFits(lane, inOrder, [0, 1, 2, 3, 19, 20, 25]);
    lane.remove(first[7]!);
    lane.remove(more[1]!);
    inOrder = inOrder.filter((w) => w !== first[7] && w !== more[1]);
    expectFirstFits(lane, inOrder, [0, 1, 2, 3, 19, 20, 21, 25]);
  });

  it('without a cost tree (fifo) keeps order and the head', () => {
    const lane = new Lane(3, false);
    const ws = Array.from({ length: 20 }, (_, i) => waiter(i + 1));
    for (const w of ws) lane.push(w);
    lane.remove(ws[0]!);
    lane.remove(ws[1]!);
    expect(lane.head()).toBe(ws[2]);
    expect(lane.priority).toBe(3);
    const seen: Waiter[] = [];
    lane.forEach((w) => seen.push(w));
    expect(seen).toEqual(ws.slice(2));
  });
});

describe('WaiterQueue', () => {
  it('push says whether the newcomer became the head: only a new highest priority does', () => {
    const queue = new WaiterQueue({ opportunistic: false, maxBypass: Infinity });
    const a = waiter(1);
    expect(queue.push(a)).toBe(true); // alone
    expect(queue.push(waiter(1))).toBe(false); // same priority: behind a
    expect(queue.push(waiter(1, { priority: -1 }))).toBe(false);
    const urgent = waiter(1, { priority: 2 });
    expect(queue.push(urgent)).toBe(true);
    expect(queue.head()).toBe(urgent);
    expect(queue.push(waiter(1, { priority: 2 }))).toBe(false);
  });

  it('list and drain give queue order (priority, then arrival); lowest is the oldest of the lowest priority', () => {
    const queue = new WaiterQueue({ opportunistic: true, maxBypass: 3 });
    const a = waiter(3);
    const b = waiter(1, { priority: -2 });
    const c = waiter(2, { priority: 1 });
    const d = waiter(4, { priority: -2 });
    const e = waiter(5);
    for (const w of [a, b, c, d, e]) queue.push(w);
    expect(queue.list()).toEqual([c, a, e, b, d]);
    expect(queue.size).toBe(5);
    expect(queue.lowest()).toBe(b);
    queue.remove(b);
    expect(queue.lowest()).toBe(d);
    expect(queue.drain()).toEqual([c, a, e, d]);
    expect([a, c, d, e].every((w) => !w.queued)).toBe(true);
    expect(queue.size).toBe(0);
    expect(queue.head()).toBeUndefined();
    expect(queue.lowest()).toBeUndefined();
    expect(queue.bypassed).toBe(0);
    expect(queue.candidate(Infinity)).toBeUndefined();
  });

  it('fifo: the candidate is the head or nobody; neededUnits is the head', () => {
    const queue = new WaiterQueue({ opportunistic: false, maxBypass: Infinity });
    const heavy = waiter(5);
    const light = waiter(1);
    queue.push(heavy);
    queue.push(light);
    expect(queue.candidate(4)).toBeUndefined();
    expect(queue.candidate(5)).toBe(heavy);
    expect(queue.neededUnits()).toBe(5);
  });

  it('opportunistic: the first in queue order that fits, across lanes; neededUnits is the least of any lane', () => {
    const queue = new WaiterQueue({ opportunistic: true, maxBypass: Infinity });
    const hi = waiter(6, { priority: 1 });
    const lo1 = waiter(4);
    const lo2 = waiter(2);
    for (const w of [lo1, lo2, hi]) queue.push(w);
    expect(queue.candidate(6)).toBe(hi);
    expect(queue.candidate(5)).toBe(lo1);
    expect(queue.candidate(3)).toBe(lo2);
    expect(queue.candidate(1)).toBeUndefined();
    expect(queue.neededUnits()).toBe(2);
  });

  it('does not count bypasses without a bound', () => {
    const queue = new WaiterQueue({ opportunistic: true, maxBypass: Infinity });
    const [a, b, c] = [waiter(5), waiter(1), waiter(1)];
    for (const w of [a, b, c]) queue.push(w);
    queue.admit(b);
    queue.admit(c);
    expect(queue.bypassed).toBe(0);
    expect(queue.blocked).toBe(false);
    expect(queue.head()).toBe(a);
  });

  it('counts later arrivals admitted while the oldest waits; blocked at maxBypass; forgets them when it leaves', () => {
    const queue = new WaiterQueue({ opportunistic: true, maxBypass: 2 });
    const [a, b, c, d] = [waiter(5), waiter(1), waiter(1), waiter(1)];
    for (const w of [a, b, c, d]) queue.push(w);
    queue.admit(queue.candidate(1)!);
    expect(queue.bypassed).toBe(1);
    expect(queue.blocked).toBe(false);
    queue.admit(queue.candidate(1)!);
    expect(queue.bypassed).toBe(2);
    expect(queue.blocked).toBe(true);
    expect(queue.candidate(4)).toBeUndefined(); // d fits, but a blocks it
    expect(queue.neededUnits()).toBe(5);
    expect(queue.candidate(5)).toBe(a);
    queue.admit(a);
    expect(queue.bypassed).toBe(0);
    expect(queue.candidate(1)).toBe(d);
  });

  it('a higher priority passing the oldest counts too, in fifo mode as well', () => {
    const queue = new WaiterQueue({ opportunistic: false, maxBypass: 1 });
    const old = waiter(3);
    queue.push(old);
    const urgent = waiter(1, { priority: 9 });
    queue.push(urgent);
    expect(queue.candidate(1)).toBe(urgent);
    queue.admit(urgent);
    expect(queue.blocked).toBe(true);
    const urgent2 = waiter(1, { priority: 9 });
    queue.push(urgent2);
    expect(queue.candidate(2)).toBeUndefined();
    expect(queue.candidate(3)).toBe(old);
  });

  it('a new maxBypass counts from now: passes before it are forgotten', () => {
    const queue = new WaiterQueue({ opportunistic: true, maxBypass: 5 });
    const [a, b] = [waiter(5), waiter(1)];
    queue.push(a);
    queue.push(b);
    queue.admit(b);
    expect(queue.bypassed).toBe(1);
    queue.maxBypass = 1;
    expect(queue.bypassed).toBe(0);
    expect(queue.blocked).toBe(false);
  });

  it('agrees with the reference model on every candidate (random priorities, costs, leaves, bounds)', () => {
    type Op = { t: 'push'; units: number; priority: number } | { t: 'remove'; k: number } | { t: 'admit'; free: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ t: fc.constant('push' as const), units: fc.integer({ min: 1, max: 6 }), priority: fc.integer({ min: -1, max: 2 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('remove' as const), k: fc.nat() }) },
      { weight: 4, arbitrary: fc.record({ t: fc.constant('admit' as const), free: fc.integer({ min: 0, max: 7 }) }) },
    );
    fc.assert(
      fc.property(fc.boolean(), fc.constantFrom(0, 1, 2, 3, Infinity), fc.array(op, { maxLength: 200 }), (opportunistic, maxBypass, ops) => {
        const twin = new QueueTwin(opportunistic, maxBypass);
        const { queue, model } = twin;
        for (const o of ops) {
          if (o.t === 'push') twin.push(o.units, o.priority);
          else if (o.t === 'remove') twin.remove(o.k);
          else twin.admit(o.free);
          expect(queue.size).toBe(model.waiters.length);
          expect(queue.list()).toEqual(twin.ordered());
          if (model.waiters.length > 0) {
            expect(queue.blocked).toBe(model.blocker() !== undefined);
            const ordered = model.ordered();
            const needed = model.blocker()?.units ?? (opportunistic ? Math.min(...ordered.map((m) => m.units)) : ordered[0]!.units);
            expect(queue.neededUnits()).toBe(needed);
          }
        }
      }),
      { seed: 5, numRuns: 300 },
    );
  });
});
