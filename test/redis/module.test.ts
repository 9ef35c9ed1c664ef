import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : []));

// The bundle-level check (every module the entry reaches, as esbuild resolves it) is
// test/runtimes/entries.test.ts; this one reads each source file's own import lines.
describe('tollgate/redis as a module', () => {
  it('imports nothing of Node (Web Crypto, not node:crypto) and no Redis client', () => {
    for (const file of sources(`${root}src/redis`)) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/^(import|export)[^\n]*from '(node:|crypto'|ioredis'|redis')/m);
      expect(text, file).not.toMatch(/^[^*\n]*\brequire\(/m);
    }
  });

  it('starts nothing at load: no timer, socket or handle', () => {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', "await import('./src/redis/index.ts'); console.log(JSON.stringify(process.getActiveResourcesInfo()))"],
      { cwd: root, encoding: 'utf8' },
    );
    const resources = JSON.parse(out.trim().split('\n').at(-1)!) as string[];
    expect(resources.filter((r) => !/TTYWrap|PipeWrap|FSReqCallback/.test(r))).toEqual([]);
  });
});
