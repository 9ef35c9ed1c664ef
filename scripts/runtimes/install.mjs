// Installs the npm-packaged runtimes of the matrix that are missing from the cache
// (`npm run runtimes:install`; .ci/run calls it). Chromium comes from apt, in .ci/run.
// A runtime npm cannot install here (another OS or CPU: EBADPLATFORM, no registry) is reported
// and left out; the matrix then skips it with one line. Exits 1 if one could not be installed
// and TOLLGATE_REQUIRE_ALL=1 (the matrix will fail on it), else 0.
//
// --ignore-scripts: these packages carry their binaries, so no install script may run (none
// downloads anything); that a binary is there is checked below, not trusted.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { executableOf, prefixOf, RUNTIMES } from './matrix.mjs';

let failed = 0;
for (const runtime of RUNTIMES) {
  // Two rows may share one package (workerd with and without nodejs_compat).
  if (!runtime.npm || existsSync(executableOf(runtime))) continue;
  const prefix = prefixOf(runtime);
  mkdirSync(prefix, { recursive: true });
  const spec = `${runtime.npm}@${runtime.version}`;
  const r = spawnSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', '--prefix', prefix, spec], { encoding: 'utf8' });
  if (r.status === 0 && existsSync(executableOf(runtime))) {
    console.log(`installed ${runtime.label} (${spec}) in ${prefix}`);
  } else {
    failed++;
    rmSync(prefix, { recursive: true, force: true });
    const why = `${r.stderr ?? ''}${r.error ?? ''}`.trim().split('\n').find((l) => /ERR|error/i.test(l)) ?? `npm exited ${r.status}`;
    console.log(`could not install ${runtime.label} (${spec}): ${why}`);
  }
}
const requireAll = process.env.TOLLGATE_REQUIRE_ALL === '1';
if (failed > 0) {
  console.log(
    requireAll
      ? `${failed} runtime(s) missing: npm run test:runtimes will fail on them (TOLLGATE_REQUIRE_ALL=1)`
      : `${failed} runtime(s) missing: npm run test:runtimes will skip them`,
  );
}
process.exitCode = failed > 0 && requireAll ? 1 : 0;
