import type { Clock } from './clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Resolves once every promise callback queued so far has run: a macrotask later. `setImmediate`
 * where it exists (Node, Bun, Deno); elsewhere (browsers, Workers) a message through one shared
 * `MessageChannel`, made at first use, never at import.
 */
function settle(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (typeof immediate === 'function') return new Promise((resolve) => void immediate(resolve));
  return new Promise((resolve) => {
    if (port === undefined) {
      const channel = new MessageChannel();
      port = channel.port2;
      channel.port1.onmessage = () => waiting.shift()?.();
    }
    waiting.push(resolve);
    port.postMessage(undefined);
  });
}

let port: MessagePort | undefined;
const waiting: (() => void)[] = [];

/**
 * A clock that moves only when told: for tests, demos and simulations of hours in milliseconds.
 * `advance` fires due timers in order and lets promise callbacks run between them, so code that
 * awaits limiters and sleeps behaves as it would in real time.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const bucket = new TokenBucket({ capacity: 1, refillIntervalMs: 1_000, clock });
 * const done = (async () => { await bucket.acquire(); await bucket.acquire(); return clock.now(); })();
 * await clock.runAll();
 * await done; // 1000
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Map<number, Timer>();

  constructor(start = 0) {
    if (typeof start !== 'number' || !Number.isFinite(start)) throw new RangeError(`start must be a finite number; got ${String(start)}`);
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): number {
    const seq = ++this.#seq;
    this.#timers.set(seq, { at: this.#now + Math.max(0, ms), seq, fn });
    return seq;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /**
   * Resolves after `ms` of virtual time: a stand-in for the work (an API call) in simulations.
   *
   * @example
   * ```ts
   * await sem.transact(() => clock.sleep(3_000), { credits: 20 }); // a 3 s call, in no real time
   * ```
   */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer due on the way, in order.
   *
   * @example
   * ```ts
   * const p = bucket.acquire(); // waits for a refill
   * await clock.advance(999); // not yet
   * await clock.advance(1); // admitted now
   * ```
   */
  async advance(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !(ms >= 0) || ms === Infinity) throw new RangeError(`advance needs a finite ms >= 0 (time never goes back); got ${String(ms)}`);
    const end = this.#now + ms;
    for (let next = await this.#next(end); next; next = await this.#next(end)) this.#fire(next);
    this.#now = end;
    await settle();
  }

  /**
   * Moves time forward to `instant`, firing every timer due on the way: `advance(instant - now())`.
   *
   * @example
   * ```ts
   * await clock.set(1_500); // now() is 1 500
   * ```
   */
  set(instant: number): Promise<void> {
    if (typeof instant !== 'number' || !(instant >= this.#now) || instant === Infinity) {
      return Promise.reject(new RangeError(`set needs a finite instant >= now() (${this.#now}): time never goes back; got ${String(instant)}`));
    }
    return this.advance(instant - this.#now);
  }

  /**
   * Fires timers until none is left (or `limit` have fired, against a loop that never ends).
   *
   * @example
   * ```ts
   * const done = Promise.all(jobs.map((job) => limiter.run(job)));
   * await clock.runAll(); // the whole run, in milliseconds of real time
   * await done;
   * ```
   */
  async runAll(limit = 100_000): Promise<void> {
    for (let fired = 0, next = await this.#next(Infinity); next; next = await this.#next(Infinity)) {
      if (++fired > limit) throw new Error(`VirtualClock.runAll: more than ${limit} timers fired`);
      this.#fire(next);
    }
  }

  async #next(end: number): Promise<Timer | undefined> {
    await settle();
    let next: Timer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.at <= end && (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))) next = timer;
    }
    return next;
  }

  #fire(timer: Timer): void {
    this.#timers.delete(timer.seq);
    this.#now = Math.max(this.#now, timer.at);
    timer.fn();
  }
}
