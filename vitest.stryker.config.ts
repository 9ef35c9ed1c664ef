import { defineConfig } from 'vitest/config';

// The suite Stryker runs against each mutant of src/ (see stryker.config.json): every in-process
// test of npm test. Suites that exercise the code only through child processes, a build or a
// Redis server (docs and examples, package, process, redis, runtimes), or real time against local servers, cannot see the mutants' coverage and would
// only slow each run; the long fuzzing is `npm run fuzz`'s.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/fuzz/long/**', 'test/docs/**', 'test/package/**', 'test/process/**', 'test/redis/**', 'test/runtimes/**', 'test/servers/clients.test.ts', 'test/servers/servers.test.ts', 'node_modules/**'],
    // Fewer fuzz runs per mutant (the fixed seed stays): a surviving mutant runs every test that covers it.
    env: { FUZZ_RUNS: '4' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
