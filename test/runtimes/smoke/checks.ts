// The contract smoke suite, run by scripts/runtimes/run.mjs on the BUILT package in every runtime
// of the matrix (Node 20, 22, 24, Bun, Deno, headless Chromium). Each check is exact: instants
// are read from a VirtualClock or from fake timers, never from real time.
import { check, equal, ok, rejection } from './harness.js';
import * as t from './package-under-test.js';
import { globalsChangedAtLoad, lookupsAtLoad, timersAtLoad } from './probe-after.js';

/** Set per bundle: whether this runtime has diagnostics_channel (Node, Bun, Deno) or not (browsers). */
declare const __EXPECT_DIAGNOSTICS__: boolean;

check('loading tollgate and tollgate/otel starts no timer, touches no global and looks up no module', () => {
  equal(
    { timers: timersAtLoad, builtinModuleLookups: lookupsAtLoad, globalsChanged: globalsChangedAtLoad },
    { timers: 0, builtinModuleLookups: [], globalsChanged: [] },
    'while loading',
  );
});

check('CreditSemaphore: the reference run (capacity 40, refunds after 10 s) on a VirtualClock', async () => {
  const clock = new t.VirtualClock();
  const sem = new t.CreditSemaphore({ capacity: 40, refundMs: 10_000, clock });
  const admitted: number[] = [];
  const txs = [[20, 3], [30, 1], [30, 5], [5, 4], [20, 5], [20, 1]].map(([credits, s], i) =>
    sem.transact(() => {
      admitted[i] = clock.now() / 1000;
      return clock.sleep(s! * 1000);
    }, { credits: credits! }),
  );
  const done = Promise.all(txs);
  await clock.runAll();
  await done;
  equal(admitted, [0, 13, 24, 13, 39, 39], 'admission seconds');
});

check('LeakyBucketLimiter: both aiolimiter reference runs on a VirtualClock', async () => {
  for (const [maxRate, periodMs, tasks, expected] of [
    [4, 8000, 10, [0, 10, 20, 30, 2000, 4000, 6000, 8000, 10000, 12000]],
    [1, 1500, 5, [0, 1500, 3000, 4500, 6000]],
  ] as const) {
    const clock = new t.VirtualClock();
    const bucket = new t.LeakyBucketLimiter({ maxRate, periodMs, clock });
    const admitted: Promise<number>[] = [];
    for (let i = 0; i < tasks; i++) {
      admitted.push(new Promise((resolve) => clock.setTimeout(() => resolve(bucket.acquire().then(() => clock.now())), i * 10)));
    }
    await clock.runAll();
    equal(await Promise.all(admitted), expected, `maxRate ${maxRate} per ${periodMs} ms`);
  }
});

check('SlidingWindowLimiter: each admission frees its cost exactly windowMs later, on a VirtualClock', async () => {
  const clock = new t.VirtualClock();
  const window = new t.SlidingWindowLimiter({ limit: 3, windowMs: 1000, clock });
  const at = (ms: number, cost: number) => new Promise<number>((resolve) => clock.setTimeout(() => resolve(window.acquire(cost).then(() => clock.now())), ms));
  // 2 at 0 and 1 at 300 fill the window: the cost 1 at 500 waits for the 2 freed at 1000, and the
  // cost 2 behind it (FIFO) for the 1 freed at 1300.
  const admitted = Promise.all([[0, 2], [300, 1], [500, 1], [500, 2]].map(([ms, cost]) => at(ms!, cost!)));
  await clock.advance(1300);
  equal(await admitted, [0, 300, 1000, 1300], 'admission instants');
  equal(window.used, 3, 'used at 1300');
  await clock.advance(699);
  ok(window.tryAcquire(1) === undefined, 'refused at 1999: the cost 1 admitted at 1000 is still in the window');
  await clock.advance(1);
  ok(window.tryAcquire(1) !== undefined, 'admitted at 2000, exactly a window after 1000');
  equal(window.used, 3, 'used at 2000');
});

check('ConcurrencySemaphore: `await using` releases at the end of the block, on return and on throw', async () => {
  const sem = new t.ConcurrencySemaphore({ capacity: 3 });
  async function hold(cost: number, fail: boolean): Promise<number> {
    await using permit = await sem.acquire(cost);
    if (fail) throw new Error('inside');
    return permit.cost + sem.available * 10;
  }
  equal(await hold(2, false), 12, 'cost and what was left while held');
  equal(sem.available, 3, 'available after a block that returned');
  const error = await rejection(hold(3, true), 'a block that throws');
  equal((error as Error).message, 'inside', 'the error thrown inside the block');
  equal(sem.available, 3, 'available after a block that threw');
  {
    using permit = sem.tryAcquire(1);
    ok(permit, 'tryAcquire admits');
    equal(sem.available, 2, 'available while `using` a permit');
  }
  equal(sem.available, 3, 'available after the `using` block');
});

check('TokenBucket: fake timers installed after import control systemClock; the wall clock does not', async () => {
  // Loaded here, not at the top: loading it arms a timer, which Workers refuse in global scope.
  const { default: FakeTimers } = await import('@sinonjs/fake-timers');
  const fake = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
  try {
    const bucket = new t.TokenBucket({ capacity: 2, refillIntervalMs: 1000 });
    await bucket.acquire(2);
    let admittedAt = -1;
    const third = bucket.acquire().then(() => (admittedAt = t.systemClock.now()));
    fake.setSystemTime(Date.now() + 3_600_000); // an hour of wall clock: admits nothing
    await fake.tickAsync(999);
    equal(admittedAt, -1, 'not admitted before the refill');
    await fake.tickAsync(1);
    await third;
    equal(admittedAt, 1000, 'admitted at the refill instant');
    equal(bucket.tokens, 0, 'tokens left');
    bucket.close();
  } finally {
    fake.uninstall();
  }
});

check('Throttle: one per second with one slot, and a pause, on a VirtualClock', async () => {
  const clock = new t.VirtualClock();
  const throttle = new t.Throttle({ rate: 1, periodMs: 1000, concurrency: 1, clock });
  throttle.pause(300); // as after a 429 with Retry-After: nothing admitted until 300
  const admitted: number[] = [];
  // The first job holds the slot past the rate's next instant (1300): the slot decides, then the rate.
  const jobs = [1500, 100, 100, 100].map((ms) => throttle.run(async () => {
    admitted.push(clock.now());
    await clock.sleep(ms);
  }));
  const done = Promise.all(jobs);
  await clock.runAll();
  await done;
  equal(admitted, [300, 1800, 2800, 3800], 'admission instants');
});

check('KeyedLimiter: one limiter per key, dropped once idle', async () => {
  const clock = new t.VirtualClock();
  const keyed = new t.KeyedLimiter(() => new t.TokenBucket({ capacity: 1, refillIntervalMs: 1000, clock }), { idleMs: 5000, clock });
  (await keyed.acquire('a')).release();
  (await keyed.acquire('b')).release();
  equal(keyed.size, 2, 'keys after use');
  ok(keyed.get('a') !== keyed.get('b'), 'separate limiters');
  await clock.advance(60_000);
  equal(keyed.size, 0, 'keys after a minute idle');
  keyed.close();
});

check('maxWaitMs, AbortSignal and close reject with the documented errors, taking nothing', async () => {
  const clock = new t.VirtualClock();
  const sem = new t.ConcurrencySemaphore({ capacity: 1, clock });
  const held = await sem.acquire();
  // rejection() takes each promise at once, so none is ever an unhandled rejection.
  const late = rejection(sem.acquire(1, { maxWaitMs: 250 }), 'maxWaitMs');
  const controller = new AbortController();
  const aborted = rejection(sem.acquire(1, { signal: controller.signal }), 'abort');
  const reason = new Error('stop');
  controller.abort(reason);
  const closing = rejection(sem.acquire(), 'close');
  await clock.advance(250);
  const timeout = (await late) as InstanceType<typeof t.MaxWaitExceededError>;
  ok(timeout instanceof t.MaxWaitExceededError, 'MaxWaitExceededError');
  equal([timeout.code, timeout.maxWaitMs, timeout.waitedMs], ['ERR_MAX_WAIT_EXCEEDED', 250, 250], 'code, maxWaitMs, waitedMs');
  ok((await aborted) === reason, 'rejects with signal.reason unchanged');
  sem.close();
  const closed = await closing;
  ok(closed instanceof t.LimiterClosedError, 'LimiterClosedError');
  equal((closed as { code: string }).code, 'ERR_LIMITER_CLOSED', 'code');
  held.release();
  equal(sem.available, 1, 'nothing taken');
});

check('run and wrap return the result and release when fn throws', async () => {
  const sem = new t.ConcurrencySemaphore({ capacity: 1 });
  const double = sem.wrap(async (n: number) => n * 2);
  equal(await double(21), 42, 'wrapped result');
  const error = await rejection(sem.run(() => {
    throw new Error('sync');
  }), 'run');
  equal((error as Error).message, 'sync', 'the error of fn');
  equal(sem.available, 1, 'released after a throw');
});

/** A Meter that records what the adapter calls, standing in for the OpenTelemetry API. */
function recordingMeter() {
  const calls: [string, number, Record<string, unknown>][] = [];
  const instrument = (name: string) => ({ add: (v: number, a: Record<string, unknown>) => calls.push([name, v, a]), record: (v: number, a: Record<string, unknown>) => calls.push([name, v, a]) });
  const meter = { createCounter: instrument, createUpDownCounter: instrument, createHistogram: instrument };
  return { meter: meter as unknown as Parameters<typeof t.otel.otelListener>[0]['meter'], calls };
}

check('tollgate/otel: otelListener records a real limiter\'s events, under its name and kind', async () => {
  const { meter, calls } = recordingMeter();
  const clock = new t.VirtualClock();
  const sem = new t.ConcurrencySemaphore({ capacity: 1, clock, name: 'api', onEvent: t.otel.otelListener({ meter }) });
  const first = await sem.acquire();
  const second = sem.acquire();
  await clock.advance(40);
  first.release();
  (await second).release();
  const attributes = { 'tollgate.limiter.name': 'api', 'tollgate.limiter.kind': 'ConcurrencySemaphore' };
  const admissions = calls.filter(([name]) => name === 'tollgate.limiter.admitted' || name === 'tollgate.limiter.wait_time');
  equal(admissions, [
    ['tollgate.limiter.admitted', 1, attributes], ['tollgate.limiter.wait_time', 0, attributes],
    ['tollgate.limiter.admitted', 1, attributes], ['tollgate.limiter.wait_time', 40, attributes],
  ], 'admissions recorded');
});

check(`diagnostics_channel is ${__EXPECT_DIAGNOSTICS__ ? 'found' : 'absent, and nothing breaks'}`, () => {
  const { meter } = recordingMeter();
  const subscription = t.otel.subscribeToDiagnostics({ meter });
  equal(subscription.active, __EXPECT_DIAGNOSTICS__, 'subscribeToDiagnostics(...).active');
  subscription.unsubscribe();
});

check('limiters publish their events on tollgate:event', async (ctx) => {
  if (!__EXPECT_DIAGNOSTICS__) ctx.skip('no diagnostics_channel in this runtime');
  const { meter, calls } = recordingMeter();
  const subscription = t.otel.subscribeToDiagnostics({ meter });
  const sem = new t.ConcurrencySemaphore({ capacity: 1 });
  (await sem.acquire()).release();
  subscription.unsubscribe();
  equal(calls[0], ['tollgate.limiter.admitted', 1, { 'tollgate.limiter.kind': 'ConcurrencySemaphore' }], 'first measurement');
});
