import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import { subscribeToEvents, type LimiterDiagnosticsMessage } from '../core/diagnostics.js';
import type { LimiterEvent } from '../core/types.js';

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
type Observed = { readonly pending?: unknown } | undefined;

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

/**
 * Options of {@link otelListener} and {@link subscribeToDiagnostics}.
 *
 * @example
 * ```ts
 * const meter = provider.getMeter('my-service'); // a MeterProvider of @opentelemetry/sdk-metrics, or metrics.getMeter(…)
 * const options: OtelOptions = { meter, attributes: { 'service.region': 'eu' } };
 * ```
 */
export interface OtelOptions {
  /** Where the instruments are created: `metrics.getMeter(...)` of `@opentelemetry/api`. */
  meter: Meter;
  /** Added to every measurement. */
  attributes?: Attributes;
}

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
 * An `onEvent` listener that records one limiter's events as OpenTelemetry metrics:
 * `tollgate.limiter.admitted`, `.timed_out`, `.aborted`, `.rejected` (counters, with
 * `tollgate.limiter.reason` on `rejected`), `.pending` (an up-down counter of queued waiters) and
 * `.wait_time` (a histogram in ms of the wait of each admitted acquisition), each carrying
 * `tollgate.limiter.name` and `tollgate.limiter.kind`. It works in every runtime, browsers
 * included, and records only this limiter.
 *
 * `@opentelemetry/api` is only needed for its types: the adapter calls the `meter` you pass.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { TokenBucket } from 'tollgate';
 * import { otelListener } from 'tollgate/otel';
 *
 * const meter = metrics.getMeter('github-client');
 * const bucket = new TokenBucket({
 *   capacity: 5000, refillIntervalMs: 720,
 *   onEvent: otelListener({ meter, name: 'github', kind: 'TokenBucket' }),
 * });
 * ```
 */
export function otelListener(options: OtelOptions & { name: string; kind?: string }): (event: LimiterEvent, limiter?: { readonly pending: number }) => void {
  const { meter, name, kind, attributes } = checkOptions(options);
  if (typeof name !== 'string') throw new TypeError(`otelListener: name must be a string, got ${String(name)}`);
  if (kind !== undefined && typeof kind !== 'string') throw new TypeError(`otelListener: kind must be a string, got ${String(kind)}`);
  const instruments = instrumentsOf(meter);
  const tracked = track(attributes, name, kind);
  return (event, limiter) => record(instruments, tracked, event as ObservedEvent, limiter);
}

/**
 * What {@link subscribeToDiagnostics} returns: stop recording with `unsubscribe()` or at the end of
 * a `using` block.
 *
 * @example
 * ```ts
 * const meter = provider.getMeter('my-service'); // a MeterProvider, or metrics.getMeter(…) of @opentelemetry/api
 * using subscription = subscribeToDiagnostics({ meter });
 * subscription.active; // true where the runtime has diagnostics_channel
 * ```
 */
export interface DiagnosticsSubscription extends Disposable {
  /** False where the runtime has no `diagnostics_channel` (nothing will be recorded), and after `unsubscribe`. */
  readonly active: boolean;
  /** Stops recording; idempotent. */
  unsubscribe(): void;
}

/**
 * Records the events of every limiter in the process — those built before the call included —
 * from the `tollgate:event` diagnostics channel (Node, Bun, Deno), with the same instruments as
 * {@link otelListener}; each limiter is told apart by its `name` option and kind. No limiter needs
 * an `onEvent`. Where the runtime has no `diagnostics_channel` it records nothing and
 * `active` is false: use {@link otelListener} there.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { subscribeToDiagnostics } from 'tollgate/otel';
 *
 * const subscription = subscribeToDiagnostics({ meter: metrics.getMeter('my-service') });
 * process.once('beforeExit', () => subscription.unsubscribe());
 * ```
 */
export function subscribeToDiagnostics(options: OtelOptions): DiagnosticsSubscription {
  const { meter, attributes } = checkOptions(options);
  const instruments = instrumentsOf(meter);
  // Keyed by the limiter object: a limiter that is collected takes its entry with it.
  const trackedByLimiter = new WeakMap<object, Tracked>();
  const onMessage = ({ limiter, name, kind, event }: LimiterDiagnosticsMessage) => {
    let tracked = trackedByLimiter.get(limiter);
    if (tracked === undefined) trackedByLimiter.set(limiter, (tracked = track(attributes, name, kind)));
    record(instruments, tracked, event as ObservedEvent, limiter as Observed);
  };
  let stop = subscribeToEvents(onMessage);
  const unsubscribe = () => {
    stop?.();
    stop = undefined;
  };
  return {
    get active() {
      return stop !== undefined;
    },
    unsubscribe,
    [Symbol.dispose]: unsubscribe,
  };
}

function checkOptions<T extends OtelOptions>(options: T): T {
  if (typeof options !== 'object' || options === null) throw new TypeError(`tollgate/otel: options must be an object, got ${String(options)}`);
  const { meter, attributes } = options;
  if (typeof meter !== 'object' || meter === null || typeof meter.createCounter !== 'function') {
    throw new TypeError(`tollgate/otel: meter must be an OpenTelemetry Meter (metrics.getMeter(...)), got ${String(meter)}`);
  }
  if (attributes !== undefined && (typeof attributes !== 'object' || attributes === null)) {
    throw new TypeError(`tollgate/otel: attributes must be an object, got ${String(attributes)}`);
  }
  return options;
}
