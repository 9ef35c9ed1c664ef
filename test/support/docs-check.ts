// Type-checks and runs the samples found by extract.ts.
//
// - Markdown samples are whole programs, checked as a user's code is: `import … from 'tollgate'`
//   resolves through the `exports` map of a fresh build staged in <tmp>/node_modules/tollgate (the
//   repository's own dist/, which `npm run build` may be rewriting meanwhile, is never read).
//   Those not marked typecheck-only then run in a child Node, with the stubs of prelude.ts.
// - TSDoc examples are fragments: each is wrapped in an async function next to its source file,
//   with the exports of its module and of the public entry points in scope, and checked against
//   src/ (internal modules have no built counterpart).
// All of them go into one TypeScript program, so the compiler starts once.
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { ambient, runtime } from './docs-prelude.js';
import type { Sample } from './docs-extract.js';

export interface Stage {
  dir: string;
  cleanup: () => void;
}

/** Builds the package into <tmp>/node_modules/tollgate, as `npm install` would lay it out. */
export function stagePackage(repo: string): Stage {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-samples-'));
  const pkg = join(dir, 'node_modules', 'tollgate');
  mkdirSync(pkg, { recursive: true });
  copyFileSync(join(repo, 'package.json'), join(pkg, 'package.json'));
  const build = `import('tsup').then(({ build }) => build({ outDir: ${JSON.stringify(join(pkg, 'dist'))}, sourcemap: false, silent: true }))`;
  execFileSync(process.execPath, ['--input-type=module', '-e', build], { cwd: repo, stdio: 'pipe' });
  // The other packages samples import (typecheck-only ones: the Redis clients).
  for (const name of ['ioredis', 'redis']) symlinkSync(join(repo, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'samples', private: true, type: 'module' }));
  mkdirSync(join(dir, 'samples'));
  writeFileSync(join(dir, 'prelude.mjs'), runtime);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Checked {
  /** Compiler messages, each `file:line: message` pointing into the markdown or source file. */
  errors: string[];
}

// Names a module exports, read from its text (enough for this code base's export forms).
function exportedNames(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const names = new Set<string>();
  for (const m of text.matchAll(/^export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:class|interface|type|function|const|let|enum)\s+([\w$]+)/gm)) names.add(m[1]!);
  for (const m of text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
    for (const part of m[1]!.split(',')) {
      const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()!.trim();
      if (name) names.add(name);
    }
  }
  return [...names];
}

const importedNames = (imports: string): Set<string> =>
  new Set(
    [...imports.matchAll(/import\s+(?:type\s+)?([\s\S]*?)\s+from\s/g)].flatMap((m) =>
      m[1]!
        .replace(/[{}]/g, ',')
        .split(',')
        .map((p) => p.trim().replace(/^type\s+/, '').replace(/^\*\s+as\s+/, '').split(/\s+as\s+/).pop()!.trim())
        .filter(Boolean),
    ),
  );

interface Virtual {
  sample: Sample;
  path: string;
  text: string;
  /** Lines of the virtual file before the sample's first line. */
  offset: number;
}

function tsdocVirtual(repo: string, sample: Sample, index: number): Virtual {
  const source = join(repo, sample.file);
  const dir = dirname(source);
  const rel = (p: string) => {
    const r = relative(dir, join(repo, p)).split('\\').join('/');
    return r.startsWith('.') ? r : `./${r}`;
  };
  const lines = sample.code.split('\n');
  const imports = lines.filter((l) => /^\s*import\s/.test(l)).join('\n');
  const body = lines.map((l) => (/^\s*import\s/.test(l) ? '' : l)).join('\n');
  const taken = importedNames(imports);
  const scope: string[] = [];
  const from = (names: string[], module: string) => {
    const fresh = names.filter((n) => !taken.has(n));
    for (const n of fresh) taken.add(n);
    if (fresh.length > 0) scope.push(`import { ${fresh.join(', ')} } from '${module}';`);
  };
  // What the module itself imports (an internal example uses its module's collaborators).
  for (const m of readFileSync(source, 'utf8').matchAll(/^import\s+(type\s+)?([\s\S]*?)\s+from\s+'([^']+)';/gm)) {
    const [, , clause, module] = m;
    const named = /\{([^}]*)\}/.exec(clause!)?.[1];
    const head = clause!.replace(/,?\s*\{[^}]*\}/, '').trim();
    if (head !== '') {
      const local = head.replace(/^\*\s+as\s+/, '');
      if (!taken.has(local)) scope.push(`import ${head} from '${module}';`);
      taken.add(local);
    }
    if (named === undefined) continue;
    const parts = named
      .split(',')
      .map((p) => p.trim().replace(/^type\s+/, ''))
      .filter((p) => p !== '' && !taken.has(p.split(/\s+as\s+/).pop()!));
    for (const p of parts) taken.add(p.split(/\s+as\s+/).pop()!);
    if (parts.length > 0) scope.push(`import { ${parts.join(', ')} } from '${module}';`);
  }
  from(exportedNames(source), `./${sample.file.split('/').pop()!.replace(/\.ts$/, '.js')}`);
  // Then its sibling modules (an example of one budget may combine it with another).
  for (const sibling of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && join(dir, f) !== source).sort()) {
    from(exportedNames(join(dir, sibling)), `./${sibling.replace(/\.ts$/, '.js')}`);
  }
  from(exportedNames(join(repo, 'src/index.ts')), rel('src/index.js'));
  from(exportedNames(join(repo, 'src/redis/index.ts')), rel('src/redis/index.js'));
  const hoisted = imports.replace(/from\s+'tollgate\/redis'/g, `from '${rel('src/redis/index.js')}'`).replace(/from\s+'tollgate'/g, `from '${rel('src/index.js')}'`);
  const header = [...scope, hoisted, 'export {};', `async function __example${index}() {`].join('\n') + '\n';
  return {
    sample,
    path: join(dir, `__example${index}__.ts`),
    text: header + body + '\n}\n',
    offset: header.split('\n').length - 1,
  };
}

function docVirtual(stage: Stage, sample: Sample, index: number): Virtual {
  return { sample, path: join(stage.dir, 'samples', `sample${index}.${sample.lang === 'ts' ? 'ts' : 'mjs'}`), text: sample.code, offset: 0 };
}

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts', 'lib.dom.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  allowJs: true,
  checkJs: true,
  esModuleInterop: true,
  isolatedModules: true,
  types: ['node'],
};

/** One program for every sample; returns the messages of each, by sample id. */
export function typecheck(repo: string, stage: Stage, samples: Sample[]): Map<string, Checked> {
  const virtuals = samples.map((s, i) => (s.kind === 'tsdoc' ? tsdocVirtual(repo, s, i) : docVirtual(stage, s, i)));
  const preludePath = join(repo, 'test', 'docs', '__prelude__.d.ts');
  const files = new Map<string, string>(virtuals.map((v) => [v.path, v.text]));
  files.set(preludePath, ambient);
  const host = ts.createCompilerHost({ ...options, typeRoots: [join(repo, 'node_modules', '@types')] });
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, onError, create) => {
    const text = files.get(name);
    return text !== undefined ? ts.createSourceFile(name, text, language, true) : getSourceFile.call(host, name, language, onError, create);
  };
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name) ?? readFile.call(host, name);
  const program = ts.createProgram({ rootNames: [preludePath, ...files.keys()].filter((v, i, a) => a.indexOf(v) === i), options: { ...options, typeRoots: [join(repo, 'node_modules', '@types')] }, host });
  const general = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...program.getSemanticDiagnostics(program.getSourceFile(preludePath))];
  if (general.length > 0) throw new Error(`the sample program itself does not compile:\n${ts.formatDiagnostics(general, host)}`);
  const result = new Map<string, Checked>();
  for (const v of virtuals) {
    const sf = program.getSourceFile(v.path)!;
    const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    const errors = diagnostics.map((d) => {
      const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line - v.offset;
      return `${v.sample.file}:${v.sample.line + Math.max(0, line)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    result.set(v.sample.id, { errors });
  }
  return result;
}

export interface Ran {
  ok: boolean;
  output: string;
}

/** Runs a markdown sample in a child Node (stubs first); fails on a non-zero exit or a hang. */
export function runSample(stage: Stage, sample: Sample, index: number, timeoutMs: number): Promise<Ran> {
  const js =
    sample.lang === 'ts'
      ? ts.transpileModule(sample.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: `sample${index}.ts` }).outputText
      : sample.code;
  const file = join(stage.dir, 'samples', `run${index}.mjs`);
  writeFileSync(file, js);
  return new Promise((done) => {
    execFile(process.execPath, ['--import', join(stage.dir, 'prelude.mjs'), file], { cwd: stage.dir, timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const why = error === null ? '' : error.killed ? `did not exit within ${timeoutMs} ms (an open handle, or waiting forever)\n` : `exited with ${error.code ?? error.signal}\n`;
      done({ ok: error === null, output: `${why}${stdout}${stderr}` });
    });
  });
}
