import { describe, expect, it } from 'vitest';
import { CreditSemaphore, type LimiterEvent, type Permit, VirtualClock } from '../../src/index.js';
import { expectBadOption, expectCommonOptions, expectNumberOption, now, sleep, track, useFakeTimers } from '../support/fake-timers.js';

const fake = useFakeTimers();
const recorder = () => {
  const events: LimiterEvent[] = [];
  return { events, onEvent: (e: LimiterEvent) => events.push(e) };
};

describe('CreditSemaphore', () => {
  describe('docs/semantics.md §10.1 reference run (capacity 40, refundMs 10 000)', () => {
    const jobs: [credits: number, workSeconds: number][] = [[20, 3], [30, 1], [30, 5], [5, 4], [20, 5], [20, 1]];
    const expected = [0, 13_000, 24_000, 13_000, 39_000, 39_000];

    it('admits at 0, 13, 24, 13, 39, 39 s exactly (fake timers)', async () => {
      const sem = new CreditSemaphore({ capacity: 40 });
      const admitted: number[] = [];
      const done = jobs.map(([credits, work], i) =>
        sem.transact(
          async () => {
            admitted[i] = now();
            await sleep(work * 1000);
            return i;
          },
          { credits, refundMs: 10_000 },
        ),
      );
      await fake.clock.runAllAsync();
      expect(await Promise.all(done)).toStrictEqual([0, 1, 2, 3, 4, 5]);
      expect(admitted).toStrictEqual(expected);
      expect(now()).toBe(44_000); // the last work ends; its refund and the one before are still due
      expect(sem.refunding).toBe(40);
      await fake.clock.tickAsync(10_000);
      expect(sem.available).toBe(40);
      expect(sem.refunding).toBe(0);
    });

    it('admits at 0, 13, 24, 13, 39, 39 s exactly (VirtualClock), with the same refund instants', async () => {
      const clock = new VirtualClock();
      const { events, onEvent } = recorder();
      const sem = new CreditSemaphore({ capacity: 40, refundMs: 10_000, clock, onEvent });
      const admitted: number[] = [];
      const done = jobs.map(([credits, work], i) =>
        sem.transact(
          async () => {
            admitted[i] = clock.now();
            await clock.sleep(work * 1000);
          },
          { credits, id: i },
        ),
      );
      await clock.runAll();
      await Promise.all(done);
      expect(admitted).toStrictEqual(expected);
      expect(clock.pendingTimers).toBe(0); // nobody waits: no timer for the last refunds
      await clock.advance(20_000);
      expect(sem.available).toBe(40); // looking settles them, each stamped with its due instant
      const refunded = events.filter((e) => e.type === 'refunded').map((e) => [e.id, e.at]);
      // Each refund is due exactly refundMs after its work ended.
      expect(refunded).toStrictEqual([
        [0, 13_000],
        [1, 24_000],
        [3, 27_000],
        [2, 39_000],
        [5, 50_000],
        [4, 54_000],
      ]);
    });
  });

  it('opportunistic exit: when credits return, every waiter that fits is admitted at once, in arrival order', async () => {
    const { events, onEvent } = recorder();
    const sem = new CreditSemaphore({ capacity: 10, onEvent });
    const all = sem.tryAcquire(10)!;
    const a = track(sem.acquire(6, { id: 'a' }));
    const b = track(sem.acquire(2, { id: 'b' }));
    const c = track(sem.acquire(3, { id: 'c' }));
    const d = track(sem.acquire(1, { id: 'd' }));
    await fake.clock.tickAsync(100);
    all.release();
    await fake.clock.tickAsync(0);
    expect([a.at, b.at, d.at]).toStrictEqual([100, 100, 100]);
    expect(c.settled).toBe(false);
    expect(events.filter((e) => e.type === 'admitted' && e.id !== undefined).map((e) => e.id)).toStrictEqual(['a', 'b', 'd']);
    expect(sem.available).toBe(1);
    await fake.clock.tickAsync(50);
    (b.value as Permit).release(); // 3 free
    await fake.clock.tickAsync(0);
    expect(c.at).toBe(150);
  });

  it('several small waiters are admitted together by one refund', async () => {
    const sem = new CreditSemaphore({ capacity: 10, refundMs: 500 });
    sem.tryAcquire(10)!.release(); // due back at 500
    const small = Array.from({ length: 6 }, () => track(sem.acquire(2)));
    await fake.clock.tickAsync(500);
    expect(small.map((w) => w.at)).toStrictEqual([500, 500, 500, 500, 500, undefined]);
    expect(sem.pending).toBe(1);
  });

  describe('fair entry', () => {
    it('a payable newcomer behind a waiting head waits for the next scan (a release)', async () => {
      const sem = new CreditSemaphore({ capacity: 10 });
      sem.tryAcquire(7);
      const one = sem.tryAcquire(1)!;
      const head = track(sem.acquire(5));
      await fake.clock.tickAsync(10);
      const newcomer = track(sem.acquire(1));
      expect(sem.tryAcquire(1)).toBeUndefined();
      await fake.clock.tickAsync(1000);
      expect(newcomer.settled).toBe(false);
      expect(sem.available).toBe(2);
      expect(fake.clock.countTimers()).toBe(0); // nothing to wake for: only a release can help
      one.release(); // 3 free: the head (5) still cannot be paid, the newcomer can
      await fake.clock.tickAsync(0);
      expect(newcomer.at).toBe(1010);
      expect(head.settled).toBe(false);
    });

    it('a release whose credits come back later does not scan: the parked newcomer is admitted when they come due', async () => {
      const sem = new CreditSemaphore({ capacity: 10 });
      sem.tryAcquire(7);
      const held = await sem.acquire(1, { refundMs: 500 });
      const head = track(sem.acquire(5));
      const newcomer = track(sem.acquire(1)); // payable (2 free), parked behind the head
      await fake.clock.tickAsync(10);
      held.release(); // due back at 510
      await fake.clock.tickAsync(0);
      expect(newcomer.settled).toBe(false);
      expect(sem.refunding).toBe(1);
      expect(fake.clock.countTimers()).toBe(1);
      await fake.clock.tickAsync(499);
      expect(newcomer.settled).toBe(false);
      await fake.clock.tickAsync(1);
      expect(newcomer.at).toBe(510);
      expect(head.settled).toBe(false);
    });
  });

  it('credits come back refundMs after the work ends, not after admission; refunding counts them meanwhile', async () => {
    const { events, onEvent } = recorder();
    const sem = new CreditSemaphore({ capacity: 10, refundMs: 1000, onEvent });
    const work = sem.transact(() => sleep(500), { credits: 10, id: 'work' });
    const waiter = track(sem.acquire(1, { id: 'w' }));
    await fake.clock.tickAsync(250);
    expect(sem.refunding).toBe(0); // still held
    expect(sem.stats().refunding).toBe(0);
    expect(sem.available).toBe(0);
    await fake.clock.tickAsync(250);
    await work;
    expect(sem.refunding).toBe(10);
    expect(sem.stats()).toMatchObject({ refunding: 10, available: 0, pending: 1 });
    expect(sem.retryAfterMs(10)).toBe(1000);
    await fake.clock.tickAsync(999);
    expect(waiter.settled).toBe(false);
    await fake.clock.tickAsync(1);
    expect(waiter.at).toBe(1500);
    expect(sem.refunding).toBe(0);
    expect(events.filter((e) => e.at === 1500).map((e) => [e.type, e.id])).toStrictEqual([
      ['refunded', 'work'],
      ['admitted', 'w'],
    ]);
  });

  it('credits due at the same instant all come back before that instant’s scan', async () => {
    for (const admission of ['opportunistic', 'fifo'] as const) {
      const t0 = now();
      const { events, onEvent } = recorder();
      const sem = new CreditSemaphore({ capacity: 10, admission, onEvent });
      const p1 = await sem.acquire(5, { refundMs: 1000, id: 'p1' });
      const p2 = await sem.acquire(5, { refundMs: 500, id: 'p2' });
      const big = track(sem.acquire(10, { id: 'big' }));
      const small = track(sem.acquire(5, { id: 'small' }));
      p1.release(); // due at t0 + 1000
      await fake.clock.tickAsync(500);
      p2.release(); // due at t0 + 1000 too
      await fake.clock.tickAsync(499);
      expect(big.settled).toBe(false);
      await fake.clock.tickAsync(1);
      // One refund at a time would have let `small` take 5 first, ahead of `big`.
      expect(big.at).toBe(t0 + 1000);
      expect(small.settled).toBe(false);
      expect(events.filter((e) => e.at === t0 + 1000).map((e) => [e.type, e.id])).toStrictEqual([
        ['refunded', 'p1'],
        ['refunded', 'p2'],
        ['admitted', 'big'],
      ]);
      sem.close();
    }
  });

  it('a failing fn still spends its credits; the caller gets fn’s own error object', async () => {
    const sem = new CreditSemaphore({ capacity: 10, refundMs: 1000 });
    const asyncError = new TypeError('remote failed');
    const failed = track(
      sem.transact(
        async () => {
          await sleep(100);
          throw asyncError;
        },
        { credits: 6 },
      ),
    );
    const syncError = { not: 'an Error' };
    const thrown = track(
      sem.transact(
        () => {
          throw syncError;
        },
        { credits: 4 },
      ),
    );
    const waiter = track(sem.acquire(10));
    await fake.clock.tickAsync(0);
    expect(thrown.error).toBe(syncError);
    expect(sem.refunding).toBe(4);
    await fake.clock.tickAsync(100);
    expect(failed.error).toBe(asyncError);
    expect(failed.at).toBe(100);
    expect(sem.refunding).toBe(10);
    await fake.clock.tickAsync(999);
    expect(waiter.settled).toBe(false);
    await fake.clock.tickAsync(1);
    expect(waiter.at).toBe(1100);
  });

  it('a per-call refundMs overrides the limiter’s', async () => {
    const sem = new CreditSemaphore({ capacity: 10, refundMs: 1000 });
    (await sem.acquire(4, { refundMs: 200 })).release(); // back at 200
    await sem.transact(() => undefined, { credits: 5, refundMs: 300 }); // back at 300
    (await sem.acquire(1, { refundMs: 0 })).release(); // back at once
    expect(sem.available).toBe(1);
    expect(sem.refunding).toBe(9);
    const all = track(sem.acquire(10));
    await fake.clock.tickAsync(200);
    expect(sem.available).toBe(5);
    expect(all.settled).toBe(false);
    await fake.clock.tickAsync(100);
    expect(all.at).toBe(300);
    (all.value as Permit).release(); // the limiter's refundMs: back at 1300
    const next = track(sem.acquire(1));
    await fake.clock.tickAsync(999);
    expect(next.settled).toBe(false);
    await fake.clock.tickAsync(1);
    expect(next.at).toBe(1300);
  });

  it('a bad per-call refundMs rejects and changes nothing', async () => {
    const sem = new CreditSemaphore({ capacity: 10 });
    const before = sem.stats();
    for (const refundMs of [-1, NaN, Infinity]) await expect(sem.acquire(1, { refundMs })).rejects.toThrow(/refundMs/);
    await expect(sem.acquire(1, { refundMs: '5' as never })).rejects.toBeInstanceOf(TypeError);
    await expect(sem.transact(() => 1, { credits: 1, refundMs: -1 })).rejects.toBeInstanceOf(RangeError);
    expect(sem.stats()).toStrictEqual(before);
  });

  it('transact without valid credits rejects and never calls fn', async () => {
    const sem = new CreditSemaphore({ capacity: 10 });
    let calls = 0;
    const fn = () => ++calls;
    const reject = async (options: unknown, type: typeof TypeError | typeof RangeError) => {
      const error = await sem.transact(fn, options as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toContain(options === null ? 'options' : 'credits');
    };
    await reject({}, TypeError);
    await reject(undefined, TypeError);
    await reject(null, TypeError);
    await reject({ credits: '3' }, TypeError);
    await reject({ credits: -1 }, RangeError);
    await reject({ credits: NaN }, RangeError);
    await reject({ credits: 11 }, RangeError);
    const over = await sem.transact(fn, { credits: 11 }).catch((e: Error) => e.message);
    expect(over).toContain('10');
    await expect(sem.transact('fn' as never, { credits: 1 })).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(0);
    expect(sem.stats()).toMatchObject({ admitted: 0, pending: 0, available: 10, refunding: 0 });
    expect(await sem.transact(fn, { credits: 10 })).toBe(1);
  });

  it("admission: 'fifo' lets a heavy head block lighter waiters; the head is then admitted repeatedly", async () => {
    const run = async (admission: 'fifo' | 'opportunistic') => {
      const t0 = now();
      const sem = new CreditSemaphore({ capacity: 10, admission });
      const a = sem.tryAcquire(5)!;
      const b = sem.tryAcquire(5)!;
      const heavy = track(sem.acquire(6));
      const light = track(sem.acquire(2));
      await fake.clock.tickAsync(100);
      a.release(); // 5 free
      await fake.clock.tickAsync(100);
      b.release(); // 10 free
      await fake.clock.tickAsync(0);
      return { heavy: heavy.at! - t0, light: light.at! - t0 };
    };
    expect(await run('fifo')).toStrictEqual({ heavy: 200, light: 200 });
    expect(await run('opportunistic')).toStrictEqual({ heavy: 200, light: 100 });
  });

  describe('maxBypass', () => {
    it('a heavy head is overtaken at most maxBypass times, then blocks everyone behind it', async () => {
      const sem = new CreditSemaphore({ capacity: 10, maxBypass: 2 });
      const units = Array.from({ length: 10 }, () => sem.tryAcquire(1)!);
      const heavy = track(sem.acquire(10, { id: 'heavy' }));
      const small = [1, 2, 3, 4].map((i) => track(sem.acquire(1, { id: `s${i}` })));
      const step = async (release: Permit[]) => {
        await fake.clock.tickAsync(10);
        for (const permit of release) permit.release();
        await fake.clock.tickAsync(0);
      };
      await step([units[0]!]); // t=10
      expect(small[0]!.at).toBe(10); // overtakes once
      await step([units[1]!]); // t=20
      expect(small[1]!.at).toBe(20); // twice
      await step([units[2]!]); // t=30: one credit free, but the head has been bypassed twice
      expect(small[2]!.settled).toBe(false);
      await step(units.slice(3)); // t=40: 8 free
      expect(small[2]!.settled || small[3]!.settled || heavy.settled).toBe(false);
      await step([small[0]!.value!, small[1]!.value!]); // t=50: 10 free
      expect(heavy.at).toBe(50);
      expect(small[2]!.settled || small[3]!.settled).toBe(false);
      await step([heavy.value!]); // t=60
      expect([small[2]!.at, small[3]!.at]).toStrictEqual([60, 60]);
    });

    it('maxBypass: 0 is fifo; unlimited by default', async () => {
      for (const [maxBypass, lightAt] of [[0, 20], [undefined, 10]] as const) {
        const t0 = now();
        const sem = new CreditSemaphore({ capacity: 4, ...(maxBypass === undefined ? {} : { maxBypass }) });
        const [u0, u1] = [sem.tryAcquire(2)!, sem.tryAcquire(2)!];
        const heavy = track(sem.acquire(3));
        const light = track(sem.acquire(1));
        await fake.clock.tickAsync(10);
        u0.release();
        await fake.clock.tickAsync(10);
        u1.release();
        await fake.clock.tickAsync(0);
        expect(light.at).toBe(t0 + lightAt);
        expect(heavy.at).toBe(t0 + 20);
      }
    });
  });

  it('stats() adds refunding; the refunding getter reads it at the current instant', async () => {
    const sem = new CreditSemaphore({ capacity: 8, refundMs: 100 });
    expect(sem.stats()).toStrictEqual({ held: 0, running: 0, rejected: 0, available: 8, pending: 0, admitted: 0, timedOut: 0, aborted: 0, pausedUntil: undefined, refunding: 0 });
    sem.tryAcquire(3)!.release();
    await fake.clock.tickAsync(50);
    sem.tryAcquire(2)!.release();
    expect(sem.refunding).toBe(5);
    await fake.clock.tickAsync(50);
    expect(sem.refunding).toBe(2);
    expect(sem.stats()).toMatchObject({ refunding: 2, available: 6, admitted: 2 });
    await fake.clock.tickAsync(50);
    expect(sem.refunding).toBe(0);
    expect(sem.available).toBe(8);
  });

  it('constructor: bad options throw naming the option', () => {
    expectNumberOption((capacity) => new CreditSemaphore({ capacity } as never), 'capacity');
    expectNumberOption((refundMs) => new CreditSemaphore({ capacity: 1, refundMs } as never), 'refundMs', { required: false, zeroOk: true });
    expectCommonOptions((extra) => new CreditSemaphore({ capacity: 1, ...extra }));
    expectBadOption(() => new CreditSemaphore(undefined as never), TypeError, 'capacity');
    expectBadOption(() => new CreditSemaphore(null as never), TypeError, 'options');
    expectBadOption(() => new CreditSemaphore(40 as never), TypeError, 'options');
    expect(new CreditSemaphore({ capacity: 0.5 }).capacity).toBe(0.5);
  });
});
