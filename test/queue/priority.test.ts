// Priorities (docs/semantics.md §11.1) against every limiter: higher first, the admission rule
// within one priority, a newcomer queued ahead of everyone scanned at once, maxBypass bounding
// overtaking by priority too, bad priorities refused without changing anything.
import { describe, expect, it } from 'vitest';
import { filled, flush, QUEUE_KINDS, track } from '../support/queue-limiters.js';

describe.each(QUEUE_KINDS)('priorities: %s (docs/semantics.md §11.1)', (kind) => {
  it('higher priority first; arrival order within a priority', async () => {
    const f = await filled(kind);
    const l = f.limiter;
    for (const [id, priority] of [
      ['a', 0],
      ['b', 0],
      ['c', 5],
      ['d', -1],
      ['e', 5],
      ['f', 0.5],
    ] as const) {
      void l.acquire(1, { id, priority });
    }
    await flush();
    expect(l.pending).toBe(6);
    await f.freeOne();
    expect(f.admitted()).toEqual(['c']);
    await f.freeAll();
    expect(f.admitted()).toEqual(['c', 'e', 'f', 'a', 'b']);
    await f.freeOne();
    expect(f.admitted()).toEqual(['c', 'e', 'f', 'a', 'b', 'd']);
    expect(l.pending).toBe(0);
  });

  it('fifo within a priority: a heavy head blocks lighter ones behind it; opportunistic lets them through', async () => {
    for (const admission of ['fifo', 'opportunistic'] as const) {
      const f = await filled(kind, { admission });
      const l = f.limiter;
      void l.acquire(3, { id: 'heavy' });
      void l.acquire(1, { id: 'light' });
      void l.acquire(1, { id: 'urgent-heavy', priority: 1 }).then(() => undefined);
      await f.freeOne();
      expect(f.admitted(), admission).toEqual(['urgent-heavy']);
      await f.freeOne();
      expect(f.admitted(), admission).toEqual(admission === 'fifo' ? ['urgent-heavy'] : ['urgent-heavy', 'light']);
      await f.freeAll();
      expect(f.admitted(), admission).toEqual(admission === 'fifo' ? ['urgent-heavy', 'heavy', 'light'] : ['urgent-heavy', 'light', 'heavy']);
    }
  });

  it('a newcomer queued ahead of everyone is scanned at once; one queued behind waits for the next scan', async () => {
    const f = await filled(kind, { admission: 'fifo' });
    const l = f.limiter;
    await f.freeOne(); // one unit free, nobody waiting
    const blocked = track(l.acquire(2, { id: 'head' }));
    const behind = track(l.acquire(1, { id: 'behind' })); // fair entry: queued behind the head, not admitted
    await flush();
    expect(behind.done).toBe(false);
    const timers = f.clock.pendingTimers;
    const ahead = track(l.acquire(1, { id: 'ahead', priority: 1 }));
    await flush();
    expect(ahead.done).toBe(true);
    expect(f.admitted()).toEqual(['ahead']);
    expect(f.events.find((e) => e.id === 'ahead' && e.type === 'admitted')?.at).toBe(f.clock.now());
    expect(blocked.done).toBe(false);
    expect(l.pending).toBe(2);
    expect(f.clock.pendingTimers).toBeLessThanOrEqual(Math.max(1, timers));
  });

  it('maxBypass bounds overtaking by priority: once passed n times, nobody arriving later goes first', async () => {
    const f = await filled(kind, { admission: 'fifo', maxBypass: 1 });
    const l = f.limiter;
    void l.acquire(2, { id: 'old' });
    void l.acquire(1, { id: 'vip1', priority: 9 });
    void l.acquire(1, { id: 'vip2', priority: 9 });
    await f.freeOne();
    expect(f.admitted()).toEqual(['vip1']); // passed once: the bound
    await f.freeOne();
    expect(f.admitted()).toEqual(['vip1']); // vip2 fits but may not pass 'old' again
    await f.freeOne();
    expect(f.admitted()).toEqual(['vip1', 'old']);
    await f.freeOne();
    expect(f.admitted()).toEqual(['vip1', 'old', 'vip2']);
  });

  it('a non-finite or non-number priority is refused, naming it, and nothing changes', async () => {
    const f = await filled(kind);
    const l = f.limiter;
    void l.acquire(1, { id: 'w' });
    await flush();
    const before = { stats: l.stats(), pending: l.pending, timers: f.clock.pendingTimers, events: f.events.length };
    for (const [priority, type] of [
      [Infinity, RangeError],
      [-Infinity, RangeError],
      [Number.NaN, RangeError],
      ['1', TypeError],
      [null, TypeError],
      [1n, TypeError],
    ] as const) {
      const error = await l.acquire(1, { priority: priority as never }).catch((e: unknown) => e);
      expect(error, String(priority)).toBeInstanceOf(type);
      expect((error as Error).message).toContain('priority');
      const run = await l.run(() => 1, { priority: priority as never }).catch((e: unknown) => e);
      expect(run).toBeInstanceOf(type);
    }
    expect({ stats: l.stats(), pending: l.pending, timers: f.clock.pendingTimers, events: f.events.length }).toEqual(before);
  });
});
