// A separate process holding and waiting on one RedisSemaphore on the parent's orders, run with
// `node --import tsx`. Config is argv[2] (JSON). It reports each permit's life on the host's
// CLOCK_MONOTONIC (shared by every process), so the parent can check, outside the library, that
// at no instant do the permits clients believe valid add up to more than the capacity.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { fromIoredis, fromNodeRedis, RedisCreditSemaphore, RedisSemaphore, type RedisPermit, type RedisScriptClient } from '../../../src/redis/index.js';

interface Config {
  port: number;
  /** The subscriber connection's port, when it goes through its own proxy; default `port`. */
  subscriberPort?: number;
  name: string;
  capacity: number;
  leaseMs: number;
  client?: 'ioredis' | 'node-redis';
  pollMs?: number;
  commandTimeoutMs?: number;
  /** A RedisCreditSemaphore with this refundMs instead of a RedisSemaphore. */
  refundMs?: number;
}
type Command =
  | { cmd: 'acquire'; tag: string; cost?: number; maxWaitMs?: number; abortAfterMs?: number; holdMs?: number }
  | { cmd: 'try'; tag: string; cost?: number }
  | { cmd: 'run'; tag: string; cost?: number; fnMs: number }
  | { cmd: 'release'; tag: string }
  | { cmd: 'report' };

const config = JSON.parse(process.argv[2]!) as Config;
// CLOCK_MONOTONIC, as every process on the host reads it; performance.now() is offset per process.
const hr = (): number => Number(process.hrtime.bigint()) / 1e6;
const offset = hr() - performance.now();
const send = (message: unknown): void => void process.send!(message);

async function connect(): Promise<RedisScriptClient> {
  if (config.client === 'node-redis') {
    const client = await createClient({ url: `redis://127.0.0.1:${config.port}` }).connect();
    const subscriber = await client.duplicate().connect();
    for (const c of [client, subscriber]) c.on('error', () => {});
    return fromNodeRedis(client, { subscriber });
  }
  // Default ioredis options on purpose: the library must hold whatever the client does.
  const client = new Redis(config.port, '127.0.0.1');
  const subscriber = config.subscriberPort === undefined ? client.duplicate() : new Redis(config.subscriberPort, '127.0.0.1');
  for (const c of [client, subscriber]) c.on('error', () => {});
  return fromIoredis(client, { subscriber });
}

const Kind = config.refundMs === undefined ? RedisSemaphore : RedisCreditSemaphore;
const semaphore = new Kind({
  redis: await connect(),
  refundMs: config.refundMs ?? 0,
  admission: 'fifo',
  name: config.name,
  capacity: config.capacity,
  leaseMs: config.leaseMs,
  unknownState: 'fresh',
  ...(config.pollMs === undefined ? {} : { pollMs: config.pollMs }),
  ...(config.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: config.commandTimeoutMs }),
} as ConstructorParameters<typeof RedisCreditSemaphore>[0]);

interface Life {
  tag: string;
  cost: number;
  fence: number;
  start: number;
  /** When it stopped being believed valid: released, lost, or its validity over, whichever first. */
  end: number | undefined;
  lostAt: number | undefined;
  validAtStart: number;
}
const lives: Life[] = [];
const permits = new Map<string, RedisPermit>();

function track(tag: string, permit: RedisPermit): Life {
  const life: Life = { tag, cost: permit.cost, fence: permit.fencingToken, start: hr(), end: undefined, lostAt: undefined, validAtStart: permit.validUntil + offset };
  lives.push(life);
  permits.set(tag, permit);
  permit.signal.addEventListener('abort', () => {
    life.lostAt = hr();
    // Believed valid until its validity ended (reading permit.lost after that says true).
    life.end ??= Math.min(life.lostAt, permit.validUntil + offset);
    send({ ev: 'lost', tag, at: life.lostAt, validUntil: permit.validUntil + offset, code: (permit.signal.reason as { code?: string }).code });
  });
  send({ ev: 'admitted', tag, at: life.start, fence: permit.fencingToken, validUntil: permit.validUntil + offset, lease: permit.lease });
  return life;
}

function end(tag: string): void {
  const permit = permits.get(tag);
  if (permit === undefined) return;
  permits.delete(tag);
  const life = lives.find((l) => l.tag === tag)!;
  life.end ??= Math.min(hr(), permit.validUntil + offset);
  permit.release();
  send({ ev: 'released', tag, at: hr() });
}

const errorOf = (e: unknown) => ({ name: (e as Error).name, code: (e as { code?: string }).code, message: (e as Error).message, timedOut: (e as { timedOut?: boolean }).timedOut });

process.on('message', (m: Command) => {
  const t0 = hr();
  if (m.cmd === 'acquire') {
    const controller = new AbortController();
    if (m.abortAfterMs !== undefined) setTimeout(() => controller.abort(new Error('aborted by the caller')), m.abortAfterMs);
    semaphore
      .acquire(m.cost ?? 1, { ...(m.maxWaitMs === undefined ? {} : { maxWaitMs: m.maxWaitMs }), signal: controller.signal })
      .then(
        (permit) => {
          track(m.tag, permit);
          if (m.holdMs !== undefined) setTimeout(() => end(m.tag), m.holdMs);
        },
        (e: unknown) => send({ ev: 'rejected', tag: m.tag, at: hr(), after: hr() - t0, error: errorOf(e) }),
      );
  } else if (m.cmd === 'try') {
    semaphore.tryAcquire(m.cost ?? 1).then(
      (permit) => (permit === undefined ? send({ ev: 'none', tag: m.tag, after: hr() - t0 }) : void track(m.tag, permit)),
      (e: unknown) => send({ ev: 'rejected', tag: m.tag, at: hr(), after: hr() - t0, error: errorOf(e) }),
    );
  } else if (m.cmd === 'run') {
    semaphore
      .run(
        async ({ fencingToken }) => {
          const life: Life = { tag: m.tag, cost: m.cost ?? 1, fence: fencingToken, start: hr(), end: undefined, lostAt: undefined, validAtStart: 0 };
          lives.push(life);
          send({ ev: 'admitted', tag: m.tag, at: life.start, fence: fencingToken });
          await new Promise((r) => setTimeout(r, m.fnMs));
          life.end = hr();
          return 'done';
        },
        { cost: m.cost ?? 1 },
      )
      .then(
        (result) => send({ ev: 'ran', tag: m.tag, at: hr(), after: hr() - t0, result }),
        (e: unknown) => send({ ev: 'rejected', tag: m.tag, at: hr(), after: hr() - t0, error: errorOf(e) }),
      );
  } else if (m.cmd === 'release') {
    end(m.tag);
  } else if (m.cmd === 'report') {
    const now = hr();
    send({ ev: 'report', lives: lives.map((l) => ({ ...l, end: l.end ?? Math.min(now, permits.get(l.tag)?.validUntil === undefined ? now : permits.get(l.tag)!.validUntil + offset) })) });
  }
});
send({ ev: 'ready' });
