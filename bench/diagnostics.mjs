// Diagnostics cost: what the `tollgate:event` diagnostics channel costs a limiter nobody observes
// (the promise: nothing measurable), one with a subscriber, and one recording OpenTelemetry
// metrics through `onEvent: otelListener(...)`.
//
// The baseline is the same build in a runtime without `diagnostics_channel`. To compare the two in
// one thread, interleaved (across worker threads the noise of this machine is larger than the
// effect), the built package is bundled into self-contained copies, one per contestant, with their own module
// state; the baseline copy's limiters are built while `process.getBuiltinModule` is hidden, so it
// finds no channel, ever. A second copy without a channel shows the noise between two copies.
//
// `node --expose-gc bench/diagnostics.mjs` prints its rows alone; `npm run bench` includes them.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { nowMs } from './harness.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));

/**
 * The workloads, bundled INTO each copy: closures made from one function literal share their type
 * feedback in V8, so loops written here once would see every copy's classes and turn megamorphic.
 */
const WORKLOADS = `
import { ConcurrencySemaphore } from ${JSON.stringify(join(repo, 'dist/index.js'))};
export { otelListener } from ${JSON.stringify(join(repo, 'dist/otel.js'))};
export function uncontended(onEvent) {
  const sem = new ConcurrencySemaphore({ capacity: 8, onEvent });
  return async (n) => {
    for (let i = 0; i < n; i++) (await sem.acquire()).release();
  };
}
export function contended(onEvent) {
  const sem = new ConcurrencySemaphore({ capacity: 1, onEvent });
  return async (n) => {
    for (let i = 0; i < n; i++) {
      const held = await sem.acquire();
      const next = sem.acquire();
      held.release();
      (await next).release();
    }
  };
}
`;

/** Bundles the built package with the workloads into separate self-contained modules, one per name. */
async function copies(names) {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-diagnostics-'));
  const entry = join(dir, 'entry.mjs');
  writeFileSync(entry, WORKLOADS);
  const out = {};
  for (const name of names) {
    const outfile = join(dir, `${name}.mjs`);
    await build({ entryPoints: [entry], outfile, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error' });
    out[name] = await import(pathToFileURL(outfile).href);
  }
  rmSync(dir, { recursive: true, force: true });
  return out;
}

/**
 * ns/op of each `{ name, run(n) }`, interleaved round by round. Calibrated like harness.mjs's
 * `perOp`, but each keeps its FASTEST round rather than the median: noise (this machine is shared)
 * only ever adds time, and the effect looked for is a few ns, so the minimum of many short rounds
 * is the estimate of the intrinsic cost that two identical copies agree on best.
 */
async function fastest(contestants, { rounds = 61, minMs = 5 } = {}) {
  const ops = new Map();
  for (const c of contestants) {
    // Warmed up first, so a starved moment during calibration cannot leave a contestant with a
    // tiny n whose loop never gets optimized (it then looks ten times slower than its twin).
    await c.run(100_000);
    let n = 1024;
    while (n < 2 ** 22) {
      const t0 = nowMs();
      await c.run(n);
      if (nowMs() - t0 >= minMs) break;
      n *= 2;
    }
    ops.set(c, n);
  }
  const best = new Map(contestants.map((c) => [c, Infinity]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contestants.length; k++) {
      const c = contestants[(k + r) % contestants.length];
      const t0 = nowMs();
      await c.run(ops.get(c));
      best.set(c, Math.min(best.get(c), ((nowMs() - t0) * 1e6) / ops.get(c)));
    }
  }
  return Object.fromEntries(contestants.map((c) => [c.name, best.get(c)]));
}

/** A reader that is never collected: the SDK still aggregates every measurement. */
class Idle extends MetricReader {
  onShutdown() {
    return Promise.resolve();
  }
  onForceFlush() {
    return Promise.resolve();
  }
}

/** Builds limiters with `build` while `process.getBuiltinModule` is hidden (as in a browser). */
function withoutBuiltins(build) {
  const original = Object.getOwnPropertyDescriptor(process, 'getBuiltinModule');
  Object.defineProperty(process, 'getBuiltinModule', { value: undefined, configurable: true, writable: true });
  try {
    return build();
  } finally {
    if (original) Object.defineProperty(process, 'getBuiltinModule', original);
    else delete process.getBuiltinModule;
  }
}

const workloads = {
  uncontended: 'acquire + release, nobody waiting',
  contended: 'acquire, queue, admit, release',
};

/**
 * Rows in the shape of bench/harness.mjs (`Row`).
 *
 * @example
 * ```js
 * const rows = await run();
 * ```
 */
export async function run() {
  // One copy per contestant: sharing one would let the otel contestant's onEvent make the others'
  // call sites polymorphic.
  const t = await copies(['baseline', 'again', 'quiet', 'heard', 'metered']);
  const meter = new MeterProvider({ readers: [new Idle()] }).getMeter('bench');
  let published = 0;
  const listener = () => published++;
  // Two phases: Node switches a channel's prototype when its first subscriber comes and its last
  // goes, so a contestant subscribing and unsubscribing every round would make the quiet
  // contestant's property read polymorphic, a cost no real program pays. Nobody subscribes in the
  // first phase; in the second a subscriber stays for the whole phase.
  const contestants = {};
  for (const workload of Object.keys(workloads)) {
    const make = (copy, onEvent) => copy[workload](onEvent);
    const [baseline, again] = withoutBuiltins(() => [make(t.baseline), make(t.again)]);
    const metered = make(t.metered, t.metered.otelListener({ meter, name: 'bench', kind: 'ConcurrencySemaphore' }));
    contestants[workload] = { baseline, again, quiet: make(t.quiet), heard: make(t.heard), metered };
  }
  const results = {};
  for (const [workload, c] of Object.entries(contestants)) {
    results[workload] = await fastest(['baseline', 'again', 'quiet', 'metered'].map((name) => ({ name, run: c[name] })));
  }
  subscribe('tollgate:event', listener);
  try {
    for (const [workload, c] of Object.entries(contestants)) {
      const second = await fastest(['baseline', 'heard'].map((name) => ({ name, run: c[name] })));
      results[workload].heard = (second.heard / second.baseline) * results[workload].baseline; // on the first phase's scale
    }
  } finally {
    unsubscribe('tollgate:event', listener);
  }
  const rows = [];
  for (const [workload, what] of Object.entries(workloads)) {
    const ns = results[workload];
    const noise = Math.abs(ns.again / ns.baseline - 1);
    const bound = 1 + Math.max(0.05, noise);
    rows.push(
      { scenario: 'diagnostics', what: `${what}: no diagnostics_channel (baseline)`, unit: 'ns/op', tollgate: ns.baseline },
      { scenario: 'diagnostics', what: `${what}: baseline again (noise)`, unit: 'ns/op', tollgate: ns.again },
      // "No cost when nobody subscribes": within 5% of the baseline, or of the noise if larger.
      { scenario: 'diagnostics', what: `${what}: channel, nobody subscribed`, unit: 'ns/op', tollgate: ns.quiet, target: `≤ ${bound.toFixed(2)} × baseline`, met: ns.quiet <= ns.baseline * bound },
      { scenario: 'diagnostics', what: `${what}: one subscriber (no-op)`, unit: 'ns/op', tollgate: ns.heard },
      { scenario: 'diagnostics', what: `${what}: onEvent: otelListener (OTel SDK)`, unit: 'ns/op', tollgate: ns.metered },
    );
  }
  // The "one subscriber" rows mean something only if the limiters did publish to it.
  if (published === 0) throw new Error('bench/diagnostics.mjs: nothing was published on tollgate:event while subscribed');
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await run();
  for (const row of rows) {
    const met = row.met === undefined ? '' : row.met ? `  (target ${row.target}: met)` : `  (target ${row.target}: MISSED)`;
    console.log(`${row.what.padEnd(64)} ${row.tollgate.toFixed(1).padStart(9)} ns/op${met}`);
  }
}
