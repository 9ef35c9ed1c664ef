// Evaluated right after the package (see smoke.ts).
import { builtinLookups, probe, restoreLoader, snapshot } from './probe-before.js';

const after = snapshot();
/** Globals the package added, removed or changed while loading. */
export const globalsChangedAtLoad: string[] = [];
for (const key of new Set([...probe.before.keys(), ...after.keys()])) {
  const a = probe.before.get(key);
  const b = after.get(key);
  if (!a || !b || a.some((v, i) => !Object.is(v, b[i]))) globalsChangedAtLoad.push(String(key));
}

/** Timers the package started while loading (workerd: 0 by construction, it would have refused them). */
export const timersAtLoad = probe.clock?.countTimers() ?? 0;
export const lookupsAtLoad = [...builtinLookups];
probe.clock?.uninstall();
restoreLoader();
