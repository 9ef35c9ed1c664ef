/**
 * Replays model jobs against the real limiters on a VirtualClock, taking the events of one
 * instant in the order the models use: the limiter's own timers first (refunds coming due), then
 * releases, aborts and arrivals, each in job order.
 */
import {
  ConcurrencySemaphore,
  CreditSemaphore,
  LeakyBucketLimiter,
  MaxWaitExceededError,
  type SlidingWindowLimiter,
  TokenBucket,
  VirtualClock,
} from '../../src/index.js';
import type { LimiterEvent, Permit } from '../../src/index.js';
import type { CreditJob, CreditModelOptions, CreditOutcome, RateJob } from '../model/models.js';

const EPS = 1e-9;

export interface CreditReplay extends CreditOutcome {
  /** Broken invariants seen along the way (empty when all held). */
  violations: string[];
}

export async function replayCredits(
  kind: 'credit' | 'concurrency',
  options: CreditModelOptions,
  jobs: readonly CreditJob[],
): Promise<CreditReplay> {
  const clock = new VirtualClock();
  const n = jobs.length;
  const admittedAt: (number | undefined)[] = new Array(n).fill(undefined);
  const aborted: boolean[] = new Array(n).fill(false);
  const timedOut: boolean[] = new Array(n).fill(false);
  const arrived: boolean[] = new Array(n).fill(false);
  const releasedAt: (number | undefined)[] = new Array(n).fill(undefined);
  const permits: (Permit | undefined)[] = new Array(n).fill(undefined);
  const controllers: (AbortController | undefined)[] = new Array(n).fill(undefined);
  const violations: string[] = [];

  /** Credits out (held or refunding) at `now`, from the harness's own bookkeeping. */
  const out = (now: number) => {
    let held = 0;
    let refunding = 0;
    jobs.forEach((j, i) => {
      if (admittedAt[i] === undefined) return;
      const released = releasedAt[i];
      if (released === undefined) held += j.credits;
      else if (released + j.refundMs > now) refunding += j.credits;
    });
    return { held, refunding };
  };

  const onEvent = (e: LimiterEvent) => {
    if (e.type !== 'admitted') return;
    const i = e.id as number;
    if (admittedAt[i] !== undefined) violations.push(`job ${i} admitted twice`);
    admittedAt[i] = e.at;
    const { held, refunding } = out(e.at);
    if (held + refunding > options.capacity + EPS) {
      violations.push(`t=${e.at}: ${held} held + ${refunding} refunding > capacity ${options.capacity}`);
    }
  };
  const common = { capacity: options.capacity, admission: options.admission, clock, onEvent };
  const limiter =
    kind === 'credit'
      ? new CreditSemaphore(options.maxBypass === undefined ? common : { ...common, maxBypass: options.maxBypass })
      : new ConcurrencySemaphore(common);

  const abortSent: boolean[] = new Array(n).fill(false);
  const queued = (i: number) => arrived[i]! && admittedAt[i] === undefined && !aborted[i] && !timedOut[i] && !abortSent[i];

  for (;;) {
    const candidates: number[] = [];
    jobs.forEach((j, i) => {
      if (!arrived[i]) candidates.push(j.arrival);
      const at = admittedAt[i];
      if (at !== undefined && releasedAt[i] === undefined) candidates.push(at + j.workMs);
      const released = releasedAt[i];
      if (released !== undefined && released + j.refundMs > clock.now()) candidates.push(released + j.refundMs);
      if (queued(i) && j.abortAfterMs !== undefined) candidates.push(j.arrival + j.abortAfterMs);
      if (queued(i) && j.maxWaitMs !== undefined && j.arrival + j.maxWaitMs > clock.now()) candidates.push(j.arrival + j.maxWaitMs);
    });
    if (candidates.length === 0) break;
    const now = Math.max(clock.now(), Math.min(...candidates));
    // Fires the limiter's timers up to and including `now` (refunds due now come back first).
    await clock.advance(now - clock.now());

    for (let i = 0; i < n; i++) {
      const at = admittedAt[i];
      if (at === undefined || releasedAt[i] !== undefined || at + jobs[i]!.workMs > now) continue;
      releasedAt[i] = now;
      permits[i]!.release();
    }
    for (let i = 0; i < n; i++) {
      const j = jobs[i]!;
      if (!queued(i) || j.abortAfterMs === undefined || j.arrival + j.abortAfterMs > now) continue;
      abortSent[i] = true;
      controllers[i]!.abort();
    }
    for (let i = 0; i < n; i++) {
      const j = jobs[i]!;
      if (arrived[i] || j.arrival > now) continue;
      arrived[i] = true;
      const controller = new AbortController();
      controllers[i] = controller;
      const acquireOptions = { id: i, signal: controller.signal, maxWaitMs: j.maxWaitMs, ...(kind === 'credit' ? { refundMs: j.refundMs } : {}) };
      limiter.acquire(j.credits, acquireOptions).then(
        (permit) => (permits[i] = permit),
        (error) => (error instanceof MaxWaitExceededError ? (timedOut[i] = true) : (aborted[i] = true)),
      );
    }
    // Let admissions made this instant resolve, then compare the limiter's books with ours.
    await clock.advance(0);
    const { held, refunding } = out(now);
    if (Math.abs(limiter.available - (options.capacity - held - refunding)) > EPS) {
      violations.push(`t=${now}: available ${limiter.available}, expected ${options.capacity - held - refunding}`);
    }
    if (kind === 'credit' && Math.abs((limiter as CreditSemaphore).refunding - refunding) > EPS) {
      violations.push(`t=${now}: refunding ${(limiter as CreditSemaphore).refunding}, expected ${refunding}`);
    }
  }
  // Nothing left for the harness to do: anyone still queued waits for a timer the model lacks.
  await clock.runAll();
  return { admittedAt, aborted, timedOut, violations };
}

export interface RateReplay {
  admittedAt: (number | undefined)[];
  violations: string[];
}

/** Each job calls `acquire(cost)` at its arrival (job order within an instant); admission instants from events. */
export async function replayRate(
  make: (clock: VirtualClock, onEvent: (e: LimiterEvent) => void) => LeakyBucketLimiter | TokenBucket | SlidingWindowLimiter,
  jobs: readonly RateJob[],
  check?: (limiter: LeakyBucketLimiter | TokenBucket | SlidingWindowLimiter, e: LimiterEvent) => string | undefined,
): Promise<RateReplay> {
  const clock = new VirtualClock();
  const admittedAt: (number | undefined)[] = jobs.map(() => undefined);
  const violations: string[] = [];
  let limiter: LeakyBucketLimiter | TokenBucket | SlidingWindowLimiter | undefined;
  limiter = make(clock, (e) => {
    if (e.type !== 'admitted') return;
    admittedAt[e.id as number] = e.at;
    const problem = check?.(limiter!, e);
    if (problem !== undefined) violations.push(problem);
  });
  const arrivals = [...new Set(jobs.map((j) => j.arrival))].sort((a, b) => a - b);
  for (const at of arrivals) {
    await clock.advance(at - clock.now());
    jobs.forEach((j, i) => {
      if (j.arrival === at) void limiter!.acquire(j.cost, { id: i });
    });
  }
  await clock.runAll();
  return { admittedAt, violations };
}
