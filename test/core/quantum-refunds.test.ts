// Quantum (docs/semantics.md §5.4: costs are whole quanta of 1e-9, coarser powers of ten for
// capacities past ~9e6, finer costs a RangeError) and RefundQueue (the treap of refunds with
// subtree sums: out-of-order inserts, ties in insertion order, "when are `need` units back").
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkUnits, LARGEST, NO_UNITS, Quantum, unitsDown, unitsUp } from '../../src/core/quantum.js';
import { RefundQueue } from '../../src/core/refund-queue.js';

describe('Quantum', () => {
  it('is 1e-9 up to capacities of 2^50 × 1e-9; decimal costs are whole quanta', () => {
    const q = Quantum.for(40);
    expect(q.scale).toBe(1e9);
    expect(q.size).toBe(1e-9);
    expect(q.units(0.1) + q.units(0.2)).toBe(q.units(0.3));
    expect(q.units(16.1)).toBe(16_100_000_000);
    expect(q.units(1e-9)).toBe(1);
    expect(q.units(40 - 1e-9)).toBe(40e9 - 1);
    expect(q.cost(q.units(0.8))).toBe(0.8);
    expect(q.cost(q.units(1) - q.units(0.1) - q.units(0.1))).toBe(0.8);
  });

  it('k / 1e9 is k units for every k up to 1e15 (fast-check)', () => {
    const q = Quantum.for(1e6);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e15 }), (k) => {
        expect(q.units(k / 1e9)).toBe(k);
        expect(q.units(q.cost(k))).toBe(k);
      }),
      { seed: 1, numRuns: 2_000 },
    );
  });

  // BUGS.md "Quantum: 1e-9 is finer than a double near 9e6". Every amount a limiter reports
  // (cost(units)) must read back as the same units, else `tryAcquire(available)` fails.
  it('every whole number of units of a large capacity reads back exactly (cost → units)', () => {
    for (const capacity of [1.1e6, 9e6, 1e9, 2 ** 60]) {
      const q = Quantum.for(capacity);
      const top = Math.floor(capacity * q.scale);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: top }), (k) => {
          expect(q.units(q.cost(k)), `capacity ${capacity}, ${k} units`).toBe(k);
        }),
        { seed: 1, numRuns: 1_000 },
      );
    }
  });

  it('the largest capacity on 1e-9 is 2^50 quanta (docs/semantics.md §5.4)', () => {
    expect(Quantum.for(2 ** 50 / 1e9).scale).toBe(1e9);
    expect(Quantum.for(1.2e6).scale).toBe(1e8);
    expect(Quantum.for(100 * 60_000).scale).toBe(1e8);
    const q = Quantum.for(2 ** 50 / 1e9);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 50 }), (k) => {
        expect(q.units(q.cost(k))).toBe(k);
      }),
      { seed: 1, numRuns: 2_000 },
    );
  });

  it('costs finer than the quantum are NaN, and checkUnits turns that into a RangeError naming the option', () => {
    const q = Quantum.for(1);
    expect(q.units(1.5e-9)).toBeNaN();
    expect(q.units(1e-10)).toBeNaN();
    expect(() => checkUnits(q, 'cost', 1.5e-9)).toThrow(RangeError);
    expect(() => checkUnits(q, 'cost', 1.5e-9)).toThrow(/cost.*1\.5e-9/);
    expect(checkUnits(q, 'capacity', 2)).toBe(2e9);
  });

  it('capacities past ~1.1e6 get the smallest power of ten that keeps capacity in 2^50 units', () => {
    for (const capacity of [1e7, 123_456_789, 1e12, 2 ** 60, 1e300]) {
      const q = Quantum.for(capacity);
      expect(capacity * q.scale, `capacity ${capacity}`).toBeLessThanOrEqual(2 ** 50);
      expect(capacity * q.scale * 10, `capacity ${capacity}: not the finest power of ten`).toBeGreaterThan(2 ** 50);
      const top = Math.floor(capacity * q.scale);
      expect(q.units(q.cost(top))).toBe(top);
      expect(Number.isInteger(Math.log10(q.scale))).toBe(true);
    }
    expect(Quantum.for(1e7).scale).toBe(1e8);
    expect(Quantum.for(1e7).units(1e-9)).toBeNaN();
    expect(Quantum.for(1e7).units(1e-8)).toBe(1);
  });
});

describe('a change of quantum (update past what it spans)', () => {
  it('spans: a size is spanned up to 2^50 units', () => {
    expect(Quantum.for(1).spans(LARGEST / 1e9)).toBe(true);
    expect(Quantum.for(1).spans(1.2e6)).toBe(false);
    expect(Quantum.for(1.2e6).spans(1.2e6)).toBe(true);
  });

  it('unitsUp / unitsDown: exact quotients, and the rounding a direction asks for, whatever the division rounds to', () => {
    expect([unitsUp(25, 10), unitsDown(25, 10), unitsUp(30, 10), unitsDown(30, 10), unitsUp(0, 10), unitsDown(9, 10)]).toEqual([3, 2, 3, 3, 0, 0]);
    expect([unitsUp(Infinity, 10), unitsDown(Infinity, 10)]).toEqual([Infinity, Infinity]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 53 - 1 }), fc.integer({ min: 1, max: 9 }), (units, k) => {
        const factor = 10 ** k;
        const down = unitsDown(units, factor);
        const up = unitsUp(units, factor);
        expect(BigInt(down)).toBe(BigInt(units) / BigInt(factor));
        expect(BigInt(up)).toBe((BigInt(units) + BigInt(factor) - 1n) / BigInt(factor));
      }),
      { seed: 0x7a11 },
    );
  });

  it('NO_UNITS counts nothing: every cost is NaN in it, so a release leaves the short path', () => {
    for (const cost of [0, 1, 0.5, 1e-9, 4e6]) expect(NO_UNITS.units(cost)).toBeNaN();
  });
});

describe('RefundQueue', () => {
  it('orders by instant, ties in insertion order; total and next follow', () => {
    const refunds = new RefundQueue();
    expect(refunds.next).toBe(Infinity);
    expect(refunds.instantOf(1)).toBe(Infinity);
    refunds.push(13_000, 30, 'a');
    refunds.push(9_000, 20, 'b');
    refunds.push(13_000, 5, 'c');
    expect(refunds.size).toBe(3);
    expect(refunds.total).toBe(55);
    expect(refunds.next).toBe(9_000);
    expect(refunds.instantOf(20)).toBe(9_000);
    expect(refunds.instantOf(21)).toBe(13_000);
    expect(refunds.instantOf(55)).toBe(13_000);
    expect(refunds.instantOf(56)).toBe(Infinity);
    expect(refunds.popDue(8_999)).toBeUndefined();
    expect(refunds.popDue(9_000)).toMatchObject({ at: 9_000, units: 20, id: 'b' });
    expect(refunds.popDue(20_000)).toMatchObject({ id: 'a' });
    expect(refunds.popDue(20_000)).toMatchObject({ id: 'c' });
    expect(refunds.popDue(20_000)).toBeUndefined();
    expect(refunds.size).toBe(0);
    expect(refunds.total).toBe(0);
  });

  it('clear empties it', () => {
    const refunds = new RefundQueue();
    refunds.push(1, 1, undefined);
    refunds.clear();
    expect(refunds.size).toBe(0);
    expect(refunds.total).toBe(0);
    expect(refunds.next).toBe(Infinity);
  });

  it('matches a sorted array under random out-of-order pushes and pops (instantOf is the prefix-sum instant)', () => {
    type Op = { t: 'push'; at: number; units: number } | { t: 'pop'; now: number } | { t: 'ask'; need: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ t: fc.constant('push' as const), at: fc.integer({ min: 0, max: 100 }), units: fc.integer({ min: 1, max: 9 }) }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('pop' as const), now: fc.integer({ min: 0, max: 100 }) }) },
      { weight: 3, arbitrary: fc.record({ t: fc.constant('ask' as const), need: fc.integer({ min: 1, max: 60 }) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const refunds = new RefundQueue();
        const model: { at: number; units: number; id: number }[] = [];
        let id = 0;
        for (const o of ops) {
          if (o.t === 'push') {
            refunds.push(o.at, o.units, id);
            model.push({ at: o.at, units: o.units, id: id++ });
            model.sort((a, b) => a.at - b.at || a.id - b.id);
          } else if (o.t === 'pop') {
            const got = refunds.popDue(o.now);
            const first = model[0];
            if (first !== undefined && first.at <= o.now) {
              expect(got).toMatchObject(model.shift()!);
            } else expect(got).toBeUndefined();
          } else {
            let sum = 0;
            const hit = model.find((r) => (sum += r.units) >= o.need);
            expect(refunds.instantOf(o.need)).toBe(hit?.at ?? Infinity);
          }
          expect(refunds.size).toBe(model.length);
          expect(refunds.total).toBe(model.reduce((s, r) => s + r.units, 0));
          expect(refunds.next).toBe(model[0]?.at ?? Infinity);
        }
      }),
      { seed: 9, numRuns: 200 },
    );
  });

  it('100 000 refunds inserted in reverse order: every operation stays logarithmic (depth, not a list)', () => {
    const refunds = new RefundQueue();
    for (let i = 100_000; i > 0; i--) refunds.push(i, 1, i);
    expect(refunds.instantOf(50_000)).toBe(50_000);
    for (let i = 1; i <= 100_000; i++) expect(refunds.popDue(i)!.at).toBe(i);
  });
});
