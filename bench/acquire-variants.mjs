// What an uncontended `await acquire()` + `release()` pays for, variant by variant (ns/op, one
// interleaved run): from the bare floor (a counter, a fresh one-field object, a resolved promise,
// an await) up to tollgate's own call, each step adding one thing tollgate does. Not part of the
// `npm run bench` table; run alone: `npm run build && node bench/acquire-variants.mjs`.
import { pathToFileURL } from 'node:url';
import { Sema } from 'async-sema';
import { ConcurrencySemaphore } from 'tollgate';
import { perOp } from './harness.mjs';

class Floor {
  constructor(owner) {
    this.owner = owner;
  }
  release() {
    this.owner.free++;
  }
}
Object.defineProperty(Floor.prototype, 'then', { value: undefined });

/** Four fields, as GatePermit has (cost, release handler, refundMs, id). */
class FourFields {
  constructor(cost, owner, refundMs, id) {
    this.cost = cost;
    this.owner = owner;
    this.refundMs = refundMs;
    this.id = id;
  }
  release() {
    const owner = this.owner;
    if (owner === undefined) return;
    this.owner = undefined;
    owner.free += this.cost;
  }
}
Object.defineProperty(FourFields.prototype, 'then', { value: undefined });

/** The same with a `#private` handler that is a closure, called with the permit (GatePermit's shape). */
class PrivateClosure {
  #onRelease;
  constructor(cost, onRelease, refundMs, id) {
    this.cost = cost;
    this.#onRelease = onRelease;
    this.refundMs = refundMs;
    this.id = id;
  }
  release() {
    const onRelease = this.#onRelease;
    if (onRelease === undefined) return;
    this.#onRelease = undefined;
    onRelease(this);
  }
}
Object.defineProperty(PrivateClosure.prototype, 'then', { value: undefined });

/** A minimal limiter with private fields, a budget object and a permit holding the limiter itself (no closure). */
class Budget {
  out = 0;
  takes = 0;
  constructor(capacity) {
    this.capacity = capacity;
  }
  available() {
    return this.capacity - this.out;
  }
  take(cost) {
    this.out += cost;
    this.takes++;
  }
  give(cost) {
    if (--this.takes === 0) this.out = 0;
    else this.out -= cost;
  }
}
class MiniPermit {
  #gate;
  constructor(cost, gate) {
    this.cost = cost;
    this.#gate = gate;
  }
  release() {
    const gate = this.#gate;
    if (gate === undefined) return;
    this.#gate = undefined;
    gate.released(this.cost);
  }
}
Object.defineProperty(MiniPermit.prototype, 'then', { value: undefined });
class MiniGate {
  #budget;
  #closed = false;
  #size = 0;
  constructor(capacity) {
    this.#budget = new Budget(capacity);
  }
  acquire(cost = 1) {
    if (!this.#closed && this.#size === 0 && cost > 0 && cost <= this.#budget.available()) {
      this.#budget.take(cost);
      return Promise.resolve(new MiniPermit(cost, this));
    }
    return Promise.reject(new Error('not in this sketch'));
  }
  released(cost) {
    this.#budget.give(cost);
  }
}

export async function run() {
  const owner = { free: 8 };
  const closureOwner = { free: 8 };
  const onRelease = (permit) => {
    closureOwner.free += permit.cost;
  };
  const sem = new ConcurrencySemaphore({ capacity: 8 });
  const sema = new Sema(8);
  const mini = new MiniGate(8);
  const results = await perOp([
    {
      name: 'floor: one-field object',
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          owner.free--;
          (await Promise.resolve(new Floor(owner))).release();
        }
      },
    },
    {
      name: 'four fields, idempotent release',
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          owner.free--;
          (await Promise.resolve(new FourFields(1, owner, 0, undefined))).release();
        }
      },
    },
    {
      name: '… with a #private closure handler (GatePermit’s shape)',
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          closureOwner.free--;
          (await Promise.resolve(new PrivateClosure(1, onRelease, 0, undefined))).release();
        }
      },
    },
    {
      name: 'a minimal gate: budget object, permit holding the gate (no closure)',
      run: async (n) => {
        for (let i = 0; i < n; i++) (await mini.acquire()).release();
      },
    },
    {
      name: 'tollgate ConcurrencySemaphore',
      run: async (n) => {
        for (let i = 0; i < n; i++) (await sem.acquire()).release();
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
  ]);
  return Object.entries(results).map(([what, ns]) => ({ scenario: 'acquire variants', what, unit: 'ns/op', tollgate: ns }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await run();
  const sema = rows.at(-1).tollgate;
  for (const row of rows) console.log(`${row.tollgate.toFixed(1).padStart(7)} ns  ${(row.tollgate / sema).toFixed(2)}× async-sema  ${row.what}`);
}
