// The package as users get it: copy the tree as a fresh clone has it (the files git tracks, plus new
// ones not ignored: no dist/, no node_modules), `npm pack` it there so its `prepack` script does the
// build, lint the tarball (publint, attw), then install it OFFLINE into a temp project (tollgate has no
// runtime dependencies, so nothing needs the network) and run an ES module, a CommonJS and a
// TypeScript consumer against it. The repository's own dist/ is never read or written.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => join(repo, 'node_modules', '.bin', name);

let dir: string;
let tarball: string;
let packed: { files: { path: string }[] };
let clone: string;

/** Runs a command and returns its stdout; fails the test with all its output unless it exits 0. */
function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ?? ''}`);
  return r.stdout;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-package-'));
  clone = join(dir, 'clone');
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, encoding: 'utf8' })
    .split('\0')
    // node_modules is a symlink in worktrees (not matched by the `node_modules/` ignore rule).
    .filter((f) => f !== '' && f !== 'node_modules' && existsSync(join(repo, f)));
  for (const file of files) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(join(repo, file), join(clone, file));
  }
  // The dev dependencies a fresh clone gets from `npm ci`, without installing them again.
  symlinkSync(join(repo, 'node_modules'), join(clone, 'node_modules'), 'dir');
  const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], clone)) as [{ filename: string; files: { path: string }[] }];
  packed = info;
  tarball = join(dir, info.filename);
}, 180_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('comes from a tree with no dist/: `prepack` builds it', () => {
    const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    expect(manifest.scripts.prepack).toMatch(/\bbuild\b/);
    expect(execFileSync('git', ['ls-files', 'dist'], { cwd: repo, encoding: 'utf8' })).toBe('');
    expect(existsSync(join(clone, 'dist', 'index.js'))).toBe(true);
  });

  it('holds the build, the README and the licence, and nothing else', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/redis.js', 'dist/redis.cjs', 'dist/otel.js', 'dist/otel.cjs', 'dist/otel.d.ts', 'dist/otel.d.cts']));
    expect(paths.filter((p) => !/^(package\.json|README\.md|LICENSE|dist\/.*)$/.test(p))).toEqual([]);
    expect(paths.filter((p) => /^dist\/.*\.test\./.test(p))).toEqual([]);
  });

  it('passes publint with no errors, warnings or suggestions', () => {
    const out = run(bin('publint'), ['run', tarball, '--strict', '--level', 'suggestion'], dir);
    expect(out).toContain('All good!');
  });

  it('passes attw (are the types wrong?) for every entry point and resolution mode', () => {
    const out = run(bin('attw'), [tarball, '--no-color', '--no-emoji', '--format', 'table-flipped'], dir);
    expect(out).toContain('No problems found');
  });

  it('has no runtime dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
    // Only the OpenTelemetry adapter's API, and optional: tollgate itself never needs it.
    expect(manifest.peerDependencies).toEqual({ '@opentelemetry/api': '^1.4.0' });
    expect(manifest.peerDependenciesMeta).toEqual({ '@opentelemetry/api': { optional: true } });
  });
});

describe('consumers of the installed tarball', () => {
  let app: string;
  beforeAll(() => {
    app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], app);
  }, 60_000);

  // The reference run of docs/semantics.md §10.1, as a user would write it, printed as admission seconds.
  const scenario = `
    const clock = new VirtualClock();
    const sem = new CreditSemaphore({ capacity: 40, refundMs: 10_000, clock });
    const admitted = [];
    const txs = [[20, 3], [30, 1], [30, 5], [5, 4], [20, 5], [20, 1]].map(([credits, s], i) =>
      sem.transact(() => { admitted[i] = clock.now() / 1000; return clock.sleep(s * 1000); }, { credits }));
    const done = Promise.all(txs);
    await clock.runAll();
    await done;
    sem.close();
    const closed = await sem.acquire().catch((e) => e);
    console.log(JSON.stringify({ admitted, closed: closed instanceof LimiterClosedError, code: closed.code }));`;
  const expected = { admitted: [0, 13, 24, 13, 39, 39], closed: true, code: 'ERR_LIMITER_CLOSED' };

  it('an ES module imports `tollgate`, `tollgate/redis` and `tollgate/otel` by name and runs', () => {
    writeFileSync(
      join(app, 'esm.mjs'),
      `import { CreditSemaphore, VirtualClock, LimiterClosedError } from 'tollgate';
       import * as redis from 'tollgate/redis';
       import * as otel from 'tollgate/otel';
       if (typeof redis.RedisTokenBucket !== 'function' || typeof redis.fromIoredis !== 'function') throw new Error('tollgate/redis exports');
       if (redis.LimiterClosedError !== LimiterClosedError || redis.MaxWaitExceededError === undefined) throw new Error('tollgate/redis re-exports other error classes');
       if (typeof otel.otelListener !== 'function' || typeof otel.subscribeToDiagnostics !== 'function' || otel.ATTRIBUTE_KIND !== 'tollgate.limiter.kind') throw new Error('tollgate/otel exports');
       ${scenario}`,
    );
    expect(JSON.parse(run(process.execPath, ['esm.mjs'], app))).toEqual(expected);
  });

  it('a CommonJS module requires `tollgate`, `tollgate/redis` and `tollgate/otel` and runs', () => {
    writeFileSync(
      join(app, 'cjs.cjs'),
      `const { CreditSemaphore, VirtualClock, LimiterClosedError } = require('tollgate');
       const redis = require('tollgate/redis');
       const otel = require('tollgate/otel');
       if (typeof redis.RedisSemaphore !== 'function' || typeof redis.fromNodeRedis !== 'function') throw new Error('tollgate/redis exports');
       if (typeof otel.otelListener !== 'function' || typeof otel.subscribeToDiagnostics !== 'function' || otel.ATTRIBUTE_NAME !== 'tollgate.limiter.name') throw new Error('tollgate/otel exports');
       if (redis.LimiterClosedError !== LimiterClosedError) throw new Error('tollgate/redis re-exports other error classes');
       if (require('tollgate/package.json').name !== 'tollgate') throw new Error('package.json export');
       (async () => { ${scenario} })().catch((e) => { console.error(e); process.exitCode = 1; });`,
    );
    expect(JSON.parse(run(process.execPath, ['cjs.cjs'], app))).toEqual(expected);
  });

  // @opentelemetry/api is an optional peer, so the install above did not bring it: tollgate/otel
  // must load and record through the caller's meter without it, in both module systems.
  it('`tollgate/otel` loads and records without @opentelemetry/api installed, from ESM and CommonJS', () => {
    const use = `
      const calls = [];
      const instrument = (name) => ({ add: (v, a) => calls.push([name, v, a]), record: (v, a) => calls.push([name, v, a]) });
      const meter = { createCounter: instrument, createUpDownCounter: instrument, createHistogram: instrument };
      const sem = new ConcurrencySemaphore({ capacity: 1, name: 'api', onEvent: otelListener({ meter }) });
      (await sem.acquire()).release();
      const subscription = subscribeToDiagnostics({ meter });
      subscription.unsubscribe();
      console.log(JSON.stringify({ api, first: calls[0], active: subscription.active }));`;
    const missing = (resolve: string) => `(() => { try { ${resolve}; return 'installed'; } catch (e) { return e.code; } })()`;
    writeFileSync(
      join(app, 'otel.mjs'),
      `import { ConcurrencySemaphore } from 'tollgate';
       import { otelListener, subscribeToDiagnostics } from 'tollgate/otel';
       const api = ${missing("import.meta.resolve('@opentelemetry/api')")};
       ${use}`,
    );
    writeFileSync(
      join(app, 'otel.cjs'),
      `const { ConcurrencySemaphore } = require('tollgate');
       const { otelListener, subscribeToDiagnostics } = require('tollgate/otel');
       const api = ${missing("require.resolve('@opentelemetry/api')")};
       (async () => { ${use} })().catch((e) => { console.error(e); process.exitCode = 1; });`,
    );
    const expected = {
      api: 'MODULE_NOT_FOUND',
      first: ['tollgate.limiter.admitted', 1, { 'tollgate.limiter.name': 'api', 'tollgate.limiter.kind': 'ConcurrencySemaphore' }],
      active: false,
    };
    expect(JSON.parse(run(process.execPath, ['otel.cjs'], app))).toEqual(expected);
    expect(JSON.parse(run(process.execPath, ['otel.mjs'], app))).toEqual({ ...expected, api: 'ERR_MODULE_NOT_FOUND' });
  });

  it('TypeScript (nodenext, ESM and CJS files) type-checks a user of `await using` against the shipped declarations', () => {
    const body = `
      const sem = new CreditSemaphore({ capacity: 40, refundMs: 10_000, onEvent: (e: LimiterEvent) => void e.type });
      export async function use(limiter: Limiter, signal: AbortSignal): Promise<number> {
        await using permit: Permit = await limiter.acquire(2, { signal, maxWaitMs: 1_000, id: 'x' });
        const n: number = await sem.transact(async () => permit.cost, { credits: 5 });
        const keyed = new KeyedLimiter((key: string) => new TokenBucket({ capacity: 5, refillIntervalMs: 1_000 }), { idleMs: 60_000 });
        await keyed.run('host', () => 1);
        const t = new Throttle({ limits: [{ rate: 10, periodMs: 1_000 }, { rate: 500, periodMs: 60_000 }], concurrency: 4 });
        t.pause(limiter.retryAfterMs(3));
        // @ts-expect-error the cost is a number
        void limiter.acquire('2');
        return n + (err instanceof MaxWaitExceededError ? err.waitedMs : 0);
      }
      declare const err: unknown;
      void RedisTokenBucket;`;
    const imports = `CreditSemaphore, KeyedLimiter, MaxWaitExceededError, Throttle, TokenBucket, type Limiter, type LimiterEvent, type Permit`;
    writeFileSync(join(app, 'use.mts'), `import { ${imports} } from 'tollgate';\nimport { RedisTokenBucket } from 'tollgate/redis';\n${body}`);
    writeFileSync(join(app, 'use.cts'), `import { ${imports} } from 'tollgate';\nimport { RedisTokenBucket } from 'tollgate/redis';\n${body}`);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2022', 'esnext.disposable'],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(repo, 'node_modules', '@types')],
        },
        files: ['use.mts', 'use.cts'],
      }),
    );
    run(bin('tsc'), ['-p', 'tsconfig.json'], app);
  });
});
