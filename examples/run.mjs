// Runs one example by name: `npm run example -- <name>` (no name: lists them; `all`: runs each).
// Each example is a plain file next to this one that imports `tollgate` by name, so running it
// also checks the package's `exports` map (the build in dist/).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const examples = readdirSync(here)
  .filter((f) => /\.(mjs|cjs)$/.test(f) && f !== 'run.mjs')
  .sort()
  .map((file) => {
    // The first line of each example reads `// <name>: <what it shows>`.
    const first = readFileSync(join(here, file), 'utf8').split('\n', 1)[0];
    return { name: basename(file, extname(file)), file, about: first.replace(/^\/\/\s*[\w-]+:\s*/, '') };
  });

const name = process.argv[2];
const chosen = name === 'all' ? examples : examples.filter((e) => e.name === name);

if (chosen.length === 0) {
  if (name !== undefined) console.error(`No example named "${name}".\n`);
  console.log('Usage: npm run example -- <name>   (or: node examples/run.mjs <name>, or `all`)\n');
  const width = Math.max(...examples.map((e) => e.name.length));
  for (const e of examples) console.log(`  ${e.name.padEnd(width)}  ${e.about}`);
  process.exit(name === undefined ? 0 : 1);
}

for (const e of chosen) {
  if (chosen.length > 1) console.log(`\n=== ${e.name}: ${e.about}\n`);
  const { status, signal } = spawnSync(process.execPath, [join(here, e.file), ...process.argv.slice(3)], { stdio: 'inherit' });
  if (status !== 0) {
    console.error(`example ${e.name} failed (${signal ?? `exit code ${status}`})`);
    process.exit(status || 1);
  }
}
