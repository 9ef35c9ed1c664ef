// Direct tests of VirtualClock, for what mutation testing showed unpinned: the order of timers
// set for the same instant, which timers one `advance` fires, and `runAll`'s limit and message.
// Every simulation and timeline test relies on these, but none states them outright.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/virtual-clock.js';

describe('VirtualClock', () => {
  it('fires timers due at the same instant in the order they were set', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) clock.setTimeout(() => fired.push(name), 100);
    await clock.advance(100);
    expect(fired).toEqual(['a', 'b', 'c', 'd']);
  });

  it('fires timers in time order, ties in the order set, each at its own instant, and none past the end', async () => {
    const clock = new VirtualClock(1_000);
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.now()}`);
    clock.setTimeout(at('late'), 300);
    clock.setTimeout(at('first'), 50);
    clock.setTimeout(at('beyond'), 301);
    clock.setTimeout(at('middle'), 200);
    clock.setTimeout(at('tie'), 50);
    await clock.advance(300);
    expect(fired).toEqual(['first@1050', 'tie@1050', 'middle@1200', 'late@1300']);
    expect(clock.now()).toBe(1_300);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(1);
    expect(fired.at(-1)).toBe('beyond@1301');
    expect(clock.pendingTimers).toBe(0);
  });

  it('a timer set while firing, for the same instant, fires after those already set', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimeout(() => {
      fired.push('a');
      clock.setTimeout(() => fired.push('c'), 0);
    }, 10);
    clock.setTimeout(() => fired.push('b'), 10);
    await clock.advance(10);
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  it('clearTimeout cancels a pending timer', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const handle = clock.setTimeout(() => fired.push(1), 10);
    clock.setTimeout(() => fired.push(2), 10);
    clock.clearTimeout(handle);
    await clock.runAll();
    expect(fired).toEqual([2]);
  });

  it('runAll fires up to its limit of timers', async () => {
    const clock = new VirtualClock();
    let fired = 0;
    for (let i = 1; i <= 3; i++) clock.setTimeout(() => fired++, i);
    await clock.runAll(3);
    expect(fired).toBe(3);
    expect(clock.now()).toBe(3);
  });

  it('runAll throws once more than its limit have fired (a loop that never ends)', async () => {
    const clock = new VirtualClock();
    let fired = 0;
    // Stops after 100 so that a runAll that misses its limit fails here at once instead of hanging.
    const again = () => {
      if (++fired < 100) clock.setTimeout(again, 1);
    };
    clock.setTimeout(again, 1);
    await expect(clock.runAll(5)).rejects.toThrow(new Error('VirtualClock.runAll: more than 5 timers fired'));
    expect(fired).toBe(5);
  });
});
