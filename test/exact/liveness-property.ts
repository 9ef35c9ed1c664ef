import fc from 'fast-check';
import { expect } from 'vitest';
import { TokenBucket } from '../../src/index.js';
import { configs, op, Run, runs, SEED, type Kind } from '../support/exact-setup.js';

/**
 * Never stuck (docs/semantics.md §16): after any history, once everything is released and time
 * runs on, every waiter is admitted, `available` is the capacity and no timer is armed. The same
 * run made again while reading every property at every step admits the same waiters at the same
 * instants (reading never changes a later admission).
 */
export async function assertLiveness(kind: Kind, modestRuns: number, maxOps: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(configs[kind], fc.array(op, { minLength: maxOps >>> 1, maxLength: maxOps, size: 'max' }), async (config, ops) => {
      const plain = new Run(config);
      const reading = new Run(config, true);
      for (const o of ops) {
        await plain.step(o);
        await reading.step(o);
      }
      expect(reading.log).toEqual(plain.log);
      for (const run of [plain, reading]) {
        await run.drain();
        const l = run.limiter;
        for (const w of run.waiters) {
          expect(w.settled, `waiter ${w.id} (cost ${w.cost}) settled`).toBe(1);
          expect(w.outcome, `waiter ${w.id} (cost ${w.cost}): ${String(w.reason)}`).toBe('admitted');
        }
        expect(l.pending).toBe(0);
        await run.clock.advance(1e7 + 0.5);
        expect(l.available).toBe(run.capacity);
        if (l instanceof TokenBucket) expect(l.tokens).toBe(run.capacity);
        expect(l.retryAfterMs(run.capacity)).toBe(0);
        expect(l.stats().held).toBe(0);
        expect(l.stats().running).toBe(0);
        expect(run.clock.pendingTimers).toBe(0);
        expect(l.idle).toBe(true);
      }
      expect(reading.log).toEqual(plain.log);
      if (process.env.LIVENESS_STATS) console.log(kind, ops.length, plain.waiters.length, plain.log.length, plain.clock.now());
    }),
    { seed: SEED, numRuns: runs(modestRuns) },
  );
}
