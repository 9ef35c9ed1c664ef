import {
  ConcurrencySemaphore,
  CreditSemaphore,
  LeakyBucketLimiter,
  type Permit,
  Throttle,
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

contractSuite('Throttle (rate)', ({ options }) => {
  const limiter = new Throttle({ rate: 4, periodMs: 1000, ...options });
  return { limiter, capacity: 4, kind: 'timed', spends: true, exhaust: async () => units(() => limiter.tryAcquire(1)), readyMs: quarter };
});

contractSuite('Throttle (concurrency)', ({ options }) => {
  const limiter = new Throttle({ rate: 100, periodMs: 1000, concurrency: 4, ...options });
  return { limiter, capacity: 100, kind: 'release', spends: true, exhaust: async () => units(() => limiter.tryAcquire(1)), readyMs: () => Infinity };
});
