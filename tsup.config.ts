import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', redis: 'src/redis/index.ts', otel: 'src/otel/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Shared chunks, so `tollgate` and `tollgate/redis` hand out the same error classes (one
  // `instanceof LimiterClosedError` works for both); without it each entry bundles its own copy.
  splitting: true,
  treeshake: true,
});
