import { describe, expect, it } from 'vitest';
import { CreditSemaphore, KeyedLimiter, LeakyBucketLimiter, TokenBucket, VirtualClock } from '../../src/index.js';
import { expectReject, expectThrow, names, notNumbers, show, unchanged } from '../support/bad-input-limiters.js';

// Every argument of every public method, given what a user might pass by mistake. Promise-returning
// methods reject (never throw); the others throw. Each error names the argument and the value, and
// the limiter, in a state with a permit held, a waiter queued and (CreditSemaphore) a refund under
// way, is exactly as it was: available, pending, stats(), retryAfterMs, timers, events, and the
// queued waiter still waiting. Afterwards it still works.

/** Costs no limiter can take: a TypeError for a wrong type, a RangeError naming the capacity for a wrong number. */
const badCosts: [unknown, new (...args: never[]) => Error][] = [
  ...notNumbers.map((v): [unknown, typeof TypeError] => [v, TypeError]),
  ...[NaN, -1, -1e-12, -Infinity, Infinity, 4.5, 1e308, Number.MAX_VALUE].map((v): [unknown, typeof RangeError] => [v, RangeError]),
];
const badOptions: unknown[] = [null, 5, 'options', true];
const badSignals: unknown[] = [{}, 'signal', new EventTarget(), { aborted: false, reason: undefined, addEventListener() {}, removeEventListener() {} }, new AbortController()];
const badIds: unknown[] = [{}, true, null, Symbol('id'), 1n, ['a']];
const badDelays: [unknown, new (...args: never[]) => Error][] = [
  ...notNumbers.map((v): [unknown, typeof TypeError] => [v, TypeError]),
  ...[NaN, -1, -Infinity].map((v): [unknown, typeof RangeError] => [v, RangeError]),
];
const badFns: unknown[] = [undefined, null, 5, 'fn', {}, Promise.resolve()];
const label = (v: unknown) => show(v).slice(0, 40);

describe.each(names)('%s', (name) => {
  describe('cost', () => {
    it.each(badCosts.map(([v, type]) => [label(v), v, type] as const))('%s: acquire rejects, tryAcquire and retryAfterMs throw, naming cost and capacity', async (_, cost, type) => {
      await unchanged(name, async ({ limiter }) => {
        const check = type === RangeError ? 'the capacity 4' : 'cost';
        await expectReject(() => limiter.acquire(cost as number), type, 'cost', cost);
        await expectReject(() => limiter.acquire(cost as number, { maxWaitMs: 5, id: 'x' }), type, check, cost);
        expectThrow(() => limiter.tryAcquire(cost as number), type, 'cost', cost);
        expectThrow(() => limiter.tryAcquire(cost as number), type, check);
        expectThrow(() => limiter.retryAfterMs(cost as number), type, 'cost', cost);
        if (limiter instanceof LeakyBucketLimiter) expectThrow(() => limiter.hasCapacity(cost as number), type, 'cost', cost);
      });
    });
    it.each(badCosts.map(([v, type]) => [label(v), v, type] as const))('%s: run rejects without calling fn; wrap throws', async (_, cost, type) => {
      await unchanged(name, async ({ limiter }) => {
        let called = 0;
        await expectReject(() => limiter.run(() => called++, { cost: cost as number }), type, 'cost', cost);
        expectThrow(() => limiter.wrap(() => called++, cost as number), type, 'cost', cost);
        if (limiter instanceof CreditSemaphore) {
          await expectReject(() => limiter.transact(() => called++, { credits: cost as number }), type, 'credits', cost);
        }
        expect(called).toBe(0);
      });
    });
  });

  describe('acquire options', () => {
    it.each(badOptions.map((v) => [label(v), v]))('options = %s: a TypeError naming options', async (_, options) => {
      await unchanged(name, async ({ limiter }) => {
        await expectReject(() => limiter.acquire(1, options as never), TypeError, 'options', options);
        await expectReject(() => limiter.run(() => 1, options as never), TypeError, 'options', options);
      });
    });
    it.each(badSignals.map((v) => [label(v), v]))('signal = %s: a TypeError naming signal', async (_, signal) => {
      await unchanged(name, async ({ limiter }) => {
        await expectReject(() => limiter.acquire(1, { signal: signal as AbortSignal }), TypeError, 'signal', signal);
        await expectReject(() => limiter.acquire(0, { signal: signal as AbortSignal }), TypeError, 'signal', signal);
        await expectReject(() => limiter.run(() => 1, { signal: signal as AbortSignal }), TypeError, 'signal', signal);
      });
    });
    it.each(badDelays.map(([v, type]) => [label(v), v, type] as const))('maxWaitMs = %s: an error naming maxWaitMs', async (_, maxWaitMs, type) => {
      await unchanged(name, async ({ limiter }) => {
        await expectReject(() => limiter.acquire(1, { maxWaitMs: maxWaitMs as number }), type, 'maxWaitMs', maxWaitMs);
        await expectReject(() => limiter.acquire(4, { maxWaitMs: maxWaitMs as number }), type, 'maxWaitMs', maxWaitMs);
      });
    });
    it.each(badIds.map((v) => [label(v), v]))('id = %s: a TypeError naming id', async (_, id) => {
      await unchanged(name, async ({ limiter }) => {
        await expectReject(() => limiter.acquire(1, { id: id as string }), TypeError, 'id', id);
      });
    });
    it('validation comes before an aborted signal and before close: the argument error wins', async () => {
      await unchanged(name, async ({ limiter }) => {
        const signal = AbortSignal.abort(new Error('gone'));
        await expectReject(() => limiter.acquire(1, { signal, maxWaitMs: -1 }), RangeError, 'maxWaitMs', -1);
        await expectReject(() => limiter.acquire(NaN, { signal }), RangeError, 'cost', NaN);
      });
    });
  });

  describe('run and wrap', () => {
    it.each(badFns.map((v) => [label(v), v]))('fn = %s: run rejects, wrap throws, naming fn', async (_, fn) => {
      await unchanged(name, async ({ limiter }) => {
        await expectReject(() => limiter.run(fn as never), TypeError, 'fn', fn);
        await expectReject(() => limiter.run(fn as never, { cost: 0 }), TypeError, 'fn', fn);
        expectThrow(() => limiter.wrap(fn as never), TypeError, 'fn', fn);
        if (limiter instanceof CreditSemaphore) await expectReject(() => limiter.transact(fn as never, { credits: 1 }), TypeError, 'fn', fn);
      });
    });
  });

  describe('pause', () => {
    it.each([...badDelays, [undefined, TypeError] as [unknown, typeof TypeError]].map(([v, type]) => [label(v), v, type] as const))('pause(%s): an error naming ms', async (_, ms, type) => {
      await unchanged(name, ({ limiter }) => expectThrow(() => limiter.pause(ms as number), type, 'ms', ms));
    });
  });
});

describe('CreditSemaphore only', () => {
  it.each(badDelays.map(([v, type]) => [label(v), v, type] as const))('refundMs = %s per call: an error naming refundMs', async (_, refundMs, type) => {
    await unchanged('CreditSemaphore', async ({ limiter }) => {
      const sem = limiter as CreditSemaphore;
      await expectReject(() => sem.acquire(1, { refundMs: refundMs as number }), type, 'refundMs', refundMs);
      await expectReject(() => sem.transact(() => 1, { credits: 1, refundMs: refundMs as number }), type, 'refundMs', refundMs);
    });
  });
  it('refundMs = Infinity per call is a RangeError (credits would never come back)', async () => {
    await unchanged('CreditSemaphore', async ({ limiter }) => {
      await expectReject(() => (limiter as CreditSemaphore).acquire(1, { refundMs: Infinity }), RangeError, 'refundMs', Infinity);
    });
  });
  it.each([undefined, null, 5, 'x'].map((v) => [label(v), v]))('transact options = %s: an error naming options or credits', async (_, options) => {
    await unchanged('CreditSemaphore', async ({ limiter }) => {
      await expectReject(() => (limiter as CreditSemaphore).transact(() => 1, options as never), TypeError, options === undefined ? 'credits' : 'options', options);
    });
  });
});

describe('KeyedLimiter', () => {
  it('bad arguments reach the key’s limiter, which rejects them and stays unchanged', async () => {
    const clock = new VirtualClock();
    const keyed = new KeyedLimiter(() => new TokenBucket({ capacity: 2, refillIntervalMs: 100, clock }), { clock });
    const bucket = keyed.get('a');
    const before = bucket.stats();
    await expectReject(() => keyed.acquire('a', NaN), RangeError, 'cost', NaN);
    await expectReject(() => keyed.acquire('a', 1, { signal: {} as AbortSignal }), TypeError, 'signal', {});
    await expectReject(() => keyed.run('a', 5 as never), TypeError, 'fn', 5);
    expect(bucket.stats()).toEqual(before);
    keyed.close();
    await expect(keyed.acquire('a', NaN)).rejects.toMatchObject({ code: 'ERR_LIMITER_CLOSED' });
  });
});
