// SignalGroups (one abort listener per distinct signal, docs/semantics.md §16) and QueueWatchers
// (onEmpty / onIdle / onSizeLessThan, §11).
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { QueueWatchers } from '../../src/core/queue-watchers.js';
import { SignalGroups } from '../../src/core/signal-groups.js';
import type { Waiter } from '../../src/core/waiter.js';
import { waiter } from '../support/waiters.js';

describe('SignalGroups', () => {
  it('one listener per signal however many waiters share it; removed when the last leaves', () => {
    const calls: [Waiter[], unknown][] = [];
    const groups = new SignalGroups((ws, reason) => calls.push([ws, reason]));
    const controller = new AbortController();
    const ws = Array.from({ length: 20 }, () => waiter(1));
    for (const w of ws) groups.add(w, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const w of ws.slice(0, 19)) groups.remove(w);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    groups.remove(ws[19]!);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(ws.every((w) => w.group === undefined)).toBe(true);
    controller.abort();
    expect(calls).toEqual([]);
  });

  it('an abort hands over the waiters still on it, in arrival order, with the reason, and drops the listener', () => {
    const calls: [Waiter[], unknown][] = [];
    const groups = new SignalGroups((ws, reason) => calls.push([ws, reason]));
    const a = new AbortController();
    const b = new AbortController();
    const [w1, w2, w3, w4] = [waiter(1), waiter(1), waiter(1), waiter(1)];
    groups.add(w1, a.signal);
    groups.add(w2, b.signal);
    groups.add(w3, a.signal);
    groups.add(w4, a.signal);
    groups.remove(w3); // from the middle
    const reason = new Error('stop');
    a.abort(reason);
    expect(calls).toEqual([[[w1, w4], reason]]);
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(b.signal, 'abort')).toHaveLength(1);
    expect(w1.group).toBeUndefined();
    groups.remove(w1); // already out: nothing happens
    // The signal is free again: a new waiter on a fresh controller forms its own group.
    groups.remove(w2);
    expect(getEventListeners(b.signal, 'abort')).toHaveLength(0);
  });

  it('a signal whose waiters all left and came back gets a fresh group (one listener still)', () => {
    const calls: Waiter[][] = [];
    const groups = new SignalGroups((ws) => calls.push(ws));
    const c = new AbortController();
    const w1 = waiter(1);
    groups.add(w1, c.signal);
    groups.remove(w1);
    const w2 = waiter(1);
    groups.add(w2, c.signal);
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(1);
    c.abort();
    expect(calls).toEqual([[w2]]);
  });
});

describe('QueueWatchers', () => {
  const settled = async (p: Promise<void>) => {
    let state = 'pending';
    p.then(
      () => (state = 'resolved'),
      () => (state = 'rejected'),
    );
    await new Promise((r) => setImmediate(r));
    return state;
  };

  it('resolves at once when already true', async () => {
    const w = new QueueWatchers();
    expect(await settled(w.add(1, false, 0, 5))).toBe('resolved'); // onEmpty, permits held
    expect(await settled(w.add(1, true, 0, 0))).toBe('resolved'); // onIdle
    expect(await settled(w.add(3, false, 2, 0))).toBe('resolved'); // onSizeLessThan(3)
    expect(w.size).toBe(0);
  });

  it('check resolves exactly the watchers whose condition holds; idle needs nothing running', async () => {
    const w = new QueueWatchers();
    const empty = w.add(1, false, 2, 1);
    const idle = w.add(1, true, 2, 1);
    const below2 = w.add(2, false, 2, 1);
    expect(w.size).toBe(3);
    w.check(1, 1);
    expect(await settled(below2)).toBe('resolved');
    expect(await settled(empty)).toBe('pending');
    w.check(0, 1);
    expect(await settled(empty)).toBe('resolved');
    expect(await settled(idle)).toBe('pending');
    w.check(0, 0);
    expect(await settled(idle)).toBe('resolved');
    expect(w.size).toBe(0);
  });

  it('rejectAll rejects every watcher still waiting with the reason', async () => {
    const w = new QueueWatchers();
    const p = w.add(1, false, 1, 0);
    const reason = new Error('closed');
    w.rejectAll(reason);
    await expect(p).rejects.toBe(reason);
    expect(w.size).toBe(0);
  });
});
