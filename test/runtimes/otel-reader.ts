import type { Attributes } from '@opentelemetry/api';
import { DataPointType, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';

/** A reader the test collects from when it wants, with no export timer. */
class CollectingReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** One metric's points, keyed by their attributes (as sorted JSON) for exact comparisons. */
export interface Collected {
  metric: MetricData;
  /** Sum/gauge: the value; histogram: `{ count, sum, buckets }` (non-empty buckets by upper bound). */
  points: Map<string, unknown>;
}

/**
 * The real OpenTelemetry SDK: a MeterProvider with a reader collected on demand.
 *
 * @example
 * ```ts
 * const sdk = otelSdk();
 * const listener = otelListener({ meter: sdk.meter, name: 'api' });
 * expect(await sdk.value('tollgate.limiter.admitted', { 'tollgate.limiter.name': 'api' })).toBe(1);
 * ```
 */
export function otelSdk() {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('tollgate-test');

  async function collect(): Promise<Map<string, Collected>> {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'collect');
    const out = new Map<string, Collected>();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        const points = new Map<string, unknown>();
        for (const point of metric.dataPoints as { attributes: Attributes; value: unknown }[]) {
          points.set(key(point.attributes), metric.dataPointType === DataPointType.HISTOGRAM ? histogram(point.value) : point.value);
        }
        out.set(metric.descriptor.name, { metric, points });
      }
    }
    return out;
  }

  return {
    meter,
    collect,
    /** The point of `name` with exactly these attributes (undefined if none). */
    async value(name: string, attributes: Attributes): Promise<unknown> {
      return (await collect()).get(name)?.points.get(key(attributes));
    },
    shutdown: () => provider.shutdown(),
  };
}

export function key(attributes: Attributes): string {
  return JSON.stringify(Object.keys(attributes).sort().map((k) => [k, attributes[k]]));
}

function histogram(value: unknown) {
  const h = value as { count: number; sum: number; buckets: { boundaries: number[]; counts: number[] } };
  const buckets: Record<string, number> = {};
  h.buckets.counts.forEach((count, i) => {
    if (count > 0) buckets[String(h.buckets.boundaries[i] ?? Infinity)] = count;
  });
  return { count: h.count, sum: h.sum, buckets };
}
