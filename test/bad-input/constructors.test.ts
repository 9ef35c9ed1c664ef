import { describe, expect, it } from 'vitest';
import { KeyedLimiter, TokenBucket, VirtualClock } from '../../src/index.js';
import { badNumbers, expectThrow, makers, names, notNumbers, show } from '../support/bad-input-limiters.js';

// Every constructor option of every limiter, given a wrong type, NaN, a negative, zero where zero
// is meaningless, Infinity where it is meaningless, a fraction where a count is meant, or missing
// when required: a TypeError (wrong type) or RangeError (wrong number) naming the option and the
// value, thrown at construction with nothing armed.

interface NumberOption {
  name: string;
  /** Valid value used as the base for the others. */
  ok: number;
  required?: boolean;
  positive?: boolean;
  integer?: boolean;
  infinity?: boolean;
}

const common: NumberOption[] = [
  { name: 'maxWaitMs', ok: 10, infinity: true },
  { name: 'maxBypass', ok: 2, integer: true, infinity: true },
];
const own: Record<string, NumberOption[]> = {
  CreditSemaphore: [{ name: 'capacity', ok: 4, required: true, positive: true }, { name: 'refundMs', ok: 100 }],
  ConcurrencySemaphore: [{ name: 'capacity', ok: 4, required: true, positive: true }],
  LeakyBucketLimiter: [{ name: 'maxRate', ok: 4, required: true, positive: true }, { name: 'periodMs', ok: 1_000, positive: true }],
  TokenBucket: [
    { name: 'capacity', ok: 4, required: true, positive: true },
    { name: 'refillAmount', ok: 1, positive: true },
    { name: 'refillIntervalMs', ok: 250, required: true, positive: true },
    { name: 'initialTokens', ok: 2 },
  ],
  SlidingWindowLimiter: [{ name: 'limit', ok: 4, required: true, positive: true }, { name: 'windowMs', ok: 1_000, required: true, positive: true }],
  Throttle: [{ name: 'rate', ok: 4, required: true, positive: true }, { name: 'periodMs', ok: 1_000, positive: true }, { name: 'concurrency', ok: 3, integer: true }],
};

const clock = new VirtualClock();
const build = (name: string, options: Record<string, unknown>) => () => makers[name]!(clock, () => {}, options);
/** Throttle options without the `rate`/`periodMs` form its maker gives by default. */
const limitsOnly = { rate: undefined, periodMs: undefined };

describe.each(names)('%s constructor', (name) => {
  for (const option of [...own[name]!, ...common]) {
    describe(option.name, () => {
      it.each(notNumbers.map((v) => [show(v), v]))('a %s is a TypeError naming it', (_, value) => {
        expectThrow(build(name, { [option.name]: value }), TypeError, option.name, value);
      });
      it.each(badNumbers.map((v) => [v]))('%s is a RangeError naming it', (value) => {
        expectThrow(build(name, { [option.name]: value }), RangeError, option.name, value);
      });
      it(`Infinity is ${option.infinity ? 'allowed' : 'a RangeError'}`, () => {
        if (option.infinity) expect(build(name, { [option.name]: Infinity })).not.toThrow();
        else expectThrow(build(name, { [option.name]: Infinity }), RangeError, option.name, Infinity);
      });
      it(`0 is ${option.positive ? 'a RangeError' : 'allowed'}`, () => {
        if (option.positive) expectThrow(build(name, { [option.name]: 0 }), RangeError, option.name, 0);
        else expect(build(name, { [option.name]: 0 })).not.toThrow();
      });
      it(`1.5 is ${option.integer ? 'a RangeError' : 'allowed'}`, () => {
        if (option.integer) expectThrow(build(name, { [option.name]: 1.5 }), RangeError, option.name, 1.5);
        else expect(build(name, { [option.name]: 1.5 })).not.toThrow();
      });
      it(`missing is ${option.required ? 'a TypeError naming it' : 'the default'}`, () => {
        if (option.required) expectThrow(build(name, { [option.name]: undefined }), TypeError, option.name, undefined);
        else expect(build(name, { [option.name]: undefined })).not.toThrow();
      });
      it('a huge value (2³¹ + 5) is accepted', () => {
        expect(build(name, { [option.name]: 2 ** 31 + 5, ...(option.name === 'initialTokens' ? { capacity: 2 ** 31 + 5 } : {}) })).not.toThrow();
      });
    });
  }

  it.each([null, 5, 'options', true].map((v) => [show(v), v]))('options = %s is a TypeError naming options', (_, value) => {
    expectThrow(() => new (makers[name]!(clock, () => {}).constructor as new (o: unknown) => unknown)(value), TypeError, 'options', value);
  });
  it.each(['lifo', 'FIFO', 1, null, true].map((v) => [show(v), v]))('admission = %s is a TypeError naming admission', (_, value) => {
    expectThrow(build(name, { admission: value }), TypeError, 'admission', value);
  });
  it.each(['log', {}, 1, null].map((v) => [show(v), v]))('onEvent = %s is a TypeError naming onEvent', (_, value) => {
    expectThrow(build(name, { onEvent: value }), TypeError, 'onEvent', value);
  });
  it.each([{}, { now: () => 0 }, { now: 0, setTimeout, clearTimeout }, null, 5, 'clock'].map((v) => [show(v), v]))('clock = %s is a TypeError naming clock', (_, value) => {
    expectThrow(build(name, { clock: value }), TypeError, 'clock');
  });
  it('a failed construction arms nothing on the clock it was given', () => {
    const own = new VirtualClock();
    expect(() => makers[name]!(own, () => {}, { maxWaitMs: -1 })).toThrow(RangeError);
    expect(own.pendingTimers).toBe(0);
  });
});

describe('messages say what was expected', () => {
  it.each([
    [{ capacity: -1 }, 'capacity must be a number > 0; got -1'],
    [{ capacity: 2, maxWaitMs: NaN }, 'maxWaitMs must be a number >= 0 (or Infinity); got NaN'],
    [{ capacity: 2, maxBypass: 1.5 }, 'maxBypass must be an integer >= 0 (or Infinity); got 1.5'],
    [{ capacity: 2, admission: 'lifo' }, `admission must be one of 'fifo', 'opportunistic'; got "lifo"`],
    [{ capacity: '2' }, 'capacity must be a number; got "2"'],
    [{ capacity: 2, clock: { now: (): number => 0, setTimeout } }, 'clock must have now(), setTimeout() and clearTimeout(); got [object Object]'],
    [{ capacity: 2, clock: { now: (): number => 0, clearTimeout } }, 'clock must have now(), setTimeout() and clearTimeout(); got [object Object]'],
  ])('%j: %s', (options, message) => {
    expect(() => makers.ConcurrencySemaphore!(clock, () => {}, { clock, ...options })).toThrow(message);
  });
  it('Throttle: concurrency must be an integer', () => {
    expect(build('Throttle', { concurrency: 2.5 })).toThrow('concurrency must be an integer >= 0; got 2.5');
  });
});

describe('options checked across each other', () => {
  it('TokenBucket: initialTokens above capacity is a RangeError naming both', () => {
    expectThrow(() => new TokenBucket({ capacity: 4, refillIntervalMs: 1, initialTokens: 5 }), RangeError, 'initialTokens', 5);
    expectThrow(() => new TokenBucket({ capacity: 4, refillIntervalMs: 1, initialTokens: 5 }), RangeError, 'capacity');
  });
  it('Throttle: rate and limits together is a TypeError', () => {
    expectThrow(build('Throttle', { limits: [{ rate: 1 }] }), TypeError, 'limits');
    expectThrow(build('Throttle', { rate: undefined, periodMs: 10, limits: [{ rate: 1 }] }), TypeError, 'limits');
  });
  it.each([['x'], [[]], [{}], [5]])('Throttle: limits = %j is a TypeError naming limits', (value) => {
    expectThrow(build('Throttle', { ...limitsOnly, limits: value }), TypeError, 'limits');
  });
  it('Throttle: each limit is checked, by index', () => {
    expectThrow(build('Throttle', { ...limitsOnly, limits: [{ rate: 1 }, null] }), TypeError, 'limits[1]', null);
    expectThrow(build('Throttle', { ...limitsOnly, limits: [{ rate: 1 }, { rate: 0 }] }), RangeError, 'limits[1].rate', 0);
    expectThrow(build('Throttle', { ...limitsOnly, limits: [{ rate: '1' }] }), TypeError, 'limits[0].rate', '1');
    expectThrow(build('Throttle', { ...limitsOnly, limits: [{ rate: 1, periodMs: NaN }] }), RangeError, 'limits[0].periodMs', NaN);
    expectThrow(build('Throttle', { ...limitsOnly, limits: [{ periodMs: 10 }] }), TypeError, 'limits[0].rate', undefined);
  });
  // The level is kept in cost·ms: rate × periodMs must not overflow, else every reading is NaN.
  it('LeakyBucketLimiter and Throttle: rate × periodMs beyond Number.MAX_VALUE is a RangeError naming both', () => {
    expectThrow(build('LeakyBucketLimiter', { maxRate: 1e308, periodMs: 60_000 }), RangeError, 'maxRate × periodMs');
    expectThrow(build('LeakyBucketLimiter', { maxRate: 3, periodMs: 1e308 }), RangeError, 'maxRate × periodMs');
    expectThrow(build('Throttle', { rate: Number.MAX_VALUE, periodMs: 2 }), RangeError, 'rate × periodMs');
    expectThrow(build('Throttle', { ...limitsOnly, limits: [{ rate: 1 }, { rate: 1e300, periodMs: 1e10 }] }), RangeError, 'limits[1].rate × limits[1].periodMs');
    expect(build('LeakyBucketLimiter', { maxRate: Number.MAX_VALUE, periodMs: 1 })).not.toThrow();
  });
});

describe('KeyedLimiter constructor', () => {
  const factory = () => new TokenBucket({ capacity: 1, refillIntervalMs: 10 });
  it.each([undefined, null, 5, 'f', {}].map((v) => [show(v), v]))('factory = %s is a TypeError naming factory', (_, value) => {
    expectThrow(() => new KeyedLimiter(value as never), TypeError, 'factory', value);
  });
  it.each([...notNumbers, NaN, -1, 0, -Infinity].map((v) => [show(v), v]))('idleMs = %s is an error naming idleMs', (_, value) => {
    expectThrow(() => new KeyedLimiter(factory, { idleMs: value as number }), typeof value === 'number' ? RangeError : TypeError, 'idleMs', value);
  });
  it.each([null, 5, 'x'].map((v) => [show(v), v]))('options = %s is a TypeError naming options', (_, value) => {
    expectThrow(() => new KeyedLimiter(factory, value as never), TypeError, 'options', value);
  });
  it('clock without its methods is a TypeError naming clock', () => {
    expectThrow(() => new KeyedLimiter(factory, { clock: {} as never }), TypeError, 'clock');
  });
  // What a factory returns must be a limiter: each missing member is caught at the first get.
  const real = () => new TokenBucket({ capacity: 1, refillIntervalMs: 10 });
  const without = (member: string) => () => {
    const l = real();
    return new Proxy(l, { get: (t, k) => (k === member ? (member === 'idle' ? 'yes' : undefined) : Reflect.get(t, k, t)) });
  };
  it.each([
    ['{}', () => ({})],
    ['null', () => null],
    ['undefined', () => undefined],
    ['5', () => 5],
    ['no acquire', without('acquire')],
    ['no run', without('run')],
    ['no close', without('close')],
    ['idle not a boolean', without('idle')],
  ])('a factory that returns %s: get, acquire and run fail with a TypeError naming factory, and no key is kept', async (_, factory) => {
    const keyed = new KeyedLimiter(factory as never, { clock: new VirtualClock() });
    expectThrow(() => keyed.get('a'), TypeError, 'factory');
    await expect(keyed.acquire('a')).rejects.toThrow(/factory must return a limiter/);
    await expect(keyed.run('a', () => 1)).rejects.toThrow(TypeError);
    expect(keyed.size).toBe(0);
    expect(keyed.has('a')).toBe(false);
  });
  it('a factory that returns a real limiter is accepted', () => {
    const keyed = new KeyedLimiter(real, { clock: new VirtualClock() });
    expect(keyed.get('a')).toBeInstanceOf(TokenBucket);
    keyed.close();
    expectThrow(() => keyed.get('a'), Error, 'the keyed limiter is closed');
  });
});
