import { describe, expect, it, vi } from 'vitest';
import {
  type Clock,
  ConcurrencySemaphore,
  CreditSemaphore,
  KeyedLimiter,
  LeakyBucketLimiter,
  LimiterClosedError,
  MaxWaitExceededError,
  systemClock,
  TokenBucket,
} from '../../src/index.js';
import { fakeClock, flush } from '../support/fake-clock.js';

function semaphores(idleMs = 1_000) {
  const { fake, clock } = fakeClock();
  const made: string[] = [];
  const keyed = new KeyedLimiter(
    (key: string) => {
      made.push(key);
      return new ConcurrencySemaphore({ capacity: 1, clock });
    },
    { idleMs, clock },
  );
  return { fake, clock, keyed, made };
}

/** Wraps a clock to count the timers armed through it that are still pending. */
function countingClock(inner: Clock) {
  const live = new Set<unknown>();
  let armed = 0;
  let unrefed = 0;
  const clock: Clock = {
    now: () => inner.now(),
    setTimeout(fn, ms) {
      armed++;
      const handle: unknown = inner.setTimeout(() => {
        live.delete(handle);
        fn();
      }, ms);
      live.add(handle);
      const h = handle as { unref(): unknown };
      const unref = h.unref;
      h.unref = function () {
        unrefed++;
        return unref.call(this);
      };
      return handle;
    },
    clearTimeout(handle) {
      live.delete(handle);
      inner.clearTimeout(handle);
    },
  };
  return { clock, live, armed: () => armed, unrefed: () => unrefed };
}

describe('KeyedLimiter: creation', () => {
  it('creates a key’s limiter on first use only, and hands back the same one after', () => {
    const { keyed, made } = semaphores();
    expect(keyed.size).toBe(0);
    expect(keyed.has('a')).toBe(false);
    const a = keyed.get('a');
    expect(made).toEqual(['a']);
    expect(keyed.get('a')).toBe(a);
    const b = keyed.get('b');
    expect(b).not.toBe(a);
    expect(made).toEqual(['a', 'b']);
    expect(keyed.size).toBe(2);
    expect(keyed.has('a') && keyed.has('b')).toBe(true);
  });

  it('acquire and run create on first use and go to that key’s limiter', async () => {
    const { fake, keyed, made } = semaphores();
    const permit = await keyed.acquire('a');
    expect(permit.cost).toBe(1);
    expect(keyed.get('a').available).toBe(0);
    expect(keyed.get('b').available).toBe(1);
    let done = false;
    const result = keyed.run('a', () => 'ran').then((r) => ((done = true), r));
    await flush(fake);
    expect(done).toBe(false); // a's only slot is held
    permit.release();
    expect(await result).toBe('ran');
    expect(keyed.get('a').available).toBe(1); // run released
    await expect(keyed.run('c', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(keyed.get('c').available).toBe(1);
    expect(made).toEqual(['a', 'b', 'c']);
  });

  it('acquire passes cost and options through, the limiter’s own included', async () => {
    const { fake, clock } = fakeClock();
    const keyed = new KeyedLimiter(() => new CreditSemaphore({ capacity: 10, clock }), { clock });
    const permit = await keyed.acquire('k', 8, { refundMs: 500 });
    expect(permit.cost).toBe(8);
    permit.release();
    expect(keyed.get('k').stats().refunding).toBe(8);
    const late = expect(keyed.acquire('k', 5, { maxWaitMs: 100 })).rejects.toBeInstanceOf(MaxWaitExceededError);
    await fake.tickAsync(100);
    await late;
  });

  it('checks its arguments and what the factory returns', () => {
    expect(() => new KeyedLimiter(undefined as never)).toThrow(TypeError);
    for (const idleMs of [0, -1, Number.NaN]) expect(() => new KeyedLimiter(() => new ConcurrencySemaphore({ capacity: 1 }), { idleMs })).toThrow(/idleMs/);
    expect(() => new KeyedLimiter(() => new ConcurrencySemaphore({ capacity: 1 }), { idleMs: '5' as never })).toThrow(TypeError);
    const bad = new KeyedLimiter(() => ({}) as never);
    expect(() => bad.get('x')).toThrow(/factory must return a limiter/);
    expect(bad.size).toBe(0);
    const throwing = new KeyedLimiter((key: string): ConcurrencySemaphore => {
      throw new Error(`no limiter for ${key}`);
    });
    expect(() => throwing.get('y')).toThrow('no limiter for y');
    expect(throwing.size).toBe(0);
    return expect(throwing.acquire('y')).rejects.toThrow('no limiter for y');
  });
});

describe('KeyedLimiter: dropping idle keys', () => {
  it('drops an idle key exactly idleMs after its last use, not before, and closes its limiter', async () => {
    const { fake, keyed, made } = semaphores(1_000);
    (await keyed.acquire('a')).release();
    const a = keyed.get('a');
    await fake.tickAsync(999);
    expect(keyed.has('a')).toBe(true);
    await fake.tickAsync(1);
    expect(keyed.has('a')).toBe(false);
    expect(keyed.size).toBe(0);
    expect(a.closed).toBe(true);
    await expect(a.acquire()).rejects.toBeInstanceOf(LimiterClosedError); // a kept reference is closed
    expect(keyed.get('a')).not.toBe(a);
    expect(made).toEqual(['a', 'a']);
  });

  it('each use renews the countdown', async () => {
    const { fake, keyed } = semaphores(1_000);
    keyed.get('a');
    await fake.tickAsync(600);
    keyed.get('a');
    await fake.tickAsync(400);
    expect(keyed.has('a')).toBe(true); // 1 000 after the first use, 400 after the last
    await fake.tickAsync(599);
    expect(keyed.has('a')).toBe(true);
    await fake.tickAsync(1);
    expect(keyed.has('a')).toBe(false); // 1 000 after the last use
  });

  it('drops many keys each at its own instant', async () => {
    const { fake, keyed } = semaphores(100);
    for (let i = 0; i < 10; i++) {
      keyed.get(`k${i}`);
      await fake.tickAsync(1);
    }
    keyed.get('k3'); // renewed at 10
    expect(fake.now).toBe(10);
    await fake.tickAsync(89); // t = 99
    expect(keyed.size).toBe(10);
    const sizes: number[] = [];
    for (let t = 100; t <= 110; t++) {
      await fake.tickAsync(1);
      sizes.push(keyed.size);
    }
    // t = 100..110: k0..k9 leave at 100+i, except k3, which leaves at 110.
    expect(sizes).toEqual([9, 8, 7, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it('keeps a key whose permit is held, and looks again every idleMs until it is idle', async () => {
    const { fake, keyed } = semaphores(1_000);
    const permit = await keyed.acquire('a');
    await fake.tickAsync(2_500);
    expect(keyed.has('a')).toBe(true); // busy at 1 000 and 2 000
    permit.release();
    await fake.tickAsync(499);
    expect(keyed.has('a')).toBe(true);
    await fake.tickAsync(1);
    expect(keyed.has('a')).toBe(false); // idle at the look at 3 000
  });

  it('keeps a key with waiters however long they wait', async () => {
    const { fake, keyed } = semaphores(1_000);
    const holder = await keyed.acquire('a');
    let admittedAt = -1;
    void keyed.acquire('a').then((p) => {
      admittedAt = fake.now;
      p.release();
    });
    await fake.tickAsync(5_000);
    expect(keyed.has('a')).toBe(true);
    expect(keyed.get('a').pending).toBe(1);
    holder.release();
    await flush(fake);
    expect(admittedAt).toBe(5_000);
    await fake.tickAsync(999);
    expect(keyed.has('a')).toBe(true); // the get at 5 000 renewed it
    await fake.tickAsync(1);
    expect(keyed.has('a')).toBe(false);
  });

  it('keeps a token bucket until it has refilled', async () => {
    const { fake, clock } = fakeClock();
    const keyed = new KeyedLimiter(() => new TokenBucket({ capacity: 2, refillIntervalMs: 1_200, clock }), { idleMs: 1_000, clock });
    keyed.get('a').tryAcquire(2)!.release(); // spent: released at once, the tokens come back with time
    await fake.tickAsync(2_999);
    expect(keyed.has('a')).toBe(true); // refilling at 1 000 and 2 000 (full at 2 400)
    await fake.tickAsync(1);
    expect(keyed.has('a')).toBe(false);
  });

  it('keeps a member while an onIdle() waits on it (permits unreleased); the onIdle resolves, never rejected by a drop', async () => {
    const { fake, clock } = fakeClock();
    const keyed = new KeyedLimiter(() => new TokenBucket({ capacity: 2, refillIntervalMs: 100, clock }), { idleMs: 1_000, clock });
    const permits = [await keyed.acquire('a'), await keyed.acquire('a')];
    const bucket = keyed.get('a');
    let idle: string | undefined;
    bucket.onIdle().then(
      () => (idle = `resolved at ${fake.now}`),
      (error: unknown) => (idle = `rejected: ${(error as { code?: string }).code}`),
    );
    await fake.tickAsync(5_000);
    expect(bucket.tokens).toBe(2); // full since 200
    expect(bucket.stats()).toMatchObject({ held: 2, running: 2, pending: 0 });
    expect(keyed.has('a')).toBe(true); // looked at 1 000 .. 5 000: busy each time
    expect(bucket.closed).toBe(false);
    expect(idle).toBeUndefined();
    permits[0]!.release();
    permits[1]!.release();
    await flush(fake);
    expect(idle).toBe('resolved at 5000');
    await fake.tickAsync(1_000); // the next look, at 6 000
    expect(keyed.has('a')).toBe(false);
    expect(bucket.closed).toBe(true);
  });

  it('drops a token bucket full again whose spent permits were never released (their release gives nothing back)', async () => {
    const { fake, clock } = fakeClock();
    const keyed = new KeyedLimiter(() => new TokenBucket({ capacity: 2, refillIntervalMs: 100, clock }), { idleMs: 1_000, clock });
    await keyed.acquire('a');
    await keyed.acquire('a');
    const bucket = keyed.get('a');
    expect(bucket.stats()).toMatchObject({ held: 2, running: 2 });
    await fake.tickAsync(2_000); // idle at the look at 2 000 (full since 200, last used at 0.. get at 0)
    expect(keyed.has('a')).toBe(false);
    expect(bucket.closed).toBe(true);
  });

  it('drops a leaky bucket found drained, keeps one still draining', async () => {
    const { fake, clock } = fakeClock();
    const periodMs = { a: 1_000, b: 1_500 };
    const keyed = new KeyedLimiter((key: 'a' | 'b') => new LeakyBucketLimiter({ maxRate: 2, periodMs: periodMs[key], clock }), {
      idleMs: 1_000,
      clock,
    });
    keyed.get('a').tryAcquire(2)!.release(); // drained at 1 000 exactly
    keyed.get('b').tryAcquire(2)!.release(); // drained at 1 500
    await fake.tickAsync(999);
    expect(keyed.size).toBe(2);
    await fake.tickAsync(1);
    expect([keyed.has('a'), keyed.has('b')]).toEqual([false, true]);
    await fake.tickAsync(999);
    expect(keyed.has('b')).toBe(true);
    await fake.tickAsync(1);
    expect(keyed.has('b')).toBe(false); // looked at again 1 000 after it was found draining
  });

  it('keeps a credit semaphore while credits are refunding', async () => {
    const { fake, clock } = fakeClock();
    const keyed = new KeyedLimiter(() => new CreditSemaphore({ capacity: 5, refundMs: 1_500, clock }), { idleMs: 1_000, clock });
    (await keyed.acquire('a', 5)).release(); // back at 1 500
    await fake.tickAsync(1_999);
    expect(keyed.has('a')).toBe(true);
    await fake.tickAsync(1);
    expect(keyed.has('a')).toBe(false);
  });

  it('keeps a paused key until its pause is over', async () => {
    const { fake, keyed } = semaphores(1_000);
    keyed.get('a').pause(2_500);
    await fake.tickAsync(2_999);
    expect(keyed.has('a')).toBe(true);
    await fake.tickAsync(1);
    expect(keyed.has('a')).toBe(false);
  });

  it('with idleMs Infinity keeps every key and arms nothing', async () => {
    const { fake, keyed } = semaphores(Infinity);
    keyed.get('a');
    expect(fake.countTimers()).toBe(0);
    await fake.tickAsync(10 ** 9);
    expect(keyed.has('a')).toBe(true);
  });

  it('defaults idleMs to one minute', async () => {
    const { fake, clock } = fakeClock();
    const keyed = new KeyedLimiter(() => new ConcurrencySemaphore({ capacity: 1, clock }), { clock });
    keyed.get('a');
    await fake.tickAsync(59_999);
    expect(keyed.has('a')).toBe(true);
    await fake.tickAsync(1);
    expect(keyed.has('a')).toBe(false);
  });
});

describe('KeyedLimiter: one timer', () => {
  it('has at most one timer for the whole map, none once empty, always unref()ed', async () => {
    const { fake, clock } = fakeClock();
    const counting = countingClock(clock);
    const keyed = new KeyedLimiter(() => new ConcurrencySemaphore({ capacity: 1, clock }), { idleMs: 50, clock: counting.clock });
    expect(counting.live.size).toBe(0);
    let most = 0;
    for (let i = 0; i < 300; i++) {
      keyed.get(`k${i % 120}`);
      keyed.get(`fresh${i}`);
      most = Math.max(most, counting.live.size);
      if (i % 3 === 0) await fake.tickAsync(1);
    }
    expect(most).toBe(1);
    expect(keyed.size).toBeGreaterThan(100);
    await fake.tickAsync(1_000);
    expect(keyed.size).toBe(0);
    expect(counting.live.size).toBe(0);
    expect(counting.unrefed()).toBe(counting.armed());
  });

  it('does not arm a timer per use', () => {
    const { clock } = fakeClock();
    const counting = countingClock(clock);
    const keyed = new KeyedLimiter(() => new ConcurrencySemaphore({ capacity: 1, clock }), { idleMs: 50, clock: counting.clock });
    for (let i = 0; i < 1_000; i++) keyed.get(`k${i % 10}`);
    expect(counting.armed()).toBe(1);
  });

  it('never keeps Node alive: the real timer is unref()ed', () => {
    const handles: NodeJS.Timeout[] = [];
    const clock: Clock = {
      now: () => systemClock.now(),
      setTimeout: (fn, ms) => {
        const handle = systemClock.setTimeout(fn, ms) as NodeJS.Timeout;
        handles.push(handle);
        return handle;
      },
      clearTimeout: (h) => systemClock.clearTimeout(h),
    };
    const keyed = new KeyedLimiter(() => new ConcurrencySemaphore({ capacity: 1 }), { idleMs: 3_600_000, clock });
    keyed.get('a');
    expect(handles).toHaveLength(1);
    expect(handles[0]!.hasRef()).toBe(false);
    const clear = vi.spyOn(clock, 'clearTimeout');
    keyed.close();
    expect(clear).toHaveBeenCalledWith(handles[0]);
  });
});

describe('KeyedLimiter: close', () => {
  it('rejects the waiters of every key with the reason, closes every limiter and forgets every key', async () => {
    const { fake, keyed } = semaphores();
    const a = keyed.get('a');
    const b = keyed.get('b');
    await keyed.acquire('a');
    await keyed.acquire('b');
    const waiting = [keyed.acquire('a'), keyed.acquire('b'), keyed.run('b', () => 1)];
    for (const w of waiting) w.catch(() => {});
    await flush(fake);
    const reason = new Error('shutting down');
    keyed.close(reason);
    for (const w of waiting) await expect(w).rejects.toBe(reason);
    expect(a.closed && b.closed).toBe(true);
    expect(keyed.size).toBe(0);
    expect(keyed.closed).toBe(true);
    expect(fake.countTimers()).toBe(0);
    expect(() => keyed.get('a')).toThrow(LimiterClosedError);
    await expect(keyed.acquire('c')).rejects.toBeInstanceOf(LimiterClosedError);
    await expect(keyed.run('c', () => 1)).rejects.toBeInstanceOf(LimiterClosedError);
    expect(keyed.size).toBe(0);
    keyed.close(new Error('again')); // idempotent
  });

  it('without a reason rejects with LimiterClosedError; Symbol.dispose closes', async () => {
    const { fake, keyed } = semaphores();
    await keyed.acquire('a');
    const waiter = keyed.acquire('a');
    waiter.catch(() => {});
    await flush(fake);
    {
      using k = keyed;
      expect(k.size).toBe(1);
    }
    await expect(waiter).rejects.toBeInstanceOf(LimiterClosedError);
    expect(keyed.closed).toBe(true);
  });
});
