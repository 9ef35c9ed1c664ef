/**
 * All a Redis limiter needs from a client: run a Lua script. `subscribe` is optional: with it,
 * waiters wake on a PUBLISH the moment capacity is granted to them; without it, they learn by a
 * bounded poll. It must use a connection of its own (a subscribed connection runs nothing else).
 *
 * @example
 * ```ts
 * const redis: RedisScriptClient = {
 *   evalScript: (script, keys, args) => client.eval(script, keys.length, ...keys, ...args),
 * };
 * ```
 */
export interface RedisScriptClient {
  evalScript(script: string, keys: string[], args: string[]): Promise<unknown>;
  /** Calls `onMessage` for each message on `channel`; resolves, once subscribed, to an unsubscribe. */
  subscribe?(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;
}

/**
 * The part of an ioredis client used (typed structurally: ioredis is never imported).
 *
 * @example
 * ```ts
 * const client: IoredisLike = new Redis();
 * ```
 */
export interface IoredisLike {
  evalsha(sha1: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/**
 * An ioredis connection used only for subscriptions (`client.duplicate()`).
 *
 * @example
 * ```ts
 * const subscriber: IoredisSubscriberLike = client.duplicate();
 * ```
 */
export interface IoredisSubscriberLike {
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
}

/**
 * The part of a node-redis (`redis` v4+) client used.
 *
 * @example
 * ```ts
 * const client: NodeRedisLike = await createClient().connect();
 * ```
 */
export interface NodeRedisLike {
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/**
 * A node-redis connection used only for subscriptions (`await client.duplicate().connect()`).
 *
 * @example
 * ```ts
 * const subscriber: NodeRedisSubscriberLike = await client.duplicate().connect();
 * ```
 */
export interface NodeRedisSubscriberLike {
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
}

// Web Crypto (globalThis.crypto), not node:crypto: the entry imports nothing of Node's.
const shas = new Map<string, Promise<string>>();
function sha1Of(script: string): Promise<string> {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = globalThis.crypto.subtle
      .digest('SHA-1', new TextEncoder().encode(script))
      .then((digest) => Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join(''));
    shas.set(script, sha);
  }
  return sha;
}

const isNoScript = (error: unknown): boolean => String((error as Error | undefined)?.message ?? error).includes('NOSCRIPT');

/** EVALSHA first (the script is not resent each time); EVAL once the server says it lacks it (a restart, SCRIPT FLUSH), which also caches it again. */
async function evalCached(script: string, bySha: (sha: string) => Promise<unknown>, byText: () => Promise<unknown>): Promise<unknown> {
  try {
    return await bySha(await sha1Of(script));
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return byText();
  }
}

/**
 * Adapts an ioredis client. Pass `subscriber` (a second connection, e.g. `client.duplicate()`)
 * to wake waiters by pub/sub instead of the fallback poll. The connections stay yours to close.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * const client = new Redis();
 * const redis = fromIoredis(client, { subscriber: client.duplicate() });
 * const semaphore = new RedisSemaphore({ redis, name: 'api', capacity: 3, leaseMs: 30_000 });
 * ```
 */
export function fromIoredis(client: IoredisLike, options: { subscriber?: IoredisSubscriberLike } = {}): RedisScriptClient {
  const adapter: RedisScriptClient = {
    evalScript: (script, keys, args) =>
      evalCached(
        script,
        (sha) => client.evalsha(sha, keys.length, ...keys, ...args),
        () => client.eval(script, keys.length, ...keys, ...args),
      ),
  };
  const subscriber = options.subscriber;
  if (subscriber === undefined) return adapter;
  const dispatch = dispatcherOf(subscriber);
  adapter.subscribe = async (channel, onMessage) => {
    let set = dispatch.get(channel);
    if (set === undefined) dispatch.set(channel, (set = new Set()));
    set.add(onMessage);
    if (set.size === 1) await subscriber.subscribe(channel);
    return async () => {
      if (!set.delete(onMessage) || set.size > 0) return;
      dispatch.delete(channel);
      await subscriber.unsubscribe(channel);
    };
  };
  return adapter;
}

/**
 * ioredis has one 'message' event per connection: one listener per subscriber connection, however
 * many adapters share it, dispatching by channel (so no MaxListeners warning, nothing left behind).
 */
const dispatchers = new WeakMap<IoredisSubscriberLike, Map<string, Set<(message: string) => void>>>();
function dispatcherOf(subscriber: IoredisSubscriberLike): Map<string, Set<(message: string) => void>> {
  let listeners = dispatchers.get(subscriber);
  if (listeners === undefined) {
    const map = new Map<string, Set<(message: string) => void>>();
    listeners = map;
    dispatchers.set(subscriber, map);
    subscriber.on('message', (channel, message) => {
      for (const listener of map.get(channel) ?? []) listener(message);
    });
  }
  return listeners;
}

/**
 * Adapts a node-redis (`redis` v4+) client. Pass `subscriber` (`await client.duplicate().connect()`)
 * to wake waiters by pub/sub instead of the fallback poll. The connections stay yours to close.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const client = await createClient().connect();
 * const redis = fromNodeRedis(client, { subscriber: await client.duplicate().connect() });
 * const bucket = new RedisTokenBucket({ redis, name: 'api', capacity: 10, refillIntervalMs: 100 });
 * ```
 */
export function fromNodeRedis(client: NodeRedisLike, options: { subscriber?: NodeRedisSubscriberLike } = {}): RedisScriptClient {
  const adapter: RedisScriptClient = {
    evalScript: (script, keys, args) =>
      evalCached(
        script,
        (sha) => client.evalSha(sha, { keys, arguments: args }),
        () => client.eval(script, { keys, arguments: args }),
      ),
  };
  const subscriber = options.subscriber;
  if (subscriber === undefined) return adapter;
  adapter.subscribe = async (channel, onMessage) => {
    const listener = (message: string): void => onMessage(message);
    await subscriber.subscribe(channel, listener);
    return async () => {
      await subscriber.unsubscribe(channel, listener);
    };
  };
  return adapter;
}
