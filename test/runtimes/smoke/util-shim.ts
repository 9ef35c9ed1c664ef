// @sinonjs/fake-timers reads `require('util').promisify` when `process` exists; bundled for every
// runtime at once there is no `util` to require, and the smoke suite never promisifies a timer.
const custom = Symbol.for('nodejs.util.promisify.custom');

export const promisify = Object.assign(
  (fn: (...args: unknown[]) => void) =>
    (...args: unknown[]) =>
      new Promise((resolve, reject) => fn(...args, (error: unknown, value: unknown) => (error ? reject(error) : resolve(value)))),
  { custom },
);

export const deprecate = <T>(fn: T): T => fn;
export const inspect = (value: unknown): string => String(value);

export default { promisify, deprecate, inspect };
