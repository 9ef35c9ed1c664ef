// `npm run test:runtimes`: the built package's contract smoke suite (test/runtimes/smoke) in every
// runtime of scripts/runtimes/matrix.mjs. One line per runtime: pass, skip (with how to get it)
// or fail (with each failing check). Exits 1 on a failure, and on a skip when
// TOLLGATE_REQUIRE_ALL=1 (as .ci/run sets).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleSmoke } from './bundle.mjs';
import { executableOf, RUNTIMES } from './matrix.mjs';

const RESULT_PREFIX = 'TOLLGATE_SMOKE_RESULT ';
const TIMEOUT_MS = 60_000;
const requireAll = process.env.TOLLGATE_REQUIRE_ALL === '1';
const only = process.argv.slice(2);

/**
 * Failures that are known and owned elsewhere, per runtime: reported on the runtime's line, not
 * counted as failures. Each names where the fix belongs; once a fix lands the line says so and
 * the entry must go.
 */
const KNOWN = {
  workerd: [
    {
      // Plain workerd has no setImmediate, so VirtualClock settles through a MessageChannel, and
      // workerd delivers that message between promise callbacks, not after them: runAll returns
      // while the Throttle run is still a few callbacks from queueing its next timer.
      check: /^Throttle: .*VirtualClock/,
      message: /no answer within/,
      why: 'plain workerd delivers a MessageChannel message before queued promise callbacks have run, so VirtualClock.runAll can stop early (settle() in src/core/virtual-clock.ts)',
    },
  ],
};

/** Runs one runtime; resolves to { status: 'pass' | 'fail' | 'skip', detail }. */
async function runOne(runtime, bundle) {
  const exe = executableOf(runtime);
  if (!existsSync(exe)) {
    const how = runtime.npm ? `npm run runtimes:install (npm ${runtime.npm}@${runtime.version})` : `apt-get install -y ${runtime.apt}`;
    return { status: 'skip', detail: `${exe} not found; to run it: ${how}` };
  }
  const results =
    runtime.id === 'chromium' ? await inBrowser(exe, bundle)
    : runtime.compatibilityFlags ? await inWorkerd(runtime, exe, bundle)
    : inProcess(runtime, exe, bundle);
  return judge(runtime, results);
}

function inProcess(runtime, exe, bundle) {
  const args = runtime.id === 'deno' ? ['run', '--no-prompt', '--quiet', bundle] : [bundle];
  const env = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' };
  const r = spawnSync(exe, args, { encoding: 'utf8', timeout: TIMEOUT_MS, env });
  const line = r.stdout?.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (!line) return { crashed: `exited ${r.status ?? r.signal}${r.error ? ` (${r.error.message})` : ''}: ${(r.stderr || r.stdout || '').trim().split('\n').slice(0, 5).join(' | ')}` };
  return { checks: JSON.parse(line.slice(RESULT_PREFIX.length)) };
}

async function inBrowser(exe, bundle) {
  const { chromium } = await import('playwright-core');
  const script = readFileSync(bundle);
  const page = '<!doctype html><meta charset="utf-8"><title>tollgate smoke</title><script type="module" src="/smoke.mjs"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/smoke.mjs') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    else res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({
    executablePath: exe,
    headless: true,
    timeout: TIMEOUT_MS,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const tab = await browser.newPage();
    const errors = [];
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.goto(`http://127.0.0.1:${server.address().port}/`, { timeout: TIMEOUT_MS });
    await tab.waitForFunction(() => globalThis.__tollgateSmoke !== undefined, undefined, { timeout: TIMEOUT_MS }).catch(() => {});
    if (errors.length > 0) return { crashed: errors.join(' | ') };
    const checks = await tab.evaluate(() => globalThis.__tollgateSmoke);
    if (!Array.isArray(checks)) return { crashed: 'the page never ran the checks' };
    return { checks, version: browser.version() };
  } finally {
    await browser.close();
    server.close();
  }
}

/** A free loopback port (there is a small window before workerd binds it; a clash fails loudly). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Serves the bundle as a Worker on 127.0.0.1 and runs the checks in one request. */
async function inWorkerd(runtime, exe, bundle) {
  const port = await freePort();
  const config = join(dirname(bundle), `${runtime.id}.capnp`);
  writeFileSync(
    config,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "smoke", worker = .smoke) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "smoke") ],
);
const smoke :Workerd.Worker = (
  modules = [ (name = "smoke.mjs", esModule = embed "${basename(bundle)}") ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = [${runtime.compatibilityFlags.map((f) => JSON.stringify(f)).join(', ')}],
);
`,
  );
  const child = spawn(exe, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(`workerd exited ${code ?? signal}`)));
  try {
    const deadline = Date.now() + TIMEOUT_MS;
    while (Date.now() < deadline) {
      const answer = await Promise.race([
        fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(TIMEOUT_MS) }).then(
          async (res) => ({ res, body: await res.text() }),
          () => undefined, // not listening yet
        ),
        exited,
      ]);
      if (typeof answer === 'string') return { crashed: `${answer}: ${output.trim().split('\n').slice(0, 5).join(' | ')}` };
      if (answer) {
        if (!answer.res.ok) return { crashed: `HTTP ${answer.res.status}: ${answer.body.slice(0, 300)} ${output.trim().split('\n').slice(0, 5).join(' | ')}` };
        return { checks: JSON.parse(answer.body) };
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { crashed: `no answer within ${TIMEOUT_MS} ms: ${output.trim().split('\n').slice(0, 5).join(' | ')}` };
  } finally {
    child.kill();
  }
}

function judge(runtime, { checks, crashed, version }) {
  if (crashed) return { status: 'fail', detail: crashed };
  if (checks.length === 0) return { status: 'fail', detail: 'no check ran' };
  const known = KNOWN[runtime.id] ?? [];
  const failed = [];
  const knownHit = new Set();
  for (const c of checks.filter((x) => x.status === 'fail')) {
    const k = known.find((entry) => entry.message.test(c.message) && (entry.check === undefined || entry.check.test(c.name)));
    if (k) knownHit.add(k);
    else failed.push(`${c.name}: ${c.message}`);
  }
  const passed = checks.filter((x) => x.status === 'pass').length;
  const notes = checks.filter((x) => x.status === 'skip').map((c) => `skipped "${c.name}": ${c.message}`);
  for (const why of new Set(known.map((k) => k.why))) {
    const hit = known.some((k) => k.why === why && knownHit.has(k));
    notes.push(hit ? `known issue: ${why}` : `known issue now fixed, remove it from KNOWN in scripts/runtimes/run.mjs: ${why}`);
  }
  const head = `${passed}/${checks.length} checks${version ? `, ${version}` : ''}`;
  if (failed.length > 0) return { status: 'fail', detail: [head, ...failed, ...notes].join('\n    ') };
  return { status: 'pass', detail: [head, ...notes].join('; ') };
}

const outDir = mkdtempSync(join(tmpdir(), 'tollgate-smoke-'));
let bad = 0;
const started = Date.now();
try {
  const bundles = new Map();
  for (const runtime of RUNTIMES) {
    if (only.length > 0 && !only.includes(runtime.id)) continue;
    const key = `${runtime.target}/${runtime.diagnostics}/${runtime.compatibilityFlags !== undefined}`;
    if (!bundles.has(key)) bundles.set(key, await bundleSmoke(runtime, outDir));
    const t0 = Date.now();
    const { status, detail } = await runOne(runtime, bundles.get(key)).catch((error) => ({ status: 'fail', detail: String(error?.stack ?? error) }));
    const version = runtime.version ? ` ${runtime.version}` : '';
    console.log(`${status.padEnd(4)}  ${`${runtime.label}${version}`.padEnd(22)} ${detail} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    if (status === 'fail' || (status === 'skip' && requireAll)) bad++;
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
if (bad > 0) console.log(`${bad} runtime(s) ${requireAll ? 'failed or were skipped (TOLLGATE_REQUIRE_ALL=1)' : 'failed'}`);
console.log(`runtimes: ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = bad > 0 ? 1 : 0;
