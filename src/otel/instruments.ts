import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import type { LimiterEvent } from '../core/types.js';

// The instruments of tollgate/otel and how one limiter's events are recorded on them, shared by
// the per-limiter listener and the diagnostics-channel subscription (index.ts).

/**
 * An event as the limiters deliver it, with every type the adapter knows. The queue length comes
 * from the limiter `onEvent` is also given (its state already updated), or from a `pending`
 * field on the event where a limiter puts it there.
 */
type ObservedEvent = Omit<LimiterEvent, 'type'> & {
  type: LimiterEvent['type'] | 'rejected' | 'cleared';
  pending?: number;
};

/** What the adapter reads of the limiter an event came from. */
export type Observed = { readonly pending?: unknown } | undefined;

/** Attribute keys the adapter sets on every measurement. */
export const ATTRIBUTE_NAME = 'tollgate.limiter.name';
/** The limiter's kind: `'TokenBucket'`, `'Throttle'`, … */
export const ATTRIBUTE_KIND = 'tollgate.limiter.kind';
/**
 * On `tollgate.limiter.rejected`, why: `'rejected'` (the queue was full, the waiter was dropped
 * from a bounded queue, or a lowered capacity can no longer pay it), `'cleared'` (`clear()`) or
 * `'closed'` (`close()`).
 */
export const ATTRIBUTE_REASON = 'tollgate.limiter.reason';

/**
 * Bucket boundaries (ms) of the wait-time histogram: from "admitted at once" to a minute, the
 * range in which rate-limit waits live. Views in the SDK can replace them.
 */
export const WAIT_TIME_BUCKETS_MS: readonly number[] = [0, 1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000];

/** The instruments, created once per meter. */
interface Instruments {
  admitted: Counter;
  timedOut: Counter;
  aborted: Counter;
  rejected: Counter;
  pending: UpDownCounter;
  waitTime: Histogram;
}

const instrumentsByMeter = new WeakMap<Meter, Instruments>();

function instrumentsOf(meter: Meter): Instruments {
  let instruments = instrumentsByMeter.get(meter);
  if (instruments === undefined) {
    instruments = {
      admitted: meter.createCounter('tollgate.limiter.admitted', { unit: '{acquisition}', description: 'Acquisitions admitted (at once or after waiting).' }),
      timedOut: meter.createCounter('tollgate.limiter.timed_out', { unit: '{acquisition}', description: 'Acquisitions rejected because maxWaitMs passed.' }),
      aborted: meter.createCounter('tollgate.limiter.aborted', { unit: '{acquisition}', description: 'Acquisitions whose AbortSignal fired while they waited.' }),
      rejected: meter.createCounter('tollgate.limiter.rejected', {
        unit: '{acquisition}',
        description: 'Waiters the limiter turned away, by reason: rejected (queue full, dropped, capacity lowered), cleared (clear()), closed (close()).',
      }),
      pending: meter.createUpDownCounter('tollgate.limiter.pending', { unit: '{waiter}', description: 'Waiters queued now.' }),
      waitTime: meter.createHistogram('tollgate.limiter.wait_time', {
        unit: 'ms',
        description: 'Time from acquire to admission, for admitted acquisitions (0 when admitted at once).',
        advice: { explicitBucketBoundaries: [...WAIT_TIME_BUCKETS_MS] },
      }),
    };
    instrumentsByMeter.set(meter, instruments);
  }
  return instruments;
}

/** Per limiter: its attributes (fixed) and the queue length last reported, to turn levels into deltas. */
interface Tracked {
  readonly attributes: Attributes;
  readonly rejectedAttributes: Record<'rejected' | 'cleared' | 'closed', Attributes>;
  pending: number;
}

function track(base: Attributes | undefined, name: string | undefined, kind: string | undefined): Tracked {
  const attributes: Attributes = { ...base };
  if (name !== undefined) attributes[ATTRIBUTE_NAME] = name;
  if (kind !== undefined) attributes[ATTRIBUTE_KIND] = kind;
  return {
    attributes,
    rejectedAttributes: {
      rejected: { ...attributes, [ATTRIBUTE_REASON]: 'rejected' },
      cleared: { ...attributes, [ATTRIBUTE_REASON]: 'cleared' },
      closed: { ...attributes, [ATTRIBUTE_REASON]: 'closed' },
    },
    pending: 0,
  };
}

function record(instruments: Instruments, tracked: Tracked, event: ObservedEvent, limiter: Observed): void {
  const { attributes } = tracked;
  switch (event.type) {
    case 'admitted':
      instruments.admitted.add(1, attributes);
      instruments.waitTime.record(event.waitedMs ?? 0, attributes);
      break;
    case 'timeout':
      instruments.timedOut.add(1, attributes);
      break;
    case 'aborted':
      instruments.aborted.add(1, attributes);
      break;
    case 'rejected':
      instruments.rejected.add(1, tracked.rejectedAttributes.rejected);
      break;
    case 'cleared':
      instruments.rejected.add(1, tracked.rejectedAttributes.cleared);
      break;
    case 'closed':
      instruments.rejected.add(1, tracked.rejectedAttributes.closed);
      break;
    default:
      break;
  }
  // The queue length now; the up-down counter follows it by deltas, so its sum over limiters is
  // the number queued now, whenever the listener was attached.
  const pending = event.pending ?? limiter?.pending;
  if (typeof pending === 'number' && pending !== tracked.pending) {
    instruments.pending.add(pending - tracked.pending, attributes);
    tracked.pending = pending;
  }
}

/**
 * Records one limiter's events on `meter`'s instruments (created once per meter), with `base`
 * attributes and the limiter's name and kind.
 *
 * @example
 * ```ts
 * const meter = provider.getMeter('my-service');
 * const recordEvent = recorderFor(meter, undefined, 'github', 'TokenBucket');
 * recordEvent({ type: 'admitted', cost: 1, at: 0, waitedMs: 0, id: undefined }, { pending: 0 });
 * ```
 */
export function recorderFor(meter: Meter, base: Attributes | undefined, name: string | undefined, kind: string | undefined): (event: LimiterEvent, limiter: Observed) => void {
  const instruments = instrumentsOf(meter);
  const tracked = track(base, name, kind);
  return (event, limiter) => record(instruments, tracked, event as ObservedEvent, limiter);
}
