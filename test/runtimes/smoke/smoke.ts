// Entry of the smoke bundle. The import order is the point: probe-before and probe-timers run
// before the package loads, probe-after right after it, then the checks.
import './probe-before.js';
import './probe-timers.js';
import './package-under-test.js';
import './probe-after.js';
import './checks.js';
import { runChecks, type CheckResult } from './harness.js';

declare global {
  // Read by the browser runner (page.evaluate); printed as one line by the others.
  var __tollgateSmoke: Promise<CheckResult[]> | undefined;
}

/** Marks the line the runner parses among whatever else the runtime prints. */
export const RESULT_PREFIX = 'TOLLGATE_SMOKE_RESULT ';

globalThis.__tollgateSmoke = runChecks();
if (typeof (globalThis as { document?: unknown }).document === 'undefined') {
  void globalThis.__tollgateSmoke.then((results) => console.log(RESULT_PREFIX + JSON.stringify(results)));
}
