import { describe, expect, it } from 'vitest';
import { Throttle, VirtualClock } from '../../src/index.js';
import { badNumbers, expectThrow, names, notNumbers, prepare, show, unchanged } from '../support/bad-input-limiters.js';

// update() given what a user might pass by mistake, for every option each limiter takes: the
// error the constructor gives for that value (a TypeError for a wrong type, a RangeError for a
// wrong number, each naming the option and the value), and the limiter, with a permit held and a
// waiter queued, exactly as it was, good options given alongside included. Afterwards it still works.

interface UpdateOption {
  name: string;
  positive?: boolean;
  integer?: boolean;
  infinity?: boolean;
  /** A size counted in quanta: a value finer than the quantum is a RangeError too. */
  quanta?: boolean;
}

const own: Record<string, UpdateOption[]> = {
  CreditSemaphore: [{ name: 'capacity', positive: true, quanta: true }, { name: 'refundMs' }],
  ConcurrencySemaphore: [{ name: 'capacity', positive: true, quanta: true }],
  LeakyBucketLimiter: [
    { name: 'maxRate', positive: true, quanta: true },
    { name: 'periodMs', positive: true },
  ],
  TokenBucket: [
    { name: 'capacity', positive: true, quanta: true },
    { name: 'refillAmount', positive: true, quanta: true },
    { name: 'refillIntervalMs', positive: true },
  ],
  SlidingWindowLimiter: [
    { name: 'limit', positive: true, quanta: true },
    { name: 'windowMs', positive: true },
  ],
  Throttle: [
    { name: 'rate', positive: true, quanta: true },
    { name: 'periodMs', positive: true },
    { name: 'concurrency', integer: true },
  ],
};
const common: UpdateOption[] = [
  { name: 'maxWaitMs', infinity: true },
  { name: 'maxBypass', integer: true, infinity: true },
  { name: 'maxPending', integer: true, infinity: true },
];

/** Every bad value of `option` with the error type the constructor throws for it. */
function badValues(option: UpdateOption): [string, unknown, new (...args: never[]) => Error][] {
  const values: [unknown, new (...args: never[]) => Error][] = [
    ...notNumbers.map((v): [unknown, typeof TypeError] => [v, TypeError]),
    ...badNumbers.map((v): [unknown, typeof RangeError] => [v, RangeError]),
  ];
  if (!option.infinity) values.push([Infinity, RangeError]);
  if (option.positive) values.push([0, RangeError]);
  if (option.integer) values.push([1.5, RangeError]);
  if (option.quanta) values.push([1e-12, RangeError]);
  return values.map(([v, type]) => [show(v).slice(0, 30), v, type]);
}

describe.each(names)('%s.update', (name) => {
  for (const option of [...own[name]!, ...common]) {
    it.each(badValues(option))(`${option.name} = %s: the constructor's error, naming it; nothing changes, good options given with it included`, async (_, value, type) => {
      await unchanged(name, ({ limiter }) => {
        const update = (o: Record<string, unknown>) => (limiter as unknown as { update(o: unknown): void }).update(o);
        expectThrow(() => update({ [option.name]: value }), type, option.name, value);
        const good = option.name === 'maxWaitMs' ? { maxPending: 1 } : { maxWaitMs: 1 };
        expectThrow(() => update({ ...good, [option.name]: value }), type, option.name, value);
      });
    });
  }

  it('a good option given with a bad one is not applied: a later waiter does not get its maxWaitMs', async () => {
    const { limiter, clock } = await prepare(name);
    expect(() => (limiter as unknown as { update(o: unknown): void }).update({ maxWaitMs: 1, maxPending: -1 })).toThrow(RangeError);
    let settled = false;
    void limiter.acquire(1).then(
      () => (settled = true),
      () => (settled = true),
    );
    await clock.advance(10);
    expect(settled).toBe(false);
    expect(limiter.pending).toBe(2);
    limiter.close();
  });

  it.each([null, 5, 'options', true].map((v) => [show(v), v]))('options = %s: a TypeError naming options', async (_, value) => {
    await unchanged(name, ({ limiter }) => {
      expectThrow(() => (limiter as unknown as { update(o: unknown): void }).update(value), TypeError, 'options', value);
    });
  });

  it('an option that is not updatable (or not an option at all) is a TypeError naming it', async () => {
    await unchanged(name, ({ limiter }) => {
      const update = (o: Record<string, unknown>) => (limiter as unknown as { update(o: unknown): void }).update(o);
      expectThrow(() => update({ capacityy: 5 }), TypeError, 'capacityy');
      expectThrow(() => update({ admission: 'fifo' }), TypeError, 'admission');
      expectThrow(() => update({ clock: undefined, maxWaitMs: 1 }), TypeError, 'clock');
      if (name === 'TokenBucket') expectThrow(() => update({ initialTokens: 1 }), TypeError, 'initialTokens');
    });
  });
});

describe('Throttle.update: the limit forms', () => {
  const update = (limiter: unknown, o: unknown) => (limiter as { update(o: unknown): void }).update(o);
  it.each([['fixed'], [null], [1], ['']].map(([v]) => [show(v), v]))('kind = %s: a TypeError naming kind', async (_, kind) => {
    await unchanged('Throttle', ({ limiter }) => expectThrow(() => update(limiter, { kind }), TypeError, 'kind', kind));
  });

  it('limits: not an array, empty, a bad entry, or given with rate/periodMs/kind', async () => {
    await unchanged('Throttle', ({ limiter }) => {
      expectThrow(() => update(limiter, { limits: 'fast' }), TypeError, 'limits');
      expectThrow(() => update(limiter, { limits: [] }), TypeError, 'limits');
      expectThrow(() => update(limiter, { limits: [null] }), TypeError, 'limits[0]');
      expectThrow(() => update(limiter, { limits: [{ rate: 4 }, { rate: 0 }] }), RangeError, 'limits[1].rate', 0);
      expectThrow(() => update(limiter, { limits: [{ rate: 4, periodMs: Number.NaN }] }), RangeError, 'limits[0].periodMs');
      expectThrow(() => update(limiter, { limits: [{ rate: 4, kind: 'fixed' }] }), TypeError, 'limits[0].kind', 'fixed');
      expectThrow(() => update(limiter, { limits: [{ rate: 4 }], rate: 3 }), TypeError, 'limits');
      expectThrow(() => update(limiter, { limits: [{ rate: 4 }], kind: null, concurrency: 1 }), TypeError, 'limits');
    });
  });

  it('rate, periodMs or kind on a throttle with several limits is a TypeError; nothing changes', () => {
    const throttle = new Throttle({ limits: [{ rate: 4 }, { rate: 100, periodMs: 60_000 }], clock: new VirtualClock() });
    throttle.tryAcquire(1);
    for (const o of [{ rate: 3 }, { periodMs: 500 }, { kind: 'leaky' }, { rate: 3, concurrency: 1 }]) {
      expectThrow(() => update(throttle, o), TypeError, 'several limits');
      expect(throttle.available).toBe(3);
      expect(throttle.capacity).toBe(4);
    }
  });
});
