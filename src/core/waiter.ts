import type { Permit } from './types.js';

/**
 * One queued `acquire`. The limiter fills its fields when it queues it; the queue owns `lane` and
 * `pos`, the signal groups own `group` (its links to the other waiters on its signal: made only for
 * waiters with a signal, so the others stay three fields smaller).
 */
export class Waiter {
  /** What the caller asked for, as given (events, errors, the permit). */
  readonly cost: number;
  /** `cost` in whole quanta: every comparison with a budget uses this (redone only when `update` changes the quantum). */
  units: number;
  readonly priority: number;
  /** Arrival order: later arrivals have larger `seq`. */
  readonly seq: number;
  readonly id: string | number | undefined;
  readonly refundMs: number;
  readonly since: number;
  /** As given, for `MaxWaitExceededError` (never recomputed from the deadline). */
  readonly maxWaitMs: number | undefined;
  /** Index in its lane's slots while queued; -1 once it has left. */
  pos = -1;
  lane: unknown = undefined;
  group: SignalLink | undefined = undefined;
  resolve!: (permit: Permit) => void;
  reject!: (reason: unknown) => void;

  constructor(init: WaiterInit) {
    this.cost = init.cost;
    this.units = init.units;
    this.priority = init.priority;
    this.seq = init.seq;
    this.id = init.id;
    this.refundMs = init.refundMs;
    this.since = init.since;
    this.maxWaitMs = init.maxWaitMs;
  }

  /** `since + maxWaitMs`, or `Infinity`: computed, not stored (a queued waiter's every field counts at 100 000 waiters). */
  get deadline(): number {
    return this.maxWaitMs === undefined ? Infinity : this.since + this.maxWaitMs;
  }

  get queued(): boolean {
    return this.pos >= 0;
  }

  /** The promise this waiter settles through `resolve` / `reject`. Call once. */
  promise(): Promise<Permit> {
    binding = this;
    const promise = new Promise<Permit>(bindSettlers);
    binding = undefined;
    return promise;
  }
}

/** A waiter's place among the waiters sharing its signal (see `SignalGroups`). */
export interface SignalLink {
  readonly owner: unknown;
  prev: Waiter | undefined;
  next: Waiter | undefined;
}

/** What a limiter knows of a waiter when it queues it. */
export interface WaiterInit {
  cost: number;
  units: number;
  priority: number;
  seq: number;
  id: string | number | undefined;
  refundMs: number;
  since: number;
  maxWaitMs: number | undefined;
}

/**
 * The waiter whose promise is being made. A promise's executor runs synchronously inside
 * `new Promise`, so one shared executor serves every waiter: queueing allocates no executor
 * closure and context to collect (about 50 bytes per waiter, on the contended path).
 */
let binding: Waiter | undefined;
function bindSettlers(resolve: (permit: Permit) => void, reject: (reason: unknown) => void): void {
  binding!.resolve = resolve;
  binding!.reject = reject;
}

/** Queue order: higher priority first, then earlier arrival. */
export function before(a: Waiter, b: Waiter): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq;
}
