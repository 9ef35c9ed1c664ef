// `npm run bench`: every scenario, tollgate next to its peers, in one run; prints a Markdown
// table ready for the README. `node --expose-gc bench/index.mjs contended memory` runs a subset;
// a group name runs every scenario of the group (`keyed` = keyed-sweep, keyed-heap, keyed-memory).
//
// Each scenario runs in a fresh worker thread of this one process: the optimizing compiler's
// state, leftover garbage and timers of one scenario cannot tilt the next (tollgate's limiters
// share one base class, so earlier scenarios would otherwise make its call sites polymorphic).
//
// Redis benchmarks (bench/redis*.mjs) need a server and are deliberately not part of this run.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { PEERS, nowMs, table } from './harness.mjs';

if (!isMainThread && workerData?.scenario) {
  const rows = await (await import(workerData.scenario)).run();
  parentPort.postMessage(rows);
  // A peer may leave timers behind (async-sema's RateLimit arms one per call): do not wait for them.
  process.exit(0);
}

/** Runs one scenario module's `run()` in a fresh worker; resolves to its rows. */
function runInWorker(url) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { scenario: url.href } });
    let rows;
    worker.once('message', (message) => (rows = message));
    worker.once('error', reject);
    worker.once('exit', (code) => (rows ? resolve(rows) : reject(new Error(`scenario ${url.pathname} exited with ${code}`))));
  });
}

if (typeof globalThis.gc !== 'function') {
  console.error('Run with --expose-gc (npm run bench does).');
  process.exit(1);
}

const SCENARIOS = ['uncontended', 'contended', 'opportunistic', 'memory', 'rate', 'timers', 'signals', 'refunds', 'keyed-sweep', 'keyed-heap'];

/**
 * Scenarios other helpers may add: included when the file exists. Each exports `run()`,
 * resolving to rows in the shape documented in harness.mjs (`Row`).
 */
const OPTIONAL = ['keyed-memory', 'diagnostics'];

const only = process.argv.slice(2);
const wanted = (name) => only.length === 0 || only.some((o) => name === o || name.startsWith(`${o}-`));

/** Installed version of a peer (not every peer exports its package.json). */
function version(name) {
  try {
    return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
  } catch {
    return '?';
  }
}

const started = nowMs();
const rows = [];
const notes = new Set();
for (const name of [...SCENARIOS, ...OPTIONAL]) {
  if (!wanted(name)) continue;
  const url = new URL(`./${name}.mjs`, import.meta.url);
  if (!existsSync(url)) continue;
  const t0 = nowMs();
  const result = await runInWorker(url);
  process.stderr.write(`${name}: ${((nowMs() - t0) / 1000).toFixed(1)} s\n`);
  for (const row of result) {
    // Rows of optional scenarios may name their line in `scenario` alone: group them under the file name.
    if (row.what === undefined) Object.assign(row, { scenario: name, what: row.scenario });
    rows.push(row);
    if (row.note) notes.add(row.note);
  }
}
const seconds = (nowMs() - started) / 1000;

const cpus = os.cpus();
console.log(`Node ${process.version}, ${os.type()} ${os.release()} ${os.arch()}, ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`);
console.log(`Peers: ${PEERS.map((p) => `${p} ${version(p)}`).join(', ')}. Whole run: ${seconds.toFixed(0)} s.`);
console.log();
console.log(table(rows));
console.log();
console.log('— = the peer has no such feature (or no figure on that line).');
for (const note of notes) console.log(`- ${note}`);
const missed = rows.filter((r) => r.met === false);
console.log();
console.log(missed.length === 0 ? 'Every target met.' : `Targets missed: ${missed.map((r) => `${r.scenario} / ${r.what}`).join('; ')}.`);

// Peers may leave timers behind (async-sema's RateLimit arms one per call): do not wait for them.
process.exit(0);
