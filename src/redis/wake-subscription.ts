import type { RedisScriptClient } from './adapters.js';

const noop = (): void => {};

/**
 * This instance's pub/sub wake-ups: the script publishes on the instance's own channel what it
 * granted to the instance's tickets and which of them is now the head, so a waiter wakes the
 * moment it is served instead of at its next poll. Subscribed at the first placed ticket and kept
 * until `stop` (the limiter closed): subscribing for each wait would cost a round trip each.
 * Without `redis.subscribe` it does nothing, and waiters rely on the poll.
 *
 * @example
 * ```ts
 * const wakeUps = new WakeSubscription(redis, channel, (granted, head, delay) => desk.notice(granted, head, delay, now()), () => loop.poll());
 * wakeUps.start();
 * ```
 */
export class WakeSubscription {
  readonly #redis: RedisScriptClient;
  readonly #channel: string;
  readonly #onWake: (granted: string, head: string, delay: number) => void;
  readonly #onSubscribed: () => void;
  #subscription: Promise<(() => Promise<void>) | undefined> | undefined;
  #stopped = false;

  constructor(
    redis: RedisScriptClient,
    channel: string,
    onWake: (granted: string, head: string, delay: number) => void,
    onSubscribed: () => void,
  ) {
    this.#redis = redis;
    this.#channel = channel;
    this.#onWake = onWake;
    this.#onSubscribed = onSubscribed;
  }

  /** Subscribes unless already subscribed (or subscribing) or stopped; a failed subscription is tried again at the next call. */
  start(): void {
    const subscribe = this.#redis.subscribe;
    if (subscribe === undefined || this.#subscription !== undefined || this.#stopped) return;
    this.#subscription = subscribe.call(this.#redis, this.#channel, this.#onMessage).then(
      (unsubscribe) => {
        // Grants published before the subscription took effect were missed: look once.
        this.#onSubscribed();
        return unsubscribe;
      },
      () => (this.#subscription = undefined),
    );
  }

  /** Unsubscribes (once subscribed, if it is still under way) and never subscribes again. */
  stop(): void {
    this.#stopped = true;
    const subscription = this.#subscription;
    this.#subscription = undefined;
    void subscription?.then((unsubscribe) => unsubscribe?.()).catch(noop);
  }

  readonly #onMessage = (message: string): void => {
    const [granted = '', head = '', delay = '-1'] = message.split('|');
    this.#onWake(granted, head, Number(delay));
  };
}
