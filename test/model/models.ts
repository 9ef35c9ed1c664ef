/**
 * Reference models of docs/semantics.md, written from the contract alone (no code shared with src/).
 * Each is a discrete-event simulation in integer milliseconds that a reader can check line by
 * line; the properties replay the same jobs against the real limiter and compare instants.
 */

/** One job for the credit / concurrency semaphores. */
export interface CreditJob {
  arrival: number;
  credits: number;
  /** Ms between admission and release (>= 1, so a release never shares its admission's instant). */
  workMs: number;
  /** Ms between release and the credits coming back (0 = at once). */
  refundMs: number;
  /** If still queued this many ms after arrival, its signal is aborted. */
  abortAfterMs?: number | undefined;
  /** Its `maxWaitMs`. */
  maxWaitMs?: number | undefined;
}

export interface CreditModelOptions {
  capacity: number;
  admission: 'fifo' | 'opportunistic';
  /** Opportunistic only; default unlimited. */
  maxBypass?: number | undefined;
}

export interface CreditOutcome {
  /** Admission instant of each job, `undefined` if it never was (aborted). */
  admittedAt: (number | undefined)[];
  aborted: boolean[];
  timedOut: boolean[];
}

/**
 * The credit semaphore of docs/semantics.md §2/§10.1. Within one instant events are taken in this order (the
 * harness drives the real limiter in the same order):
 *   1. refunds due now come back (all of them), then one scan; a deadline due now is a scan too
 *      (admission at the deadline instant is in time), after which the waiters due now leave
 *      (timeout) one at a time in queue order, each followed by a scan;
 *   2. releases due now, in job order; a release with refundMs 0 gives back and scans, one with
 *      refundMs > 0 schedules its refund;
 *   3. aborts due now, in job order; a waiter that leaves triggers a scan;
 *   4. arrivals, in job order: admitted at once only if nobody waits and it fits, else it joins
 *      the back of the queue (fair entry) and is considered at the next scan.
 * A scan admits, repeatedly, the first waiter in arrival order that fits or has been bypassed
 * `maxBypass` times (fifo is `maxBypass` 0: the head only), and stops when that waiter does not fit.
 */
export function simulateCredits(options: CreditModelOptions, jobs: readonly CreditJob[]): CreditOutcome {
  const { capacity } = options;
  const maxBypass = options.admission === 'fifo' ? 0 : (options.maxBypass ?? Infinity);
  const admittedAt: (number | undefined)[] = jobs.map(() => undefined);
  const aborted = jobs.map(() => false);
  const timedOut = jobs.map(() => false);
  const arrived = jobs.map(() => false);
  const releasedAt: (number | undefined)[] = jobs.map(() => undefined);
  const refunds: { at: number; credits: number }[] = [];
  const queue: { job: number; bypassed: number }[] = [];
  let free = capacity;

  const admit = (job: number, now: number) => {
    free -= jobs[job]!.credits;
    admittedAt[job] = now;
  };
  const scan = (now: number) => {
    for (;;) {
      const pos = queue.findIndex((w) => jobs[w.job]!.credits <= free || w.bypassed >= maxBypass);
      if (pos < 0 || jobs[queue[pos]!.job]!.credits > free) return;
      for (let i = 0; i < pos; i++) queue[i]!.bypassed++;
      admit(queue[pos]!.job, now);
      queue.splice(pos, 1);
    }
  };

  for (;;) {
    const candidates: number[] = refunds.map((r) => r.at);
    jobs.forEach((j, i) => {
      if (!arrived[i]) candidates.push(j.arrival);
      const at = admittedAt[i];
      if (at !== undefined && releasedAt[i] === undefined) candidates.push(at + j.workMs);
      if (queue.some((w) => w.job === i) && j.abortAfterMs !== undefined) candidates.push(j.arrival + j.abortAfterMs);
      if (queue.some((w) => w.job === i) && j.maxWaitMs !== undefined) candidates.push(j.arrival + j.maxWaitMs);
    });
    if (candidates.length === 0) break;
    const now = Math.min(...candidates);

    // 1. refunds and deadlines
    const due = refunds.filter((r) => r.at === now);
    for (const r of due) {
      free += r.credits;
      refunds.splice(refunds.indexOf(r), 1);
    }
    const late = (w: { job: number }) => jobs[w.job]!.maxWaitMs !== undefined && jobs[w.job]!.arrival + jobs[w.job]!.maxWaitMs! === now;
    if (due.length > 0 || queue.some(late)) scan(now);
    // One at a time in queue order, each followed by a scan: a head timing out gives those
    // behind it their chance at the same instant (docs/semantics.md, deadlines).
    for (let w = queue.find(late); w !== undefined; w = queue.find(late)) {
      timedOut[w.job] = true;
      queue.splice(queue.indexOf(w), 1);
      scan(now);
    }
    // 2. releases
    jobs.forEach((j, i) => {
      const at = admittedAt[i];
      if (at === undefined || releasedAt[i] !== undefined || at + j.workMs !== now) return;
      releasedAt[i] = now;
      if (j.refundMs === 0) {
        free += j.credits;
        scan(now);
      } else refunds.push({ at: now + j.refundMs, credits: j.credits });
    });
    // 3. aborts
    jobs.forEach((j, i) => {
      const pos = queue.findIndex((w) => w.job === i);
      if (pos < 0 || j.abortAfterMs === undefined || j.arrival + j.abortAfterMs !== now) return;
      queue.splice(pos, 1);
      aborted[i] = true;
      scan(now);
    });
    // 4. arrivals
    jobs.forEach((j, i) => {
      if (arrived[i] || j.arrival !== now) return;
      arrived[i] = true;
      if (queue.length === 0 && j.credits <= free) admit(i, now);
      else queue.push({ job: i, bypassed: 0 });
    });
  }
  return { admittedAt, aborted, timedOut };
}

/** One job for the rate limiters: an `acquire(cost)` at `arrival`. */
export interface RateJob {
  arrival: number;
  cost: number;
}

/**
 * aiolimiter's leaky bucket as GCRA ("theoretical arrival time"), in exact integer arithmetic:
 * `u` is the instant the bucket would be empty, times maxRate. With `r = maxRate / periodMs`,
 * the level at t is `max(0, tat - t) * r`; `level + cost <= maxRate` is
 * `t * maxRate >= u - (maxRate - cost) * periodMs`; admitting adds `cost * periodMs` to
 * `max(u, t * maxRate)`. FIFO: nobody before its predecessor; time is whole ms (timers fire on
 * whole ms), so each job is admitted at the first whole ms it is allowed.
 */
export function simulateLeaky(maxRate: number, periodMs: number, jobs: readonly RateJob[]): number[] {
  let u = -Infinity;
  let previous = -Infinity;
  return jobs.map((job) => {
    const allowed = Math.ceil((u - (maxRate - job.cost) * periodMs) / maxRate);
    const t = Math.max(job.arrival, previous, allowed);
    u = Math.max(u, t * maxRate) + job.cost * periodMs;
    previous = t;
    return t;
  });
}

/**
 * The token bucket of docs/semantics.md §10.4, refill by refill: `amount` tokens at every multiple of
 * `intervalMs` after 0, capped at `capacity`. FIFO: each job waits for its predecessor, then for
 * the first refill that makes its cost available.
 */
export function simulateTokens(
  capacity: number,
  amount: number,
  intervalMs: number,
  initial: number,
  jobs: readonly RateJob[],
): number[] {
  let tokens = initial;
  let refills = 0; // refills counted so far: the last one was at refills * intervalMs
  let previous = 0;
  const catchUp = (t: number) => {
    while ((refills + 1) * intervalMs <= t) {
      refills++;
      tokens = Math.min(capacity, tokens + amount);
    }
  };
  return jobs.map((job) => {
    let t = Math.max(job.arrival, previous);
    catchUp(t);
    while (tokens < job.cost) {
      t = (refills + 1) * intervalMs;
      catchUp(t);
    }
    tokens -= job.cost;
    previous = t;
    return t;
  });
}

/**
 * The same token bucket as a waiter queue, event by event, for either admission mode: a refill
 * step is a scan; an arrival is admitted at once only if nobody waits and its cost is there,
 * else it joins the back. A scan admits, repeatedly, the first waiter in arrival order that fits
 * (fifo: the head only, if it fits).
 */
export function simulateTokenQueue(
  capacity: number,
  amount: number,
  intervalMs: number,
  initial: number,
  admission: 'fifo' | 'opportunistic',
  jobs: readonly RateJob[],
): number[] {
  const admittedAt: number[] = jobs.map(() => NaN);
  const queue: number[] = [];
  let tokens = initial;
  const scan = (now: number) => {
    for (;;) {
      const pos = admission === 'fifo' ? (queue.length > 0 ? 0 : -1) : queue.findIndex((i) => jobs[i]!.cost <= tokens);
      if (pos < 0 || jobs[queue[pos]!]!.cost > tokens) return;
      const [i] = queue.splice(pos, 1);
      tokens -= jobs[i!]!.cost;
      admittedAt[i!] = now;
    }
  };
  const arrivals = jobs.map((j, i) => ({ at: j.arrival, i })).sort((a, b) => a.at - b.at || a.i - b.i);
  let next = 0; // next arrival
  let step = 1; // next refill instant is step * intervalMs
  while (next < arrivals.length || queue.length > 0) {
    const now = Math.min(next < arrivals.length ? arrivals[next]!.at : Infinity, step * intervalMs);
    if (now === step * intervalMs) {
      step++;
      tokens = Math.min(capacity, tokens + amount);
      scan(now);
    }
    for (; next < arrivals.length && arrivals[next]!.at === now; next++) {
      const i = arrivals[next]!.i;
      if (queue.length === 0 && jobs[i]!.cost <= tokens) {
        tokens -= jobs[i]!.cost;
        admittedAt[i] = now;
      } else queue.push(i);
    }
  }
  return admittedAt;
}

/**
 * The sliding window of docs/semantics.md §10.5, admission by admission: a FIFO queue; job i is
 * admitted at the first instant t, no earlier than its arrival or the admission before it, at
 * which the costs admitted in (t − windowMs, t] plus its own stay within `limit` (an admission at
 * a frees its cost at exactly a + windowMs). Whole-ms arrivals keep every instant whole.
 */
export function simulateSliding(limit: number, windowMs: number, jobs: readonly RateJob[]): number[] {
  const admitted: { at: number; cost: number }[] = [];
  const out: number[] = [];
  let previous = -Infinity;
  for (const job of jobs) {
    let t = Math.max(job.arrival, previous);
    for (;;) {
      const used = admitted.filter((a) => a.at > t - windowMs).reduce((sum, a) => sum + a.cost, 0);
      if (used + job.cost <= limit) break;
      // The next instant anything in the window frees: the earliest a + windowMs after t.
      t = Math.min(...admitted.filter((a) => a.at + windowMs > t).map((a) => a.at + windowMs));
    }
    admitted.push({ at: t, cost: job.cost });
    out.push(t);
    previous = t;
  }
  return out;
}
