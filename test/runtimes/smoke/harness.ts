// A test harness small enough to bundle into one file for any runtime: checks run one after
// another, each either passes, fails with a message, or is skipped with a reason.

export interface CheckResult {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  message?: string;
}

type Check = (ctx: { skip(reason: string): never }) => void | Promise<void>;

const checks: { name: string; fn: Check }[] = [];

class Skipped extends Error {}

/** Registers a check; they run in registration order. */
export function check(name: string, fn: Check): void {
  checks.push({ name, fn });
}

/** A check that has not settled by then has hung: it fails, and the next one runs. */
const CHECK_TIMEOUT_MS = 10_000;

export async function runChecks(): Promise<CheckResult[]> {
  // The real timers, read now (checks install fake ones). The watchdog is also pending work
  // while a check waits on something else: workerd cancels a request with nothing pending (a
  // MessageChannel message does not count), which would lose every result.
  const { setTimeout: arm, clearTimeout: disarm } = globalThis;
  const results: CheckResult[] = [];
  const ctx = {
    skip(reason: string): never {
      throw new Skipped(reason);
    },
  };
  for (const { name, fn } of checks) {
    let watchdog: ReturnType<typeof arm> | undefined;
    try {
      await Promise.race([
        fn(ctx),
        new Promise<never>((_, reject) => {
          watchdog = arm(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
        }),
      ]);
      results.push({ name, status: 'pass' });
    } catch (error) {
      if (error instanceof Skipped) results.push({ name, status: 'skip', message: error.message });
      else results.push({ name, status: 'fail', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    } finally {
      disarm(watchdog);
    }
  }
  return results;
}

export function equal(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e || !Object.is(typeof actual, typeof expected)) throw new Error(`${what}: expected ${e}, got ${a}`);
}

export function ok(value: unknown, what: string): void {
  if (!value) throw new Error(`${what}: expected true, got ${String(value)}`);
}

/** Awaits `promise` and returns what it rejected with; fails if it fulfils. */
export async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`${what}: expected a rejection`);
}
