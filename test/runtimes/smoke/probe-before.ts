// Evaluated before the package (see smoke.ts): records every global and fakes every timer, so
// probe-after.ts can tell whether loading tollgate started a timer, touched a global or looked
// up a Node module.
import FakeTimers from '@sinonjs/fake-timers';

export type Snapshot = Map<string | symbol, unknown[]>;

/** Every own property of globalThis with what it holds (value or accessors). */
export function snapshot(): Snapshot {
  const out: Snapshot = new Map();
  for (const key of Reflect.ownKeys(globalThis)) {
    const d = Object.getOwnPropertyDescriptor(globalThis, key);
    if (d) out.set(key, [d.value, d.get, d.set, d.writable, d.enumerable, d.configurable]);
  }
  return out;
}


type Loader = ((id: string) => unknown) & { calls?: string[] };
const runtime = (globalThis as { process?: { getBuiltinModule?: Loader } }).process;
const original = runtime?.getBuiltinModule;
export const builtinLookups: string[] = [];
if (runtime && typeof original === 'function') {
  runtime.getBuiltinModule = (id: string) => {
    builtinLookups.push(id);
    return original.call(runtime, id);
  };
}

/** Restores process.getBuiltinModule (probe-after calls it once the package has loaded). */
export function restoreLoader(): void {
  if (runtime && original) runtime.getBuiltinModule = original;
}

export const loadClock = FakeTimers.install();

// Last, so that only the package's own loading runs between this snapshot and probe-after's. Taken
// twice: reading the descriptors makes some runtimes materialise lazy globals of their own
// (Node 22 and 24 add undici's dispatcher symbol the first time).
snapshot();
export const before = snapshot();
