import { defineConfig } from 'vitest/config';

// `npm run fuzz`: the operation-fuzzing properties of test/fuzz with a random seed (or FUZZ_SEED)
// and many runs (or FUZZ_RUNS), plus the long-only properties of test/fuzz/long. A failure
// prints the seed and the shrunk counterexample; replay with FUZZ_SEED=<seed> npm run fuzz.
export default defineConfig({
  test: {
    include: ['test/fuzz/**/*.test.ts'],
    env: { FUZZ_LONG: '1' },
    testTimeout: 60 * 60_000,
    hookTimeout: 60_000,
    // One file at a time: the properties are CPU-bound and the machine is shared.
    fileParallelism: false,
  },
});
