import { describe, expect, it } from 'vitest';
import {
  ConcurrencySemaphore,
  CreditSemaphore,
  LeakyBucketLimiter,
  LimiterClosedError,
  MaxWaitExceededError,
  Throttle,
  TokenBucket,
  VirtualClock,
  type LimiterEvent,
  type Permit,
} from '../../src/index.js';

// Deterministic tests for what mutation testing showed the suite did not pin down: long queues
// (the waiter queue grows past its first 16 slots, compacts, rebuilds its min-cost tree; the
// deadline heap rebuilds once most of it is stale), float step counts of token refills, exact
// zero after fractional refunds, pauses against releases, and the waitedMs of every event.

/** The admission rule of docs/semantics.md §2.5 for opportunistic mode, written plainly: the reference. */
class ReferenceQueue {
  readonly waiting: { id: number; cost: number; passed: number }[] = [];
  constructor(readonly maxBypass = Infinity) {}
  push(id: number, cost: number) {
    this.waiting.push({ id, cost, passed: 0 });
  }
  remove(id: number) {
    this.waiting.splice(this.waiting.findIndex((w) => w.id === id), 1);
  }
  /** Admits from `available`; returns the ids admitted, in order. */
  scan(available: number): number[] {
    const out: number[] = [];
    for (;;) {
      const head = this.waiting[0];
      if (!head) break;
      const blocked = head.passed >= this.maxBypass;
      const i = blocked ? (head.cost <= available ? 0 : -1) : this.waiting.findIndex((w) => w.cost <= available);
      if (i < 0) break;
      const [w] = this.waiting.splice(i, 1);
      for (let j = 0; j < i; j++) this.waiting[j]!.passed++;
      available -= w!.cost;
      out.push(w!.id);
    }
    return out;
  }
}

describe('long opportunistic queues follow the reference admission rule', () => {
  for (const maxBypass of [Infinity, 2, 5]) {
    it(`maxBypass ${maxBypass}: 12 rounds of 14 waiters, holes from aborts, releases in between`, async () => {
      const clock = new VirtualClock();
      const capacity = 10;
      const sem = new ConcurrencySemaphore({ capacity, admission: 'opportunistic', maxBypass, clock });
      const ref = new ReferenceQueue(maxBypass);
      const costOf = new Map<number, number>();
      const admitted: number[] = [];
      const expected: number[] = [];
      const permits = new Map<number, Permit>();
      const controllers = new Map<number, AbortController>();
      const blocker = sem.tryAcquire(capacity)!;
      let free = 0;
      let id = 0;
      let maxPending = 0;
      const admit = (ids: number[]) => {
        for (const a of ids) free -= costOf.get(a)!;
        expected.push(...ids);
      };
      const release = async (pid: number) => {
        const permit = permits.get(pid)!;
        permits.delete(pid);
        permit.release();
        free += permit.cost;
        admit(ref.scan(free));
        await clock.advance(0);
      };
      for (let round = 0; round < 12; round++) {
        for (let k = 0; k < 14; k++) {
          const myId = ++id;
          const cost = [7, 1, 3, 10, 2, 5, 1, 8, 4, 6, 2, 9, 1, 3][(myId * 5 + round) % 14]!;
          costOf.set(myId, cost);
          const controller = new AbortController();
          controllers.set(myId, controller);
          // Nobody waiting and it fits: admitted at once; else it joins the back (fair entry).
          if (ref.waiting.length === 0 && cost <= free) admit([myId]);
          else ref.push(myId, cost);
          void sem.acquire(cost, { signal: controller.signal, id: myId }).then(
            (permit) => {
              admitted.push(myId);
              permits.set(myId, permit);
            },
            () => {},
          );
        }
        maxPending = Math.max(maxPending, sem.pending);
        // Holes in the middle: every third newcomer leaves, which gives those behind it their chance.
        for (const w of ref.waiting.filter((w) => w.id > id - 14 && w.id % 3 === 1)) {
          controllers.get(w.id)!.abort();
          if (!ref.waiting.includes(w)) continue; // admitted by an earlier abort's scan: the abort changes nothing
          ref.remove(w.id);
          admit(ref.scan(free));
        }
        if (round === 0) {
          blocker.release();
          free += capacity;
          admit(ref.scan(free));
        }
        await clock.advance(0);
        // Release the oldest half of the permits held, one by one: each release scans.
        for (const pid of [...permits.keys()].slice(0, Math.ceil(permits.size / 2))) await release(pid);
        expect(admitted).toEqual(expected);
        expect(sem.pending).toBe(ref.waiting.length);
        expect(sem.available).toBe(free);
      }
      // Everyone left goes through once everything is released, still by the rule.
      while (permits.size > 0) for (const pid of [...permits.keys()]) await release(pid);
      expect(ref.waiting).toEqual([]);
      expect(admitted).toEqual(expected);
      expect(admitted.length).toBeGreaterThan(100);
      expect(maxPending, 'the queue grew past its first slots').toBeGreaterThan(32);
      expect(sem.available).toBe(capacity);
      expect(sem.pending).toBe(0);
    });
  }
});

describe('many deadlines, most leaving early', () => {
  it('300 waiters with deadlines, 240 aborted from anywhere: the rest time out exactly at their own deadlines, earliest first', async () => {
    const clock = new VirtualClock();
    const events: LimiterEvent[] = [];
    const sem = new ConcurrencySemaphore({ capacity: 1, clock, onEvent: (e) => events.push(e) });
    sem.tryAcquire(1);
    const deadline = new Map<number, number>();
    const outcome = new Map<number, { at: number; error: unknown }>();
    const controllers: AbortController[] = [];
    for (let i = 0; i < 300; i++) {
      const maxWaitMs = 1_000 + ((i * 7919) % 600); // shuffled, with ties
      deadline.set(i, maxWaitMs);
      const controller = new AbortController();
      controllers.push(controller);
      void sem.acquire(1, { maxWaitMs, signal: controller.signal, id: i }).catch((error: unknown) => outcome.set(i, { at: clock.now(), error }));
    }
    const kept = new Set<number>();
    for (let i = 0; i < 300; i++) {
      if (i % 5 === 2) kept.add(i);
      else controllers[i]!.abort();
    }
    // More arrive after the heap was rebuilt, some due before the survivors.
    for (let i = 300; i < 330; i++) {
      const maxWaitMs = 500 + ((i * 31) % 900);
      deadline.set(i, maxWaitMs);
      kept.add(i);
      void sem.acquire(1, { maxWaitMs, id: i }).catch((error: unknown) => outcome.set(i, { at: clock.now(), error }));
    }
    expect(sem.pending).toBe(kept.size);
    await clock.advance(2_000);
    expect(sem.pending).toBe(0);
    for (const i of kept) {
      expect(outcome.get(i)?.error).toBeInstanceOf(MaxWaitExceededError);
      expect(outcome.get(i)?.at, `waiter ${i}`).toBe(deadline.get(i));
    }
    const timeouts = events.filter((e) => e.type === 'timeout');
    expect(timeouts.map((e) => e.at)).toEqual([...timeouts.map((e) => e.at)].sort((a, b) => a - b));
    expect(timeouts).toHaveLength(kept.size);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('token refills counted in floats', () => {
  // Counted in floats, 0.15 × 3 < 0.45 would need a fourth step; in whole quanta it is exactly 0.45. (0.07 / 0.01 > 7 in floats; exactly 7 steps here.)
  it.each([
    [0.15, 0.45, 30],
    [0.01, 0.07, 70],
    [0.1, 0.1 + 0.2, 30],
  ])('refillAmount %s, cost %s: payable at exactly %i ms, and retryAfterMs says so', async (refillAmount, cost, at) => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ capacity: 1, refillAmount, refillIntervalMs: 10, initialTokens: 0, clock });
    expect(bucket.retryAfterMs(cost)).toBe(at);
    let admittedAt = -1;
    void bucket.acquire(cost).then(() => (admittedAt = clock.now()));
    await clock.advance(at - 1);
    expect(admittedAt).toBe(-1);
    await clock.advance(1);
    expect(admittedAt).toBe(at);
  });
});

describe('exact accounting', () => {
  it('CreditSemaphore: refunds of 0.1, 0.2 and 0.3 come back to exactly 0 refunding and the full capacity', async () => {
    const clock = new VirtualClock();
    const sem = new CreditSemaphore({ capacity: 1, clock });
    const permits = [sem.tryAcquire(0.1)!, sem.tryAcquire(0.2)!, sem.tryAcquire(0.3)!];
    const more = sem.tryAcquire(0.1)!; // still held while the others come back
    permits[0]!.release();
    (await Promise.resolve(permits[1]!)).release();
    permits[2]!.release();
    expect(sem.refunding).toBe(0);
    more.release();
    expect(sem.available).toBe(1);
    const delayed = [sem.acquire(0.3, { refundMs: 10 }), sem.acquire(0.2, { refundMs: 20 }), sem.acquire(0.1, { refundMs: 20 })];
    for (const p of await Promise.all(delayed)) p.release();
    expect(sem.refunding).toBeCloseTo(0.6, 12);
    await clock.advance(10);
    expect(sem.refunding).toBeCloseTo(0.3, 12);
    await clock.advance(10);
    expect(sem.refunding).toBe(0);
    expect(sem.available).toBe(1);
  });

  it('ConcurrencySemaphore ignores a per-call refundMs: slots come back at once', async () => {
    const sem = new ConcurrencySemaphore({ capacity: 1, clock: new VirtualClock() });
    const permit = await sem.acquire(1, { refundMs: 1_000 } as never);
    permit.release();
    expect(sem.available).toBe(1);
    expect(sem.tryAcquire(1)).toBeDefined();
  });
});

describe('pause against releases', () => {
  it.each(['fifo', 'opportunistic'] as const)('%s: a release during a pause admits nobody; the pause end does', async (admission) => {
    const clock = new VirtualClock();
    const sem = new CreditSemaphore({ capacity: 1, admission, clock });
    const held = sem.tryAcquire(1)!;
    let at = -1;
    void sem.acquire(1).then(() => (at = clock.now()));
    sem.pause(100);
    await clock.advance(10);
    held.release();
    await clock.advance(0);
    expect(at).toBe(-1);
    expect(sem.available).toBe(1);
    await clock.advance(89);
    expect(at).toBe(-1);
    await clock.advance(1);
    expect(at).toBe(100);
  });
});

describe('slots are not a rate: Throttle with its concurrency full', () => {
  it('queues a waiter with maxWaitMs (only a release can free a slot, so the wait is not provable) and admits it on release', async () => {
    const clock = new VirtualClock();
    const throttle = new Throttle({ rate: 100, periodMs: 1_000, concurrency: 1, clock });
    const held = throttle.tryAcquire(1)!;
    let result: unknown;
    void throttle.acquire(1, { maxWaitMs: 50 }).then(
      (p) => (result = p),
      (e: unknown) => (result = e),
    );
    await clock.advance(0);
    expect(result).toBeUndefined();
    expect(throttle.pending).toBe(1);
    await clock.advance(20);
    held.release();
    await clock.advance(0);
    expect(result).toMatchObject({ cost: 1 });
  });
  it('but a rate that provably makes the wait too long rejects at once, with waitedMs 0', async () => {
    const clock = new VirtualClock();
    const bucket = new LeakyBucketLimiter({ maxRate: 1, periodMs: 1_000, clock });
    bucket.tryAcquire(1);
    await expect(bucket.acquire(1, { maxWaitMs: 999 })).rejects.toMatchObject({ name: 'MaxWaitExceededError', maxWaitMs: 999, waitedMs: 0 });
    expect(bucket.pending).toBe(0);
  });
});

describe('waitedMs and messages', () => {
  it('aborted, timeout and closed events carry how long the waiter waited', async () => {
    const clock = new VirtualClock(5_000);
    const events: LimiterEvent[] = [];
    const sem = new ConcurrencySemaphore({ capacity: 1, clock, onEvent: (e) => events.push(e) });
    sem.tryAcquire(1);
    await clock.advance(10);
    const controller = new AbortController();
    const aborted = sem.acquire(1, { signal: controller.signal, id: 'a' }).catch((e: unknown) => e);
    const timedOut = sem.acquire(1, { maxWaitMs: 25, id: 't' }).catch((e: unknown) => e);
    const closed = sem.acquire(1, { id: 'c' }).catch((e: unknown) => e);
    await clock.advance(20);
    controller.abort(new Error('stop'));
    await clock.advance(20);
    sem.close();
    expect(events.filter((e) => e.type !== 'admitted' && e.type !== 'queued')).toEqual([
      { type: 'aborted', cost: 1, id: 'a', at: 5_030, waitedMs: 20 },
      { type: 'timeout', cost: 1, id: 't', at: 5_035, waitedMs: 25 },
      { type: 'closed', cost: 1, id: 'c', at: 5_050, waitedMs: 40 },
    ]);
    expect(await aborted).toEqual(new Error('stop'));
    const timeout = (await timedOut) as MaxWaitExceededError;
    expect(timeout.message).toBe('not admitted within maxWaitMs=25 (waited 25 ms)');
    expect(timeout).toMatchObject({ code: 'ERR_MAX_WAIT_EXCEEDED', name: 'MaxWaitExceededError', maxWaitMs: 25, waitedMs: 25 });
    const closedError = (await closed) as LimiterClosedError;
    expect(closedError).toBeInstanceOf(LimiterClosedError);
    expect(closedError.message).toBe('the limiter is closed');
    expect(closedError).toMatchObject({ code: 'ERR_LIMITER_CLOSED', name: 'LimiterClosedError' });
  });
});
