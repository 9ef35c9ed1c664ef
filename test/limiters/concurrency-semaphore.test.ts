import { describe, expect, it } from 'vitest';
import { ConcurrencySemaphore, type Permit } from '../../src/index.js';
import { expectBadOption, expectCommonOptions, expectNumberOption, sleep, track, useFakeTimers } from '../support/fake-timers.js';

const fake = useFakeTimers();

describe('ConcurrencySemaphore', () => {
  it('is weighted: acquire(n) takes n slots, release gives them back at once', async () => {
    const sem = new ConcurrencySemaphore({ capacity: 5 });
    const two = await sem.acquire(2);
    const three = await sem.acquire(3);
    expect(sem.available).toBe(0);
    expect(sem.tryAcquire(1)).toBeUndefined();
    expect(sem.retryAfterMs(1)).toBe(Infinity); // only a release frees a slot
    two.release();
    expect(sem.available).toBe(2);
    expect(sem.tryAcquire(2)?.cost).toBe(2);
    three.release();
    expect(sem.available).toBe(3);
  });

  it('a release admits a waiter at that very instant, with no timer armed while it waits', async () => {
    const sem = new ConcurrencySemaphore({ capacity: 2 });
    const held = sem.tryAcquire(2)!;
    const waiter = track(sem.acquire(2));
    expect(fake.clock.countTimers()).toBe(0);
    await fake.clock.tickAsync(1234);
    expect(waiter.settled).toBe(false);
    held.release();
    await fake.clock.tickAsync(0);
    expect(waiter.at).toBe(1234);
  });

  it('is fifo by default: a heavy head blocks lighter waiters behind it until it is admitted', async () => {
    const sem = new ConcurrencySemaphore({ capacity: 5 });
    const units = Array.from({ length: 5 }, () => sem.tryAcquire(1)!);
    const heavy = track(sem.acquire(4));
    const light = track(sem.acquire(1));
    await fake.clock.tickAsync(10);
    units[0]!.release();
    units[1]!.release(); // 2 free: the head needs 4, the light one must not pass it
    await fake.clock.tickAsync(0);
    expect(sem.available).toBe(2);
    expect(light.settled).toBe(false);
    await fake.clock.tickAsync(10);
    units[2]!.release();
    units[3]!.release();
    await fake.clock.tickAsync(0);
    expect(heavy.at).toBe(20);
    expect(light.settled).toBe(false);
    await fake.clock.tickAsync(10);
    units[4]!.release();
    await fake.clock.tickAsync(0);
    expect(light.at).toBe(30);
  });

  it("admission: 'opportunistic' lets a light waiter pass a heavy head", async () => {
    const sem = new ConcurrencySemaphore({ capacity: 5, admission: 'opportunistic' });
    const units = Array.from({ length: 5 }, () => sem.tryAcquire(1)!);
    const heavy = track(sem.acquire(4));
    const light = track(sem.acquire(1));
    await fake.clock.tickAsync(10);
    units[0]!.release();
    await fake.clock.tickAsync(0);
    expect(light.at).toBe(10);
    expect(heavy.settled).toBe(false);
  });

  it('never more than capacity at once under run()', async () => {
    const sem = new ConcurrencySemaphore({ capacity: 3 });
    let running = 0;
    let peak = 0;
    const starts: number[] = [];
    const tasks = Array.from({ length: 7 }, (_, i) =>
      sem.run(
        async () => {
          running += i % 2 === 0 ? 2 : 1;
          peak = Math.max(peak, running);
          starts.push(performance.now());
          await sleep(100);
          running -= i % 2 === 0 ? 2 : 1;
        },
        { cost: i % 2 === 0 ? 2 : 1 },
      ),
    );
    await fake.clock.runAllAsync();
    await Promise.all(tasks);
    expect(peak).toBeLessThanOrEqual(3);
    // costs 2,1,2,1,2,1,2 in fifo order: [2,1] at 0, [2,1] at 100, [2,1] at 200, [2] at 300
    expect(starts).toStrictEqual([0, 0, 100, 100, 200, 200, 300]);
    expect(sem.available).toBe(3);
  });

  it('the capacity getter and a cost above it', async () => {
    const sem = new ConcurrencySemaphore({ capacity: 3 });
    expect(sem.capacity).toBe(3);
    await expect(sem.acquire(4)).rejects.toThrow(/cost.*3.*4|4.*3/);
    expect(sem.pending).toBe(0);
    const p: Permit = sem.tryAcquire(3)!;
    expect(p.cost).toBe(3);
  });

  it('constructor: bad options throw naming the option', () => {
    expectNumberOption((capacity) => new ConcurrencySemaphore({ capacity } as never), 'capacity');
    expectCommonOptions((extra) => new ConcurrencySemaphore({ capacity: 1, ...extra }));
    expectBadOption(() => new ConcurrencySemaphore(undefined as never), TypeError, 'capacity');
    expectBadOption(() => new ConcurrencySemaphore(null as never), TypeError, 'options');
  });
});
