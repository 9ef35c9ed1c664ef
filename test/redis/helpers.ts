import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { fromIoredis, type RedisScriptClient } from '../../src/redis/index.js';
import { RedisServer } from './server.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An adapter that counts its script calls by op (ARGV[1]), to assert round trips. */
export function counting(inner: RedisScriptClient): RedisScriptClient & { calls: Map<string, number>; total(): number } {
  const calls = new Map<string, number>();
  const adapter: RedisScriptClient & { calls: Map<string, number>; total(): number } = {
    calls,
    total: () => [...calls.values()].reduce((a, b) => a + b, 0),
    evalScript(script, keys, args) {
      calls.set(args[0]!, (calls.get(args[0]!) ?? 0) + 1);
      return inner.evalScript(script, keys, args);
    },
  };
  if (inner.subscribe) adapter.subscribe = inner.subscribe.bind(inner);
  return adapter;
}

let nameSeq = 0;
/** A fresh limiter name per test, so tests never share state. */
export const uniqueName = (label: string): string => `${label}-${process.pid}-${nameSeq++}`;

/**
 * Starts a private redis-server for the file (beforeAll) and stops it after (afterAll), with an
 * ioredis command connection, a subscriber connection, and `redis()` adapters over them.
 */
export function useRedis() {
  const ctx = {
    server: undefined as unknown as RedisServer,
    client: undefined as unknown as Redis,
    connections: [] as Redis[],
    /** A new connection pair (command + subscriber), as another process would have. */
    connect(options: { subscriber?: boolean } = {}) {
      const client = new Redis(ctx.server.port, '127.0.0.1');
      ctx.connections.push(client);
      if (options.subscriber === false) return counting(fromIoredis(client));
      const subscriber = client.duplicate();
      ctx.connections.push(subscriber);
      return counting(fromIoredis(client, { subscriber }));
    },
  };
  beforeAll(async () => {
    ctx.server = await RedisServer.start();
    ctx.client = new Redis(ctx.server.port, '127.0.0.1');
    ctx.connections.push(ctx.client);
  });
  afterAll(async () => {
    for (const c of ctx.connections) c.disconnect();
    await ctx.server?.stop();
  });
  return ctx;
}
