/** One `onEmpty` / `onIdle` / `onSizeLessThan` promise waiting for its condition. */
interface Watcher {
  /** Resolves when fewer than `below` wait, and, for `onIdle`, nothing is held. */
  readonly below: number;
  readonly idle: boolean;
  resolve(): void;
  reject(reason: unknown): void;
}

/**
 * The promises that wait for the queue to shrink. Checked after each operation that may
 * shrink the queue or release a permit; O(1) when nobody waits for anything.
 *
 * @example
 * ```ts
 * const watchers = new QueueWatchers();
 * const empty = watchers.add(1, false, 3, 0); // onEmpty, with 3 waiting
 * watchers.check(0, 0); // resolves it
 * ```
 */
export class QueueWatchers {
  #list: Watcher[] = [];

  get size(): number {
    return this.#list.length;
  }

  /** A promise for "fewer than `below` waiting (and nothing running, when `idle`)", resolved at once if already so. */
  add(below: number, idle: boolean, pending: number, running: number): Promise<void> {
    if (pending < below && (!idle || running === 0)) return Promise.resolve();
    return new Promise((resolve, reject) => this.#list.push({ below, idle, resolve, reject }));
  }

  check(pending: number, running: number): void {
    const list = this.#list;
    if (list.length === 0) return;
    let kept = 0;
    for (const watcher of list) {
      if (pending < watcher.below && (!watcher.idle || running === 0)) watcher.resolve();
      else list[kept++] = watcher;
    }
    list.length = kept;
  }

  rejectAll(reason: unknown): void {
    const list = this.#list;
    this.#list = [];
    for (const watcher of list) watcher.reject(reason);
  }
}
