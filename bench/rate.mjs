// Rate hot path: buckets that never run out, so every call is admitted at once.
import { RateLimit } from 'async-sema';
import Bottleneck from 'bottleneck';
import { TokenBucket as LimiterBucket } from 'limiter';
import PQueue from 'p-queue';
import { LeakyBucketLimiter, TokenBucket } from 'tollgate';
import { perOp, split } from './harness.mjs';

/** More than any run can take: the buckets never run out. */
const HUGE = 1e12;

const noop = () => 1;

function limiterBucket() {
  const bucket = new LimiterBucket({ bucketSize: HUGE, tokensPerInterval: HUGE, interval: 'second' });
  bucket.content = HUGE;
  return bucket;
}

export async function run() {
  const tokens = new TokenBucket({ capacity: HUGE, refillAmount: HUGE, refillIntervalMs: 1000 });
  // maxRate × periodMs must fit the quantum in whole units (docs/semantics.md §5.4): 1e9 per second never blocks here either.
  const leaky = new LeakyBucketLimiter({ maxRate: 1e9, periodMs: 1000 });
  const bucket = limiterBucket();
  let admitted = 0;

  // The clock read runs in the same interleaved rounds as the calls it bounds, so its ratio to limiter's call is measured, not inferred.
  const tryTokens = await perOp([
    {
      name: 'clock floor',
      run: (n) => {
        for (let i = 0; i < n; i++) admitted += performance.now() > 0 ? 1 : 0;
      },
    },
    {
      name: 'tollgate',
      run: (n) => {
        for (let i = 0; i < n; i++) if (tokens.tryAcquire() !== undefined) admitted++;
      },
    },
    {
      name: 'limiter',
      run: (n) => {
        for (let i = 0; i < n; i++) if (bucket.tryRemoveTokens(1)) admitted++;
      },
    },
  ]);

  const tryLeaky = await perOp([
    {
      name: 'tollgate',
      run: (n) => {
        for (let i = 0; i < n; i++) if (leaky.tryAcquire() !== undefined) admitted++;
      },
    },
    {
      name: 'limiter',
      run: (n) => {
        for (let i = 0; i < n; i++) if (bucket.tryRemoveTokens(1)) admitted++;
      },
    },
  ]);

  // async-sema's RateLimit preallocates one token per call per time unit: more than this run makes.
  const semaRate = RateLimit(500_000, { timeUnit: 1000 });
  const queue = new PQueue({ intervalCap: HUGE, interval: 1000 });
  const bottleneck = new Bottleneck({ reservoir: HUGE });
  const awaitTokens = await perOp([
    {
      name: 'tollgate',
      run: async (n) => {
        for (let i = 0; i < n; i++) await tokens.acquire();
      },
    },
    {
      name: 'limiter',
      run: async (n) => {
        for (let i = 0; i < n; i++) await bucket.removeTokens(1);
      },
    },
    {
      name: 'async-sema',
      run: async (n) => {
        for (let i = 0; i < n; i++) await semaRate();
      },
      // RateLimit arms one timer per call: fewer calls leave fewer timers behind.
      maxOps: 2 ** 14,
    },
    {
      name: 'p-queue',
      run: async (n) => {
        for (let i = 0; i < n; i++) await queue.add(noop);
      },
    },
    {
      name: 'bottleneck',
      run: async (n) => {
        for (let i = 0; i < n; i++) await bottleneck.schedule(noop);
      },
      rounds: 3,
    },
  ]);
  await bottleneck.stop();

  if (admitted === 0) throw new Error('nothing admitted'); // keeps the loops observable
  const { 'clock floor': clockFloor, ...tokenTries } = tryTokens;
  const limiterTry = tryTokens.limiter;
  return [
    {
      scenario: 'rate hot path',
      what: '`performance.now()` alone: the floor of any exact rate check (a call that does not read the clock cannot know how much has refilled)',
      unit: 'ns/op',
      tollgate: clockFloor,
      peers: { limiter: limiterTry },
    },
    {
      scenario: 'rate hot path',
      what: '`tryAcquire()`, token bucket (limiter: `TokenBucket.tryRemoveTokens`)',
      unit: 'ns/op',
      ...split(tokenTries),
      target: '≤ 1.0× limiter',
      met: tryTokens.tollgate <= limiterTry,
    },
    {
      scenario: 'rate hot path',
      what: '`tryAcquire()`, leaky bucket (limiter: `TokenBucket.tryRemoveTokens`)',
      unit: 'ns/op',
      ...split(tryLeaky),
      target: '≤ 1.0× limiter',
      met: tryLeaky.tollgate <= tryLeaky.limiter,
    },
    {
      scenario: 'rate hot path',
      what: '`await acquire()`, token bucket (limiter `removeTokens`, async-sema `RateLimit`, p-queue `interval`, bottleneck `reservoir`)',
      unit: 'ns/op',
      ...split(awaitTokens),
    },
  ];
}
