import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTimeline, stepValues } from '../support/timeline-checks.js';
import { repo, type Run, runNode, stageExamples } from '../support/stage.js';
import { parseXml } from '../support/xml.js';

const NAMES = ['commonjs', 'crawler-per-minute', 'demo', 'esm', 'per-host', 'retry-after', 'server-limits', 'several-limits', 'trading-credits'];

let staged: ReturnType<typeof stageExamples>;
const runs = new Map<string, Run>();
let listing: Run;
let unknown: Run;
let svg: string;

beforeAll(async () => {
  staged = stageExamples();
  const run = (args: string[]) => runNode(staged.dir, ['examples/run.mjs', ...args]);
  const results = await Promise.all([run([]), run(['no-such-example']), ...NAMES.map((n) => run(n === 'demo' ? [n, '--svg', 'timeline.svg'] : [n]))]);
  [listing, unknown] = results as [Run, Run];
  NAMES.forEach((n, i) => runs.set(n, results[i + 2]!));
  svg = readFileSync(join(staged.dir, 'timeline.svg'), 'utf8');
}, 120_000);
afterAll(() => staged?.cleanup());

/** The output of a run that must have exited 0 with nothing on stderr. */
function output(name: string): string {
  const run = runs.get(name)!;
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.stdout;
}

describe('examples/run.mjs', () => {
  it('lists every example with what it shows when given no name', () => {
    expect(listing.code).toBe(0);
    const names = [...listing.stdout.matchAll(/^ {2}([\w-]+) {2,}\S/gm)].map((m) => m[1]);
    expect(names).toEqual(NAMES);
  });

  it('exits 1 and lists them for an unknown name', () => {
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No example named "no-such-example"');
    expect(unknown.stdout).toContain('trading-credits');
  });
});

describe('the demo (credit_semaphore sample)', () => {
  const table = () =>
    [...output('demo').matchAll(/^ {2}#(\d) +(\d+) +(\d+) s +(\d+) s +(\d+) s +(\d+) s$/gm)].map((m) => m.slice(1).map(Number));

  it('admits at 0, 13, 24, 13, 39, 39 s, and says when each finished and got its credits back', () => {
    expect(table()).toEqual([
      // id, credits, work, admitted, done, credits back
      [1, 20, 3, 0, 3, 13],
      [2, 30, 1, 13, 14, 24],
      [3, 30, 5, 24, 29, 39],
      [4, 5, 4, 13, 17, 27],
      [5, 20, 5, 39, 44, 54],
      [6, 20, 1, 39, 40, 50],
    ]);
  });

  it('prints the timeline in order with the credits out, never above the capacity', () => {
    const out = output('demo');
    expect(out).toMatch(/^ +13 s {2}#4 admitted: 5 credits, 4 s of work, waited 13 s, overtakes #3 +35\/40 +3$/m);
    const lines = [...out.matchAll(/^ +(\d+) s {2}#\d.* (\d+)\/40 +(\d+)$/gm)];
    expect(lines).toHaveLength(6 + 5 + 6 + 6); // admitted, queued, done, credits back
    const times = lines.map((m) => Number(m[1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.max(...lines.map((m) => Number(m[2])))).toBe(40);
    expect(lines.at(-1)!.slice(2).map(Number)).toEqual([0, 0]);
  });

  it('draws one bar per transaction: queued until admitted, then working, then credits coming back', () => {
    const bar = (id: number) => output('demo').match(new RegExp(`^ {2}#${id} +\\d+ credits (.*)$`, 'm'))![1];
    expect(bar(3)).toBe(`${'░'.repeat(24)}${'█'.repeat(5)}${'▒'.repeat(10)}`);
    expect(bar(4)).toBe(`${'░'.repeat(13)}${'█'.repeat(4)}${'▒'.repeat(10)}`);
  });

  it('writes with --svg a picture with the admissions at the right instants and the credits out under the limit line', () => {
    expect(output('demo')).toContain('Wrote timeline.svg');
    const view = checkTimeline(parseXml(svg));
    expect(view.admissions.map((a) => [Number(a.id), a.at / 1000])).toEqual([
      [1, 0],
      [2, 13],
      [3, 24],
      [4, 13],
      [5, 39],
      [6, 39],
    ]);
    const credits = view.panel('credits out');
    expect(credits.limit).toBe(40);
    expect(stepValues(credits, 'credits-out')).toEqual([
      [0, 20],
      [13_000, 35],
      [27_000, 30],
      [39_000, 40],
      [50_000, 20],
      [54_000, 0],
    ]);
    expect(stepValues(view.panel('queue length'), 'queue')).toEqual([
      [0, 5],
      [13_000, 3],
      [24_000, 2],
      [39_000, 0],
    ]);
  });

  it('is the picture checked in as docs/timeline.svg (regenerate it with: npm run demo -- --svg docs/timeline.svg)', () => {
    expect(readFileSync(join(repo, 'docs', 'timeline.svg'), 'utf8')).toBe(svg);
  });
});

/** `  12.5 s  text` lines as [seconds, text]. */
const timed = (out: string) => [...out.matchAll(/^ *(\d+\.\d) s {2}(.*)$/gm)].map((m) => [Number(m[1]), m[2]!] as const);

describe('trading-credits', () => {
  it('waits for credits instead of being refused, spends them on a failed call, and gives up after maxWaitMs', () => {
    const lines = timed(output('trading-credits'));
    expect(lines).toContainEqual([0, 'portfolio(): starts, 30 credits (10 left)']);
    expect(lines).toContainEqual([2, 'quote(INITECH): waits for 5 credits (0 free)']);
    // Events are delivered once the scan that admitted both waiters is done: both see 20 left.
    expect(lines).toContainEqual([12, 'quote(INITECH): starts, 5 credits after waiting 10 s (20 left)']);
    expect(lines).toContainEqual([22.5, 'order(INITECH, 10, 230): starts, 20 credits after waiting 10 s (0 left)']);
    expect(lines).toContainEqual([24, 'order refused: 10 INITECH at 230 exceeds the cash']);
    expect(lines.filter(([t, l]) => t === 26 && l.endsWith('gives up after 2 s'))).toHaveLength(4);
    expect(lines).toContainEqual([26, 'last look: 4 quotes done, 4 gave up after 2 s (maxWaitMs 2 000)']);
    expect(lines).toContainEqual([26, 'all 40 credits are back in 8.5 s']);
  });
});

describe('crawler-per-minute', () => {
  it('sends a burst of 100, then one every 600 ms', () => {
    const out = output('crawler-per-minute');
    expect(out).toContain('t = 0 s: 100 requests out at once (the bucket was empty).');
    expect(out).toContain('The next one can go in limiter.retryAfterMs() = 600 ms; pending: 150.');
    expect(out).toContain('t = 90 s: the last of 250 requests goes out; after the burst, one every 600 ms.');
    expect(out).toMatch(/^ +10–20 +s +17 /m);
    expect(out).toContain('Most requests in any 60 s window: 199');
  });
});

describe('retry-after', () => {
  it('pauses everything on a 429 until Retry-After has passed, then retries', () => {
    const out = output('retry-after');
    const lines = timed(out);
    const pauses = lines.flatMap(([t, l]) => {
      const m = l.match(/→ 429, Retry-After (\d+) s: throttle paused until ([\d.]+) s$/);
      return m ? [{ at: t, until: Number(m[2]) }] : [];
    });
    // Two requests in flight meet the full window together: both are answered 429 and agree on the pause.
    expect(pauses).toEqual([
      { at: 5.4, until: 20.4 },
      { at: 5.4, until: 20.4 },
      { at: 25.8, until: 40.8 },
      { at: 25.8, until: 40.8 },
    ]);
    // A request takes 0.4 s: any answer later than that into a pause would mean it was sent while paused.
    for (const { at, until } of pauses) expect(lines.filter(([t]) => t > at + 0.4 && t < until + 0.4)).toEqual([]);
    expect(lines).toContainEqual([41.2, 'GET /repos/acme/widgets/issues/11 → 200 (attempt 2)']);
    expect(out).toContain('24 issues fetched with 28 requests (4 answered 429) by t = 42.2 s.');
  });
});

describe('several-limits', () => {
  it('keeps to 10 per second, then 500 per minute, with at most 4 running', () => {
    const out = output('several-limits');
    const minutes = [...out.matchAll(/^ +(\d) +(\d+) +[\d.]+ {3}(.*)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    // Sliding windows (the default): exactly 500 in every minute, never more than 10 in any second.
    expect(minutes).toEqual([
      [1, 500],
      [2, 500],
      [3, 500],
      [4, 500],
      [5, 500],
      [6, 500],
      [7, 500],
      [8, 500],
      [9, 500],
    ]);
    expect(out).toContain('Most calls running at once: 4 (concurrency 4).');
    expect(out).toContain('at most 10 calls started in any 1 s, 500 in any 60 s.');
    expect(out).toContain('All 4500 calls started by t = 529.5 s.');
  });
});

describe('per-host', () => {
  it('keeps each host to its own bucket, pauses only the host that answered 429, and forgets idle hosts', () => {
    const out = output('per-host');
    expect(out).toContain('a.example requests started at 0, 0, 1, 2, 3, 4, 5, 6 s');
    expect(out).toContain('b.example requests started at 0, 0, 1, 5.2, 5.2, 6 s');
    expect(out).toContain('c.example requests started at 0, 0 s');
    const sizes = timed(out).flatMap(([t, l]) => (l.startsWith('hosts with a limiter') ? [[t, Number(l.split(': ')[1])]] : []));
    expect(sizes).toEqual([
      [10, 1],
      [11.2, 0],
    ]);
  });
});

describe('esm and commonjs', () => {
  it('esm: a token bucket admits 3 at once, then one per second', () => {
    const out = output('esm');
    expect(out).toContain('tryAcquire() now gives undefined (others are waiting)');
    expect(out).toContain('the next token comes in retryAfterMs() = 1000 ms; pending: 2');
    expect(out).toContain('2 s: job 5 admitted after waiting 2 s');
    expect(out).toContain('results: result 1, result 2, result 3, result 4, result 5');
  });

  it('commonjs: require("tollgate") works; at most 2 at once, and a weighted acquire waits its turn', () => {
    const out = output('commonjs');
    expect(out.split('\n').filter((l) => l.includes('starts'))).toEqual([
      '0 s: a.iso starts (1 running)',
      '0 s: b.iso starts (2 running)',
      '1 s: c.iso starts (2 running)',
      '3 s: d.iso starts (2 running)',
    ]);
    expect(out).toContain('4 s: cleanup has both slots');
  });
});

describe('server-limits', () => {
  it('is never refused for the rate limit, honours the HTTP-date Retry-After, and sends nothing before that date', () => {
    const out = output('server-limits');
    expect(out).toContain('20 items in');
    expect(out).toContain('refused for the rate limit: 0');
    expect(out).toContain('requests sent after a Retry-After and before its date: 0');
    expect(out.match(/^ *[\d.]+ s {2}GET \/items\/\d+ +200 {2}remaining \d$/gm)).toHaveLength(20);
    const pauses = out.match(/ 503 {2}Retry-After: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT → paused (\d+) ms, then sent again$/gm) ?? [];
    expect(pauses.length).toBeGreaterThan(0);
    for (const line of pauses) expect(Number(line.match(/paused (\d+) ms/)![1])).toBeLessThanOrEqual(2_000);
  });
});
