import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port the OS just gave out and took back: free unless someone grabs it in between. */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(200);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk;
      if (data.includes('\r\n')) {
        socket.destroy();
        resolve(data.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * A private redis-server on a free loopback port, nothing persisted. `stop` kills it (SIGKILL: the
 * data is gone, as after a crash); `start` brings it back on the same port, empty.
 */
export class RedisServer {
  #child: ChildProcess | undefined;
  /** `args`: more redis-server arguments (a config file first, `--replicaof`, cluster options). */
  constructor(readonly port: number, readonly args: readonly string[] = []) {}

  static async start(args: readonly string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), args);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      // Its own directory: a replica's full sync writes an RDB file there, never in the repo.
      [...this.args, ...(this.args.includes('--dir') ? [] : ['--dir', this.#dir()]), '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'],
      { stdio: 'ignore' },
    );
    this.#child = child;
    const failed = once(child, 'exit').then(() => {
      throw new Error(`redis-server on port ${this.port} exited at start (is redis-server installed? .ci/run installs it)`);
    });
    failed.catch(() => {});
    const deadline = Date.now() + 10_000;
    while (!(await ping(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) await Promise.race([failed, Promise.reject(new Error(`redis-server on port ${this.port} did not answer PING`))]);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  #tmp: string | undefined;
  #dir(): string {
    return (this.#tmp ??= mkdtempSync(join(tmpdir(), 'tollgate-redis-')));
  }

  /** The process, to pause (SIGSTOP) or kill it. */
  get child(): ChildProcess | undefined {
    return this.#child;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}
