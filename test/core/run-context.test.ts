// The task sees its signal (docs/semantics.md §4.2, §11): every `run`-like entry point types `fn`
// as `(context: RunContext) => T | PromiseLike<T>` and calls it with `{ signal }`. The
// `expectTypeOf` lines are checked by `tsc --noEmit` (part of `npm test`); a `() => T` typing
// would make the destructuring callbacks below fail to compile.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ConcurrencySemaphore,
  CreditSemaphore,
  type Gate,
  KeyedLimiter,
  type Limiter,
  type RunContext,
  TokenBucket,
  VirtualClock,
} from '../../src/index.js';
import type { RedisGate } from '../../src/redis/redis-gate.js';
import type { RunContext as RedisRunContext } from '../../src/redis/index.js';

describe('run context: typings', () => {
  it('Gate.run, Limiter.run, KeyedLimiter.run and CreditSemaphore.transact take fn(context: RunContext)', () => {
    type FnOf<M extends (...args: never[]) => unknown, I extends number> = Parameters<M>[I];
    expectTypeOf<FnOf<Gate['run'], 0>>().parameters.toEqualTypeOf<[context: RunContext]>();
    expectTypeOf<FnOf<Limiter['run'], 0>>().parameters.toEqualTypeOf<[context: RunContext]>();
    expectTypeOf<FnOf<KeyedLimiter<string, TokenBucket>['run'], 1>>().parameters.toEqualTypeOf<[context: RunContext]>();
    expectTypeOf<FnOf<CreditSemaphore['transact'], 0>>().parameters.toEqualTypeOf<[context: RunContext]>();
    // tollgate/redis: its own context (the lease's signal, always there, and the fencing token).
    expectTypeOf<FnOf<RedisGate['run'], 0>>().parameters.toEqualTypeOf<[context: RedisRunContext]>();
    expectTypeOf<RedisRunContext>().toEqualTypeOf<{ signal: AbortSignal; fencingToken: number }>();
  });

  it('the result type follows fn, sync or async, with the context destructured', () => {
    // Only compiled, never called: the calls would need limiters to run on.
    const typed = (keyed: KeyedLimiter<string, TokenBucket>, credits: CreditSemaphore) => {
      expectTypeOf(keyed.run('a', ({ signal }) => signal)).toEqualTypeOf<Promise<AbortSignal | undefined>>();
      expectTypeOf(keyed.run('a', async ({ signal }) => signal?.aborted ?? false)).toEqualTypeOf<Promise<boolean>>();
      expectTypeOf(credits.transact(({ signal }) => signal, { credits: 1 })).toEqualTypeOf<Promise<AbortSignal | undefined>>();
      expectTypeOf(credits.transact(async () => 1, { credits: 1 })).toEqualTypeOf<Promise<number>>();
    };
    expectTypeOf(typed).parameters.toEqualTypeOf<[keyed: KeyedLimiter<string, TokenBucket>, credits: CreditSemaphore]>();
  });
});

describe('run context: what fn receives', () => {
  it('KeyedLimiter.run calls fn with { signal }: the caller’s, or undefined without one', async () => {
    const clock = new VirtualClock();
    const keyed = new KeyedLimiter((_key: string) => new ConcurrencySemaphore({ capacity: 1, clock }), { clock });
    const controller = new AbortController();
    const seen: unknown[][] = [];
    await keyed.run('a', (...args: unknown[]) => void seen.push(args), { signal: controller.signal });
    await keyed.run('a', (...args: unknown[]) => void seen.push(args));
    expect(seen).toEqual([[{ signal: controller.signal }], [{ signal: undefined }]]);
    expect((seen[0]![0] as RunContext).signal).toBe(controller.signal);
    keyed.close();
  });

  it('CreditSemaphore.transact calls fn with { signal }: the caller’s, or undefined without one', async () => {
    const sem = new CreditSemaphore({ capacity: 4, clock: new VirtualClock() });
    const controller = new AbortController();
    const seen: unknown[][] = [];
    expect(await sem.transact((...args: unknown[]) => (seen.push(args), 'done'), { credits: 2, signal: controller.signal })).toBe('done');
    await sem.transact((...args: unknown[]) => void seen.push(args), { credits: 1 });
    expect(seen).toEqual([[{ signal: controller.signal }], [{ signal: undefined }]]);
    expect((seen[0]![0] as RunContext).signal).toBe(controller.signal);
    expect(sem.stats()).toMatchObject({ running: 0, held: 0 });
  });
});
