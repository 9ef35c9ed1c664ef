// A reference model of who a limiter's queue admits (docs/semantics.md §2, §11): queue order is
// higher priority first, then arrival; 'fifo' admits only the head, 'opportunistic' the first
// waiter in queue order that fits; a waiter passed `maxBypass` times by later arrivals (of any
// priority, or lighter ones) blocks everyone who arrived after it until it is admitted. Written
// from the contract, as plainly as possible (O(n) everywhere), to check WaiterQueue and the gate.

export interface ModelWaiter {
  readonly seq: number;
  readonly units: number;
  readonly priority: number;
  /** Later arrivals admitted while this one waited. */
  passed: number;
}

export class QueueModel {
  readonly waiters: ModelWaiter[] = [];
  constructor(
    readonly opportunistic: boolean,
    public maxBypass: number,
  ) {}

  /** Queue order. */
  ordered(): ModelWaiter[] {
    return [...this.waiters].sort((a, b) => b.priority - a.priority || a.seq - b.seq);
  }

  push(w: ModelWaiter): void {
    this.waiters.push(w);
  }

  remove(w: ModelWaiter): void {
    this.waiters.splice(this.waiters.indexOf(w), 1);
  }

  /** The oldest waiter once it has been passed maxBypass times (only it can be first to get there). */
  blocker(): ModelWaiter | undefined {
    const blocked = this.waiters.filter((w) => w.passed >= this.maxBypass);
    if (blocked.length === 0) return undefined;
    return this.waiters.reduce((a, b) => (a.seq < b.seq ? a : b));
  }

  candidate(free: number): ModelWaiter | undefined {
    if (this.waiters.length === 0) return undefined;
    const blocker = this.blocker();
    if (blocker !== undefined) return blocker.units <= free ? blocker : undefined;
    const ordered = this.ordered();
    if (!this.opportunistic) return ordered[0]!.units <= free ? ordered[0] : undefined;
    return ordered.find((w) => w.units <= free);
  }

  admit(w: ModelWaiter): void {
    this.remove(w);
    for (const other of this.waiters) if (other.seq < w.seq) other.passed++;
  }
}
