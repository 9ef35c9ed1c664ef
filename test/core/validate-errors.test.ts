// Exact messages and boundaries of the shared checks and error classes, which mutation testing
// showed were only matched loosely (by type or by a fragment): a bad configuration is meant to
// be found from the message alone, so its wording is part of the contract.
import { describe, expect, it } from 'vitest';
import { LimiterClosedError, MaxWaitExceededError } from '../../src/core/errors.js';
import { checkClock, checkCost, checkNumber, checkOneOf } from '../../src/core/validate.js';

/** The error `fn` throws (fails the test if it returns). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('checkNumber', () => {
  it('names the rule broken: integer or number, > or >=, the minimum, and whether Infinity is allowed', () => {
    const a = thrown(() => checkNumber('maxBypass', 1.5, { integer: true, positive: true, allowInfinity: true }));
    expect(a).toBeInstanceOf(RangeError);
    expect(a.message).toBe('maxBypass must be an integer > 0 (or Infinity); got 1.5');

    const b = thrown(() => checkNumber('capacity', -1));
    expect(b).toBeInstanceOf(RangeError);
    expect(b.message).toBe('capacity must be a number >= 0; got -1');

    expect(thrown(() => checkNumber('x', 2, { min: 3 })).message).toBe('x must be a number >= 3; got 2');
  });

  it('rejects Infinity unless allowed, and -Infinity and NaN always', () => {
    expect(thrown(() => checkNumber('x', Infinity)).message).toBe('x must be a number >= 0; got Infinity');
    expect(thrown(() => checkNumber('x', Infinity, { integer: true })).message).toBe('x must be an integer >= 0; got Infinity');
    expect(checkNumber('x', Infinity, { allowInfinity: true })).toBe(Infinity);
    expect(checkNumber('x', Infinity, { allowInfinity: true, integer: true })).toBe(Infinity);
    expect(thrown(() => checkNumber('x', -Infinity, { allowInfinity: true })).message).toBe('x must be a number >= 0 (or Infinity); got -Infinity');
    expect(thrown(() => checkNumber('x', NaN, { allowInfinity: true })).message).toBe('x must be a number >= 0 (or Infinity); got NaN');
  });
});

describe('checkCost', () => {
  it('accepts a finite cost from 0 to the capacity, even an infinite capacity', () => {
    expect(checkCost(0, 10)).toBe(0);
    expect(checkCost(10, 10)).toBe(10);
    expect(checkCost(1e300, Infinity)).toBe(1e300);
  });

  it('rejects Infinity even when the capacity is infinite', () => {
    const e = thrown(() => checkCost(Infinity, Infinity));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe('cost must be a finite number from 0 to the capacity Infinity; got Infinity');
  });

  it('rejects a cost out of range or not a number, naming it', () => {
    expect(thrown(() => checkCost(-1, 10)).message).toBe('cost must be a finite number from 0 to the capacity 10; got -1');
    expect(thrown(() => checkCost(11, 10, 'credits')).message).toBe('credits must be a finite number from 0 to the capacity 10; got 11');
    expect(thrown(() => checkCost(NaN, 10)).message).toBe('cost must be a finite number from 0 to the capacity 10; got NaN');
    const e = thrown(() => checkCost('1', 10));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe('cost must be a number; got "1"');
  });
});

describe('checkOneOf', () => {
  it('lists the allowed values, quoted, in the message', () => {
    expect(checkOneOf('admission', undefined, ['fifo', 'opportunistic'], 'fifo')).toBe('fifo');
    expect(checkOneOf('admission', 'opportunistic', ['fifo', 'opportunistic'], 'fifo')).toBe('opportunistic');
    const e = thrown(() => checkOneOf('admission', 'lifo', ['fifo', 'opportunistic'], 'fifo'));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe(`admission must be one of 'fifo', 'opportunistic'; got "lifo"`);
  });
});

describe('checkClock', () => {
  const fn = () => 0;
  const message = (value: string) => `clock must have now(), setTimeout() and clearTimeout(); got ${value}`;

  it('requires each of now, setTimeout and clearTimeout', () => {
    const clock = { now: fn, setTimeout: fn, clearTimeout: fn };
    expect(checkClock(clock)).toBe(clock);
    expect(thrown(() => checkClock({ setTimeout: fn, clearTimeout: fn })).message).toBe(message('[object Object]'));
    expect(thrown(() => checkClock({ now: fn, clearTimeout: fn })).message).toBe(message('[object Object]'));
    expect(thrown(() => checkClock({ now: fn, setTimeout: fn })).message).toBe(message('[object Object]'));
    expect(thrown(() => checkClock({ now: fn, setTimeout: 1, clearTimeout: fn }))).toBeInstanceOf(TypeError);
    expect(thrown(() => checkClock(null)).message).toBe(message('null'));
  });
});

describe('errors', () => {
  it('MaxWaitExceededError says the limit and how long the waiter waited', () => {
    const e = new MaxWaitExceededError(500, 120);
    expect(e.message).toBe('not admitted within maxWaitMs=500 (waited 120 ms)');
    expect(e.name).toBe('MaxWaitExceededError');
    expect(e.code).toBe('ERR_MAX_WAIT_EXCEEDED');
    expect([e.maxWaitMs, e.waitedMs]).toEqual([500, 120]);
  });

  it('LimiterClosedError has a default message, or the one given', () => {
    expect(new LimiterClosedError().message).toBe('the limiter is closed');
    expect(new LimiterClosedError('shutting down').message).toBe('shutting down');
    expect(new LimiterClosedError().code).toBe('ERR_LIMITER_CLOSED');
  });
});
