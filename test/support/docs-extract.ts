// Finds the code samples the project shows its users: every ```ts / ```js block of README.md and
// docs/*.md, and every TSDoc `@example` in src/. Each gets a stable id (file#heading or
// file#declaration, with -2, -3 … for the next ones under the same name) so that
// pending-samples.json can name it without line numbers that move with every edit.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export type Mode = 'run' | 'typecheck-only' | 'skip';

export interface Sample {
  /** `README.md#example`, `src/core/types.ts#Permit-2`. */
  id: string;
  /** Repository-relative path of the file the sample is in. */
  file: string;
  /** 1-based line of the sample's first line of code in that file. */
  line: number;
  lang: 'ts' | 'js';
  code: string;
  mode: Mode;
  /** Markdown samples are whole programs run against the built package; TSDoc ones are fragments checked against src/. */
  kind: 'doc' | 'tsdoc';
}

/** GitHub's anchor for a heading, near enough: lower case, punctuation dropped, spaces to dashes. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function uniqueIds(): (base: string) => string {
  const seen = new Map<string, number>();
  return (base) => {
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  };
}

const FENCE = /^(\s*)(`{3,})\s*([\w-]*)\s*$/;
const MARKER = /^\s*<!--\s*sample:\s*(typecheck-only|skip)\s*-->\s*$/;

/** The ```ts / ```js blocks of one markdown file, with the `<!-- sample: … -->` marker before each. */
export function markdownSamples(repo: string, file: string): Sample[] {
  const lines = readFileSync(join(repo, file), 'utf8').split('\n');
  const id = uniqueIds();
  const samples: Sample[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (h) {
      heading = h[1]!;
      continue;
    }
    const open = FENCE.exec(line);
    if (!open) continue;
    const [, , ticks, info] = open;
    let end = i + 1;
    while (end < lines.length && !new RegExp(`^\\s*${ticks}\\s*$`).test(lines[end]!)) end++;
    const lang = info === 'ts' || info === 'typescript' ? 'ts' : info === 'js' || info === 'javascript' ? 'js' : undefined;
    if (lang) {
      let before = i - 1;
      while (before >= 0 && lines[before]!.trim() === '') before--;
      const marker = before >= 0 ? MARKER.exec(lines[before]!) : null;
      samples.push({
        id: id(`${file}#${slug(heading) || 'top'}`),
        file,
        line: i + 2,
        lang,
        code: lines.slice(i + 1, end).join('\n') + '\n',
        mode: (marker?.[1] as Mode | undefined) ?? 'run',
        kind: 'doc',
      });
    }
    i = end;
  }
  return samples;
}

/** README.md, CONTRIBUTING.md and every docs/*.md (not the generated docs/api/). */
export function docSamples(repo: string): Sample[] {
  const files = ['README.md', 'CONTRIBUTING.md', ...readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
  return files.flatMap((f) => markdownSamples(repo, f));
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [path] : [];
  });
}

// What a doc comment documents: the first declared name after it.
const DECLARATION = /^\s*(?:(?:export|declare|default|abstract|async|readonly|static|override|public|protected|private)\s+)*(?:(?:class|interface|type|function|const|let|var|enum|get|set)\s+)?(#?[\w$]+|\[Symbol\.\w+\])/;

/** Every `@example` of the TSDoc in `src/`: fenced blocks and one-line `` @example `code` `` forms. */
export function tsdocSamples(repo: string): Sample[] {
  const samples: Sample[] = [];
  for (const path of walk(join(repo, 'src')).sort()) {
    const file = relative(repo, path).split('\\').join('/');
    const text = readFileSync(path, 'utf8');
    const id = uniqueIds();
    for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
      if (!comment[0].includes('@example')) continue;
      const start = comment.index;
      const after = text.slice(start + comment[0].length).split('\n').find((l) => l.trim() !== '') ?? '';
      const name = DECLARATION.exec(after)?.[1] ?? 'comment';
      const firstLine = text.slice(0, start).split('\n').length;
      const lines = comment[0].split('\n').map((l) => l.replace(/^\s*\/?\*\*?\/?\s?/, '').replace(/\s*\*\/\s*$/, ''));
      for (let i = 0; i < lines.length; i++) {
        const at = lines[i]!.indexOf('@example');
        if (at < 0) continue;
        const rest = lines[i]!.slice(at + '@example'.length);
        const inline = /^\s*`([^`]+)`/.exec(rest);
        if (inline) {
          samples.push({ id: id(`${file}#${name}`), file, line: firstLine + i, lang: 'ts', code: inline[1]! + '\n', mode: 'typecheck-only', kind: 'tsdoc' });
          continue;
        }
        let open = i + 1;
        while (open < lines.length && lines[open]!.trim() === '') open++;
        if (!/^```\s*(ts|typescript)?\s*$/.test(lines[open]?.trim() ?? '')) continue;
        let end = open + 1;
        while (end < lines.length && lines[end]!.trim() !== '```') end++;
        samples.push({
          id: id(`${file}#${name}`),
          file,
          line: firstLine + open + 1,
          lang: 'ts',
          code: lines.slice(open + 1, end).join('\n') + '\n',
          mode: 'typecheck-only',
          kind: 'tsdoc',
        });
        i = end;
      }
    }
  }
  return samples;
}
