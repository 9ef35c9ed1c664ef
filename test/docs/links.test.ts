// The README and the pages under docs/ point at each other and at the code: every relative link
// must reach a file that exists, and every #anchor a heading of the page it names.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { slug } from '../support/docs-extract.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const pages = ['README.md', 'CONTRIBUTING.md', ...readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The anchors of a markdown file's headings (outside code fences). */
function anchors(file: string): Set<string> {
  const found = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const h = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (h) found.add(slug(h[1]!));
  }
  return found;
}

/** Links outside code: `[text](target)` and `![alt](target)`, minus web addresses. */
function links(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/i.test(t));
}

describe('links between the docs', () => {
  for (const page of pages) {
    it(`every relative link of ${page} resolves`, () => {
      const broken: string[] = [];
      for (const target of links(join(repo, page))) {
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const file = path === '' ? join(repo, page) : normalize(join(dirname(join(repo, page)), decodeURIComponent(path)));
        if (!existsSync(file)) broken.push(`${target}: no such file ${relative(repo, file)}`);
        else if (anchor !== undefined && file.endsWith('.md') && !anchors(file).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${relative(repo, file)}`);
      }
      expect(broken).toEqual([]);
    });
  }

  it('finds the links it checks (the README links every page under docs/)', () => {
    const fromReadme = links(join(repo, 'README.md'));
    for (const page of pages.filter((p) => p.startsWith('docs/'))) expect(fromReadme).toContain(page);
  });
});
