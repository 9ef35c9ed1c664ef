// A real WaiterQueue driven in step with the reference model (test/model/queue-model.ts): every
// step asserts that the two agree on what it returns. The property tests of the queue add their
// own checks of the state between steps.
import { expect } from 'vitest';
import type { Waiter } from '../../src/core/waiter.js';
import { WaiterQueue } from '../../src/core/waiter-queue.js';
import { QueueModel, type ModelWaiter } from '../model/queue-model.js';
import { waiter } from './waiters.js';

export class QueueTwin {
  readonly queue: WaiterQueue;
  readonly model: QueueModel;
  readonly real = new Map<ModelWaiter, Waiter>();
  #seq = 0;

  constructor(opportunistic: boolean, maxBypass: number) {
    this.queue = new WaiterQueue({ opportunistic, maxBypass });
    this.model = new QueueModel(opportunistic, maxBypass);
  }

  /** A newcomer; `push` says it became the head exactly when it outranks the model's head. */
  push(units: number, priority: number): void {
    const m: ModelWaiter = { seq: this.#seq++, units, priority, passed: 0 };
    const w = waiter(units, { priority });
    this.real.set(m, w);
    const head = this.model.ordered()[0];
    expect(this.queue.push(w)).toBe(head === undefined || priority > head.priority);
    this.model.push(m);
  }

  /** The k-th waiter (mod the count) leaves unadmitted; nothing when nobody waits. */
  remove(k: number): void {
    if (this.model.waiters.length === 0) return;
    const m = this.model.waiters[k % this.model.waiters.length]!;
    this.queue.remove(this.real.get(m)!);
    this.model.remove(m);
  }

  /** Both pick the same candidate with `free` units, and it is admitted. */
  admit(free: number): void {
    const m = this.model.candidate(free);
    const w = this.queue.candidate(free);
    expect(w).toBe(m === undefined ? undefined : this.real.get(m));
    if (m === undefined) return;
    this.queue.admit(w!);
    this.model.admit(m);
  }

  /** The real waiters in the model's queue order. */
  ordered(): Waiter[] {
    return this.model.ordered().map((m) => this.real.get(m)!);
  }
}
