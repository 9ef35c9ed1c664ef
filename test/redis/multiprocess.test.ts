import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import { RedisSemaphore } from '../../src/redis/index.js';
import { uniqueName, useRedis } from './helpers.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');

describeRedis('tollgate/redis with worker processes', () => {
  const ctx = useRedis();
  const workerPath = fileURLToPath(new URL('./workers/worker.ts', import.meta.url));
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  /** Starts a worker process and waits until it is ready; `messages` yields what it sends after. */
  async function worker(config: Record<string, unknown>) {
    const child = spawn(process.execPath, ['--import', 'tsx', workerPath, JSON.stringify({ port: ctx.server.port, ...config })], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    const messages: unknown[] = [];
    const waiters: Array<() => void> = [];
    child.on('message', (m) => {
      messages.push(m);
      waiters.splice(0).forEach((w) => w());
    });
    const next = async <T>(): Promise<T> => {
      while (messages.length === 0) {
        if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          child.once('exit', () => resolve());
        });
      }
      return messages.shift() as T;
    };
    await next();
    return { child, next, go: () => child.send('go') };
  }

  describe('tollgate/redis across 4 processes', () => {
    it('a semaphore of capacity 3 is never held above 3 at once (checked by a counter outside the library), and nobody starves', async () => {
      const name = uniqueName('mp-sem');
      const probeKey = `probe:${name}`;
      const workers = await Promise.all([0, 1, 2, 3].map(() => worker({ mode: 'semaphore', name, capacity: 3, durationMs: 2500, loops: 2, probeKey })));
      workers.forEach((w) => w.go());
      const results = await Promise.all(workers.map((w) => w.next<{ result: { admitted: number; maxLevel: number; maxWaitMs: number } }>()));
      const stats = results.map((r) => r.result);
      const maxLevel = Math.max(...stats.map((s) => s.maxLevel));
      expect(maxLevel).toBeLessThanOrEqual(3);
      expect(maxLevel).toBe(3); // the capacity was actually reached: the check had teeth
      for (const s of stats) {
        expect(s.admitted).toBeGreaterThan(20);
        expect(s.maxWaitMs).toBeLessThan(1500);
      }
      expect(Number(await ctx.client.get(probeKey))).toBe(0);
    }, 30_000);

    it('a token bucket shared by 4 processes never admits more than capacity + rate × T in any window T', async () => {
      const name = uniqueName('mp-bucket');
      const capacity = 5;
      const every = 40; // 1 token per 40 ms
      const workers = await Promise.all([0, 1, 2, 3].map(() => worker({ mode: 'bucket', name, capacity, refillIntervalMs: every, durationMs: 2000, loops: 2 })));
      workers.forEach((w) => w.go());
      const results = await Promise.all(workers.map((w) => w.next<{ result: { admissions: Array<[number, number]> } }>()));
      // Each admission happened (on the server) somewhere in [sent, received], read on the host's
      // monotonic clock. Counting only admissions surely inside [a, a + T) is a sound check.
      const all = results.flatMap((r) => r.result.admissions).sort((x, y) => x[0] - y[0]);
      const span = all.at(-1)![1] - all[0]![0];
      expect(all.length).toBeGreaterThan(0.7 * (capacity + span / every)); // the bucket was kept busy
      let worst = -Infinity;
      for (const T of [1, every, 2 * every, 5 * every, 10 * every, 25 * every, span]) {
        for (const [a] of all) {
          const inside = all.filter(([s, r]) => s >= a && r < a + T).length;
          worst = Math.max(worst, inside - (capacity + Math.ceil(T / every)));
        }
      }
      expect(worst).toBeLessThanOrEqual(0);
      expect(all.length).toBeLessThanOrEqual(capacity + Math.ceil(span / every));
    }, 30_000);

    it('a credit semaphore shared by 4 processes never has more than capacity taken and not yet refunded (checked outside the library)', async () => {
      const name = uniqueName('mp-credits');
      const capacity = 6;
      const refundMs = 30;
      const workers = await Promise.all([0, 1, 2, 3].map(() => worker({ mode: 'credits', name, capacity, refundMs, durationMs: 2000, loops: 2 })));
      workers.forEach((w) => w.go());
      const results = await Promise.all(workers.map((w) => w.next<{ result: { permits: Array<[number, number, number]> } }>()));
      // A permit's credits are surely taken from when its acquire resolved until refundMs after
      // its release was sent (the server released it no earlier, and refunds refundMs after that;
      // 0.1% + 1 ms kept back for clock rates). Summing those spans is a sound check.
      const events: Array<[number, number]> = [];
      for (const [admitted, released, cost] of results.flatMap((r) => r.result.permits)) {
        const end = released + refundMs - refundMs / 1000 - 1;
        if (end > admitted) events.push([admitted, cost], [end, -cost]);
      }
      events.sort((x, y) => x[0] - y[0] || x[1] - y[1]); // at one instant, ends before starts
      let level = 0;
      let maxLevel = 0;
      for (const [, delta] of events) maxLevel = Math.max(maxLevel, (level += delta));
      expect(maxLevel).toBeLessThanOrEqual(capacity);
      expect(maxLevel).toBeGreaterThanOrEqual(capacity - 2); // close to the capacity: the check had teeth
      expect(events.length / 2).toBeGreaterThan(60);
    }, 30_000);

    it('a sliding window shared by 4 processes never admits more than limit in any window', async () => {
      const name = uniqueName('mp-window');
      const limit = 5;
      const windowMs = 200;
      const workers = await Promise.all([0, 1, 2, 3].map(() => worker({ mode: 'window', name, capacity: limit, windowMs, durationMs: 2000, loops: 2 })));
      workers.forEach((w) => w.go());
      const results = await Promise.all(workers.map((w) => w.next<{ result: { admissions: Array<[number, number]> } }>()));
      // An admission happened on the server somewhere in [sent, received]: count only those surely
      // inside [a, a + windowMs).
      const all = results.flatMap((r) => r.result.admissions).sort((x, y) => x[0] - y[0]);
      const span = all.at(-1)![1] - all[0]![0];
      expect(all.length).toBeGreaterThan(0.7 * limit * (span / windowMs)); // kept busy
      let worst = 0;
      for (const [a] of all) worst = Math.max(worst, all.filter(([s, r]) => s >= a && r < a + windowMs).length);
      expect(worst).toBeLessThanOrEqual(limit);
      expect(all.length).toBeLessThanOrEqual(limit * Math.ceil(span / windowMs));
    }, 30_000);

    it('a holder killed with SIGKILL loses its lease after leaseMs; the others go on', async () => {
      const name = uniqueName('mp-kill');
      const leaseMs = 600;
      const holder = await worker({ mode: 'holder', name, capacity: 3, leaseMs });
      holder.go();
      expect(await holder.next()).toEqual({ held: true });
      const s = new RedisSemaphore({ unknownState: 'fresh', redis: ctx.connect(), name, capacity: 3, leaseMs });
      expect(await s.tryAcquire(1)).toBeUndefined();
      const exited = once(holder.child, 'exit');
      holder.child.kill('SIGKILL');
      await exited;
      const t0 = performance.now();
      const permit = await s.acquire(3);
      const waited = performance.now() - t0;
      // Renewed every leaseMs / 3, so the lease ends between 2/3 and 1 leaseMs after the kill.
      expect(waited).toBeGreaterThanOrEqual(leaseMs / 2);
      expect(waited).toBeLessThan(leaseMs + leaseMs / 3 + 300);
      await permit[Symbol.asyncDispose]();
      for (let i = 0; i < 5; i++) await s.run(() => undefined, { cost: 3 });
      expect(await s.tryAcquire(3)).toBeDefined();
    }, 30_000);
  });
});
