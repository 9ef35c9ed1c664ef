// What each entry pulls in when bundled for a browser: `tollgate` never loads tollgate/otel or
// OpenTelemetry, and none of the three imports a Node module (diagnostics_channel is looked up at
// run time, src/core/diagnostics.ts; tollgate/redis hashes with Web Crypto, not node:crypto, and
// takes its client from the caller). The runtime matrix (npm run test:runtimes) runs the built files.
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));

async function bundle(entry: string): Promise<{ inputs: string[]; imports: string[] }> {
  const result = await build({
    entryPoints: [`${repo}/${entry}`],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    metafile: true,
    logLevel: 'silent',
    // Anything not resolved inside the repository stays an import, so the test can list it.
    plugins: [{ name: 'external', setup: (b) => b.onResolve({ filter: /^[^./]/ }, (a) => ({ path: a.path, external: true })) }],
  });
  const meta: Metafile = result.metafile;
  const imports = Object.values(meta.outputs).flatMap((o) => o.imports.map((i) => i.path));
  return { inputs: Object.keys(meta.inputs).sort(), imports };
}

describe('entry points', () => {
  it('tollgate loads neither tollgate/otel, tollgate/redis nor any module outside the package', async () => {
    const { inputs, imports } = await bundle('src/index.ts');
    expect(inputs.filter((i) => /src\/(otel|redis)\//.test(i))).toEqual([]);
    expect(imports).toEqual([]);
  });

  it('tollgate/redis imports nothing outside the package (no node:crypto, no Redis client) and not tollgate/otel', async () => {
    const { inputs, imports } = await bundle('src/redis/index.ts');
    expect(imports).toEqual([]);
    expect(inputs.filter((i) => i.startsWith('src/redis/')).length).toBeGreaterThan(0);
    expect(inputs.filter((i) => !/^src\/(redis|core)\/|^src\/[\w-]+\.ts$/.test(i))).toEqual([]);
  });

  it('tollgate/otel imports nothing at run time: @opentelemetry/api is used for its types only', async () => {
    const { inputs, imports } = await bundle('src/otel/index.ts');
    expect(imports).toEqual([]);
    expect([...inputs].sort()).toEqual(['src/core/diagnostics.ts', 'src/otel/index.ts', 'src/otel/instruments.ts']);
  });
});
