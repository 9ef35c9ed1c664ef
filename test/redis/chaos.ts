import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { RedisPermit } from '../../src/redis/index.js';

const workerPath = fileURLToPath(new URL('./workers/chaos-worker.ts', import.meta.url));

/** CLOCK_MONOTONIC in ms, as every process on the host reads it. */
export const hr = (): number => Number(process.hrtime.bigint()) / 1e6;

export interface WorkerEvent {
  ev: 'ready' | 'admitted' | 'lost' | 'released' | 'rejected' | 'none' | 'ran' | 'report';
  tag?: string;
  at?: number;
  after?: number;
  fence?: number;
  validUntil?: number;
  lease?: string;
  code?: string;
  error?: { name: string; code?: string; message: string; timedOut?: boolean };
  lives?: Life[];
}
export interface Life {
  tag: string;
  cost: number;
  fence: number;
  start: number;
  end: number;
  lostAt?: number;
}

/** A chaos worker process: orders go over IPC, every event it reports is kept and can be awaited. */
export class Worker {
  readonly events: WorkerEvent[] = [];
  readonly #waiters: Array<() => void> = [];
  private constructor(readonly child: ChildProcess, readonly label: string) {
    child.on('message', (m: WorkerEvent) => {
      this.events.push(m);
      for (const w of this.#waiters.splice(0)) w();
    });
    child.on('exit', () => {
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async start(label: string, config: Record<string, unknown>): Promise<Worker> {
    const child = spawn(process.execPath, ['--import', 'tsx', workerPath, JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const worker = new Worker(child, label);
    await worker.next((e) => e.ev === 'ready', 20_000);
    return worker;
  }

  send(command: Record<string, unknown>): void {
    this.child.send(command);
  }

  /** The first event (already in or still to come) matching `match`. */
  async next(match: (e: WorkerEvent) => boolean, timeoutMs = 10_000): Promise<WorkerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`${this.label} exited`);
      if (Date.now() > deadline) throw new Error(`${this.label}: no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => e.ev + ':' + (e.tag ?? '')))}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  on(ev: WorkerEvent['ev'], tag: string, timeoutMs?: number): Promise<WorkerEvent> {
    return this.next((e) => e.ev === ev && e.tag === tag, timeoutMs);
  }

  async report(): Promise<Life[]> {
    this.events.splice(0, this.events.length, ...this.events.filter((e) => e.ev !== 'report'));
    this.send({ cmd: 'report' });
    return (await this.next((e) => e.ev === 'report')).lives!;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}

/**
 * The check made outside the library: at no instant do the permits that clients believe valid
 * (from admission until released, lost, or past their validity) hold more than `capacity`.
 * Returns the most held at once (so a test can also check the limit was actually reached).
 */
export function maxHeld(lives: Life[]): number {
  const points: Array<[number, number]> = [];
  for (const l of lives) if (l.end > l.start) points.push([l.start, l.cost], [l.end, -l.cost]);
  // Ends before starts at the same instant: [start, end) intervals.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let level = 0;
  let max = 0;
  for (const [, delta] of points) max = Math.max(max, (level += delta));
  return max;
}

/**
 * The same check for permits of this process: each permit's belief interval (admitted until
 * released, lost, or past its validity), on this process's clock. `close()` ends the open ones now.
 */
export function observer() {
  const lives: Life[] = [];
  const watch = (permit: RedisPermit): RedisPermit => {
    const life: Life = { tag: permit.lease, cost: permit.cost, fence: permit.fencingToken, start: performance.now(), end: Infinity };
    lives.push(life);
    const end = () => (life.end = Math.min(life.end, performance.now(), permit.validUntil));
    permit.signal.addEventListener('abort', end);
    const release = permit.release.bind(permit);
    const dispose = permit[Symbol.asyncDispose].bind(permit);
    permit.release = () => {
      end();
      release();
    };
    permit[Symbol.asyncDispose] = () => {
      end();
      return dispose();
    };
    return permit;
  };
  const close = () => lives.map((l) => (l.end === Infinity ? { ...l, end: performance.now() } : l));
  return { watch, close, lives };
}

/** How long, in all, the beliefs in `lives` added up to more than `capacity`. */
export function overCapacityMs(lives: Life[], capacity: number): number {
  const points: Array<[number, number]> = [];
  for (const l of lives) if (l.end > l.start) points.push([l.start, l.cost], [l.end, -l.cost]);
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let level = 0;
  let total = 0;
  let since = 0;
  for (const [at, delta] of points) {
    const before = level;
    level += delta;
    if (before <= capacity && level > capacity) since = at;
    else if (before > capacity && level <= capacity) total += at - since;
  }
  return total;
}

/** With capacity 1, permits in the order they were held carry strictly increasing fencing tokens. */
export function fencesIncrease(lives: Life[]): boolean {
  const held = lives.filter((l) => l.end > l.start).sort((a, b) => a.start - b.start);
  return held.every((l, i) => i === 0 || l.fence > held[i - 1]!.fence);
}

/**
 * A TCP proxy on 127.0.0.1 in front of Redis that can stall: while stalled it forwards nothing
 * either way (no reset, no error: the connection just goes quiet, as in a network partition).
 */
export class StallProxy {
  #stalled = false;
  readonly #queues: Array<{ socket: net.Socket; chunks: Buffer[] }> = [];
  readonly #sockets = new Set<net.Socket>();
  private constructor(readonly server: net.Server, readonly port: number) {}

  static async start(upstreamPort: number): Promise<StallProxy> {
    let proxy: StallProxy | undefined;
    const server = net.createServer((client) => proxy!.#pair(client, net.connect(upstreamPort, '127.0.0.1')));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    proxy = new StallProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  stall(): void {
    this.#stalled = true;
  }

  resume(): void {
    this.#stalled = false;
    for (const q of this.#queues) for (const chunk of q.chunks.splice(0)) q.socket.write(chunk);
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.server.close();
  }

  #pair(a: net.Socket, b: net.Socket): void {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const queue = { socket: to, chunks: [] as Buffer[] };
      this.#queues.push(queue);
      this.#sockets.add(from);
      from.on('data', (chunk: Buffer) => (this.#stalled ? queue.chunks.push(chunk) : to.write(chunk)));
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
  }
}
