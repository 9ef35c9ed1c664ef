/**
 * Real processes and the real clock: the only tests that take real time. Each scenario runs in a
 * child Node (`node --import tsx`, on the TypeScript source) so that what keeps the event loop
 * alive, and the timing, belong to that process alone.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Each stdout line, parsed as JSON. */
  lines: Record<string, unknown>[];
  stderr: string;
  wallMs: number;
}

/** Runs a fixture; kills it after `killAfterMs` so a process kept alive fails fast instead of hanging. */
function runChild(name: string, args: string[] = [], killAfterMs = 20_000): Promise<Child> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', fixture(name), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const wallMs = performance.now() - started;
      try {
        const lines = stdout
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        resolve({ code, signal, lines, stderr, wallMs });
      } catch (error) {
        reject(new Error(`unparsable output of ${name}: ${stdout}\n${stderr}`, { cause: error }));
      }
    });
  });
}

describe('what keeps Node alive', () => {
  it('pending 60 s refunds, a drained bucket and waiters that left do not: the process exits at once', async () => {
    const child = await runChild('refunds-idle', [], 10_000);
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const [state, exit] = child.lines as [Record<string, number | boolean | string>, { exitAt: number }];
    expect(state).toMatchObject({ refunding: 10, pending: 0, timedOut: true, aborted: 'gave up', tokens: 0 });
    // Exit follows the end of the script, not the refunds due in 60 s.
    expect(exit.exitAt - (state.returnedAt as number)).toBeLessThan(1_000);
    expect(child.wallMs).toBeLessThan(15_000);
  });

  it('a pending acquire does: it waits for its refund (~300 ms), is admitted, and only then the process exits', async () => {
    const child = await runChild('waiter-alive', [], 10_000);
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const [state, admitted, exit] = child.lines as [{ pending: number }, { admittedAfter: number }, { exitAfter: number }];
    expect(state.pending).toBe(1);
    expect(admitted.admittedAfter).toBeGreaterThanOrEqual(300);
    expect(exit.exitAfter).toBeGreaterThanOrEqual(admitted.admittedAfter);
    expect(exit.exitAfter - admitted.admittedAfter).toBeLessThan(1_000);
  });
});

/**
 * 200 admissions per second for two seconds, with a burst of 10, on the real clock. Ideal
 * finish: 2000 ms after the limiter is built. Allowed: 5 % (100 ms) more, never less. The limit
 * of a bucket over any window of T ms is burst + rate × T (docs/semantics.md §18.3 words it for tokens), so no
 * window of the 1 s period may hold more than 10 + 200 admissions.
 */
describe('real clock: 200 per second for 2 s', () => {
  const IDEAL = 2_000;
  const BURST = 10;
  const RATE = 0.2; // per ms
  const PERIOD = 1_000;

  async function measure(kind: 'token' | 'leaky') {
    const child = await runChild('real-rate', [kind]);
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const { t0, end, stamps, ats } = child.lines[0] as { t0: number; end: number; stamps: number[]; ats: number[] };
    const gaps = stamps
      .slice(1)
      .map((s, i) => s - stamps[i]!)
      .sort((a, b) => b - a)
      .slice(0, 5)
      .map((g) => g.toFixed(1));
    const info = `${kind}: finished ${(end - t0).toFixed(1)} ms after t0; largest gaps ${gaps.join(', ')} ms`;
    expect(end - t0, info).toBeGreaterThanOrEqual(IDEAL);
    expect(end - t0, info).toBeLessThanOrEqual(IDEAL * 1.05);
    let worst = 0;
    for (let i = 0, j = 0; i < stamps.length; i++) {
      while (j < stamps.length && stamps[j]! < stamps[i]! + PERIOD) j++;
      worst = Math.max(worst, j - i);
    }
    expect(worst, info).toBeLessThanOrEqual(BURST + RATE * PERIOD);
    return { t0, stamps, ats };
  }

  it('TokenBucket (capacity 10, 1 token per 5 ms, starts empty): 400 admissions, none before its refill, within 5 % of 2 s', async () => {
    const { t0, stamps } = await measure('token');
    expect(stamps).toHaveLength(400);
    // The k-th token (from 1) is added 5k ms after construction, which came after t0.
    stamps.forEach((s, k) => expect(s).toBeGreaterThanOrEqual(t0 + 5 * (k + 1)));
  });

  it('LeakyBucketLimiter (maxRate 10 per 50 ms): 410 admissions within 5 % of 2 s, level never above maxRate', async () => {
    const { t0, stamps, ats } = await measure('leaky');
    expect(stamps).toHaveLength(410);
    // From an empty bucket at t0: k + 1 admitted by stamps[k] means 10 + 0.2 × (stamps[k] − t0) >= k + 1.
    stamps.forEach((s, k) => expect(s).toBeGreaterThanOrEqual(t0 + (k + 1 - BURST) / RATE));
    // The level invariant over every window, on the limiter's own instants (float noise only).
    for (let i = 0; i < ats.length; i++) {
      for (let j = i; j < ats.length; j++) {
        if (j - i + 1 > BURST + RATE * (ats[j]! - ats[i]!) + 1e-6) {
          throw new Error(`admissions ${i}..${j} (${j - i + 1}) within ${(ats[j]! - ats[i]!).toFixed(3)} ms`);
        }
      }
    }
  });
});
