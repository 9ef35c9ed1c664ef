// Bundles the smoke suite with the BUILT package (dist/) into one ES module per target, so Deno
// and the browser need no module resolution: the sources' imports of src/index.js and
// src/otel/index.js are pointed at dist/index.js and dist/otel.js, @sinonjs/fake-timers is bundled in.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const smoke = join(repo, 'test', 'runtimes', 'smoke');
const built = { index: join(repo, 'dist', 'index.js'), 'otel/index': join(repo, 'dist', 'otel.js') };

/** The built package instead of its sources; `util` (read by fake-timers where `process` exists) as a shim. */
const builtPackage = {
  name: 'built-package',
  setup(b) {
    b.onResolve({ filter: /\/src\/(index|otel\/index)\.js$/ }, (args) => {
      const entry = /\/src\/(index|otel\/index)\.js$/.exec(args.path)[1];
      if (!existsSync(built[entry])) throw new Error(`${built[entry]} is missing: run npm run build`);
      return { path: built[entry] };
    });
    b.onResolve({ filter: /^(node:)?util$/ }, () => ({ path: join(smoke, 'util-shim.ts') }));
  },
};

/**
 * Writes the smoke bundle for a runtime of the matrix into `outDir` and returns its path
 * (workerd rows get the entry that runs the checks inside a request).
 *
 * @example
 * ```js
 * const file = await bundleSmoke({ target: 'node20', diagnostics: true }, '/tmp/x');
 * ```
 */
export async function bundleSmoke({ target, diagnostics, compatibilityFlags }, outDir) {
  const worker = compatibilityFlags !== undefined;
  const outfile = join(outDir, `smoke-${target}-${diagnostics ? 'dc' : 'nodc'}${worker ? '-worker' : ''}.mjs`);
  await build({
    entryPoints: [join(smoke, worker ? 'worker.ts' : 'smoke.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target,
    define: { __EXPECT_DIAGNOSTICS__: String(diagnostics) },
    plugins: [builtPackage],
    // The repository's package.json says `sideEffects: false` (true of the package, not of these
    // test files, whose imports are all side effects): without this esbuild drops them.
    ignoreAnnotations: true,
    logLevel: 'error',
    legalComments: 'none',
  });
  return outfile;
}
