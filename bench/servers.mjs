// `npm run bench:servers`: 100 requests against four real local servers, each with a documented
// limit, from a client configured the obvious way from that documentation. Prints, per scenario,
// how many requests the server refused (429/503) and how long the run took next to the ideal
// (the shortest time the server's own rules allow, see test/support/http-servers.ts).
// Target: 0 refusals that could have been avoided and at most 1.15 × the ideal.
//
// "before" rows are the README's old advice: a leaky-bucket Throttle and
// `throttle.pause(Number(res.headers.get('retry-after')) * 1_000)` after a 429.
//
// Timed in real time (these are servers, not a model): the scenarios run one after the other,
// about 10 s each. `npm run bench:servers -- sliding break` runs a subset; `--n 50` fewer requests.
// Exits 1 when an "after" row misses its target, so CI can run it.
import * as tollgate from 'tollgate';
import {
  startBreakServer,
  startFixedWindowServer,
  startIetfServer,
  startSlidingWindowServer,
} from '../test/support/http-servers.ts';

const args = process.argv.slice(2);
const nAt = args.indexOf('--n');
const N = nAt === -1 ? 100 : Number(args[nAt + 1]);
const only = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--n');
const TARGET = 1.15;

const missing = ['SlidingWindowLimiter'].filter((name) => typeof tollgate[name] !== 'function');
const hasObserve = typeof tollgate.Throttle.prototype.observe === 'function';
const needs = [...missing, ...(hasObserve ? [] : ['observe'])];

/** fetch, body read, so the keep-alive socket is reused. `observe` (if given) sees the response before the permit is released. */
async function get(url, observe) {
  const res = await fetch(url);
  observe?.(res);
  await res.text();
  return res;
}

const refusal = (res) => res.status === 429 || res.status === 503;

/** The new advice: every response goes to `observe` inside `run`, a refused request is sent again. */
async function observing(limiter, url, n) {
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (refusal(await limiter.run(() => get(url, (res) => limiter.observe(res))))) {
        /* retried after the pause observe set */
      }
    }),
  );
}

/** The README's old advice, verbatim. */
async function oldAdvice(throttle, url, n) {
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (;;) {
        const res = await throttle.run(() => get(url));
        if (!refusal(res)) return;
        throttle.pause(Number(res.headers.get('retry-after')) * 1_000);
      }
    }),
  );
}

const leaky = (rate, periodMs, concurrency) => new tollgate.Throttle({ rate, periodMs, concurrency, kind: 'leaky' });

/** Each scenario: a server and its clients, each client `{ label, needs?, make(), drive }`. */
const SCENARIOS = [
  {
    name: 'sliding',
    server: () => startSlidingWindowServer({ limit: 10, windowMs: 1_000, concurrency: 3 }),
    clients: [
      { label: 'before: leaky Throttle + pause', make: () => leaky(10, 1_000, 3), drive: oldAdvice },
      {
        label: "Throttle({ rate: 10, periodMs: 1_000, concurrency: 3 }) + observe",
        needs: ['observe'],
        make: () => new tollgate.Throttle({ rate: 10, periodMs: 1_000, concurrency: 3 }),
        drive: observing,
      },
    ],
  },
  ...['delta', 'epoch'].map((reset) => ({
    name: `fixed-${reset}`,
    server: () => startFixedWindowServer({ limit: 10, windowMs: 1_000, reset }),
    clients: [
      { label: 'before: leaky Throttle + pause', make: () => leaky(10, 1_000, 0), drive: oldAdvice },
      {
        label: 'SlidingWindowLimiter({ limit: 10, windowMs: 1_000 }) + observe',
        needs: ['SlidingWindowLimiter', 'observe'],
        make: () => new tollgate.SlidingWindowLimiter({ limit: 10, windowMs: 1_000 }),
        drive: observing,
      },
    ],
  })),
  {
    name: 'ietf',
    server: () => startIetfServer({ limit: 10, windowMs: 1_000 }),
    clients: [
      { label: 'before: leaky Throttle + pause', make: () => leaky(10, 1_000, 0), drive: oldAdvice },
      {
        label: 'SlidingWindowLimiter({ limit: 10, windowMs: 1_000 }) + observe',
        needs: ['SlidingWindowLimiter', 'observe'],
        make: () => new tollgate.SlidingWindowLimiter({ limit: 10, windowMs: 1_000 }),
        drive: observing,
      },
    ],
  },
  {
    name: 'break',
    server: () => startBreakServer({ limit: 10, windowMs: 1_000, concurrency: 1, breakAfter: 30 }),
    // The one refusal that opens the break is unavoidable: nothing announced it.
    unavoidable: 1,
    clients: [
      { label: 'before: leaky Throttle + pause', make: () => leaky(10, 1_000, 1), drive: oldAdvice },
      {
        label: 'Throttle({ rate: 10, periodMs: 1_000, concurrency: 1 }) + observe',
        needs: ['observe'],
        make: () => new tollgate.Throttle({ rate: 10, periodMs: 1_000, concurrency: 1 }),
        drive: observing,
      },
    ],
  },
];

const rows = [];
let failed = false;
for (const scenario of SCENARIOS) {
  if (only.length > 0 && !only.includes(scenario.name)) continue;
  for (const client of scenario.clients) {
    const lacking = (client.needs ?? []).filter((n) => needs.includes(n));
    if (lacking.length > 0) {
      rows.push({ scenario: scenario.name, client: client.label, result: `not run: tollgate lacks ${lacking.join(', ')}` });
      continue;
    }
    const server = await scenario.server();
    const limiter = client.make();
    const started = performance.now();
    let outcome;
    try {
      await client.drive(limiter, server.url, N);
      outcome = 'ok';
    } catch (error) {
      outcome = `crashed: ${error?.name}: ${error?.message}`;
    }
    const elapsed = performance.now() - started;
    const ideal = server.idealMs(N, started);
    limiter.close();
    await server.close();
    const { refused, early, maxConcurrent } = server.stats;
    const ratio = elapsed / ideal;
    const after = !client.label.startsWith('before');
    const met = outcome === 'ok' && refused <= (scenario.unavoidable ?? 0) && ratio <= TARGET;
    if (after && !met) failed = true;
    rows.push({
      scenario: scenario.name,
      client: client.label,
      refused,
      early,
      maxConcurrent,
      elapsed,
      ideal,
      ratio,
      result: outcome === 'ok' ? (after ? (met ? 'target met' : 'TARGET MISSED') : '') : outcome,
    });
    process.stderr.write(`${scenario.name} / ${client.label}: ${refused} refused, ${(elapsed / 1000).toFixed(2)} s (${ratio.toFixed(2)} × ideal)\n`);
  }
}

console.log(`${N} requests per run; target: no avoidable refusal and at most ${TARGET} × the ideal time.`);
if (needs.length > 0) console.log(`(this build of tollgate lacks ${needs.join(', ')}: those rows are not run)`);
console.log();
console.log('| server | client | 429/503 | elapsed | ideal | × ideal | |');
console.log('|---|---|--:|--:|--:|--:|---|');
for (const r of rows) {
  const s = (ms) => (ms === undefined ? '' : `${(ms / 1000).toFixed(2)} s`);
  const refused = r.refused === undefined ? '' : `${r.refused}${r.early ? ` (${r.early} early)` : ''}`;
  console.log(`| ${r.scenario} | ${r.client} | ${refused} | ${s(r.elapsed)} | ${s(r.ideal)} | ${r.ratio === undefined ? '' : r.ratio.toFixed(2)} | ${r.result} |`);
}
process.exit(failed ? 1 : 0);
