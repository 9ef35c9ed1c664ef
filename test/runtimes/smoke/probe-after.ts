// Evaluated right after the package (see smoke.ts).
import { before, builtinLookups, loadClock, restoreLoader, snapshot } from './probe-before.js';

const after = snapshot();
/** Globals the package added, removed or changed while loading. */
export const globalsChangedAtLoad: string[] = [];
for (const key of new Set([...before.keys(), ...after.keys()])) {
  const a = before.get(key);
  const b = after.get(key);
  if (!a || !b || a.some((v, i) => !Object.is(v, b[i]))) globalsChangedAtLoad.push(String(key));
}

export const timersAtLoad = loadClock.countTimers();
export const lookupsAtLoad = [...builtinLookups];
loadClock.uninstall();
restoreLoader();
