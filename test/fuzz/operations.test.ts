import { describe, it } from 'vitest';
import { assertProperty, configs, limiterProperty, operations, type Kind } from '../support/fuzz-harness.js';

// Random interleavings of acquire (plain, with signal, with maxWaitMs, through run/transact),
// tryAcquire, aborts, releases (double, after close), pause, close and clock advances; every
// invariant after every step, conservation at quiescence. Fixed seed here; `npm run fuzz` runs
// the same properties with a random seed and many more runs.
const kinds: Kind[] = ['credit', 'concurrency', 'leaky', 'token', 'sliding', 'throttle'];

describe('operation fuzzing', () => {
  for (const kind of kinds) {
    it(`${kind}: invariants after every step, conservation at quiescence`, async () => {
      await assertProperty(kind, limiterProperty(configs[kind], operations(40)), 30);
    });
    it(`${kind}: long runs without close drain completely`, async () => {
      await assertProperty(`${kind} (no close)`, limiterProperty(configs[kind], operations(60, { close: false })), 10);
    });
  }
});
