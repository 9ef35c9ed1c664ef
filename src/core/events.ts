import type { LimiterEvent } from './types.js';

/** The `onEvent` option. */
export type EventListener = (event: LimiterEvent) => void;

/**
 * Builds and delivers one event. Kept out of the limiters' hot paths (most have no listener),
 * and a listener that throws is ignored: its failure must not undo an admission or reach a caller.
 *
 * @example
 * ```ts
 * deliver(console.log, 'admitted', 2, 'job-1', 1_000, 0);
 * ```
 */
export function deliver(
  listener: EventListener,
  type: LimiterEvent['type'],
  cost: number,
  id: string | number | undefined,
  at: number,
  waitedMs: number | undefined,
): void {
  const event: LimiterEvent = { type, cost, at };
  if (id !== undefined) event.id = id;
  if (waitedMs !== undefined) event.waitedMs = waitedMs;
  try {
    listener(event);
  } catch {
    // Deliberately ignored: see above.
  }
}
