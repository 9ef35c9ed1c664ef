// The package under test. The bundler (scripts/runtimes/bundle.mjs) points these at the built
// dist/ files; type-checking reads the sources they were built from.
export * from '../../../src/index.js';
export * as otel from '../../../src/otel/index.js';
