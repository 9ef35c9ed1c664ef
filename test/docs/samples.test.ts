// Every code sample a user reads is checked: the ```ts / ```js blocks of README.md and docs/*.md
// are type-checked against a fresh build of the package and run (offline: `fetch` answers from a
// stub, see prelude.ts); the TSDoc `@example`s of src/ are type-checked. Samples waiting for an
// API that has not landed are named in pending-samples.json with what they wait for; such a
// sample is skipped while it fails and fails the suite once it passes, so the list only shrinks.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSample, stagePackage, typecheck, type Checked, type Stage } from '../support/docs-check.js';
import { docSamples, markdownSamples, tsdocSamples, type Sample } from '../support/docs-extract.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const pending = JSON.parse(readFileSync(new URL('./pending-samples.json', import.meta.url), 'utf8')) as Record<string, string>;

const docs = docSamples(repo);
const tsdoc = tsdocSamples(repo);
const checkedSamples = [...docs, ...tsdoc].filter((s) => s.mode !== 'skip');
const RUN_TIMEOUT_MS = 20_000;

let stage: Stage;
let checked: Map<string, Checked>;

beforeAll(() => {
  stage = stagePackage(repo);
  checked = typecheck(repo, stage, checkedSamples);
}, 240_000);
afterAll(() => stage?.cleanup());

/** What is wrong with a sample: compiler messages, then (for runnable ones) how the run failed. */
async function problems(sample: Sample, index: number): Promise<string[]> {
  const errors = checked.get(sample.id)?.errors ?? [`${sample.id} was not type-checked`];
  if (errors.length > 0 || sample.mode !== 'run' || sample.kind !== 'doc') return errors;
  const ran = await runSample(stage, sample, index, RUN_TIMEOUT_MS);
  return ran.ok ? [] : [`${sample.file}:${sample.line}: the sample failed when run:\n${ran.output}`];
}

function checkEach(samples: Sample[]): void {
  for (const [index, sample] of samples.entries()) {
    const what = sample.mode === 'run' && sample.kind === 'doc' ? 'type-checks and runs' : 'type-checks';
    it(`${sample.id} ${what}`, async (ctx) => {
      const found = await problems(sample, index);
      const waitsFor = pending[sample.id];
      if (waitsFor !== undefined) {
        if (found.length > 0) ctx.skip(`pending: ${waitsFor}`);
        throw new Error(`${sample.id} passes now: remove it from test/docs/pending-samples.json (it waited for: ${waitsFor})`);
      }
      expect(found.join('\n\n')).toBe('');
    }, RUN_TIMEOUT_MS + 10_000);
  }
}

describe('the samples of README.md and docs/*.md', () => checkEach(docs.filter((s) => s.mode !== 'skip')));
describe('the TSDoc @examples of src/', () => checkEach(tsdoc));

describe('the sample checker', () => {
  it('finds the samples: the README example, every docs page with code, an @example on every exported class', () => {
    const ids = [...docs, ...tsdoc].map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('README.md#example');
    for (const page of ['docs/limiters.md', 'docs/redis.md']) expect(docs.some((s) => s.file === page)).toBe(true);
    for (const name of ['CreditSemaphore', 'ConcurrencySemaphore', 'LeakyBucketLimiter', 'TokenBucket', 'Throttle', 'KeyedLimiter', 'VirtualClock']) {
      expect(tsdoc.some((s) => s.id.endsWith(`#${name}`))).toBe(true);
    }
  });

  it('names only samples that exist in pending-samples.json', () => {
    const ids = new Set(checkedSamples.map((s) => s.id));
    expect(Object.keys(pending).filter((id) => !ids.has(id))).toEqual([]);
  });

  it('reads the markers, the language and the line of each fence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-md-'));
    try {
      writeFileSync(
        join(dir, 'page.md'),
        ['# Page', '', '```ts', 'const a = 1;', '```', '', '## Two', '<!-- sample: typecheck-only -->', '', '```js', 'b();', '```', '', '```sh', 'npm test', '```', '', '<!-- sample: skip -->', '```ts', 'c', '```', ''].join('\n'),
      );
      const found = markdownSamples(dir, 'page.md').map(({ id, line, lang, mode, code }) => ({ id, line, lang, mode, code }));
      expect(found).toEqual([
        { id: 'page.md#page', line: 4, lang: 'ts', mode: 'run', code: 'const a = 1;\n' },
        { id: 'page.md#two', line: 11, lang: 'js', mode: 'typecheck-only', code: 'b();\n' },
        { id: 'page.md#two-2', line: 20, lang: 'ts', mode: 'skip', code: 'c\n' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails a sample that does not type-check, throws, or never exits', async () => {
    const sample = (id: string, code: string): Sample => ({ id, file: 'probe.md', line: 1, lang: 'ts', code, mode: 'run', kind: 'doc' });
    const wrong = sample('probe#wrong', "import { TokenBucket } from 'tollgate';\nnew TokenBucket({ capacity: 'five' });\n");
    const good = sample('probe#good', "import { TokenBucket } from 'tollgate';\nconsole.log(new TokenBucket({ capacity: 5, refillIntervalMs: 1_000 }).tokens);\n");
    const result = typecheck(repo, stage, [wrong, good]);
    expect(result.get('probe#wrong')!.errors.join('\n')).toMatch(/^probe\.md:2: .*not assignable to type 'number'/m);
    expect(result.get('probe#good')!.errors).toEqual([]);
    expect(await runSample(stage, good, 900, RUN_TIMEOUT_MS)).toEqual({ ok: true, output: '5\n' });
    const thrown = await runSample(stage, sample('probe#throws', "throw new Error('boom');\n"), 901, RUN_TIMEOUT_MS);
    expect(thrown.ok).toBe(false);
    expect(thrown.output).toContain('boom');
    const hung = await runSample(stage, sample('probe#hangs', 'setInterval(() => {}, 1_000);\n'), 902, 1_500);
    expect(hung).toMatchObject({ ok: false, output: expect.stringContaining('did not exit') });
  }, 60_000);
});
