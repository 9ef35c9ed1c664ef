import { type Clock, MAX_TIMER_DELAY } from './clock.js';

/**
 * The one timer of a limiter: armed for an instant, never per waiter. Node truncates fractional
 * delays and overflows delays past 2³¹−1 ms to 1 ms, so it arms whole milliseconds, at least 1
 * (never a 0 ms spin; `armNext` alone asks for 0), at most the cap; the owner re-checks on waking and re-arms if early.
 * With `unref: true`, every handle it arms is `unref`ed (where the clock's handle has `unref`),
 * so a background timer (lease renewals, a watchdog) never keeps the process alive.
 *
 * @example
 * ```ts
 * const timer = new WakeTimer(systemClock, () => console.log('wake'));
 * const renewals = new WakeTimer(systemClock, () => console.log('renew'), { unref: true }); // never keeps the process alive
 * timer.arm(performance.now() + 250.3, performance.now()); // fires after 251 ms
 * timer.armNext(performance.now());                       // after the callbacks due now (a 0 ms delay)
 * timer.arm(Infinity, 0);                                  // cleared
 * ```
 */
export class WakeTimer {
  readonly #clock: Clock;
  readonly #onWake: () => void;
  #handle: unknown = undefined;
  #armedAt = Infinity;
  readonly #unref: boolean;

  constructor(clock: Clock, onWake: () => void, options?: { unref?: boolean }) {
    this.#clock = clock;
    this.#onWake = onWake;
    this.#unref = options?.unref === true;
  }

  /** The instant armed for, or `Infinity`. */
  get armedAt(): number {
    return this.#armedAt;
  }

  /** Arms for `at` (replacing any earlier arming); `Infinity` clears. */
  arm(at: number, now: number): void {
    this.#set(at, Math.max(1, Math.ceil(at - now)));
  }

  /**
   * Fires at `now` once other callbacks have run: a 0 ms delay, which Node stretches to 1 ms
   * while a virtual or fake clock keeps the instant. For work split into slices, each of which
   * makes progress (a 0 ms re-arm that did not would spin).
   */
  armNext(now: number): void {
    this.#set(now, 0);
  }

  #set(at: number, ms: number): void {
    if (at === this.#armedAt) return;
    if (this.#handle !== undefined) {
      this.#clock.clearTimeout(this.#handle);
      this.#handle = undefined;
    }
    this.#armedAt = at;
    if (at === Infinity) return;
    const handle = this.#clock.setTimeout(this.#fire, Math.min(MAX_TIMER_DELAY, ms));
    if (this.#unref) (handle as { unref?: () => void } | null | undefined)?.unref?.();
    this.#handle = handle;
  }

  readonly #fire = (): void => {
    this.#handle = undefined;
    this.#armedAt = Infinity;
    this.#onWake();
  };
}
