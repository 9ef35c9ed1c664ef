import { describe, it } from 'vitest';
import { assertLiveness } from '../../exact/liveness-property.js';
import { KINDS } from '../../support/exact-setup.js';

// The never-stuck property of test/exact/liveness.test.ts with long histories; `npm run fuzz`
// only (random seed or FUZZ_SEED, 20× the runs or FUZZ_RUNS).
describe('never stuck, long histories', () => {
  for (const kind of KINDS) {
    it(`${kind}: 200-step histories`, async () => {
      await assertLiveness(kind, 10, 200);
    });
  }
});
