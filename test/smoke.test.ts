import FakeTimers from '@sinonjs/fake-timers';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TokenBucket } from '../src/index.js';

let clock: FakeTimers.InstalledClock;
beforeEach(() => {
  clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
});
afterEach(() => clock.uninstall());

it('systemClock follows fake timers installed after import, and await using releases', async () => {
  const bucket = new TokenBucket({ capacity: 1, refillIntervalMs: 1000 });
  {
    await using permit = await bucket.acquire();
    expect(permit.cost).toBe(1);
  }
  let at = -1;
  const p = bucket.acquire().then(() => (at = performance.now()));
  clock.setSystemTime(Date.now() + 10 * 60_000); // wall clock jump changes nothing
  await clock.tickAsync(999);
  expect(at).toBe(-1);
  await clock.tickAsync(1);
  await p;
  expect(at).toBe(1000);
});
