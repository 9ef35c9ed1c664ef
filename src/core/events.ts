import type { Limiter, LimiterEvent } from './types.js';

/** The `onEvent` option: the event, and the limiter it happened to (its state already updated). */
export type EventListener = (event: LimiterEvent, limiter: Limiter) => void;

/**
 * Builds one event. Kept out of the limiters' hot paths: most have no listener.
 *
 * @example
 * ```ts
 * const event = makeEvent({ type: 'admitted', cost: 2, id: 'job-1', at: 1_000, waitedMs: 0 });
 * ```
 */
export function makeEvent(e: { type: LimiterEvent['type']; cost: number; id: string | number | undefined; at: number; waitedMs: number | undefined }): LimiterEvent {
  const event: LimiterEvent = { type: e.type, cost: e.cost, at: e.at };
  if (e.id !== undefined) event.id = e.id;
  if (e.waitedMs !== undefined) event.waitedMs = e.waitedMs;
  return event;
}

/**
 * Delivers one event. A listener that throws is ignored: its failure must not undo an admission
 * or reach a caller.
 *
 * @example
 * ```ts
 * const limiter = new ConcurrencySemaphore({ capacity: 1 });
 * deliver(console.log, makeEvent({ type: 'admitted', cost: 1, id: undefined, at: 0, waitedMs: 0 }), limiter);
 * ```
 */
export function deliver(listener: EventListener, event: LimiterEvent, limiter: Limiter): void {
  try {
    listener(event, limiter);
  } catch {
    // Deliberately ignored: see above.
  }
}
