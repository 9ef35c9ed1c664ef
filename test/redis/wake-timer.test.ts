// The one timer class, as the Redis limiters use it: background timers are unref'ed, so lease
// renewals and the watchdog never keep a process alive; the Gate's timers are left as they were.
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { WakeTimer } from '../../src/core/wake-timer.js';

function clockWith(makeHandle: () => unknown): Clock & { delays: number[] } {
  const delays: number[] = [];
  return { delays, now: () => 1000, setTimeout: (_fn, ms) => (delays.push(ms), makeHandle()), clearTimeout: () => {} };
}

describe('WakeTimer unref option', () => {
  it('unrefs every handle it arms with { unref: true }, and none without', () => {
    let unrefs = 0;
    const clock = clockWith(() => ({ unref: () => void unrefs++ }));
    const background = new WakeTimer(clock, () => {}, { unref: true });
    background.arm(1250.3, 1000);
    background.arm(1500, 1000);
    expect(unrefs).toBe(2);
    expect(clock.delays).toEqual([251, 500]);
    new WakeTimer(clock, () => {}).arm(2000, 1000);
    expect(unrefs).toBe(2);
  });

  it('a handle without unref (a number, as in browsers) is fine', () => {
    const timer = new WakeTimer(clockWith(() => 7), () => {}, { unref: true });
    expect(() => timer.arm(1010, 1000)).not.toThrow();
    expect(timer.armedAt).toBe(1010);
  });

  it('a real background timer does not keep the process alive', () => {
    let handle: NodeJS.Timeout | undefined;
    const spy = { now: () => 0, setTimeout: (f: () => void, ms: number) => (handle = setTimeout(f, ms)), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
    const t2 = new WakeTimer(spy, () => {}, { unref: true });
    t2.arm(60_000, 0);
    expect(handle?.hasRef()).toBe(false);
    t2.arm(Infinity, 0);
  });
});
