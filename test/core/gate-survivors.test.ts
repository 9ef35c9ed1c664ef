// What mutation testing showed the limiter suites left unpinned in the Gate itself: each reason a
// limiter is not `idle`, a permit's second release, clock reads after a release that had waiters, an
// abort listener of the caller's that frees the waiter's capacity before tollgate's own listener
// runs, and a listener that calls back into the limiter in the middle of a scan.
import { describe, expect, it } from 'vitest';
import { ConcurrencySemaphore, CreditSemaphore, TokenBucket, VirtualClock, type Clock, type LimiterEvent, type Permit } from '../../src/index.js';
import { countingClock } from '../support/counting-clock.js';

describe('Gate: idle', () => {
  it('is false for each reason on its own: held, queued, paused, refunding, refilling, watched', async () => {
    const clock = new VirtualClock();
    const sem = new ConcurrencySemaphore({ capacity: 1, clock });
    expect(sem.idle).toBe(true);
    const held = sem.tryAcquire()!;
    expect(sem.idle).toBe(false); // held
    const waiting = sem.acquire();
    held.release();
    const next = await waiting;
    expect(sem.idle).toBe(false);
    next.release();
    expect(sem.idle).toBe(true);

    sem.pause(100);
    expect(sem.idle).toBe(false); // paused, nothing held or queued
    await clock.advance(100);
    expect(sem.idle).toBe(true);

    const credits = new CreditSemaphore({ capacity: 2, refundMs: 50, clock });
    credits.tryAcquire()!.release();
    expect(credits.idle).toBe(false); // refunding
    await clock.advance(50);
    expect(credits.idle).toBe(true);

    const tokens = new TokenBucket({ capacity: 2, refillIntervalMs: 10, clock });
    tokens.tryAcquire()!.release();
    expect(tokens.idle).toBe(false); // refilling
    await clock.advance(10);
    expect(tokens.idle).toBe(true);

    const spent = tokens.tryAcquire()!; // never released yet: nothing to give back, so it does not count
    await clock.advance(10);
    expect(tokens.tokens).toBe(2);
    expect(tokens.idle).toBe(true);
    const watching = tokens.onIdle(); // waits for the spent permit
    expect(tokens.idle).toBe(false); // watched
    spent.release();
    await watching;
    expect(tokens.idle).toBe(true);
  });

  it('is false while a waiter is queued even with the budget full (parked behind a pause)', async () => {
    const sem = new ConcurrencySemaphore({ capacity: 1, clock: new VirtualClock() });
    sem.pause(10);
    const waiting = sem.acquire();
    expect(sem.pending).toBe(1);
    expect(sem.available).toBe(1);
    expect(sem.idle).toBe(false);
    sem.close();
    return expect(waiting).rejects.toThrow('the limiter is closed');
  });
});

describe('Gate: idle at the instant a refund comes due', () => {
  it('is false while a waiter is queued, even once the refund has made the budget full', () => {
    // A clock whose timers never fire: the instant the refund comes due is read before any wake-up.
    let now = 0;
    const clock: Clock = { now: () => now, setTimeout: () => 1, clearTimeout: () => {} };
    const sem = new CreditSemaphore({ capacity: 1, refundMs: 100, clock });
    sem.tryAcquire()!.release(); // back at 100
    const waiting = sem.acquire();
    now = 100;
    expect(sem.available).toBe(1);
    expect(sem.pending).toBe(1);
    expect(sem.idle).toBe(false);
    sem.close();
    return expect(waiting).rejects.toThrow('the limiter is closed');
  });
});

describe('Gate: permits', () => {
  it('a second release gives nothing back', () => {
    const sem = new ConcurrencySemaphore({ capacity: 2 });
    const permit = sem.tryAcquire(2)!;
    const other = sem.tryAcquire(0)!;
    permit.release();
    sem.tryAcquire(2); // taken again
    permit.release();
    expect(sem.available).toBe(0);
    other.release();
  });

  it('is not mistaken for a thenable', async () => {
    const sem = new ConcurrencySemaphore({ capacity: 1 });
    const permit = await sem.acquire();
    expect(await Promise.resolve(permit)).toBe(permit);
    expect(Object.keys(permit)).not.toContain('then');
    // The answer sits on the prototype (resolving a permit then stops the lookup there): without
    // it the lines above would still pass, so this is what can fail.
    expect(Object.getOwnPropertyDescriptor(Object.getPrototypeOf(permit), 'then')).toEqual({ value: undefined, writable: false, enumerable: false, configurable: false });
    permit.release();
  });
});

describe('Gate: clock reads after a contended release', () => {
  it('a release that admitted a waiter leaves nothing that needs the clock read again', async () => {
    const { clock, reads } = countingClock();
    const sem = new ConcurrencySemaphore({ capacity: 1, clock });
    const held = sem.tryAcquire()!;
    const waiting = sem.acquire();
    held.release(); // admits the waiter: the slow path of release
    (await waiting).release();
    const settled = reads();
    for (let i = 0; i < 10; i++) sem.tryAcquire()!.release();
    for (let i = 0; i < 10; i++) (await sem.acquire()).release();
    expect(reads()).toBe(settled);
  });
});

describe('Gate: abort listeners', () => {
  it("a caller's abort listener that frees capacity first gets the waiter admitted; tollgate's listener then does nothing", async () => {
    const sem = new ConcurrencySemaphore({ capacity: 1 });
    const held = sem.tryAcquire()!;
    const controller = new AbortController();
    controller.signal.addEventListener('abort', () => held.release()); // registered before tollgate's
    const waiting = sem.acquire(1, { signal: controller.signal });
    const other = sem.acquire(); // queued behind it
    controller.abort(new Error('too late'));
    const permit = await waiting; // admitted by the release, before tollgate's listener ran
    expect(permit.cost).toBe(1);
    expect(sem.pending).toBe(1);
    expect(sem.stats()).toMatchObject({ aborted: 0, admitted: 2 });
    permit.release();
    (await other).release();
    expect(sem.pending).toBe(0);
    expect(sem.available).toBe(1);
  });
});

describe('Gate: a listener that calls back mid-scan', () => {
  it('a release from inside an admitted event is honoured in the same scan, once', async () => {
    const events: string[] = [];
    let extra: Permit | undefined;
    const sem = new ConcurrencySemaphore({
      capacity: 2,
      onEvent: (event: LimiterEvent) => {
        events.push(`${event.type}:${event.id ?? '-'}`);
        if (event.type === 'admitted' && event.id === 'w1') extra!.release(); // re-enters the scan
      },
    });
    const first = sem.tryAcquire()!;
    extra = sem.tryAcquire()!;
    const w1 = sem.acquire(1, { id: 'w1' });
    const w2 = sem.acquire(1, { id: 'w2' });
    const w3 = sem.acquire(1, { id: 'w3' });
    first.release(); // admits w1, whose listener frees one more: w2 gets in, w3 waits
    const [p1, p2] = await Promise.all([w1, w2]);
    expect(sem.pending).toBe(1);
    expect(sem.available).toBe(0);
    expect(events.filter((e) => e.startsWith('admitted:w'))).toEqual(['admitted:w1', 'admitted:w2']);
    p1.release();
    (await w3).release();
    p2.release();
    expect(sem.available).toBe(2);
    expect(sem.stats().admitted).toBe(5);
  });
});
