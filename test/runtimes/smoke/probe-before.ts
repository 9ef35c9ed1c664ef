// Evaluated before the package (see smoke.ts): records every global and watches
// process.getBuiltinModule, so probe-after.ts can tell whether loading tollgate touched a global
// or looked up a Node module. probe-timers.ts adds fake timers where the runtime allows it.

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

type Loader = (id: string) => unknown;
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

/** Taken last by whichever probe runs last before the package loads. */
export const probe: { before: Snapshot; clock: { countTimers(): number; uninstall(): void } | undefined } = {
  // Taken twice: reading the descriptors makes some runtimes materialise lazy globals of their
  // own (Node 22 and 24 add undici's dispatcher symbol the first time).
  before: (snapshot(), snapshot()),
  clock: undefined,
};
