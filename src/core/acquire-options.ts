import type { AcquireOptions } from './types.js';
import { checkId, checkNumber, checkObject, checkPriority, checkSignal, optionalNumber } from './validate.js';

/** `AcquireOptions` as a limiter's own `acquire` may widen them (CreditSemaphore's `refundMs`). */
export type CallOptions = AcquireOptions & { refundMs?: number };

/** A call's options once checked, the limiter's defaults filled in. */
export interface Entry {
  readonly signal: AbortSignal | undefined;
  readonly maxWaitMs: number | undefined;
  readonly id: string | number | undefined;
  readonly refundMs: number;
  readonly priority: number;
}

/**
 * Checks a call's options against the limiter's defaults. An already-aborted signal throws its
 * reason, after every option was checked, so a bad option is reported first.
 *
 * @example
 * ```ts
 * const entry = readAcquireOptions({ maxWaitMs: 500 }, { signal: undefined, maxWaitMs: undefined, id: undefined, refundMs: 0, priority: 0 }, false);
 * entry.maxWaitMs; // 500
 * ```
 */
export function readAcquireOptions(options: unknown, defaults: Entry, perCallRefund: boolean): Entry {
  const o = checkObject('options', options) as CallOptions;
  // Only a priority, the usual shape once priorities are in use: nothing else to check, and the
  // shared defaults for priority 0 (each call with options would otherwise build an entry).
  if (o.signal === undefined && o.maxWaitMs === undefined && o.id === undefined && o.refundMs === undefined) {
    if (o.priority === undefined || o.priority === 0) return defaults;
    return { signal: undefined, maxWaitMs: defaults.maxWaitMs, id: undefined, refundMs: defaults.refundMs, priority: checkPriority(o.priority) };
  }
  const signal = checkSignal(o.signal);
  const entry: Entry = {
    signal,
    maxWaitMs: o.maxWaitMs === undefined ? defaults.maxWaitMs : checkNumber('maxWaitMs', o.maxWaitMs, { allowInfinity: true }),
    id: checkId(o.id),
    refundMs: perCallRefund ? optionalNumber('refundMs', o.refundMs, defaults.refundMs) : defaults.refundMs,
    priority: o.priority === undefined ? 0 : checkPriority(o.priority),
  };
  signal?.throwIfAborted();
  return entry;
}
