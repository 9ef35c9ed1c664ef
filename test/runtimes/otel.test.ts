// tollgate/otel against the real OpenTelemetry SDK (MeterProvider + a reader collected on demand,
// and the SDK's InMemoryMetricExporter): what each event records, with which attributes and units.
// Semantics of the events: docs/semantics.md ("Events"); the instruments: docs/runtimes.md.
import { channel } from 'node:diagnostics_channel';
import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { ConcurrencySemaphore, Throttle, TokenBucket, VirtualClock, type LimiterEvent } from '../../src/index.js';
import { EVENT_CHANNEL, type LimiterDiagnosticsMessage } from '../../src/core/diagnostics.js';
import { otelListener, subscribeToDiagnostics, WAIT_TIME_BUCKETS_MS } from '../../src/otel/index.js';
import { otelSdk } from './otel-reader.js';

/**
 * Events fed to a listener by hand, with the types only the adapter's recorder knows ('rejected',
 * 'cleared') and a `pending` field, which a limiter's events do not carry (it is read from the limiter).
 */
type Event = Omit<LimiterEvent, 'type'> & { type: LimiterEvent['type'] | 'rejected' | 'cleared'; pending: number };
const ev = (type: Event['type'], pending: number, extra: Partial<Event> = {}): LimiterEvent => ({ type, cost: 1, at: 0, pending, ...extra }) as unknown as LimiterEvent;

const api = { 'tollgate.limiter.name': 'api', 'tollgate.limiter.kind': 'ConcurrencySemaphore', 'service.region': 'eu' };
const reason = (r: string): Attributes => ({ ...api, 'tollgate.limiter.reason': r });

let sdk: ReturnType<typeof otelSdk>;
afterEach(async () => {
  await sdk?.shutdown();
});

describe('otelListener with a real limiter', () => {
  it('counts admitted, timed out, aborted and closed waiters and records each admitted wait, with name, kind and the caller\'s attributes', async () => {
    sdk = otelSdk();
    const clock = new VirtualClock();
    const sem = new ConcurrencySemaphore({
      capacity: 1,
      clock,
      onEvent: otelListener({ meter: sdk.meter, name: 'api', kind: 'ConcurrencySemaphore', attributes: { 'service.region': 'eu' } }),
    });
    const first = await sem.acquire(); // at once: wait 0
    const second = sem.acquire(); // admitted at 250
    const late = sem.acquire(1, { maxWaitMs: 100 }).catch((e: unknown) => e); // times out at 100
    const controller = new AbortController();
    const gone = sem.acquire(1, { signal: controller.signal }).catch((e: unknown) => e); // aborted at 50
    await clock.advance(50);
    controller.abort(new Error('stop'));
    await clock.advance(200);
    first.release();
    (await second).release();
    expect(await late).toMatchObject({ code: 'ERR_MAX_WAIT_EXCEEDED' });
    expect(await gone).toEqual(new Error('stop'));
    const stuck = await sem.acquire(); // held, so the next one waits until close
    const closed = sem.acquire().catch((e: unknown) => e);
    sem.close();
    await closed;
    stuck.release();

    const metrics = await sdk.collect();
    expect(metrics.get('tollgate.limiter.admitted')?.points).toEqual(new Map([[key(api), 3]]));
    expect(metrics.get('tollgate.limiter.timed_out')?.points).toEqual(new Map([[key(api), 1]]));
    expect(metrics.get('tollgate.limiter.aborted')?.points).toEqual(new Map([[key(api), 1]]));
    expect(metrics.get('tollgate.limiter.rejected')?.points).toEqual(new Map([[key(reason('closed')), 1]]));
    expect(metrics.get('tollgate.limiter.wait_time')?.points.get(key(api))).toEqual({ count: 3, sum: 250, buckets: { 0: 2, 250: 1 } });
  });

  it('names every instrument with its unit and kind', async () => {
    sdk = otelSdk();
    const bucket = new TokenBucket({ capacity: 1, refillIntervalMs: 1_000, clock: new VirtualClock(), onEvent: otelListener({ meter: sdk.meter, name: 'b' }) });
    (await bucket.acquire()).release();
    const descriptors = Object.fromEntries([...(await sdk.collect()).entries()].map(([name, { metric }]) => [name, [metric.descriptor.unit, shape(metric)]]));
    expect(descriptors).toMatchObject({
      'tollgate.limiter.admitted': ['{acquisition}', 'counter'],
      'tollgate.limiter.wait_time': ['ms', 'histogram'],
    });
    // Instruments with no measurement yet are not exported; record one of each to see them all.
    const all = otelListener({ meter: sdk.meter, name: 'all' });
    for (const type of ['timeout', 'aborted', 'rejected'] as const) all(ev(type, 1));
    const more = Object.fromEntries([...(await sdk.collect()).entries()].map(([name, { metric }]) => [name, [metric.descriptor.unit, shape(metric)]]));
    expect(more).toEqual({
      'tollgate.limiter.admitted': ['{acquisition}', 'counter'],
      'tollgate.limiter.timed_out': ['{acquisition}', 'counter'],
      'tollgate.limiter.aborted': ['{acquisition}', 'counter'],
      'tollgate.limiter.rejected': ['{acquisition}', 'counter'],
      'tollgate.limiter.pending': ['{waiter}', 'up-down counter'],
      'tollgate.limiter.wait_time': ['ms', 'histogram'],
    });
  });

  it('uses the documented wait-time buckets', async () => {
    sdk = otelSdk();
    otelListener({ meter: sdk.meter, name: 'x' })(ev('admitted', 0, { waitedMs: 60_001 }));
    const point = (await sdk.collect()).get('tollgate.limiter.wait_time')!.metric.dataPoints[0]!.value as { buckets: { boundaries: number[] } };
    expect(point.buckets.boundaries).toEqual([...WAIT_TIME_BUCKETS_MS]);
  });

  it('follows the queue length on the up-down counter (read from the limiter onEvent is given)', async () => {
    const probe: unknown[] = [];
    const sem = new ConcurrencySemaphore({ capacity: 1, clock: new VirtualClock(), onEvent: (e: LimiterEvent, l?: { pending: number }) => probe.push((e as { pending?: number }).pending ?? l?.pending) });
    void sem.acquire();
    void sem.acquire().catch(() => {});
    expect(typeof probe[1]).toBe('number');
    sem.close();

    sdk = otelSdk();
    const clock = new VirtualClock();
    const attributes = { 'tollgate.limiter.name': 'q', 'tollgate.limiter.kind': 'ConcurrencySemaphore' };
    const limiter = new ConcurrencySemaphore({ capacity: 1, clock, onEvent: otelListener({ meter: sdk.meter, name: 'q' }) });
    const held = await limiter.acquire();
    const waiting = [limiter.acquire(), limiter.acquire(), limiter.acquire()];
    expect(await sdk.value('tollgate.limiter.pending', attributes)).toBe(3);
    held.release();
    (await waiting[0]!).release();
    expect(await sdk.value('tollgate.limiter.pending', attributes)).toBe(1);
    limiter.close();
    await Promise.allSettled(waiting);
    expect(await sdk.value('tollgate.limiter.pending', attributes)).toBe(0);
  });

  it('takes the name and kind from the limiter it is given when the caller does not', async () => {
    sdk = otelSdk();
    const clock = new VirtualClock();
    const named = new TokenBucket({ capacity: 1, refillIntervalMs: 1_000, clock, name: 'github', onEvent: otelListener({ meter: sdk.meter }) });
    const unnamed = new Throttle({ rate: 1, periodMs: 1_000, clock, onEvent: otelListener({ meter: sdk.meter, attributes: { host: 'h1' } }) });
    (await named.acquire()).release();
    await unnamed.run(() => undefined);
    const points = (await sdk.collect()).get('tollgate.limiter.admitted')!.points;
    expect(points).toEqual(new Map([
      [key({ 'tollgate.limiter.name': 'github', 'tollgate.limiter.kind': 'TokenBucket' }), 1],
      [key({ 'tollgate.limiter.kind': 'Throttle', host: 'h1' }), 1],
    ]));
  });

  it('lets the name and kind given to otelListener win over the limiter\'s own, each on its own', async () => {
    sdk = otelSdk();
    const clock = new VirtualClock();
    const both = new ConcurrencySemaphore({ capacity: 1, clock, name: 'own', onEvent: otelListener({ meter: sdk.meter, name: 'given', kind: 'Pool' }) });
    const nameOnly = new ConcurrencySemaphore({ capacity: 1, clock, name: 'own', onEvent: otelListener({ meter: sdk.meter, name: 'renamed' }) });
    const kindOnly = new ConcurrencySemaphore({ capacity: 1, clock, name: 'kept', onEvent: otelListener({ meter: sdk.meter, kind: 'Pool' }) });
    for (const limiter of [both, nameOnly, kindOnly]) (await limiter.acquire()).release();
    const points = (await sdk.collect()).get('tollgate.limiter.admitted')!.points;
    expect(points).toEqual(new Map([
      [key({ 'tollgate.limiter.name': 'given', 'tollgate.limiter.kind': 'Pool' }), 1],
      [key({ 'tollgate.limiter.name': 'renamed', 'tollgate.limiter.kind': 'ConcurrencySemaphore' }), 1],
      [key({ 'tollgate.limiter.name': 'kept', 'tollgate.limiter.kind': 'Pool' }), 1],
    ]));
  });

  it('records a subclass under its own class name, as the diagnostics channel does', async () => {
    sdk = otelSdk();
    class GithubBucket extends TokenBucket {}
    const bucket = new GithubBucket({ capacity: 1, refillIntervalMs: 1_000, clock: new VirtualClock(), onEvent: otelListener({ meter: sdk.meter }) });
    (await bucket.acquire()).release();
    expect(await sdk.value('tollgate.limiter.admitted', { 'tollgate.limiter.kind': 'GithubBucket' })).toBe(1);
  });
});

describe('otelListener, event by event', () => {
  it('turns each event\'s `pending` into deltas, so the sum is the queue length whenever the listener was attached', async () => {
    sdk = otelSdk();
    const listen = otelListener({ meter: sdk.meter, name: 'late', kind: 'Throttle' });
    const attributes = { 'tollgate.limiter.name': 'late', 'tollgate.limiter.kind': 'Throttle' };
    listen(ev('queued', 3)); // attached while two already waited
    expect(await sdk.value('tollgate.limiter.pending', attributes)).toBe(3);
    listen(ev('released', 3));
    listen(ev('admitted', 2, { waitedMs: 7 }));
    listen(ev('rejected', 2)); // a newcomer refused: the queue is unchanged
    listen(ev('cleared', 1));
    listen(ev('cleared', 0));
    expect(await sdk.value('tollgate.limiter.pending', attributes)).toBe(0);
    expect(await sdk.value('tollgate.limiter.rejected', { ...attributes, 'tollgate.limiter.reason': 'rejected' })).toBe(1);
    expect(await sdk.value('tollgate.limiter.rejected', { ...attributes, 'tollgate.limiter.reason': 'cleared' })).toBe(2);
    expect(await sdk.value('tollgate.limiter.admitted', attributes)).toBe(1);
    expect(await sdk.value('tollgate.limiter.wait_time', attributes)).toEqual({ count: 1, sum: 7, buckets: { 10: 1 } });
  });

  it('keeps limiters apart by name on one meter', async () => {
    sdk = otelSdk();
    const a = otelListener({ meter: sdk.meter, name: 'a' });
    const b = otelListener({ meter: sdk.meter, name: 'b' });
    a(ev('queued', 1));
    a(ev('queued', 2));
    b(ev('queued', 1));
    b(ev('admitted', 0, { waitedMs: 3 }));
    const pending = (await sdk.collect()).get('tollgate.limiter.pending')!.points;
    expect(pending).toEqual(new Map([[key({ 'tollgate.limiter.name': 'a' }), 2], [key({ 'tollgate.limiter.name': 'b' }), 0]]));
  });

  it('records nothing for released, refunded and queued beyond the queue length', async () => {
    sdk = otelSdk();
    const listen = otelListener({ meter: sdk.meter, name: 'quiet' });
    listen(ev('released', 0));
    listen(ev('refunded', 0));
    expect((await sdk.collect()).size).toBe(0);
  });

  it('reads the queue length from the limiter when the event has no `pending`', async () => {
    sdk = otelSdk();
    const listen = otelListener({ meter: sdk.meter, name: 'lim' });
    listen({ type: 'queued', cost: 1, at: 0 }, { pending: 4 });
    listen({ type: 'aborted', cost: 1, at: 0 }, { pending: 1 });
    expect(await sdk.value('tollgate.limiter.pending', { 'tollgate.limiter.name': 'lim' })).toBe(1);
  });

  it('ignores events without a queue length for the up-down counter and still counts them', async () => {
    sdk = otelSdk();
    const listen = otelListener({ meter: sdk.meter, name: 'old' });
    listen({ type: 'admitted', cost: 1, at: 0, waitedMs: 0 });
    const metrics = await sdk.collect();
    expect(metrics.get('tollgate.limiter.admitted')?.points.get(key({ 'tollgate.limiter.name': 'old' }))).toBe(1);
    expect(metrics.has('tollgate.limiter.pending')).toBe(false);
  });

  it('rejects bad options at once, naming the option', () => {
    sdk = otelSdk();
    expect(() => otelListener(undefined as never)).toThrow(/options must be an object/);
    expect(() => otelListener({ meter: {} as never, name: 'x' })).toThrow(/meter must be an OpenTelemetry Meter/);
    expect(() => otelListener({ meter: sdk.meter, name: 3 as never })).toThrow(/name must be a string, got 3/);
    expect(() => otelListener({ meter: sdk.meter, name: 'x', kind: 1 as never })).toThrow(/kind must be a string, got 1/);
    expect(() => otelListener({ meter: sdk.meter, name: 'x', attributes: 'y' as never })).toThrow(/attributes must be an object, got y/);
  });

  it('exports through the SDK\'s InMemoryMetricExporter and PeriodicExportingMetricReader', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const listen = otelListener({ meter: provider.getMeter('t'), name: 'exported' });
    listen(ev('admitted', 0, { waitedMs: 1 }));
    listen(ev('timeout', 0, { waitedMs: 5 }));
    await reader.forceFlush();
    const names = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => `${m.descriptor.name}=${JSON.stringify(m.dataPoints[0]?.value)}`)));
    expect(names).toEqual(expect.arrayContaining(['tollgate.limiter.admitted=1', 'tollgate.limiter.timed_out=1']));
    await provider.shutdown();
  });
});

describe('subscribeToDiagnostics', () => {
  const publish = (message: LimiterDiagnosticsMessage) => channel(EVENT_CHANNEL).publish(message);

  it('records every limiter published on the channel, each by its own name, kind and queue', async () => {
    sdk = otelSdk();
    using subscription = subscribeToDiagnostics({ meter: sdk.meter, attributes: { host: 'h1' } });
    expect(subscription.active).toBe(true);
    const one = {};
    const two = {};
    publish({ limiter: one, name: 'github', kind: 'TokenBucket', event: ev('queued', 1) });
    publish({ limiter: two, name: 'github', kind: 'TokenBucket', event: ev('queued', 1) });
    publish({ limiter: two, name: 'github', kind: 'TokenBucket', event: ev('queued', 2) });
    publish({ limiter: one, name: 'github', kind: 'TokenBucket', event: ev('admitted', 0, { waitedMs: 40 }) });
    publish({ limiter: { pending: 0 }, name: undefined, kind: 'Throttle', event: { type: 'timeout', cost: 1, at: 0 } });
    const github = { host: 'h1', 'tollgate.limiter.name': 'github', 'tollgate.limiter.kind': 'TokenBucket' };
    expect(await sdk.value('tollgate.limiter.pending', github)).toBe(2); // 0 from one, 2 from two
    expect(await sdk.value('tollgate.limiter.wait_time', github)).toEqual({ count: 1, sum: 40, buckets: { 50: 1 } });
    expect(await sdk.value('tollgate.limiter.timed_out', { host: 'h1', 'tollgate.limiter.kind': 'Throttle' })).toBe(1);
  });

  it('stops recording on unsubscribe (idempotent) and at the end of a `using` block', async () => {
    sdk = otelSdk();
    const limiter = {};
    {
      using _scoped = subscribeToDiagnostics({ meter: sdk.meter });
      publish({ limiter, name: 'u', kind: 'K', event: ev('aborted', 0) });
    }
    const subscription = subscribeToDiagnostics({ meter: sdk.meter });
    subscription.unsubscribe();
    subscription.unsubscribe();
    expect(subscription.active).toBe(false);
    expect(channel(EVENT_CHANNEL).hasSubscribers).toBe(false);
    publish({ limiter, name: 'u', kind: 'K', event: ev('aborted', 0) });
    expect(await sdk.value('tollgate.limiter.aborted', { 'tollgate.limiter.name': 'u', 'tollgate.limiter.kind': 'K' })).toBe(1);
  });

  it('records real limiters with no onEvent once the Gate publishes on the channel', async () => {
    sdk = otelSdk();
    using subscription = subscribeToDiagnostics({ meter: sdk.meter });
    const seen: unknown[] = [];
    const spy = (m: unknown) => seen.push(m);
    channel(EVENT_CHANNEL).subscribe(spy);
    const sem = new ConcurrencySemaphore({ capacity: 1, clock: new VirtualClock() });
    (await sem.acquire()).release();
    channel(EVENT_CHANNEL).unsubscribe(spy);
    expect(seen.length).toBeGreaterThan(0);
    expect(subscription.active).toBe(true);
    const points = (await sdk.collect()).get('tollgate.limiter.admitted')!.points;
    expect([...points.entries()]).toEqual([[key({ 'tollgate.limiter.kind': 'ConcurrencySemaphore' }), 1]]);
  });
});

/** What the exported data says the instrument was: a monotonic sum is a counter. */
function shape(metric: MetricData): string {
  if (metric.dataPointType === DataPointType.HISTOGRAM) return 'histogram';
  if (metric.dataPointType === DataPointType.SUM) return metric.isMonotonic ? 'counter' : 'up-down counter';
  return String(metric.dataPointType);
}

function key(attributes: Attributes): string {
  return JSON.stringify(Object.keys(attributes).sort().map((k) => [k, attributes[k]]));
}
