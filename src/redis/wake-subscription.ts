import { systemClock } from '../core/clock.js';
import type { RedisScriptClient } from './adapters.js';
import { type Grant, parseGrants } from './script-runner.js';

const noop = (): void => {};

/**
 * This instance's pub/sub wake-ups: the script publishes on the instance's own channel what it
 * granted to the instance's tickets and which of them is now the head, so a waiter wakes the
 * moment it is served instead of at its next poll. A message carries no instant to count from (it
 * may have waited in a socket through a stall): a lease it grants is counted from the waiter's last
 * heartbeat found still queued (see TicketDesk), or claimed by a poll when that is too old.
 * Subscribed at the first placed
 * ticket and kept until `stop`. Without `redis.subscribe` it does nothing: waiters rely on the poll.
 *
 * @example
 * ```ts
 * const wakeUps = new WakeSubscription(redis, config.channel, 2000, (grants, head, delay) => console.log(grants, head, delay), () => console.log('poll now'));
 * wakeUps.start();
 * ```
 */
export class WakeSubscription {
  readonly #redis: RedisScriptClient;
  readonly #channel: string;
  readonly #timeoutMs: number;
  readonly #onWake: (grants: Grant[], head: string, delay: number) => void;
  readonly #onSubscribed: () => void;
  #subscription: Promise<(() => Promise<void>) | undefined> | undefined;
  #stopped = false;

  constructor(
    redis: RedisScriptClient,
    channel: string,
    timeoutMs: number,
    onWake: (grants: Grant[], head: string, delay: number) => void,
    onSubscribed: () => void,
  ) {
    this.#redis = redis;
    this.#channel = channel;
    this.#timeoutMs = timeoutMs;
    this.#onWake = onWake;
    this.#onSubscribed = onSubscribed;
  }

  /** Subscribes unless already subscribed (or subscribing) or stopped; a failed or timed-out subscription is tried again at the next call. */
  start(): void {
    const subscribe = this.#redis.subscribe;
    if (subscribe === undefined || this.#subscription !== undefined || this.#stopped) return;
    const attempt = subscribe.call(this.#redis, this.#channel, this.#onMessage);
    let timer: unknown;
    const timedOut = new Promise<never>((_, reject) => {
      timer = systemClock.setTimeout(() => reject(new Error('subscribe timed out')), Math.max(1, Math.ceil(this.#timeoutMs)));
    });
    const subscription = Promise.race([attempt, timedOut]).then(
      (unsubscribe) => {
        systemClock.clearTimeout(timer);
        // Grants published before the subscription took effect were missed: look once.
        this.#onSubscribed();
        return unsubscribe;
      },
      () => {
        systemClock.clearTimeout(timer);
        if (this.#subscription === subscription) this.#subscription = undefined;
        // One that succeeds after it was given up is undone, so nothing is left subscribed twice.
        attempt.then((unsubscribe) => unsubscribe(), noop).catch(noop);
        return undefined;
      },
    );
    this.#subscription = subscription;
  }

  /** Unsubscribes (once subscribed, if it is still under way) and never subscribes again. */
  stop(): void {
    this.#stopped = true;
    const subscription = this.#subscription;
    this.#subscription = undefined;
    void subscription?.then((unsubscribe) => unsubscribe?.()).catch(noop);
  }

  readonly #onMessage = (message: string): void => {
    const [grants = '', head = '', delay = '-1'] = message.split('|');
    this.#onWake(parseGrants(grants), head, Number(delay));
  };
}
