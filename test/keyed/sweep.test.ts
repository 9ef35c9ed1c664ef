// The sweep runs in slices (a bounded number of keys and of clock time per callback, the rest
// after the event loop had its turn), and a limiter that calls back into the map while it is
// looked at, closed or made never leaves a limiter handed out that the map does not hold and
// `close` would miss (issue #12).
import { describe, expect, it, vi } from 'vitest';
import { type Clock, ConcurrencySemaphore, KeyedLimiter, LimiterClosedError, VirtualClock } from '../../src/index.js';

/** A clock whose timers fire only when the test says so, one callback at a time; `step` is how far `now()` moves on each read. */
function manualClock(step = 0) {
  let t = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => (t += step),
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: t + ms, fn });
      return seq;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  /** Fires the one pending timer (there is never more than one), moving time to its instant; returns its delay. */
  const fireOne = () => {
    expect(timers.size).toBe(1);
    const [handle, timer] = [...timers][0]!;
    timers.delete(handle);
    const delay = timer.at - t;
    t = Math.max(t, timer.at);
    timer.fn();
    return delay;
  };
  return { clock, timers, fireOne, set: (at: number) => void (t = Math.max(t, at)) };
}

const semaphore = () => new ConcurrencySemaphore({ capacity: 1 });

describe('KeyedLimiter: the sweep runs in slices', () => {
  it('drops 10 000 due keys over several callbacks, each a bounded slice, one timer at a time, re-armed 1 ms later', () => {
    const { clock, timers, fireOne } = manualClock();
    const keyed = new KeyedLimiter(semaphore, { idleMs: 100, clock });
    const made = Array.from({ length: 10_000 }, (_, i) => keyed.get(`k${i}`));
    expect(fireOne()).toBe(100); // the front key's instant
    const slices: number[] = [];
    let before = 10_000;
    slices.push(before - keyed.size);
    while (timers.size > 0) {
      before = keyed.size;
      expect(fireOne()).toBe(1); // the rest of the sweep, after a turn of the event loop
      slices.push(before - keyed.size);
    }
    expect(keyed.size).toBe(0);
    expect(slices.length).toBeGreaterThan(1);
    expect(slices.reduce((a, b) => a + b)).toBe(10_000);
    // No callback drops everything: each is bounded by the same key count, the last takes the rest.
    expect(new Set(slices.slice(0, -1)).size).toBe(1);
    expect(slices[0]).toBeLessThan(10_000);
    expect(slices.at(-1)).toBeLessThanOrEqual(slices[0]!);
    // Dropped in order of last use, every one closed.
    expect(made.every((l) => l.closed)).toBe(true);
    keyed.close();
  });

  it('slices the same with the default clock under vi.useFakeTimers() installed after import', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const keyed = new KeyedLimiter(semaphore, { idleMs: 100 });
      for (let i = 0; i < 10_000; i++) keyed.get(`k${i}`);
      vi.advanceTimersByTime(99);
      expect(keyed.size).toBe(10_000);
      vi.advanceTimersByTime(1); // the first slice only: the rest is re-armed 1 ms later
      const first = 10_000 - keyed.size;
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThan(10_000);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(1);
      expect(10_000 - keyed.size).toBe(2 * first);
      vi.advanceTimersByTime(10);
      expect(keyed.size).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a slice also ends once its clock time is up, and the next one goes on from there', () => {
    // Every read of the map's clock moves it 1 ms: a slice ends after a few reads, long before its key count.
    const { clock, timers, fireOne } = manualClock(1);
    const keyed = new KeyedLimiter(semaphore, { idleMs: 100, clock });
    for (let i = 0; i < 2_000; i++) keyed.get(`k${i}`);
    const slices: number[] = [];
    fireOne();
    slices.push(2_000 - keyed.size);
    while (timers.size > 0) {
      const before = keyed.size;
      fireOne();
      slices.push(before - keyed.size);
    }
    expect(keyed.size).toBe(0);
    expect(slices.length).toBeGreaterThan(10);
    expect(Math.max(...slices)).toBeLessThan(2_000 / 10);
    expect(Math.min(...slices.slice(0, -1))).toBeGreaterThan(0);
  });

  it('keys used between two slices are kept; busy keys found in a slice are looked at again idleMs later', () => {
    const { clock, timers, fireOne, set } = manualClock();
    const keyed = new KeyedLimiter(semaphore, { idleMs: 100, clock });
    for (let i = 0; i < 10_000; i++) keyed.get(`k${i}`);
    const held = keyed.get('k9999').tryAcquire()!; // its use renews it too
    set(50);
    keyed.get('k9998'); // renewed to 150
    fireOne(); // at 100: one slice
    keyed.get('k9000'); // used between slices: not due until 201
    while (timers.size > 0 && keyed.size > 3) fireOne();
    expect(keyed.size).toBe(3);
    expect(keyed.has('k9000') && keyed.has('k9998') && keyed.has('k9999')).toBe(true);
    expect(fireOne()).toBeGreaterThan(1); // the sweep is over: armed for the next key's instant (150)
    expect(keyed.has('k9998')).toBe(false);
    held.release();
    while (timers.size > 0) fireOne();
    expect(keyed.size).toBe(0);
  });

  it('after most keys are dropped, the rest keep their instants and new keys work', () => {
    const { clock, timers, fireOne, set } = manualClock();
    const keyed = new KeyedLimiter(semaphore, { idleMs: 100, clock });
    for (let i = 0; i < 20_000; i++) keyed.get(`old${i}`);
    set(60);
    const kept = ['old5', 'old17', 'old19999'].map((k) => keyed.get(k));
    while (keyed.size > 3) fireOne();
    expect(kept.map((_, i) => keyed.get(['old5', 'old17', 'old19999'][i]!))).toEqual(kept);
    const fresh = keyed.get('new');
    expect(keyed.get('new')).toBe(fresh);
    while (timers.size > 0) fireOne();
    expect(keyed.size).toBe(0);
    expect([...kept, fresh].every((l) => l.closed)).toBe(true);
  });
});

describe('KeyedLimiter: shrinking its arrays after a peak', () => {
  for (const peak of [40_000, 100_000]) {
    it(`keeps every key, its limiter and its instant while keys come and go after a peak of ${peak} (against a model)`, () => {
      // At 100 000 the map also moves to a fresh `Map` bit by bit (a `Map` shrinking at once blocks for tens of ms).
      const { clock, timers, fireOne, set } = manualClock();
      let t = 0;
      const keyed = new KeyedLimiter<unknown, ConcurrencySemaphore>(semaphore, { idleMs: 100, clock });
      /** key → [limiter, last use]: what the map must hold. */
      const model = new Map<unknown, [ConcurrencySemaphore, number]>();
      const use = (key: unknown) => {
        const limiter = keyed.get(key);
        const known = model.get(key);
        // A limiter dropped since the model last looked is closed, and was dropped only once idleMs had passed.
        if (known?.[0].closed) expect(t - known[1]).toBeGreaterThanOrEqual(100);
        else if (known) expect(limiter).toBe(known[0]);
        model.set(key, [limiter, t]);
      };
      const forget = () => {
        for (const [key, [, last]] of model) if (t - last >= 100 && !keyed.has(key)) model.delete(key);
        expect(keyed.size).toBe(model.size);
      };
      // A peak of keys (NaN and 0 among them: the map's own key equality), then the sweep drops
      // them while some are used again and new ones arrive.
      for (let i = 0; i < peak; i++) use(i);
      use(NaN);
      let seed = 7;
      const random = (n: number) => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) % n;
      for (let step = 0; step < 300; step++) {
        t += 1;
        set(t);
        for (let j = 0; j < 5; j++) use(random(3) === 0 ? `new${step}-${j}` : random(50) === 0 ? (random(2) ? NaN : -0) : random(peak));
        while (timers.size > 0 && [...timers.values()][0]!.at <= t) fireOne();
        if (step % 25 === 0) forget();
      }
      forget();
      for (const [key, [limiter, last]] of model) {
        expect(keyed.has(key)).toBe(true);
        expect(t - last).toBeLessThan(101);
        expect(keyed.get(key)).toBe(limiter);
      }
      while (timers.size > 0) fireOne();
      expect(keyed.size).toBe(0);
      expect(keyed.has(NaN) || keyed.has(0)).toBe(false);
    });
  }
});

describe('KeyedLimiter: re-entrant calls (issue #12)', () => {
  /** A semaphore whose close runs `onClose` after closing. */
  function closing(onClose: (sem: ConcurrencySemaphore) => void) {
    const sem = new ConcurrencySemaphore({ capacity: 1 });
    const close = sem.close.bind(sem);
    sem.close = (reason?: unknown) => {
      close(reason);
      onClose(sem);
    };
    return sem;
  }

  it('a limiter that gets its own key while the sweep closes it: the new limiter is the one in the map, and close closes it', async () => {
    const clock = new VirtualClock();
    const handedOut: ConcurrencySemaphore[] = [];
    let keyed!: KeyedLimiter<string, ConcurrencySemaphore>;
    let first = true;
    keyed = new KeyedLimiter(
      (key) =>
        first
          ? ((first = false),
            closing(() => {
              if (!keyed.closed) handedOut.push(keyed.get(key));
            }))
          : new ConcurrencySemaphore({ capacity: 1 }),
      { clock, idleMs: 100 },
    );
    const old = keyed.get('a');
    await clock.advance(100);
    expect(old.closed).toBe(true);
    expect(handedOut).toHaveLength(1);
    const again = handedOut[0]!;
    expect(again).not.toBe(old);
    expect(again.closed).toBe(false);
    expect(keyed.has('a')).toBe(true);
    expect(keyed.get('a')).toBe(again);
    keyed.close();
    expect(again.closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a factory that gets the same key: one limiter is handed out for the key, the extra one is closed', () => {
    const made: ConcurrencySemaphore[] = [];
    let keyed!: KeyedLimiter<string, ConcurrencySemaphore>;
    keyed = new KeyedLimiter(
      (key) => {
        const sem = new ConcurrencySemaphore({ capacity: 1 });
        made.push(sem);
        if (made.length === 1) keyed.get(key);
        return sem;
      },
      { clock: new VirtualClock(), idleMs: 100 },
    );
    const outer = keyed.get('a');
    expect(made).toHaveLength(2);
    const [extra, inner] = made;
    expect(outer).toBe(inner);
    expect(extra!.closed).toBe(true);
    expect(keyed.get('a')).toBe(inner);
    expect(keyed.size).toBe(1);
    keyed.close();
    expect(inner!.closed).toBe(true);
  });

  it('a factory that closes the map: its limiter is closed and get throws', () => {
    let keyed!: KeyedLimiter<string, ConcurrencySemaphore>;
    let made: ConcurrencySemaphore | undefined;
    const clock = new VirtualClock();
    keyed = new KeyedLimiter(
      () => {
        keyed.close();
        return (made = new ConcurrencySemaphore({ capacity: 1 }));
      },
      { clock, idleMs: 100 },
    );
    expect(() => keyed.get('a')).toThrow(LimiterClosedError);
    expect(made!.closed).toBe(true);
    expect(keyed.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a limiter that closes the map while the sweep closes it: every limiter is closed, no timer is left', async () => {
    const clock = new VirtualClock();
    let keyed!: KeyedLimiter<string, ConcurrencySemaphore>;
    keyed = new KeyedLimiter(
      (key) => (key === 'a' ? closing(() => keyed.close()) : new ConcurrencySemaphore({ capacity: 1 })),
      { clock, idleMs: 100 },
    );
    const a = keyed.get('a');
    const later = ['b', 'c', 'd'].map((k) => keyed.get(k));
    await clock.advance(100);
    expect(keyed.closed).toBe(true);
    expect([a, ...later].every((l) => l.closed)).toBe(true);
    expect(keyed.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a limiter whose idle uses its own key is kept, renewed from then', async () => {
    const clock = new VirtualClock();
    let keyed!: KeyedLimiter<string, ConcurrencySemaphore>;
    let looks = 0;
    let trap = false;
    keyed = new KeyedLimiter(
      (key) => {
        const sem = new ConcurrencySemaphore({ capacity: 1 });
        Object.defineProperty(sem, 'idle', {
          get: () => {
            if (!trap) return true;
            trap = false;
            looks++;
            keyed.get(key);
            return true;
          },
        });
        return sem;
      },
      { clock, idleMs: 100 },
    );
    const a = keyed.get('a');
    trap = true;
    await clock.advance(100);
    expect(looks).toBe(1);
    expect(keyed.get('a')).toBe(a);
    expect(a.closed).toBe(false);
    await clock.advance(100); // renewed at 100 by the idle getter... and by the get just above
    expect(keyed.has('a')).toBe(false);
    expect(a.closed).toBe(true);
  });

  it('close after a re-entrant get closes everything, also when a limiter’s close throws or calls back', () => {
    const clock = new VirtualClock();
    const seen: unknown[] = [];
    let keyed!: KeyedLimiter<string, ConcurrencySemaphore>;
    const boom = new Error('close failed');
    keyed = new KeyedLimiter(
      (key) =>
        key === 'thrower'
          ? closing(() => {
              throw boom;
            })
          : key === 'caller'
            ? closing(() => {
                try {
                  keyed.get('caller');
                } catch (error) {
                  seen.push(error);
                }
              })
            : new ConcurrencySemaphore({ capacity: 1 }),
      { clock, idleMs: 100 },
    );
    const all = ['x', 'thrower', 'caller', 'y'].map((k) => keyed.get(k));
    expect(() => keyed.close()).toThrow(boom);
    expect(all.every((l) => l.closed)).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(LimiterClosedError);
    expect(keyed.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
