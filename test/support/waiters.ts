import { Waiter, type WaiterInit } from '../../src/core/waiter.js';

let seq = 0;

/** A waiter of `units` (cost = units), arriving after every waiter made before it. */
export function waiter(units: number, o: Partial<WaiterInit> = {}): Waiter {
  return new Waiter({ cost: units, units, priority: 0, seq: seq++, id: undefined, refundMs: 0, since: 0, maxWaitMs: undefined, ...o });
}

/** A waiter with a deadline, marked queued as a queue would leave it (`pos >= 0`). */
export function queuedWith(deadline: number, o: Partial<WaiterInit> = {}): Waiter {
  const w = waiter(1, { since: 0, maxWaitMs: deadline, ...o });
  w.pos = 0;
  return w;
}

/** Marks a waiter gone, as the queue would when it leaves. */
export function leave(w: Waiter): void {
  w.pos = -1;
}
