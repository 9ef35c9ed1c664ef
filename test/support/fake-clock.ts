import FakeTimers from '@sinonjs/fake-timers';
import type { Clock } from '../../src/index.js';

/** A sinon clock that touches no global, and the tollgate `Clock` reading it. */
export function fakeClock(start = 0): { fake: FakeTimers.Clock; clock: Clock } {
  const fake = FakeTimers.createClock(start);
  const clock: Clock = {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (handle) => fake.clearTimeout(handle as Parameters<typeof fake.clearTimeout>[0]),
  };
  return { fake, clock };
}

/** Lets promise callbacks run without moving time. */
export const flush = async (fake: FakeTimers.Clock): Promise<void> => {
  await fake.tickAsync(0);
};
