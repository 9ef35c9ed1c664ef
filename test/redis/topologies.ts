import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, RedisServer } from './server.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** `redis-cli -p port ...args` on loopback; its output. */
export async function cli(port: number, ...args: string[]): Promise<string> {
  return (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout;
}

/** Three local primaries made one Redis Cluster with `redis-cli --cluster create` (no replicas). */
export async function startCluster(): Promise<{ ports: number[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-cluster-'));
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      // An explicit bus port: the default, port + 10000, may be past 65535.
      const args = ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-port', String(await freePort()), '--cluster-node-timeout', '2000', '--dir', dir];
      const node = new RedisServer(port, args);
      await node.start();
      nodes.push(node);
    }
    const ports = nodes.map((n) => n.port);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) await waitFor(async () => (await cli(port, 'cluster', 'info')).includes('cluster_state:ok'), `cluster node ${port}`);
    return {
      ports,
      async stop() {
        for (const n of nodes) await n.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const n of nodes) await n.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A primary, one replica and one Sentinel (quorum 1, down after 1 s) watching them as `mymaster`. */
export async function startSentinel(): Promise<{ primary: RedisServer; replica: RedisServer; sentinelPort: number; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-sentinel-'));
  // No 5 s wait before the first full sync (the default), so the replica holds the data at once.
  const primary = await RedisServer.start(['--repl-diskless-sync-delay', '0']);
  const replica = await RedisServer.start(['--replicaof', '127.0.0.1', String(primary.port)]);
  const sentinelPort = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `sentinel monitor mymaster 127.0.0.1 ${primary.port} 1`,
      'sentinel down-after-milliseconds mymaster 1000',
      'sentinel failover-timeout mymaster 5000',
      'sentinel resolve-hostnames no',
      `dir ${dir}`,
      '',
    ].join('\n'),
  );
  const sentinel = new RedisServer(sentinelPort, [conf, '--sentinel']);
  const stop = async () => {
    await sentinel.stop();
    await replica.stop();
    await primary.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Connected is not enough: a replica still in its first sync has none of the data.
    await waitFor(async () => (await cli(replica.port, 'info', 'replication')).includes('master_link_status:up'), 'replica in sync');
    // And the stream flowing: right after the first sync a write can take a second to arrive.
    await cli(primary.port, 'set', 'tollgate:probe', '1');
    await waitFor(async () => (await cli(replica.port, 'get', 'tollgate:probe')).trim() === '1', 'replication stream');
    await sentinel.start();
    await waitFor(async () => (await cli(sentinelPort, 'sentinel', 'replicas', 'mymaster')).includes(String(replica.port)), 'sentinel');
    return { primary, replica, sentinelPort, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
