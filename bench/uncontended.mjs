// Uncontended: nobody waits, so this is the fast path of every call.
import { Semaphore } from 'async-mutex';
import { Sema } from 'async-sema';
import Bottleneck from 'bottleneck';
import pLimit from 'p-limit';
import PQueue from 'p-queue';
import { ConcurrencySemaphore } from 'tollgate';
import { perOp, split } from './harness.mjs';

const noop = () => 1;

/**
 * The least any `acquire` that resolves a permit object can cost: a counter, a fresh permit, a
 * resolved promise, an await, a release. No limiter logic at all; its `then` answer is tollgate's
 * (see src/core/permit.ts), so resolving it skips the walk to Object.prototype.
 */
class FloorPermit {
  constructor(owner) {
    this.owner = owner;
  }
  release() {
    this.owner.free++;
  }
}
Object.defineProperty(FloorPermit.prototype, 'then', { value: undefined });

export async function run() {
  const tollgate = new ConcurrencySemaphore({ capacity: 8 });
  const sema = new Sema(8);
  const mutex = new Semaphore(8);
  const limit = pLimit(8);
  const queue = new PQueue({ concurrency: 8 });
  const bottleneck = new Bottleneck({ maxConcurrent: 8 });

  const floor = await perOp([
    {
      name: 'tollgate',
      run: async (n) => {
        for (let i = 0; i < n; i++) await null;
      },
    },
  ]);

  const floorOwner = { free: 8 };
  const acquire = await perOp([
    {
      name: 'permit floor',
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          floorOwner.free--;
          (await Promise.resolve(new FloorPermit(floorOwner))).release();
        }
      },
    },
    {
      name: 'tollgate',
      run: async (n) => {
        for (let i = 0; i < n; i++) (await tollgate.acquire()).release();
      },
    },
    {
      name: 'async-sema',
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          await sema.acquire();
          sema.release();
        }
      },
    },
    {
      name: 'async-mutex',
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          const [, release] = await mutex.acquire();
          release();
        }
      },
    },
  ]);

  const tryAcquire = await perOp([
    {
      name: 'tollgate',
      run: (n) => {
        for (let i = 0; i < n; i++) tollgate.tryAcquire().release();
      },
    },
    {
      name: 'async-sema',
      run: (n) => {
        for (let i = 0; i < n; i++) {
          sema.tryAcquire();
          sema.release();
        }
      },
    },
  ]);

  const runFn = await perOp([
    {
      name: 'tollgate',
      run: async (n) => {
        for (let i = 0; i < n; i++) await tollgate.run(noop);
      },
    },
    {
      name: 'async-mutex',
      run: async (n) => {
        for (let i = 0; i < n; i++) await mutex.runExclusive(noop);
      },
    },
    {
      name: 'p-limit',
      run: async (n) => {
        for (let i = 0; i < n; i++) await limit(noop);
      },
    },
    {
      name: 'p-queue',
      run: async (n) => {
        for (let i = 0; i < n; i++) await queue.add(noop);
      },
    },
    {
      name: 'bottleneck',
      run: async (n) => {
        for (let i = 0; i < n; i++) await bottleneck.schedule(noop);
      },
      // bottleneck hands every job to a timer, so each call costs about a millisecond.
      rounds: 3,
    },
  ]);
  await bottleneck.stop();
  const { 'permit floor': permitFloor, ...withoutFloor } = acquire;

  return [
    {
      scenario: 'uncontended',
      what: '`await null` loop (the floor)',
      unit: 'ns/op',
      tollgate: floor.tollgate,
    },
    {
      scenario: 'uncontended',
      what: '`await acquire()` + `release()`',
      unit: 'ns/op',
      ...split(withoutFloor),
      target: '≤ 1.10× async-sema, or ≤ 2 ns above the floor line below',
      met: acquire.tollgate <= 1.1 * acquire['async-sema'] || acquire.tollgate - permitFloor <= 2,
    },
    {
      scenario: 'uncontended',
      what: 'the floor of that line: `await` of a fresh permit object, no limiter (see `FloorPermit`)',
      unit: 'ns/op',
      tollgate: permitFloor,
      peers: { 'async-sema': acquire['async-sema'] },
    },
    {
      scenario: 'uncontended',
      what: '`await acquire()` + `release()` minus that floor: what the limiter logic adds',
      unit: 'ns/op',
      tollgate: acquire.tollgate - permitFloor,
      target: '≤ 2 ns',
      met: acquire.tollgate - permitFloor <= 2,
    },
    {
      scenario: 'uncontended',
      what: '`tryAcquire()` + `release()`',
      unit: 'ns/op',
      ...split(tryAcquire),
      target: '≤ 25 ns',
      met: tryAcquire.tollgate <= 25,
    },
    {
      scenario: 'uncontended',
      what: '`await run(fn)` (p-limit `limit(fn)`, p-queue `add`, bottleneck `schedule`)',
      unit: 'ns/op',
      ...split(runFn),
    },
  ];
}
