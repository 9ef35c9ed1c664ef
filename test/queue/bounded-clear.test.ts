// A bounded queue, waiting for the queue, clearing without closing, run's signal and the counts
// (docs/semantics.md §11.2–§11.4, §14) against every limiter.
import { describe, expect, it } from 'vitest';
import { LimiterClosedError, QueueClearedError, QueueFullError } from '../../src/index.js';
import { filled, flush, QUEUE_KINDS, track, type QueueKind } from '../support/queue-limiters.js';

const optionsOf = (kind: QueueKind) =>
  ({ credit: { capacity: 4 }, concurrency: { capacity: 4 }, leaky: { maxRate: 4 }, token: { capacity: 4, refillIntervalMs: 1_000 }, sliding: { limit: 4, windowMs: 1_000 }, throttle: { rate: 4 } })[kind];

describe.each(QUEUE_KINDS)('bounded queue: %s (docs/semantics.md §11.2)', (kind) => {
  it("'reject' (default): with maxPending waiting, a newcomer rejects at once with QueueFullError and nothing changes", async () => {
    const f = await filled(kind, { maxPending: 2 });
    const l = f.limiter;
    const a = track(l.acquire(1, { id: 'a' }));
    const b = track(l.acquire(1, { id: 'b' }));
    await flush();
    const before = { pending: l.pending, available: l.available, timers: f.clock.pendingTimers };
    const error = await l.acquire(1, { id: 'c', priority: 9 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect((error as QueueFullError).code).toBe('ERR_QUEUE_FULL');
    expect((error as QueueFullError).maxPending).toBe(2);
    expect({ pending: l.pending, available: l.available, timers: f.clock.pendingTimers }).toEqual(before);
    expect(l.stats().rejected).toBe(1);
    expect(f.events.filter((e) => e.type === 'rejected').map((e) => e.id)).toEqual(['c']);
    await f.freeAll();
    expect([a.done, b.done]).toEqual([true, true]);
    expect(f.admitted()).toEqual(['a', 'b']);
  });

  it("'drop-oldest': the oldest of the lowest priority is rejected instead; the newcomer itself when it is the lowest", async () => {
    const f = await filled(kind, { maxPending: 3, overflow: 'drop-oldest' });
    const l = f.limiter;
    const hi = track(l.acquire(1, { id: 'hi', priority: 1 }));
    const old = track(l.acquire(1, { id: 'old' }));
    const young = track(l.acquire(1, { id: 'young' }));
    const c = track(l.acquire(1, { id: 'c' })); // full: drops 'old'
    await flush();
    expect(old.error).toBeInstanceOf(QueueFullError);
    expect((old.error as QueueFullError).maxPending).toBe(3);
    expect(l.pending).toBe(3);
    const low = await l.acquire(1, { id: 'low', priority: -1 }).catch((e: unknown) => e);
    expect(low).toBeInstanceOf(QueueFullError);
    expect(l.pending).toBe(3);
    expect(l.stats().rejected).toBe(2);
    expect(f.events.filter((e) => e.type === 'rejected').map((e) => e.id)).toEqual(['old', 'low']);
    await f.freeAll();
    expect(f.admitted()).toEqual(['hi', 'young', 'c']);
    expect([hi.done, young.done, c.done]).toEqual([true, true, true]);
  });

  it('bad maxPending or overflow: an error naming the option, at construction and in update (which changes nothing)', async () => {
    const f = await filled(kind);
    const l = f.limiter;
    const make = (o: Record<string, unknown>) => () => new (l.constructor as new (o: unknown) => unknown)({ ...optionsOf(kind), ...o });
    for (const [value, type] of [
      [-1, RangeError],
      [1.5, RangeError],
      [Number.NaN, RangeError],
      ['3', TypeError],
    ] as const) {
      expect(make({ maxPending: value }), String(value)).toThrow(type);
      expect(make({ maxPending: value })).toThrow(/maxPending/);
      expect(() => l.update({ maxPending: value as never })).toThrow(type);
      expect(() => l.update({ maxPending: value as never })).toThrow(/maxPending/);
    }
    expect(make({ overflow: 'drop-newest' })).toThrow(TypeError);
    expect(make({ overflow: 'drop-newest' })).toThrow(/overflow/);
    expect(() => l.update({ overflow: 'drop-oldest' } as never)).toThrow(/overflow/);
    expect(() => make({ maxPending: Infinity, overflow: 'reject' })()).not.toThrow();
    // Nothing changed: the queue is still unbounded.
    for (let i = 0; i < 5; i++) void l.acquire(1);
    await flush();
    expect(l.pending).toBe(5);
    expect(l.stats().rejected).toBe(0);
  });

  it("update({ maxPending }) below the queue rejects nobody; then 'drop-oldest' trades one waiter per newcomer, so the queue never grows", async () => {
    const f = await filled(kind, { overflow: 'drop-oldest' });
    const l = f.limiter;
    const waiters = [0, 1, 2, 3, 4].map((i) => track(l.acquire(1, { id: i })));
    await flush();
    l.update({ maxPending: 2 });
    await flush();
    expect(l.pending).toBe(5);
    expect(waiters.some((w) => w.done)).toBe(false);
    expect(l.stats().rejected).toBe(0);
    const x = track(l.acquire(1, { id: 'x' }));
    await flush();
    expect(l.pending).toBe(5);
    expect(waiters[0]!.error).toBeInstanceOf(QueueFullError);
    expect((waiters[0]!.error as QueueFullError).maxPending).toBe(2);
    expect(waiters.slice(1).some((w) => w.done)).toBe(false);
    const low = await l.acquire(1, { id: 'low', priority: -1 }).catch((e: unknown) => e);
    expect(low).toBeInstanceOf(QueueFullError);
    expect(l.pending).toBe(5);
    expect(f.events.filter((e) => e.type === 'rejected').map((e) => e.id)).toEqual([0, 'low']);
    // Admissions bring it down to the bound; from there it holds there.
    await f.freeOne();
    await f.freeOne();
    await f.freeOne();
    expect(f.admitted()).toEqual([1, 2, 3]);
    expect(l.pending).toBe(2);
    const y = track(l.acquire(1, { id: 'y' }));
    await flush();
    expect(waiters[4]!.error).toBeInstanceOf(QueueFullError);
    expect(l.pending).toBe(2);
    expect([x.done, y.done]).toEqual([false, false]);
    expect(l.stats().rejected).toBe(3);
  });

  it('update({ maxPending }) applies to the next newcomer', async () => {
    const f = await filled(kind);
    const l = f.limiter;
    void l.acquire(1);
    void l.acquire(1);
    l.update({ maxPending: 2 });
    expect(await l.acquire(1).catch((e: unknown) => e)).toBeInstanceOf(QueueFullError);
    l.update({ maxPending: Infinity });
    void l.acquire(1);
    await flush();
    expect(l.pending).toBe(3);
  });
});

describe.each(QUEUE_KINDS)('waiting for the queue: %s (docs/semantics.md §11.3)', (kind) => {
  it('onEmpty, onIdle and onSizeLessThan resolve at once when already true', async () => {
    const f = await filled(kind);
    const l = f.limiter;
    const empty = track(l.onEmpty());
    const below = track(l.onSizeLessThan(1));
    await flush();
    expect([empty.done, below.done]).toEqual([true, true]);
    // Permits held from the fill: idle only for the rate limiters, whose permits are spent… but still unreleased.
    const idle = track(l.onIdle());
    await flush();
    expect(idle.done).toBe(false);
  });

  it('resolve when their condition holds; onIdle waits for every permit to be released', async () => {
    const f = await filled(kind);
    const l = f.limiter;
    const permits = [l.acquire(1), l.acquire(1), l.acquire(1)];
    const empty = track(l.onEmpty());
    const below2 = track(l.onSizeLessThan(2));
    const idle = track(l.onIdle());
    await flush();
    expect([empty.done, below2.done, idle.done]).toEqual([false, false, false]);
    await f.freeOne();
    await f.freeOne();
    expect([empty.done, below2.done]).toEqual([false, true]);
    await f.freeOne();
    expect(empty.done).toBe(true);
    expect(idle.done).toBe(false);
    for (const p of permits) (await p).release();
    await flush();
    expect(idle.done).toBe(false); // the fill's own permits are still out
    expect(l.stats()).toMatchObject({ pending: 0, running: kind === 'credit' || kind === 'concurrency' ? 1 : 4 });
    await f.releaseFill();
    expect(l.stats()).toMatchObject({ pending: 0, running: 0 });
    expect([idle.done, idle.error]).toEqual([true, undefined]);
    // Idle now: a new onIdle resolves at once.
    const again = track(l.onIdle());
    await flush();
    expect([again.done, again.error]).toEqual([true, undefined]);
  });

  it('reject if the limiter closes first; after close they reject at once', async () => {
    const f = await filled(kind);
    const l = f.limiter;
    void l.acquire(1).catch(() => undefined);
    const empty = track(l.onEmpty());
    const idle = track(l.onIdle());
    const below = track(l.onSizeLessThan(1));
    l.close();
    await flush();
    expect(empty.error).toBeInstanceOf(LimiterClosedError);
    expect(idle.error).toBeInstanceOf(LimiterClosedError);
    expect(below.error).toBeInstanceOf(LimiterClosedError);
    await expect(l.onEmpty()).rejects.toBeInstanceOf(LimiterClosedError);
    await expect(l.onSizeLessThan(0)).rejects.toBeInstanceOf(RangeError);
  });
});

describe.each(QUEUE_KINDS)('clearing without closing: %s (docs/semantics.md §11.4)', (kind) => {
  it('clear() rejects every waiter with QueueClearedError; the limiter stays open', async () => {
    const f = await filled(kind);
    const l = f.limiter;
    const waiters = [track(l.acquire(1, { id: 'a' })), track(l.acquire(2, { id: 'b', maxWaitMs: 50_000 })), track(l.acquire(1, { id: 'c', signal: new AbortController().signal }))];
    await flush();
    l.clear();
    await flush();
    for (const w of waiters) {
      expect(w.error).toBeInstanceOf(QueueClearedError);
      expect((w.error as QueueClearedError).code).toBe('ERR_QUEUE_CLEARED');
    }
    expect(f.events.filter((e) => e.type === 'cleared').map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(l.pending).toBe(0);
    expect(l.closed).toBe(false);
    expect(f.clock.pendingTimers).toBe(0);
    const later = track(l.acquire(1, { id: 'later' }));
    await f.freeOne();
    expect(later.done).toBe(true);
    expect(f.admitted()).toEqual(['later']);
  });

  it('clear(reason) rejects with the reason unchanged; an empty queue is a no-op', async () => {
    const f = await filled(kind);
    const l = f.limiter;
    l.clear();
    const reason = new Error('shutting down this batch');
    const w = track(l.acquire(1));
    l.clear(reason);
    await flush();
    expect(w.error).toBe(reason);
    expect(l.stats()).toMatchObject({ pending: 0, timedOut: 0, aborted: 0, rejected: 0 });
  });
});

describe.each(QUEUE_KINDS)('run and the counts: %s (docs/semantics.md §11, §14)', (kind) => {
  it('run passes { signal } to fn (undefined without one)', async () => {
    const f = await filled(kind);
    const l = f.limiter;
    await f.freeAll();
    const controller = new AbortController();
    const seen: unknown[] = [];
    await l.run((context) => seen.push(context.signal), { signal: controller.signal });
    await l.run((context) => seen.push(context.signal));
    expect(seen).toEqual([controller.signal, undefined]);
  });

  it('stats() has held (cost of unreleased permits), running (their number) and rejected', async () => {
    const f = await filled(kind);
    const l = f.limiter;
    expect(l.stats()).toMatchObject({ held: 4, running: 4, rejected: 0 });
    const zero = l.tryAcquire(0)!;
    expect(l.stats()).toMatchObject({ held: 4, running: 5 });
    zero.release();
    expect(l.stats()).toMatchObject({ held: 4, running: 4 });
    await f.freeAll();
    const p = await l.acquire(1.5);
    const q = l.tryAcquire(0.25)!;
    const s = l.stats();
    expect(s.held).toBe(kind === 'credit' || kind === 'concurrency' ? 1.75 : 5.75);
    expect(s.running).toBe(kind === 'credit' || kind === 'concurrency' ? 2 : 6);
    p.release();
    q.release();
    expect(l.stats().running).toBe(kind === 'credit' || kind === 'concurrency' ? 0 : 4);
  });
});
