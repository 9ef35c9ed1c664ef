// demo: the credit_semaphore sample run, on a virtual clock, as a timeline (`--svg out.svg` draws it)
//
//   npm run demo                        # prints the timeline
//   npm run demo -- --svg out.svg       # also writes the picture (docs/timeline.svg is made this way)
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CreditSemaphore, VirtualClock } from 'tollgate';
import { timelineSvg } from './lib/svg.mjs';

const { values: args } = parseArgs({ options: { svg: { type: 'string' } } });

const CAPACITY = 40;
const REFUND_MS = 10_000;
// (credits, seconds of work), all arriving at t = 0 in this order: credit_semaphore's sample.
const transactions = [[20, 3], [30, 1], [30, 5], [5, 4], [20, 5], [20, 1]].map(([credits, workS], i) => ({
  id: i + 1, credits, workMs: workS * 1000, queuedAt: 0, admittedAt: NaN, doneAt: NaN, backAt: NaN,
}));

// ---- the run: a few lines of real tollgate use ------------------------------------------------
const clock = new VirtualClock(); // limiter time moves only when told: 54 s pass in milliseconds
const events = [];
const sem = new CreditSemaphore({ capacity: CAPACITY, refundMs: REFUND_MS, clock, onEvent: (e) => events.push(e) });

const started = performance.now();
const work = transactions.map((tx) =>
  sem.transact(() => clock.sleep(tx.workMs), { credits: tx.credits, id: tx.id }), // "the API call"
);
await clock.runAll(); // fires every timer in order: the work, the refunds, the limiter's wake-ups
await Promise.all(work);
await clock.advance(sem.retryAfterMs(CAPACITY)); // until the last credits are back
void sem.available; // the limiter reports refunds when it next looks
const realMs = performance.now() - started;
// ------------------------------------------------------------------------------------------------

const byId = new Map(transactions.map((tx) => [tx.id, tx]));
const s = (ms) => `${+(ms / 1000).toFixed(1)} s`;
// Refunds are reported when the limiter next looks, stamped with the instant they were due: sort.
const timeline = events.map((e, order) => ({ ...e, order })).sort((a, b) => a.at - b.at || a.order - b.order);

console.log(`tollgate demo: new CreditSemaphore({ capacity: ${CAPACITY}, refundMs: 10_000 })`);
console.log('Six transactions arrive at t = 0 in this order. Credits are taken at admission and come');
console.log(`back ${s(REFUND_MS)} after the work ends; when they do, every waiter that now fits goes, in arrival order.`);
console.log('');
console.log(`${'t'.padStart(6)}  ${'event'.padEnd(62)}  credits out  queued`);

let out = 0;
let queued = 0;
const outPoints = [[0, 0]];
const queuePoints = [[0, 0]];
for (const e of timeline) {
  const tx = byId.get(e.id);
  let what;
  if (e.type === 'queued') {
    queued++;
    what = `#${tx.id} queued (needs ${tx.credits})`;
  } else if (e.type === 'admitted') {
    tx.admittedAt = e.at;
    out += e.cost;
    if (e.waitedMs > 0) queued--;
    const overtakes = transactions.filter((o) => o.id < tx.id && Number.isNaN(o.admittedAt));
    what = `#${tx.id} admitted: ${tx.credits} credits, ${s(tx.workMs)} of work`;
    if (e.waitedMs > 0) what += `, waited ${s(e.waitedMs)}`;
    if (overtakes.length > 0) what += `, overtakes #${overtakes.map((o) => o.id).join(', #')}`;
  } else if (e.type === 'released') {
    tx.doneAt = e.at;
    what = `#${tx.id} done; its ${tx.credits} credits come back at ${s(e.at + REFUND_MS)}`;
  } else if (e.type === 'refunded') {
    tx.backAt = e.at;
    out -= e.cost;
    what = `#${tx.id}'s ${tx.credits} credits are back`;
  } else continue;
  outPoints.push([e.at, out]);
  queuePoints.push([e.at, queued]);
  console.log(`${s(e.at).padStart(6)}  ${what.padEnd(62)}  ${`${out}/${CAPACITY}`.padStart(11)}  ${String(queued).padStart(6)}`);
}

console.log('');
console.log('  tx  credits   work  admitted   done  credits back');
for (const tx of transactions) {
  console.log(
    `  #${tx.id}  ${String(tx.credits).padStart(7)}  ${s(tx.workMs).padStart(5)}  ${s(tx.admittedAt).padStart(8)}  ${s(tx.doneAt).padStart(5)}  ${s(tx.backAt).padStart(12)}`,
  );
}

// One column per second, each read in the middle of its second.
const endMs = Math.max(...transactions.map((tx) => tx.backAt));
const columns = Math.ceil(endMs / 1000);
const valueAt = (points, ms) => points.filter(([t]) => t <= ms).at(-1)[1];
const mid = (c) => c * 1000 + 500;
const axis = (pad) => {
  let ticks = '';
  let marks = '';
  for (let c = 0; c <= columns; c += 10) {
    ticks += String(c).padEnd(10);
    marks += '|'.padEnd(10);
  }
  return [`${pad}${ticks.trimEnd()} s`, `${pad}${marks.trimEnd()}`];
};

console.log('');
console.log('Who held credits when (one column = 1 s;  ░ queued  █ working  ▒ credits coming back)');
for (const line of axis(' '.repeat(16))) console.log(line);
for (const tx of transactions) {
  let bar = '';
  for (let c = 0; c < columns; c++) {
    const t = mid(c);
    bar += t < tx.admittedAt ? '░' : t < tx.doneAt ? '█' : t < tx.backAt ? '▒' : ' ';
  }
  console.log(`  #${tx.id} ${String(tx.credits).padStart(2)} credits ${bar.trimEnd()}`);
}
console.log('');
for (const level of [40, 30, 20, 10]) {
  let row = '';
  for (let c = 0; c < columns; c++) {
    const v = valueAt(outPoints, mid(c));
    row += v >= level ? '█' : v >= level - 5 ? '▄' : ' ';
  }
  const label = (level === 40 ? 'credits out 40' : String(level)).padStart(15);
  console.log(`${label}┤${row.trimEnd()}`);
}
console.log(`${' '.repeat(15)}└${'─'.repeat(columns)}`);
let queueRow = '';
for (let c = 0; c < columns; c++) queueRow += String(valueAt(queuePoints, mid(c)));
console.log(`${'queued'.padStart(15)} ${queueRow}`);
console.log('');
console.log(`${s(endMs)} of limiter time in ${Math.round(realMs)} ms of real time (VirtualClock).`);

if (args.svg) {
  const svg = timelineSvg({
    title: `tollgate: new CreditSemaphore({ capacity: ${CAPACITY}, refundMs: 10_000 })`,
    subtitle: "credit_semaphore's sample: six transactions arrive at t = 0 s; (credits, seconds of work) = (20,3) (30,1) (30,5) (5,4) (20,5) (20,1).",
    endMs: (columns + 2) * 1000, // a little room to show the last credits coming back
    lanes: transactions.map((tx) => ({
      id: tx.id,
      label: `#${tx.id}: ${tx.credits} credits, ${s(tx.workMs)}`,
      admittedAt: tx.admittedAt,
      segments: [
        { from: tx.queuedAt, to: tx.admittedAt, kind: 'waiting' },
        { from: tx.admittedAt, to: tx.doneAt, kind: 'working' },
        { from: tx.doneAt, to: tx.backAt, kind: 'refunding' },
      ],
    })),
    panels: [
      { title: 'credits out', max: CAPACITY, limit: { value: CAPACITY, label: `capacity ${CAPACITY}` }, series: [{ name: 'credits-out', points: outPoints, fill: '#2f7ed833' }] },
      { title: 'queue length', max: transactions.length, height: 70, series: [{ name: 'queue', points: queuePoints, color: '#e08a00' }] },
    ],
  });
  writeFileSync(args.svg, svg);
  console.log(`Wrote ${args.svg}`);
}
