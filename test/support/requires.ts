import { execFileSync } from 'node:child_process';
import { describe } from 'vitest';

/**
 * Suites that need something outside npm (redis-server, another runtime, a browser) call this.
 * Where the thing is missing they skip with one line saying what was skipped and how to get it;
 * with `TOLLGATE_REQUIRE_ALL=1` (set by `.ci/run`) a missing thing is a failure instead, so CI
 * always runs them.
 *
 * @example
 * ```ts
 * const describeRedis = requires('redis', commandExists('redis-server'), 'apt-get install redis-server');
 * describeRedis('RedisSemaphore', () => { ... });
 * ```
 */
export function requires(what: string, available: boolean, howToGet: string): typeof describe {
  if (available) return describe;
  if (process.env.TOLLGATE_REQUIRE_ALL === '1') {
    throw new Error(`${what} is required here (TOLLGATE_REQUIRE_ALL=1) but missing: ${howToGet}`);
  }
  if (!announced.has(what)) {
    announced.add(what);
    console.warn(`skipped: the ${what} tests (${what} not found; to run them: ${howToGet})`);
  }
  return describe.skip as unknown as typeof describe;
}

const announced = new Set<string>();

/** Whether `command` is on the PATH. */
export function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
