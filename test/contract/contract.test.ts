import {
  type Clock,
  ConcurrencySemaphore,
  CreditSemaphore,
  type Gate,
  LeakyBucketLimiter,
  type Permit,
  SlidingWindowLimiter,
  Throttle,
  systemClock,
  TokenBucket,
} from '../../src/index.js';
import { contractSuite } from './contract-suite.js';

// Every subject holds 4 units after `exhaust()`. Timed subjects give one back every 250 ms.
const units = (take: () => Permit | undefined): Permit[] => [1, 2, 3, 4].map(() => take()!);
const quarter = (k: number) => 250 * k;

contractSuite('CreditSemaphore (credits held)', ({ options }) => {
  const limiter = new CreditSemaphore({ capacity: 4, ...options });
  return { limiter, capacity: 4, kind: 'release', spends: false, exhaust: async () => units(() => limiter.tryAcquire(1)), readyMs: () => Infinity };
});

contractSuite('CreditSemaphore (credits refunding)', ({ options }) => {
  const limiter = new CreditSemaphore({ capacity: 4, refundMs: 60_000, ...options });
  return {
    limiter,
    capacity: 4,
    kind: 'timed',
    spends: false,
    async exhaust() {
      const permits: Permit[] = [];
      for (let k = 1; k <= 4; k++) permits.push(await limiter.acquire(1, { refundMs: quarter(k) }));
      for (const permit of permits) permit.release();
      return permits;
    },
    readyMs: quarter,
  };
});

contractSuite('ConcurrencySemaphore', ({ options }) => {
  const limiter = new ConcurrencySemaphore({ capacity: 4, ...options });
  return { limiter, capacity: 4, kind: 'release', spends: false, exhaust: async () => units(() => limiter.tryAcquire(1)), readyMs: () => Infinity };
});

contractSuite('LeakyBucketLimiter', ({ options }) => {
  const limiter = new LeakyBucketLimiter({ maxRate: 4, periodMs: 1000, ...options });
  return { limiter, capacity: 4, kind: 'timed', spends: true, exhaust: async () => units(() => limiter.tryAcquire(1)), readyMs: quarter };
});

contractSuite('TokenBucket', ({ options }) => {
  const limiter = new TokenBucket({ capacity: 4, refillIntervalMs: 250, ...options });
  return { limiter, capacity: 4, kind: 'timed', spends: true, exhaust: async () => units(() => limiter.tryAcquire(1)), readyMs: quarter };
});

// A window frees each admission `windowMs` after it. To free one unit at a time, the limiter
// reads a clock 750 ms behind while `exhaust` takes its four units 250 ms apart, then the true
// clock: they come back at 250, 500, 750 and 1000 ms after `exhaust`, like the other timed subjects.
function staggered(make: (clock: Clock) => Gate): { limiter: Gate; exhaust: () => Promise<Permit[]> } {
  let shift = 0;
  const clock: Clock = { ...systemClock, now: () => systemClock.now() + shift };
  const limiter = make(clock);
  const exhaust = async (): Promise<Permit[]> => {
    const permits: Permit[] = [];
    for (let k = 0; k < 4; k++) {
      shift = 250 * k - 750;
      permits.push(limiter.tryAcquire(1)!);
    }
    shift = 0;
    return permits;
  };
  return { limiter, exhaust };
}

contractSuite('SlidingWindowLimiter', ({ options }) => {
  const { limiter, exhaust } = staggered((clock) => new SlidingWindowLimiter({ limit: 4, windowMs: 1000, clock, ...options }));
  return { limiter, capacity: 4, kind: 'timed', spends: true, window: true, exhaust, readyMs: quarter };
});

contractSuite('Throttle (sliding rate, the default)', ({ options }) => {
  const { limiter, exhaust } = staggered((clock) => new Throttle({ rate: 4, periodMs: 1000, clock, ...options }));
  return { limiter, capacity: 4, kind: 'timed', spends: true, window: true, exhaust, readyMs: quarter };
});

contractSuite('Throttle (leaky rate)', ({ options }) => {
  const limiter = new Throttle({ rate: 4, periodMs: 1000, kind: 'leaky', ...options });
  return { limiter, capacity: 4, kind: 'timed', spends: true, exhaust: async () => units(() => limiter.tryAcquire(1)), readyMs: quarter };
});

contractSuite('Throttle (concurrency)', ({ options }) => {
  const limiter = new Throttle({ rate: 100, periodMs: 1000, kind: 'leaky', concurrency: 4, ...options });
  return { limiter, capacity: 100, kind: 'release', spends: true, exhaust: async () => units(() => limiter.tryAcquire(1)), readyMs: () => Infinity };
});
