import { systemClock } from '../core/clock.js';

/** Node overflows delays above this to 1 ms: longer waits are armed in steps. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * One timer armed for an instant (monotonic ms): whole milliseconds, at least 1 (never a 0 ms
 * spin), at most 2³¹−1; the owner re-checks on waking. `background` timers are `unref`ed, so
 * they never keep a process alive (lease renewals and the watchdog have no use in a process
 * that is ending).
 *
 * @example
 * ```ts
 * const timer = new Timer(() => check(), true);
 * timer.arm(performance.now() + 250.3); // fires after 251 ms
 * timer.arm(Infinity);                  // cleared
 * ```
 */
export class Timer {
  readonly #onFire: () => void;
  readonly #background: boolean;
  #handle: unknown = undefined;
  #at = Infinity;

  constructor(onFire: () => void, background: boolean) {
    this.#onFire = onFire;
    this.#background = background;
  }

  get armedAt(): number {
    return this.#at;
  }

  arm(at: number): void {
    if (at === this.#at) return;
    if (this.#handle !== undefined) systemClock.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#at = at;
    if (at === Infinity) return;
    const delay = Math.min(MAX_DELAY, Math.max(1, Math.ceil(at - systemClock.now())));
    const handle = systemClock.setTimeout(this.#fire, delay);
    if (this.#background) (handle as { unref?: () => void } | undefined)?.unref?.();
    this.#handle = handle;
  }

  readonly #fire = (): void => {
    this.#handle = undefined;
    this.#at = Infinity;
    this.#onFire();
  };
}
