import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { action, queueOptions, ReentrantRun, step } from '../../exact/reentrancy-run.js';
import { configs, KINDS, runs, SEED } from '../../support/exact-setup.js';

// The re-entrancy property of test/exact/reentrancy.test.ts with long histories; `npm run fuzz` only.
describe('re-entrancy, long histories', () => {
  for (const kind of KINDS) {
    it(`${kind}: 200-step histories`, async () => {
      await fc.assert(
        fc.asyncProperty(configs[kind], queueOptions, fc.array(action, { minLength: 1, maxLength: 60 }), fc.array(step, { minLength: 100, maxLength: 200, size: 'max' }), async (config, q, actions, steps) => {
          const run = new ReentrantRun({ ...config, options: { ...config.options, ...Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) } }, actions);
          for (const s of steps) {
            if (s.t === 'act') run.act(s.a);
            else await run.clock.advance(s.ms);
            await run.settle();
            run.check();
          }
          run.limiter.close();
          await run.settle();
          run.check();
          for (const t of run.tracked) expect(t.settled).toBe(1);
          expect(run.clock.pendingTimers).toBe(0);
        }),
        { seed: SEED, numRuns: runs(5) },
      );
    });
  }
});
