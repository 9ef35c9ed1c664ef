// Who is admitted, and in what order, under priorities, both admission rules and maxBypass
// (docs/semantics.md §2, §11.1): random acquires, releases and aborts on the two semaphores,
// checked admission by admission against the plain reference model of test/model/queue-model.ts.
// Independently of the model, no waiter is ever passed by more than maxBypass later arrivals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcurrencySemaphore, CreditSemaphore, type LimiterEvent, type Permit } from '../../src/index.js';
import { QueueModel, type ModelWaiter } from '../model/queue-model.js';
import { flush } from '../support/queue-limiters.js';

type Op = { t: 'acquire'; units: number; priority: number; signal: boolean } | { t: 'release'; k: number } | { t: 'abort'; k: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('acquire' as const), units: fc.integer({ min: 1, max: 5 }), priority: fc.constantFrom(0, 0, 0, 1, 2, -1), signal: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('release' as const), k: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('abort' as const), k: fc.nat() }) },
);

/** The gate's scan over the model: admit the candidate while there is one. */
function scan(model: QueueModel, state: { free: number }, out: number[]): void {
  for (let w = model.candidate(state.free); w !== undefined; w = model.candidate(state.free)) {
    model.admit(w);
    state.free -= w.units;
    out.push(w.seq);
  }
}

describe('admission order against the reference model (docs/semantics.md §2, §11.1)', () => {
  it('fifo and opportunistic, with priorities and maxBypass 0, 1, 2, 5 or none', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('fifo' as const, 'opportunistic' as const),
        fc.constantFrom(0, 1, 2, 5, Infinity),
        fc.boolean(),
        fc.array(op, { minLength: 10, maxLength: 80, size: 'max' }),
        async (admission, maxBypass, credit, ops) => {
          const events: LimiterEvent[] = [];
          const options = { capacity: 5, admission, maxBypass, onEvent: (e: LimiterEvent) => events.push(e) };
          const l = credit ? new CreditSemaphore(options) : new ConcurrencySemaphore(options);
          const model = new QueueModel(admission === 'opportunistic', maxBypass);
          const state = { free: 5 };
          const expected: number[] = [];
          const permits = new Map<number, Permit>();
          const heldUnits = new Map<number, number>();
          const controllers = new Map<number, AbortController>();
          const waiting = new Map<number, ModelWaiter>();
          let seq = 0;
          for (const o of ops) {
            if (o.t === 'acquire') {
              const id = seq++;
              const m: ModelWaiter = { seq: id, units: o.units, priority: o.priority, passed: 0 };
              const controller = o.signal ? new AbortController() : undefined;
              if (controller) controllers.set(id, controller);
              const headBefore = model.ordered()[0];
              void l.acquire(o.units, { id, priority: o.priority, signal: controller?.signal }).then(
                (p) => permits.set(id, p),
                () => undefined,
              );
              if (model.waiters.length === 0 && o.units <= state.free) {
                state.free -= o.units;
                expected.push(id);
              } else {
                model.push(m);
                waiting.set(id, m);
                // Fair entry: only a newcomer queued ahead of everyone is the reason for a scan.
                if (headBefore !== undefined && o.priority > headBefore.priority) scan(model, state, expected);
              }
              heldUnits.set(id, o.units);
            } else if (o.t === 'release') {
              await flush();
              const held = [...permits.keys()];
              if (held.length === 0) continue;
              const id = held[o.k % held.length]!;
              permits.get(id)!.release();
              permits.delete(id);
              state.free += heldUnits.get(id)!;
              scan(model, state, expected);
            } else {
              const open = [...waiting.values()].filter((m) => model.waiters.includes(m) && controllers.has(m.seq));
              if (open.length === 0) continue;
              const m = open[o.k % open.length]!;
              controllers.get(m.seq)!.abort();
              model.remove(m);
              scan(model, state, expected);
            }
            await flush();
            const admitted = events.filter((e) => e.type === 'admitted').map((e) => e.id);
            expect(admitted, `after ${JSON.stringify(o)}`).toEqual(expected);
            expect(l.pending).toBe(model.waiters.length);
            expect(l.available).toBe(state.free);
          }
          l.close();
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('no waiter is passed by more than maxBypass later arrivals (events only, priorities included)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('fifo' as const, 'opportunistic' as const),
        fc.constantFrom(0, 1, 2, 5),
        fc.array(op, { minLength: 10, maxLength: 80, size: 'max' }),
        async (admission, maxBypass, ops) => {
          const passed = new Map<number, number>();
          const l = new CreditSemaphore({
            capacity: 5,
            admission,
            maxBypass,
            onEvent: (e) => {
              const id = e.id as number;
              if (e.type === 'queued') passed.set(id, 0);
              else if (e.type === 'admitted') {
                for (const [other, n] of passed) {
                  if (other >= id) continue;
                  expect(n + 1, `waiter ${other} passed by ${id}`).toBeLessThanOrEqual(maxBypass);
                  passed.set(other, n + 1);
                }
                passed.delete(id);
              } else if (e.type === 'aborted') passed.delete(id);
            },
          });
          const permits: Permit[] = [];
          const controllers: AbortController[] = [];
          let seq = 0;
          for (const o of ops) {
            if (o.t === 'acquire') {
              const c = new AbortController();
              controllers.push(c);
              void l.acquire(o.units, { id: seq++, priority: o.priority, signal: c.signal }).then((p) => permits.push(p), () => undefined);
            } else if (o.t === 'release') {
              if (permits.length > 0) permits.splice(o.k % permits.length, 1)[0]!.release();
            } else if (controllers.length > 0) controllers[o.k % controllers.length]!.abort();
            await flush();
          }
          l.close();
        },
      ),
      { seed: 43, numRuns: 300 },
    );
  });
});
