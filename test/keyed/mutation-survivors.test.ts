// What mutation testing showed the KeyedLimiter tests did not pin down: each half of the check on
// what the factory returns, the exact closed message, a sweep that must end even when
// `now + idleMs` rounds to `now`, one timer at most when a limiter's close calls back into `get`,
// and clocks whose handles are not objects.
import { describe, expect, it } from 'vitest';
import { ConcurrencySemaphore, KeyedLimiter, LimiterClosedError, VirtualClock, type Clock, type KeyedMember } from '../../src/index.js';

/** A limiter-shaped object with every member but `missing`. */
function without(missing: 'acquire' | 'run' | 'close' | 'idle'): KeyedMember {
  const sem = new ConcurrencySemaphore({ capacity: 1 });
  const member: Record<string, unknown> = {
    acquire: sem.acquire.bind(sem),
    run: sem.run.bind(sem),
    close: sem.close.bind(sem),
    idle: true,
  };
  delete member[missing];
  return member as unknown as KeyedMember;
}

describe('KeyedLimiter: what the factory returns', () => {
  for (const missing of ['acquire', 'run', 'close', 'idle'] as const) {
    it(`refuses a result without ${missing}, and keeps no key`, () => {
      const keyed = new KeyedLimiter(() => without(missing));
      expect(() => keyed.get('k')).toThrow('factory must return a limiter (acquire, run, close and idle); got [object Object] for key k');
      expect(keyed.size).toBe(0);
    });
  }

  it('refuses an idle that is not a boolean', () => {
    const keyed = new KeyedLimiter(() => ({ ...without('idle'), idle: 'yes' }) as unknown as KeyedMember);
    expect(() => keyed.get('k')).toThrow(TypeError);
  });

  it('refuses null and undefined with its own message, not a property-access error', () => {
    for (const result of [null, undefined]) {
      const keyed = new KeyedLimiter(() => result as unknown as KeyedMember);
      expect(() => keyed.get('k')).toThrow(`factory must return a limiter (acquire, run, close and idle); got ${String(result)} for key k`);
    }
  });

  it('accepts a limiter-shaped object that is not a tollgate class', () => {
    const keyed = new KeyedLimiter(() => ({ ...without('idle'), idle: false }) as unknown as KeyedMember);
    expect(typeof keyed.get('k').acquire).toBe('function');
    expect(keyed.size).toBe(1);
  });
});

describe('KeyedLimiter: close and the timer', () => {
  it('a closed keyed limiter names itself in the error', () => {
    const keyed = new KeyedLimiter(() => new ConcurrencySemaphore({ capacity: 1 }));
    keyed.close();
    expect(() => keyed.get('k')).toThrow(LimiterClosedError);
    expect(() => keyed.get('k')).toThrow('the keyed limiter is closed');
  });

  it('close clears only a timer that exists', () => {
    const virtual = new VirtualClock();
    const cleared: unknown[] = [];
    const clock: Clock = {
      now: () => virtual.now(),
      setTimeout: (fn, ms) => virtual.setTimeout(fn, ms),
      clearTimeout: (handle) => {
        cleared.push(handle);
        virtual.clearTimeout(handle);
      },
    };
    const unused = new KeyedLimiter(() => new ConcurrencySemaphore({ capacity: 1 }), { clock });
    unused.close(); // never armed
    expect(cleared).toEqual([]);

    const used = new KeyedLimiter(() => new ConcurrencySemaphore({ capacity: 1, clock }), { clock, idleMs: 100 });
    used.get('k');
    used.close();
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).not.toBeUndefined();
    expect(virtual.pendingTimers).toBe(0);
  });

  it('a sweep ends even when now + idleMs rounds to now, keeping a busy key', async () => {
    // At 2⁵² ms one ulp is 1 ms: at an even instant `now + 0.5` rounds (to even) back to `now`, so a
    // busy key re-inserted by the sweep is due again at once. Sweeps run at 2⁵² + 1 and + 2.
    const clock = new VirtualClock(2 ** 52);
    const keyed = new KeyedLimiter(() => new ConcurrencySemaphore({ capacity: 1, clock }), { clock, idleMs: 0.5 });
    const held = keyed.get('busy').tryAcquire()!;
    await clock.advance(1);
    keyed.get('idle');
    await clock.advance(1); // this sweep must look at each key once and stop
    expect(clock.now() % 2).toBe(0);
    expect(keyed.has('busy')).toBe(true);
    expect(keyed.has('idle')).toBe(false);
    held.release();
    keyed.close();
  });

  it('one timer at most when closing an idle limiter calls back into get', async () => {
    const clock = new VirtualClock();
    let keyed!: KeyedLimiter<string, ConcurrencySemaphore>;
    keyed = new KeyedLimiter(
      (key) => {
        const sem = new ConcurrencySemaphore({ capacity: 1, clock });
        if (key === 'a') {
          const close = sem.close.bind(sem);
          sem.close = (reason?: unknown) => {
            close(reason);
            if (!keyed.closed) keyed.get('b'); // re-arms from inside the sweep
          };
        }
        return sem;
      },
      { clock, idleMs: 100 },
    );
    keyed.get('a');
    await clock.advance(100); // 'a' is dropped; its close uses 'b'
    expect(keyed.has('a')).toBe(false);
    expect(keyed.has('b')).toBe(true);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(100);
    expect(keyed.has('b')).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    keyed.close();
  });

  it('works with a clock whose handles are null or numbers (no unref to call)', () => {
    for (const handle of [null, undefined, 7]) {
      const clock: Clock = { now: () => 0, setTimeout: () => handle, clearTimeout: () => {} };
      const keyed = new KeyedLimiter(() => new ConcurrencySemaphore({ capacity: 1 }), { clock, idleMs: 10 });
      expect(() => keyed.get('k')).not.toThrow();
      expect(keyed.size).toBe(1);
      keyed.close();
    }
  });
});
