// Every limiter, filled to its capacity of 4 on a VirtualClock, with a way to free exactly one
// unit: a semaphore releases one of four held permits (then grows by one), a rate limiter lets one unit drain, refill
// or leave its window (1 000 ms each). Queue control (docs/semantics.md §11) is the same for all.
import {
  ConcurrencySemaphore,
  CreditSemaphore,
  LeakyBucketLimiter,
  SlidingWindowLimiter,
  Throttle,
  TokenBucket,
  VirtualClock,
  type LimiterEvent,
  type Permit,
} from '../../src/index.js';

export type QueueKind = 'credit' | 'concurrency' | 'leaky' | 'token' | 'sliding' | 'throttle';
export const QUEUE_KINDS: QueueKind[] = ['credit', 'concurrency', 'leaky', 'token', 'sliding', 'throttle'];
export type AnyLimiter = CreditSemaphore | ConcurrencySemaphore | LeakyBucketLimiter | TokenBucket | SlidingWindowLimiter | Throttle;

export interface Filled {
  limiter: AnyLimiter;
  clock: VirtualClock;
  events: LimiterEvent[];
  /** Ids of admitted waiters, in order. */
  admitted: () => (string | number | undefined)[];
  /** Makes exactly one more unit payable (and lets the limiter scan). */
  freeOne: () => Promise<void>;
  /** Frees all four. */
  freeAll: () => Promise<void>;
  /** Releases the fill's permits still held (a rate limiter's stay spent; a semaphore's come back), and lets the limiter settle. */
  releaseFill: () => Promise<void>;
}

export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A limiter of `kind` with capacity 4, every unit taken; `options` are passed to the constructor. */
export async function filled(kind: QueueKind, options: Record<string, unknown> = {}): Promise<Filled> {
  const clock = new VirtualClock();
  const events: LimiterEvent[] = [];
  const common = { clock, onEvent: (e: LimiterEvent) => events.push(e), ...options };
  const held: Permit[] = [];
  let limiter: AnyLimiter;
  switch (kind) {
    case 'credit':
      limiter = new CreditSemaphore({ capacity: 4, ...common });
      break;
    case 'concurrency':
      limiter = new ConcurrencySemaphore({ capacity: 4, ...common });
      break;
    case 'leaky':
      limiter = new LeakyBucketLimiter({ maxRate: 4, periodMs: 4_000, ...common });
      break;
    case 'token':
      limiter = new TokenBucket({ capacity: 4, refillAmount: 1, refillIntervalMs: 1_000, ...common });
      break;
    case 'sliding':
      limiter = new SlidingWindowLimiter({ limit: 4, windowMs: 4_000, ...common });
      break;
    case 'throttle':
      limiter = new Throttle({ rate: 4, periodMs: 4_000, ...common });
      break;
  }
  const semaphore = kind === 'credit' || kind === 'concurrency';
  for (let i = 0; i < 4; i++) {
    held.push(limiter.tryAcquire(1)!);
    // Windows free one unit every 1 000 ms: admissions 1 000 ms apart.
    if ((kind === 'sliding' || kind === 'throttle') && i < 3) await clock.advance(1_000);
  }
  events.length = 0;
  const freeOne = async () => {
    // A semaphore gives back one of the four units it started with, then grows by one
    // (update: a higher capacity admits at once), so admitted waiters may keep their permits.
    if (semaphore) {
      if (held.length > 0) held.pop()!.release();
      else (limiter as CreditSemaphore).update({ capacity: limiter.capacity + 1 });
    }
    else await clock.advance(1_000);
    await flush();
  };
  return {
    limiter,
    clock,
    events,
    admitted: () => events.filter((e) => e.type === 'admitted').map((e) => e.id),
    freeOne,
    freeAll: async () => {
      for (let i = 0; i < 4; i++) await freeOne();
    },
    releaseFill: async () => {
      for (const permit of held.splice(0)) permit.release();
      await flush();
    },
  };
}

/** Settles `p` into a record readable synchronously after a flush. */
export function track<T>(p: Promise<T>): { value?: T; error?: unknown; done: boolean } {
  const r: { value?: T; error?: unknown; done: boolean } = { done: false };
  p.then(
    (v) => ((r.value = v), (r.done = true)),
    (e) => ((r.error = e), (r.done = true)),
  );
  return r;
}
