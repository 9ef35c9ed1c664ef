// Runs the examples against a fresh build of src/, outside the repository: the package is built
// into <tmp>/node_modules/tollgate/dist and the examples are copied to <tmp>/examples, so
// `import 'tollgate'` goes through the real `exports` map, and the repository's own dist/ (which
// other tests and `npm run build` may be rewriting meanwhile) is never read or written.
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../..', import.meta.url));

export function stageExamples(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-examples-'));
  const pkg = join(dir, 'node_modules', 'tollgate');
  mkdirSync(pkg, { recursive: true });
  copyFileSync(join(repo, 'package.json'), join(pkg, 'package.json'));
  // tsup.config.ts as is, minus the declarations (running needs only the JavaScript).
  const build = `import('tsup').then(({ build }) => build({ outDir: ${JSON.stringify(join(pkg, 'dist'))}, dts: false, sourcemap: false, silent: true }))`;
  execFileSync(process.execPath, ['--input-type=module', '-e', build], { cwd: repo, stdio: 'pipe' });
  cpSync(join(repo, 'examples'), join(dir, 'examples'), { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runNode(cwd: string, args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd, timeout: 30_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}
