// Shared by the exactness properties (docs/semantics.md §16): random limiters of every kind with
// fractional capacities, rates, periods and refund delays; random operations with costs in whole
// quanta (k / 1e9, capacity − 1e-9, 1e-9); a runner on a VirtualClock moved by fractional ms.
import fc from 'fast-check';
import {
  ConcurrencySemaphore,
  CreditSemaphore,
  LeakyBucketLimiter,
  SlidingWindowLimiter,
  Throttle,
  TokenBucket,
  VirtualClock,
  type Permit,
} from '../../src/index.js';
import { Quantum } from '../../src/core/quantum.js';

const LONG = process.env.FUZZ_LONG === '1';
export const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : LONG ? (Date.now() ^ (Math.random() * 2 ** 31)) | 0 : 20_261_202;
export const runs = (modest: number): number => (process.env.FUZZ_RUNS !== undefined ? Number(process.env.FUZZ_RUNS) : LONG ? modest * 20 : modest);

export type Kind = 'credit' | 'concurrency' | 'leaky' | 'token' | 'sliding' | 'throttle';
export const KINDS: Kind[] = ['credit', 'concurrency', 'leaky', 'token', 'sliding', 'throttle'];
export type AnyLimiter = CreditSemaphore | ConcurrencySemaphore | LeakyBucketLimiter | TokenBucket | SlidingWindowLimiter | Throttle;

export interface Config {
  kind: Kind;
  options: Record<string, unknown>;
  start: number;
}

/** Fractional amounts on the 1e-9 grid: tenths, thousandths, nine decimals, a few round numbers. */
const amount = fc.oneof(
  fc.constantFrom(1, 18, 100, 40, 0.5, 2.75),
  fc.integer({ min: 1, max: 500 }).map((n) => n / 10),
  fc.integer({ min: 1, max: 50_000 }).map((n) => n / 1_000),
  fc.integer({ min: 100_000_000, max: 50_000_000_000 }).map((n) => n / 1e9),
);
const period = fc.constantFrom(1_000, 60_000, 7, 2.5, 0.5, 1, 33.3);
const admission = fc.constantFrom(undefined, 'fifo', 'opportunistic');
const maxBypass = fc.constantFrom(undefined, undefined, 0, 1, 3);
const start = fc.constantFrom(0, 0.25, 1_000_003.7, 1_717_171_717_171.5);

function strip(o: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(o)) if (o[key] === undefined) delete o[key];
  return o;
}

const config = (kind: Kind, own: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Config> =>
  fc.record({ own, admission, maxBypass, start }).map(({ own, admission, maxBypass, start }) => ({ kind, options: strip({ ...own, admission, maxBypass }), start }));

/** Units per cost unit of the limiter `c` builds (docs/semantics.md §5.4: 1e-9 unless its bound is past 2^50 quanta). */
export function scaleOf(c: Config): number {
  const o = c.options as any;
  switch (c.kind) {
    case 'leaky':
      return Quantum.for(o.maxRate * o.periodMs).scale;
    case 'sliding':
      return Quantum.for(o.limit).scale;
    case 'throttle':
      return Quantum.for(Math.max(...o.limits.map((l: any) => (l.kind === 'leaky' ? l.rate * l.periodMs : l.rate)))).scale;
    default:
      return Quantum.for(o.capacity).scale;
  }
}

/** Rounds every amount of a config to its limiter's quantum (a coarser one refuses finer amounts). */
function onQuantum(c: Config): Config {
  const scale = scaleOf(c);
  const round = (v: number) => Math.max(1, Math.round(v * scale)) / scale;
  const o = { ...c.options } as any;
  if (scale === 1e9) return c;
  if (c.kind === 'leaky') o.maxRate = round(o.maxRate);
  if (c.kind === 'throttle') o.limits = o.limits.map((l: any) => ({ ...l, rate: round(l.rate) }));
  return { ...c, options: o };
}

export const configs: Record<Kind, fc.Arbitrary<Config>> = {
  credit: config('credit', fc.record({ capacity: amount, refundMs: fc.constantFrom(undefined, 0, 7, 2.5, 100) })),
  concurrency: config('concurrency', fc.record({ capacity: amount })),
  leaky: config('leaky', fc.record({ maxRate: amount, periodMs: period })).map(onQuantum),
  token: config(
    'token',
    fc.record({ capacity: amount, refillAmount: fc.option(amount, { nil: undefined }), refillIntervalMs: fc.constantFrom(0.7, 1, 2.5, 33, 1_000), initial: fc.nat(1_000) }).map(({ initial, ...o }) => ({
      ...o,
      initialTokens: Math.round((o.capacity as number) * 1e9 * (initial / 1_000)) / 1e9,
    })),
  ),
  sliding: config('sliding', fc.record({ limit: amount, windowMs: fc.constantFrom(1_000, 50, 7.5, 1, 0.5) })),
  throttle: config(
    'throttle',
    fc.record({
      limits: fc.array(fc.record({ rate: amount, periodMs: period, kind: fc.constantFrom(undefined, 'sliding', 'leaky') }), { minLength: 1, maxLength: 3 }),
      concurrency: fc.constantFrom(undefined, 0, 1, 2, 3),
    }),
  ).map(onQuantum),
};
export const anyConfig = fc.oneof(...KINDS.map((k) => configs[k]));

export function build(c: Config, clock: VirtualClock, extra: Record<string, unknown> = {}): AnyLimiter {
  const o = { ...c.options, clock, ...extra } as any;
  switch (c.kind) {
    case 'credit':
      return new CreditSemaphore(o);
    case 'concurrency':
      return new ConcurrencySemaphore(o);
    case 'leaky':
      return new LeakyBucketLimiter(o);
    case 'token':
      return new TokenBucket(o);
    case 'sliding':
      return new SlidingWindowLimiter(o);
    case 'throttle':
      return new Throttle(o);
  }
}

/** The largest cost ever payable; for a Throttle, its smallest rate. */
export function capacityOf(c: Config): number {
  const o = c.options as any;
  switch (c.kind) {
    case 'leaky':
      return o.maxRate;
    case 'sliding':
      return o.limit;
    case 'throttle':
      return Math.min(...o.limits.map((l: { rate: number }) => l.rate));
    default:
      return o.capacity;
  }
}

/** A cost relative to the capacity, on the 1e-9 grid: all of it, all but one quantum, one quantum, or k quanta. */
export type CostSpec = { t: 'all' } | { t: 'allButOne' } | { t: 'one' } | { t: 'k'; k: number } | { t: 'part'; n: number; d: number };
export const costSpec: fc.Arbitrary<CostSpec> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ t: 'all' } as const) },
  { weight: 2, arbitrary: fc.constant({ t: 'allButOne' } as const) },
  { weight: 2, arbitrary: fc.constant({ t: 'one' } as const) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('k' as const), k: fc.nat() }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('part' as const), n: fc.integer({ min: 1, max: 10 }), d: fc.constantFrom(2, 3, 7, 10, 20) }) },
);

/** The cost `spec` names for a limiter of `capacity` counting `scale` units per cost unit. */
export function costOf(spec: CostSpec, capacity: number, scale = 1e9): number {
  const units = Math.round(capacity * scale);
  switch (spec.t) {
    case 'all':
      return capacity;
    case 'allButOne':
      return units > 1 ? (units - 1) / scale : capacity;
    case 'one':
      return 1 / scale;
    case 'k':
      return ((spec.k % units) + 1) / scale;
    case 'part':
      return Math.max(1, Math.min(units, Math.round((units * spec.n) / spec.d))) / scale;
  }
}

export type Op =
  | { t: 'acquire'; cost: CostSpec; priority: number | undefined; refundMs: number | undefined }
  | { t: 'try'; cost: CostSpec }
  | { t: 'release'; k: number }
  | { t: 'advance'; ms: number }
  | { t: 'pause'; ms: number }
  | { t: 'resume' };

export const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ t: fc.constant('acquire' as const), cost: costSpec, priority: fc.constantFrom(undefined, undefined, undefined, -1, 0, 2), refundMs: fc.constantFrom(undefined, undefined, 0, 3.5, 40) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('try' as const), cost: costSpec }) },
  { weight: 7, arbitrary: fc.record({ t: fc.constant('release' as const), k: fc.nat() }) },
  {
    weight: 8,
    arbitrary: fc.record({
      t: fc.constant('advance' as const),
      ms: fc.oneof(fc.constantFrom(0, 1e-3, 0.1, 0.5, 1, 7), fc.double({ min: 0, max: 120, noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 2_000 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('pause' as const), ms: fc.constantFrom(0, 0.5, 3, 50) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'resume' } as const) },
);

export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Reads every public property (what "reading never changes a later admission" reads). */
export function readEverything(l: AnyLimiter, cost: number): unknown[] {
  const out: unknown[] = [l.available, l.pending, l.stats(), l.retryAfterMs(cost), l.idle];
  if (l instanceof TokenBucket) out.push(l.tokens);
  if (l instanceof LeakyBucketLimiter) out.push(l.level, l.hasCapacity(cost));
  if (l instanceof SlidingWindowLimiter) out.push(l.used);
  if (l instanceof CreditSemaphore) out.push(l.refunding);
  if (l instanceof Throttle) out.push(l.running);
  return out;
}

/** One run of `ops` against a fresh limiter: who was admitted when, and what is still held. */
export class Run {
  readonly clock: VirtualClock;
  readonly limiter: AnyLimiter;
  readonly capacity: number;
  readonly scale: number;
  readonly held: Permit[] = [];
  /** `id@instant` of every admission, in order (tryAcquire ones as `try#n`). */
  readonly log: string[] = [];
  readonly waiters: { id: number; cost: number; settled: number; outcome?: 'admitted' | 'rejected'; reason?: unknown }[] = [];
  #tries = 0;

  constructor(
    readonly config: Config,
    readonly reading = false,
  ) {
    this.clock = new VirtualClock(config.start);
    this.limiter = build(config, this.clock);
    this.capacity = capacityOf(config);
    this.scale = scaleOf(config);
  }

  async step(o: Op): Promise<void> {
    const l = this.limiter;
    switch (o.t) {
      case 'acquire': {
        const cost = costOf(o.cost, this.capacity, this.scale);
        const id = this.waiters.length;
        const w: Run['waiters'][number] = { id, cost, settled: 0 };
        this.waiters.push(w);
        const options: Record<string, unknown> = { id };
        if (o.priority !== undefined) options.priority = o.priority;
        if (o.refundMs !== undefined) options.refundMs = o.refundMs;
        l.acquire(cost, options).then(
          (permit) => {
            w.settled++;
            w.outcome = 'admitted';
            this.log.push(`${id}@${this.clock.now()}`);
            this.held.push(permit);
          },
          (reason) => {
            w.settled++;
            w.outcome = 'rejected';
            w.reason = reason;
          },
        );
        break;
      }
      case 'try': {
        const cost = costOf(o.cost, this.capacity, this.scale);
        const permit = l.tryAcquire(cost);
        const n = this.#tries++;
        if (permit !== undefined) {
          this.log.push(`try#${n}@${this.clock.now()}`);
          this.held.push(permit);
        }
        break;
      }
      case 'release': {
        if (this.held.length === 0) break;
        const [permit] = this.held.splice(o.k % this.held.length, 1);
        permit!.release();
        break;
      }
      case 'advance':
        await this.clock.advance(o.ms);
        break;
      case 'pause':
        l.pause(o.ms);
        break;
      case 'resume':
        l.resume();
        break;
    }
    await flush();
    if (this.reading) readEverything(l, this.capacity);
    this.checkWakeUp();
  }

  /**
   * docs/semantics.md §16 "never stuck": while waiters cannot be paid, a timer is armed for the
   * instant one can, unless only a release can help (some waiter's retryAfterMs is Infinity and
   * a permit is out to release). A pause always has a timer for its end.
   */
  checkWakeUp(): void {
    const l = this.limiter;
    if (l.pending === 0 || l.closed || this.clock.pendingTimers > 0) return;
    const paused = l.stats().pausedUntil;
    if (paused !== undefined && paused !== Infinity) throw new Error(`paused until ${paused} with ${l.pending} waiting and no timer`);
    const waiting = this.waiters.filter((w) => w.settled === 0);
    const onlyRelease = waiting.some((w) => l.retryAfterMs(w.cost) === Infinity);
    if (!onlyRelease || this.held.length === 0) {
      throw new Error(`${l.pending} waiting with no timer armed at ${this.clock.now()}: retryAfterMs ${waiting.map((w) => l.retryAfterMs(w.cost)).join(', ')}, ${this.held.length} held`);
    }
  }

  /** Releases everything, again and again as waiters are admitted, running the clock between. */
  async drain(maxRounds = 2_000): Promise<void> {
    const l = this.limiter;
    for (let round = 0; round < maxRounds; round++) {
      while (this.held.length > 0) this.held.pop()!.release();
      await flush();
      if (this.held.length > 0) continue;
      if (l.pending === 0) return;
      if (this.clock.pendingTimers === 0) {
        throw new Error(`stuck: ${l.pending} waiting, nothing held, no timer armed (available ${l.available}, retryAfterMs ${l.retryAfterMs(this.capacity)}) at ${this.clock.now()}`);
      }
      await this.clock.runAll();
      await flush();
    }
    throw new Error(`not drained after ${maxRounds} rounds: ${l.pending} waiting`);
  }
}
