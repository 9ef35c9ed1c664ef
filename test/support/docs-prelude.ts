// What the samples may use without defining it. `ambient` is a global declaration file in the
// type-check program (at test/docs/__prelude__.d.ts, so `import('../../src/…')` types point at the
// source); `runtime` is loaded with `node --import` before a markdown sample runs.
//
// Markdown samples are meant to be complete programs: they use only `fetch` (stubbed below for
// every host but 127.0.0.1) and, at most, `api`, `url`, `urls`, `work`. TSDoc examples are
// fragments about one member, so the free names they use (`limiter`, `sem`, `permit`, …) are
// declared here with the types the example means.
export const ambient = `

/** A stand-in API client. */
declare const api: {
  quote(symbol: string): Promise<{ symbol: string; price: number }>;
  getQuote(symbol: string): Promise<{ symbol: string; price: number }>;
  placeOrder(order: { symbol: string; qty: number }): Promise<{ id: string }>;
  users: { get(id: string): Promise<{ id: string; name: string }> };
};
declare const url: string;
declare const urls: string[];
declare function work(): Promise<void>;
declare function crawl(url: string): Promise<void>;
declare const t: number;
declare function callTheApi(): Promise<unknown>;
declare function handle(req: unknown, res: unknown): Promise<void>;
declare function log(...args: unknown[]): void;
declare const metrics: { gauge(name: string, value: number): void };
declare const provider: { getMeter(name: string): import('../../src/otel/index.js').OtelOptions['meter'] };
declare const signal: AbortSignal;
declare const ids: string[];
declare const id: string;
declare const o: { symbol: string; qty: number };
declare const jobs: Array<() => Promise<void>>;

/** Express-like request/response of the examples that answer 429. */
interface ExampleResponse {
  status(code: number): ExampleResponse;
  set(name: string, value: string): ExampleResponse;
  end(): void;
}
declare const res: ExampleResponse & { readonly headers: Headers; readonly status: number };
declare const req: { user: string };
declare const app: { get(path: string, handler: (req: { user: string }, res: ExampleResponse) => unknown): void };

/** The limiter an example about one member talks about. */
declare const limiter: import('../../src/index.js').Limiter & import('../../src/index.js').LeakyBucketLimiter;
declare const sem: import('../../src/index.js').CreditSemaphore;
declare const bucket: import('../../src/index.js').TokenBucket;
declare const clock: import('../../src/index.js').VirtualClock;
declare const perUser: import('../../src/index.js').KeyedLimiter<string, import('../../src/index.js').TokenBucket>;
declare const perHost: import('../../src/index.js').KeyedLimiter<string, import('../../src/index.js').Throttle>;
declare const semaphore: import('../../src/redis/index.js').RedisSemaphore;

/** The Redis clients of the tollgate/redis examples. */
declare const Redis: typeof import('ioredis').Redis;
declare const client: import('ioredis').Redis;
declare const subscriber: import('ioredis').Redis;
declare const createClient: typeof import('redis').createClient;
declare const redis: import('../../src/redis/index.js').RedisScriptClient;

/** Collaborators inside src/redis, for the examples of its internal modules. */
type RedisSrc<M extends string> = M extends 'desk' ? typeof import('../../src/redis/ticket-desk.js')
  : M extends 'loop' ? typeof import('../../src/redis/wake-loop.js')
  : M extends 'tickets' ? typeof import('../../src/redis/tickets.js')
  : M extends 'runner' ? typeof import('../../src/redis/script-runner.js')
  : typeof import('../../src/redis/redis-options.js');
declare const desk: import('../../src/redis/ticket-desk.js').TicketDesk<import('../../src/redis/index.js').RedisPermit>;
declare const runner: import('../../src/redis/script-runner.js').ScriptRunner;
declare const config: import('../../src/redis/redis-options.js').RedisGateConfig;
declare const options: Parameters<RedisSrc<'options'>['resolveOptions']>[0];
declare const budget: import('../../src/redis/index.js').RedisBudget;
declare const keeper: import('../../src/redis/lease-keeper.js').LeaseKeeper;
declare const grant: Parameters<import('../../src/redis/lease-keeper.js').LeaseKeeper['permit']>[1];
declare const validUntil: number;
/** The common arguments every script call starts with, the limiter's keys, a lease or ticket id, a score. */
declare const common: string[];
declare const keys: string[];
declare const lease: string;
declare const score: string;
declare const leases: string[];
declare const ticket: string;
declare const channel: string;
declare const gate: { call(op: string, args: string[]): Promise<import('../../src/redis/script-runner.js').Reply> };
declare const callApi: () => Promise<unknown>;
declare const check: () => void;
declare const SEMAPHORE_SCRIPT: string;
declare const SEMAPHORE_BUDGET: string;
declare const loop: { poll(): void };
declare const host: import('../../src/redis/ticket-desk.js').DeskHost<import('../../src/redis/index.js').RedisPermit> & import('../../src/redis/wake-loop.js').WakeHost;
declare const book: import('../../src/redis/tickets.js').TicketBook;
declare const w: import('../../src/redis/tickets.js').Ticket;
declare const onAbort: ConstructorParameters<RedisSrc<'tickets'>['Ticket']>[5];
declare const admitByTicket: import('../../src/redis/wake-loop.js').WakeHost['granted'];
declare const reject: import('../../src/redis/wake-loop.js').WakeHost['drop'];
/** A clock reading that the examples both call (\`now()\`) and add to (\`now + 5_000\`). */
declare const now: number & (() => number);
`;

export const runtime = `
const realFetch = globalThis.fetch;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// A stand-in for the network: every host but 127.0.0.1/localhost answers 200 with a small JSON
// body and rate-limit headers, after 5 ms; a signal aborts it as a real fetch would.
globalThis.fetch = async (input, init) => {
  const target = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  if (target.hostname === '127.0.0.1' || target.hostname === 'localhost') return realFetch(input, init);
  init?.signal?.throwIfAborted();
  await sleep(5);
  init?.signal?.throwIfAborted();
  return new Response(JSON.stringify({ url: target.href }), {
    status: 200,
    headers: { 'content-type': 'application/json', 'x-ratelimit-remaining': '99', 'x-ratelimit-reset': '60' },
  });
};
globalThis.api = {
  quote: async (symbol) => (await sleep(5), { symbol, price: 100 }),
  placeOrder: async (order) => (await sleep(5), { id: 'order-1', ...order }),
  users: { get: async (id) => (await sleep(5), { id, name: 'user ' + id }) },
};
globalThis.url = 'https://api.example.com/items/1';
globalThis.urls = ['https://api.example.com/items/1', 'https://api.example.com/items/2', 'https://api.example.com/items/3'];
globalThis.work = () => sleep(5);
`;
