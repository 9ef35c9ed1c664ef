import { describe, it } from 'vitest';
import { assertProperty, configs, limiterProperty, operations, type Kind } from '../../support/fuzz-harness.js';

// Long sequences (bursts of up to 40 waiters, hundreds of steps): queues and deadline heaps grow
// well past their first sizes, compact and rebuild while waiters leave from the middle. Only in
// `npm run fuzz` (excluded from `npm test` for time).
const kinds: Kind[] = ['credit', 'concurrency', 'leaky', 'token', 'sliding', 'throttle'];

describe('operation fuzzing, long sequences', () => {
  for (const kind of kinds) {
    it(`${kind}: 300-step sequences`, async () => {
      await assertProperty(`${kind} (long sequences)`, limiterProperty(configs[kind], operations(300)), 5);
    });
  }
});
