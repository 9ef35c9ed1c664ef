// A tiny benchmark harness: no dependency, interleaved rounds, medians.
//
// The machine this runs on is usually shared and noisy, so every figure is compared within one
// run: contestants take turns round by round (a noisy neighbour slows all of them alike) and the
// median of the rounds is kept. Absolute figures are only meaningful next to each other.

/**
 * One line of the results table.
 * @typedef {object} Row
 * @property {string} scenario   group heading, e.g. 'uncontended'
 * @property {string} what       what the line measures
 * @property {string} unit       'ns/op', 'ms', 'B/waiter', 'timers', '×'
 * @property {number|undefined} tollgate
 * @property {Record<string, number|string|undefined>} [peers]  by peer name; absent = the peer lacks the feature;
 *   a string is shown as is (an estimate) and never enters the ratio
 * @property {string} [target]   the target, as text
 * @property {boolean} [met]     whether the target is met (absent = no target on this line)
 * @property {string} [note]
 */

export const PEERS = ['async-sema', 'async-mutex', 'p-limit', 'p-queue', 'bottleneck', 'limiter'];

/** Milliseconds from a monotonic high-resolution source. */
export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A full garbage collection (the bench runs with --expose-gc). */
export function collect() {
  globalThis.gc?.();
}

/**
 * Nanoseconds per operation for each contestant `{ name, run(n), rounds?, maxOps? }`, where `run`
 * performs `n` operations (sync or async). Each is first calibrated — `n` doubles until one call
 * lasts at least `minMs`, which also warms it up — then timed for `rounds` interleaved rounds.
 * @returns {Promise<Record<string, number>>} median ns/op by name
 */
export async function perOp(contestants, { rounds = 11, minMs = 25, maxOps = 2 ** 24 } = {}) {
  const ops = new Map();
  for (const c of contestants) {
    let n = 16;
    for (;;) {
      const t0 = nowMs();
      await c.run(n);
      if (nowMs() - t0 >= minMs || n >= (c.maxOps ?? maxOps)) break;
      n *= 2;
    }
    await c.run(n); // one more at full size, so the optimizing compiler has seen it
    ops.set(c, n);
  }
  // No forced collection between these samples: loops leave only short-lived garbage, which the
  // young generation clears almost for free, while a full collection would shrink the young
  // generation and charge every allocating contestant extra scavenges.
  return interleave(contestants, rounds, false, async (c) => {
    const n = ops.get(c);
    const t0 = nowMs();
    await c.run(n);
    return ((nowMs() - t0) * 1e6) / n;
  });
}

/**
 * Milliseconds per call of a fixed workload `{ name, run(), rounds?, warmup? }`: `warmup` untimed
 * calls, then the median of `rounds` interleaved rounds. `run` may return its own measured time
 * (to leave set-up out of it); otherwise the whole call is timed.
 * @returns {Promise<Record<string, number>>}
 */
export async function perRun(contestants, { rounds = 5, warmup = 1 } = {}) {
  for (const c of contestants) for (let i = 0; i < (c.warmup ?? warmup); i++) await c.run();
  return interleave(contestants, rounds, true, async (c) => {
    const t0 = nowMs();
    const own = await c.run();
    return typeof own === 'number' ? own : nowMs() - t0;
  });
}

/**
 * Contestants take turns, starting one later each round, so a noisy neighbour slows them alike.
 * `collectFirst`: a full collection before each sample, so one workload's long-lived garbage is
 * not collected on the next one's time.
 */
async function interleave(contestants, rounds, collectFirst, sample) {
  const values = new Map(contestants.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contestants.length; k++) {
      const c = contestants[(k + r) % contestants.length];
      if (values.get(c).length >= (c.rounds ?? rounds)) continue;
      if (collectFirst) collect();
      values.get(c).push(await sample(c));
    }
  }
  return Object.fromEntries(contestants.map((c) => [c.name, median(values.get(c))]));
}

/** Splits `{ tollgate, ...peers }` results into a row's two fields. */
export function split(results) {
  const { tollgate, ...peers } = results;
  return { tollgate, peers };
}

/** Lowest figure among the peers that have the feature, or undefined. */
export function bestPeer(row) {
  const values = Object.values(row.peers ?? {}).filter((v) => typeof v === 'number' && Number.isFinite(v));
  return values.length === 0 ? undefined : Math.min(...values);
}

/** Deterministic costs for repeatable runs (a 32-bit LCG). */
export function costs(n, max, seed = 12345) {
  const out = new Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = 1 + (s % max);
  }
  return out;
}

function show(value, unit) {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value; // an estimate or a remark, never part of a ratio
  if (!Number.isFinite(value)) return String(value);
  if (unit === '×') return `${value.toFixed(2)}×`;
  if (unit === 'timers' || unit === 'warnings') return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** The results as a Markdown table. */
export function table(rows) {
  const head = ['scenario', 'measure', 'unit', 'tollgate', ...PEERS, 'tollgate ÷ best peer', 'target', 'met'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i >= 3 && i < 3 + 1 + PEERS.length + 1 ? '---:' : '---')).join('|')}|`];
  for (const row of rows) {
    const best = bestPeer(row);
    const ratio = best !== undefined && row.tollgate !== undefined && best > 0 ? `${(row.tollgate / best).toFixed(2)}×` : '—';
    const met = row.met === undefined ? '' : row.met ? 'yes' : '**no**';
    const cells = [
      row.scenario,
      row.what,
      row.unit,
      show(row.tollgate, row.unit),
      ...PEERS.map((p) => show(row.peers?.[p], row.unit)),
      ratio,
      row.target ?? '',
      met,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
