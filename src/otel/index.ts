import type { Attributes, Meter } from '@opentelemetry/api';
import { subscribeToEvents, type LimiterDiagnosticsMessage } from '../core/diagnostics.js';
import type { LimiterEvent } from '../core/types.js';

import { type Observed, recorderFor } from './instruments.js';

export { ATTRIBUTE_KIND, ATTRIBUTE_NAME, ATTRIBUTE_REASON, WAIT_TIME_BUCKETS_MS } from './instruments.js';

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

/**
 * Options of {@link otelListener}: {@link OtelOptions}, and the limiter's name and kind when the
 * limiter's own should not be used.
 *
 * @example
 * ```ts
 * const meter = provider.getMeter('my-service');
 * const options: OtelListenerOptions = { meter, name: 'github' }; // kind: the limiter's class name
 * ```
 */
export interface OtelListenerOptions extends OtelOptions {
  /** `tollgate.limiter.name`; by default the limiter's `name` option (none if it has none). */
  name?: string;
  /**
   * `tollgate.limiter.kind`; by default the limiter's class name (`'TokenBucket'`, `'Throttle'`, …).
   * Give it where a minifier renames classes, or the dashboards get the minified name.
   */
  kind?: string;
}

/** What the listener reads of the limiter `onEvent` hands it, beside the queue length. */
type Described = { readonly pending?: unknown; readonly name?: unknown } | undefined;

/**
 * An `onEvent` listener that records one limiter's events as OpenTelemetry metrics:
 * `tollgate.limiter.admitted`, `.timed_out`, `.aborted`, `.rejected` (counters, with
 * `tollgate.limiter.reason` on `rejected`), `.pending` (an up-down counter of queued waiters) and
 * `.wait_time` (a histogram in ms of the wait of each admitted acquisition), each carrying
 * `tollgate.limiter.name` and `tollgate.limiter.kind`. It works in every runtime, browsers
 * included, and records only this limiter.
 *
 * The name and kind are the limiter's own (its `name` option and its class name, as on the
 * diagnostics channel), read at the first event; `name` and `kind` given here win over them.
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
 *   capacity: 5000, refillIntervalMs: 720, name: 'github',
 *   onEvent: otelListener({ meter }), // name 'github', kind 'TokenBucket'
 * });
 * ```
 */
export function otelListener(options: OtelListenerOptions): (event: LimiterEvent, limiter?: { readonly pending: number }) => void {
  const { meter, name, kind, attributes } = checkOptions(options);
  if (name !== undefined && typeof name !== 'string') throw new TypeError(`otelListener: name must be a string, got ${String(name)}`);
  if (kind !== undefined && typeof kind !== 'string') throw new TypeError(`otelListener: kind must be a string, got ${String(kind)}`);
  // Made at the first event: the limiter is only known then (the listener is built before it).
  let recordEvent: ReturnType<typeof recorderFor> | undefined;
  return (event, limiter?: Described) => {
    recordEvent ??= recorderFor(meter, attributes, name ?? nameOf(limiter), kind ?? kindOf(limiter));
    recordEvent(event, limiter);
  };
}

function nameOf(limiter: Described): string | undefined {
  const name = limiter?.name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * The class name, as the limiters put on the diagnostics channel. A plain object (an event source
 * of the caller's own, a test double) has no kind worth recording: `'Object'` would say nothing.
 */
function kindOf(limiter: Described): string | undefined {
  if (typeof limiter !== 'object' || limiter === null) return undefined;
  const ctor = (limiter as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function' || ctor === Object || ctor.name === '') return undefined;
  return ctor.name;
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
  // Keyed by the limiter object: a limiter that is collected takes its entry with it.
  const byLimiter = new WeakMap<object, ReturnType<typeof recorderFor>>();
  const onMessage = ({ limiter, name, kind, event }: LimiterDiagnosticsMessage) => {
    let recordEvent = byLimiter.get(limiter);
    if (recordEvent === undefined) byLimiter.set(limiter, (recordEvent = recorderFor(meter, attributes, name, kind)));
    recordEvent(event, limiter as Observed);
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
