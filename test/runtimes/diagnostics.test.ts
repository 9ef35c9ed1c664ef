// src/core/diagnostics.ts: the tollgate:event channel is found lazily through
// process.getBuiltinModule, shared, and absent (undefined, never a throw) where the runtime has none.
import dc from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EVENT_CHANNEL, eventChannel, resetEventChannelForTests, subscribeToEvents, type LimiterDiagnosticsMessage } from '../../src/core/diagnostics.js';

const message = (n: number): LimiterDiagnosticsMessage => ({ limiter: {}, name: `l${n}`, kind: 'TokenBucket', event: { type: 'admitted', cost: n, at: n } });

afterEach(() => {
  vi.restoreAllMocks();
  resetEventChannelForTests();
});

describe('eventChannel', () => {
  it('is Node\'s channel named tollgate:event, and reports subscribers as they come and go', () => {
    expect(EVENT_CHANNEL).toBe('tollgate:event');
    const ch = eventChannel()!;
    expect(ch).toBe(dc.channel('tollgate:event'));
    expect(ch.hasSubscribers).toBe(false);
    const got: unknown[] = [];
    const listener = (m: unknown, name: string | symbol) => got.push([m, name]);
    dc.subscribe(EVENT_CHANNEL, listener);
    expect(ch.hasSubscribers).toBe(true);
    const m = message(1);
    ch.publish(m);
    dc.unsubscribe(EVENT_CHANNEL, listener);
    expect(ch.hasSubscribers).toBe(false);
    ch.publish(message(2));
    expect(got).toEqual([[m, 'tollgate:event']]);
  });

  it('looks the module up once, at the first call, through process.getBuiltinModule', () => {
    const spy = vi.spyOn(process, 'getBuiltinModule');
    expect(spy).not.toHaveBeenCalled();
    const first = eventChannel();
    eventChannel();
    expect(spy.mock.calls).toEqual([['node:diagnostics_channel']]);
    expect(eventChannel()).toBe(first);
  });

  it('is undefined where there is no process.getBuiltinModule (browsers, Node before 20.16)', () => {
    vi.spyOn(globalThis, 'process', 'get').mockReturnValue({} as never);
    expect(eventChannel()).toBeUndefined();
    expect(subscribeToEvents(() => {})).toBeUndefined();
  });

  it('is undefined where there is no process at all, or a loader that throws or answers nothing', () => {
    vi.spyOn(globalThis, 'process', 'get').mockReturnValue(undefined as never);
    expect(eventChannel()).toBeUndefined();
    vi.restoreAllMocks();
    resetEventChannelForTests();
    vi.spyOn(process, 'getBuiltinModule').mockImplementation(() => {
      throw new Error('denied');
    });
    expect(eventChannel()).toBeUndefined();
    vi.restoreAllMocks();
    resetEventChannelForTests();
    vi.spyOn(process, 'getBuiltinModule').mockReturnValue({} as never);
    expect(eventChannel()).toBeUndefined();
  });
});

describe('subscribeToEvents', () => {
  it('delivers every message until stopped; stopping twice is harmless and leaves other subscribers', () => {
    const a: unknown[] = [];
    const b: unknown[] = [];
    const stopA = subscribeToEvents((m) => a.push(m.event.cost))!;
    const stopB = subscribeToEvents((m) => b.push(m.event.cost))!;
    eventChannel()!.publish(message(1));
    stopA();
    stopA();
    expect(eventChannel()!.hasSubscribers).toBe(true);
    eventChannel()!.publish(message(2));
    stopB();
    expect(eventChannel()!.hasSubscribers).toBe(false);
    expect([a, b]).toEqual([[1], [1, 2]]);
  });

  it('subscribing one function twice needs two stops', () => {
    const got: number[] = [];
    const f = (m: LimiterDiagnosticsMessage) => got.push(m.event.cost);
    const stop1 = subscribeToEvents(f)!;
    const stop2 = subscribeToEvents(f)!;
    eventChannel()!.publish(message(1));
    stop1();
    eventChannel()!.publish(message(2));
    stop2();
    eventChannel()!.publish(message(3));
    expect(got).toEqual([1, 1, 2]);
  });
});
