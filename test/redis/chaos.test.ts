// Real processes, a real redis-server, and faults made for real: SIGSTOP, SIGKILL, a stalled
// TCP connection, keys lost. In each, the check is made outside the library: every client
// reports when it believed it held what (on the host's monotonic clock), and at no instant may
// those beliefs add up to more than the capacity.
import { afterEach, expect, it } from 'vitest';
import { commandExists, requires } from '../support/requires.js';
import { hr, fencesIncrease, maxHeld, StallProxy, Worker, type WorkerEvent } from './chaos.js';
import { sleep, uniqueName, useRedis } from './helpers.js';

const describeRedis = requires('redis-server', commandExists('redis-server'), 'apt-get install redis-server');
const L = 600; // leaseMs: renewals every 200 ms, pollMs 200, commandTimeoutMs 200
/** With TOLLGATE_MEASURE=1, prints what was measured (the figures docs/redis-notes.md quotes). */
const measured = (what: string, ms: number) => process.env.TOLLGATE_MEASURE === '1' && console.info(`measured: ${what}: ${ms.toFixed(1)} ms`);

describeRedis('RedisSemaphore across processes under pauses, stalls and kills', () => {
  const ctx = useRedis();
  const workers: Worker[] = [];
  let proxy: StallProxy | undefined;
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGCONT');
      await w.kill();
    }
    await proxy?.stop();
    proxy = undefined;
  });
  const start = async (label: string, config: Record<string, unknown>) => {
    const w = await Worker.start(label, { port: ctx.server.port, leaseMs: L, ...config });
    workers.push(w);
    return w;
  };
  const queued = (name: string) => ctx.client.zcard(`tollgate:semaphore:{${name}}:q`);
  const until = async (check: () => Promise<boolean>, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await sleep(10);
    }
  };
  const lives = async (...ws: Worker[]) => (await Promise.all(ws.map((w) => w.report()))).flat();

  it('a holder paused (SIGSTOP) past leaseMs: the slot goes on only after its validity ended; resumed, it sees the loss at once', async () => {
    const name = uniqueName('stop-holder');
    const [h, b] = await Promise.all([start('holder', { name, capacity: 1 }), start('other', { name, capacity: 1 })]);
    h.send({ cmd: 'acquire', tag: 'h' });
    await h.on('admitted', 'h');
    b.send({ cmd: 'acquire', tag: 'b', holdMs: 100 });
    await until(async () => (await queued(name)) === 1);
    h.child.kill('SIGSTOP');
    const stoppedAt = hr();
    const admitted = await b.on('admitted', 'b', 5_000);
    expect(admitted.at! - stoppedAt).toBeLessThan(L + 400);
    await sleep(Math.max(0, 2 * L - (hr() - stoppedAt)));
    h.child.kill('SIGCONT');
    const resumedAt = hr();
    const lost = await h.on('lost', 'h', 2_000);
    expect(lost.code).toBe('ERR_LEASE_LOST');
    expect(lost.at! - resumedAt).toBeLessThan(200); // measured: ~2 ms
    measured('SIGSTOP holder: other admitted after the pause began', admitted.at! - stoppedAt);
    measured('SIGSTOP holder: loss seen after SIGCONT', lost.at! - resumedAt);
    expect(lost.validUntil!).toBeLessThanOrEqual(admitted.at!);
    const all = await lives(h, b);
    expect(maxHeld(all)).toBe(1);
    expect(fencesIncrease(all)).toBe(true);
  });

  it('a head waiter paused (SIGSTOP) past leaseMs is granted meanwhile, but never handed a lease that lapsed: resumed, it waits its turn again', async () => {
    const name = uniqueName('stop-head');
    const [a, w, c] = await Promise.all([start('holder', { name, capacity: 1 }), start('head', { name, capacity: 1 }), start('next', { name, capacity: 1 })]);
    a.send({ cmd: 'acquire', tag: 'a' });
    await a.on('admitted', 'a');
    w.send({ cmd: 'acquire', tag: 'w' });
    await until(async () => (await queued(name)) === 1);
    c.send({ cmd: 'acquire', tag: 'c' });
    await until(async () => (await queued(name)) === 2);
    w.child.kill('SIGSTOP');
    const stoppedAt = hr();
    a.send({ cmd: 'release', tag: 'a' }); // grants w's ticket, while w is paused
    const admittedC = await c.on('admitted', 'c', 5_000); // once w's grant lapsed
    expect(admittedC.at! - stoppedAt).toBeLessThan(L + 400);
    measured('SIGSTOP head waiter: next waiter admitted after the pause began', admittedC.at! - stoppedAt);
    await sleep(Math.max(0, 2 * L - (hr() - stoppedAt)));
    w.child.kill('SIGCONT');
    await sleep(400); // the wake-up message w got while paused, its claim, its re-queue
    expect(w.events.some((e) => e.ev === 'admitted')).toBe(false);
    const releasedAt = hr();
    c.send({ cmd: 'release', tag: 'c' });
    const admittedW = await w.on('admitted', 'w', 5_000);
    expect(admittedW.at!).toBeGreaterThanOrEqual(releasedAt);
    expect(admittedW.validUntil! - admittedW.at!).toBeGreaterThan(L / 2); // a live lease, not a lapsed one
    const all = await lives(a, w, c);
    expect(maxHeld(all)).toBe(1);
    expect(fencesIncrease(all)).toBe(true);
  });

  it('a holder cut off by a stalled network: told at its validity end; its calls keep to commandTimeoutMs, maxWaitMs and signal; run returns without waiting for the release', async () => {
    const name = uniqueName('stall');
    proxy = await StallProxy.start(ctx.server.port);
    const [h, b] = await Promise.all([start('cut-off', { name, capacity: 2, port: proxy.port }), start('direct', { name, capacity: 2 })]);
    h.send({ cmd: 'acquire', tag: 'long' });
    await h.on('admitted', 'long');
    h.send({ cmd: 'run', tag: 'r', fnMs: 300 });
    await h.on('admitted', 'r');
    proxy.stall();
    const stalledAt = hr();
    h.send({ cmd: 'try', tag: 't' });
    h.send({ cmd: 'acquire', tag: 'm', maxWaitMs: 100 });
    h.send({ cmd: 'acquire', tag: 'x', abortAfterMs: 50 });
    h.send({ cmd: 'acquire', tag: 'n' }); // no maxWaitMs: still never hangs
    b.send({ cmd: 'acquire', tag: 'b', cost: 2 });

    const aborted = await h.on('rejected', 'x');
    expect(aborted.error!.message).toBe('aborted by the caller');
    expect(aborted.after!).toBeLessThan(50 + 150);
    const timedOut = await h.on('rejected', 'm');
    expect(timedOut.error!.name).toBe('MaxWaitExceededError');
    expect(timedOut.after!).toBeLessThan(100 + 150);
    const tried = await h.on('rejected', 't');
    expect(tried.error).toMatchObject({ name: 'RedisLimiterError', code: 'ERR_REDIS_LIMITER', timedOut: true });
    expect(tried.after!).toBeLessThan(200 + 150);
    const unbounded = await h.on('rejected', 'n');
    expect(unbounded.error).toMatchObject({ name: 'RedisLimiterError', timedOut: true });
    const ran = await h.on('ran', 'r');
    expect(ran.after!).toBeLessThan(300 + 150); // not held up by a release that cannot reach Redis
    const lost = await h.on('lost', 'long', 3_000);
    expect(lost.at! - stalledAt).toBeLessThan(L + 150); // at its validity end, not after the stall (measured ~L)
    expect(lost.at! - lost.validUntil!).toBeLessThan(150); // measured: ~6 ms
    const admitted = await b.on('admitted', 'b', 5_000);
    expect(admitted.at!).toBeGreaterThanOrEqual(lost.validUntil!);
    measured('stall: holder told after the stall began', lost.at! - stalledAt);
    measured('stall: holder told after its validity end', lost.at! - lost.validUntil!);
    measured('stall: tryAcquire rejected after', tried.after!);
    measured('stall: acquire({ maxWaitMs: 100 }) rejected after', timedOut.after!);
    measured('stall: run of a 300 ms fn returned after', ran.after!);
    measured('stall: other admitted after the stall began', admitted.at! - stalledAt);
    proxy.resume();
    await sleep(300);
    const all = await lives(h, b);
    expect(maxHeld(all)).toBe(2);
  });

  it('the same stall with a node-redis client (default options): told at its validity end, calls bounded by commandTimeoutMs', async () => {
    const name = uniqueName('stall-nr');
    proxy = await StallProxy.start(ctx.server.port);
    const [h, b] = await Promise.all([start('cut-off', { name, capacity: 1, port: proxy.port, client: 'node-redis' }), start('direct', { name, capacity: 1 })]);
    h.send({ cmd: 'acquire', tag: 'long' });
    await h.on('admitted', 'long');
    proxy.stall();
    const stalledAt = hr();
    h.send({ cmd: 'try', tag: 't' });
    b.send({ cmd: 'acquire', tag: 'b' });
    const tried = await h.on('rejected', 't');
    expect(tried.error).toMatchObject({ name: 'RedisLimiterError', timedOut: true });
    expect(tried.after!).toBeLessThan(200 + 150);
    const lost = await h.on('lost', 'long', 3_000);
    expect(lost.at! - stalledAt).toBeLessThan(L + 150);
    const admitted = await b.on('admitted', 'b', 5_000);
    expect(admitted.at!).toBeGreaterThanOrEqual(lost.validUntil!);
    measured('stall, node-redis: holder told after the stall began', lost.at! - stalledAt);
    proxy.resume();
    expect(maxHeld(await lives(h, b))).toBe(1);
  });

  it('a holder killed (SIGKILL) with queued waiters: everything it had is free within leaseMs, and its tickets are never granted after', async () => {
    const name = uniqueName('kill-queued');
    const [k, b] = await Promise.all([start('killed', { name, capacity: 1 }), start('survivor', { name, capacity: 1 })]);
    k.send({ cmd: 'acquire', tag: 'k0' });
    const k0 = await k.on('admitted', 'k0');
    const dead = `${k0.lease!.split('.')[0]}.`;
    for (const tag of ['k1', 'k2', 'k3']) k.send({ cmd: 'acquire', tag });
    await until(async () => (await queued(name)) === 3);
    b.send({ cmd: 'acquire', tag: 'b' });
    await until(async () => (await queued(name)) === 4);
    await k.kill();
    const killedAt = hr();
    const serverNow = async () => ((t) => Number(t[0]) * 1000 + Number(t[1]) / 1000)(await ctx.client.time());
    // The dead process was last heard from before this instant on the server's clock.
    const lastHeard = await serverNow();
    // Watched from outside while it happens, not only at the end: no lease of the dead process
    // (its held one, or one granted to a queued ticket) ever runs past leaseMs after it was last
    // heard from, and once that is over nothing of it is left, queued or granted.
    let admittedB: WorkerEvent | undefined;
    void b.on('admitted', 'b', 5_000).then((e) => (admittedB = e), () => {});
    let samples = 0;
    for (let done = false; !done; await sleep(5)) {
      const [grants, tickets, now] = await Promise.all([
        ctx.client.zrange(`tollgate:semaphore:{${name}}:x`, '0', '-1', 'WITHSCORES'),
        ctx.client.zrange(`tollgate:semaphore:{${name}}:q`, '0', '-1'),
        serverNow(),
      ]);
      samples++;
      for (let i = 0; i < grants.length; i += 2) {
        if (!grants[i]!.startsWith(dead)) continue;
        expect(Number(grants[i + 1])).toBeLessThanOrEqual(lastHeard + L + 20);
        expect(now).toBeLessThan(lastHeard + L + 20 + 300); // dropped by the next call after it (a poll of b's)
      }
      if (now > lastHeard + L + 20 + 300) expect(tickets.filter((t) => t.startsWith(dead))).toEqual([]);
      done = admittedB !== undefined && now > lastHeard + L + 400;
    }
    expect(samples).toBeGreaterThan(20);
    // The lease and every queued ticket end at most leaseMs after the dead process was last
    // heard from; the survivor notices within one poll (200 ms).
    expect(admittedB!.at! - killedAt).toBeLessThan(L + 350);
    measured('SIGKILL with 3 queued tickets: survivor admitted after the kill', admittedB!.at! - killedAt);
    expect(await queued(name)).toBe(0);
    const grants = await ctx.client.zrange(`tollgate:semaphore:{${name}}:x`, '0', '-1');
    expect(grants).toHaveLength(1);
    expect(grants[0]!.startsWith(dead)).toBe(false);
    // The dead process believed it held k0 until it died.
    const all = [...(await lives(b)), { tag: 'k0', cost: 1, fence: k0.fence!, start: k0.at!, end: killedAt }];
    expect(maxHeld(all)).toBe(1);
    expect(fencesIncrease(all)).toBe(true);
  });

  it("a waiter whose subscriber connection stalls longer than its command connection: the late wake-up message for a grant that ran out meanwhile admits nobody", async () => {
    const name = uniqueName('stall-sub');
    proxy = await StallProxy.start(ctx.server.port);
    const subProxy = await StallProxy.start(ctx.server.port);
    try {
      const [a, w, b] = await Promise.all([
        start('holder', { name, capacity: 1 }),
        // Its calls are slow, not lost, during the stall: the poll out then is answered after it.
        start('cut-off', { name, capacity: 1, port: proxy.port, subscriberPort: subProxy.port, commandTimeoutMs: 3 * L }),
        start('next', { name, capacity: 1 }),
      ]);
      a.send({ cmd: 'acquire', tag: 'a' });
      await a.on('admitted', 'a');
      w.send({ cmd: 'acquire', tag: 'w' });
      await until(async () => (await queued(name)) === 1);
      b.send({ cmd: 'acquire', tag: 'b', holdMs: 300 });
      await until(async () => (await queued(name)) === 2);
      proxy.stall();
      subProxy.stall();
      a.send({ cmd: 'release', tag: 'a' }); // granted to w, whose poll and wake-up are both held up
      await until(async () => (await ctx.client.zcard(`tollgate:semaphore:{${name}}:x`)) === 1 && (await queued(name)) === 1);
      const [, expiry] = await ctx.client.zrange(`tollgate:semaphore:{${name}}:x`, '0', '-1', 'WITHSCORES');
      const t = await ctx.client.time();
      const left = Number(expiry) - (Number(t[0]) * 1000 + Number(t[1]) / 1000);
      await sleep(left + 30);
      // w's grant has run out: the poll w sent during the stall now reaches the server, which
      // grants b and puts w back in the queue with a heartbeat sent less than leaseMs ago; the
      // message granting the expired lease follows.
      proxy.resume();
      await sleep(50);
      subProxy.resume();
      const admittedB = await b.on('admitted', 'b', 5_000);
      await sleep(100);
      expect(w.events.some((e) => e.ev === 'admitted' && e.at! < admittedB.at! + 300)).toBe(false);
      const admittedW = await w.on('admitted', 'w', 5_000); // after b released
      const releasedB = await b.on('released', 'b');
      expect(admittedW.at!).toBeGreaterThanOrEqual(releasedB.at!);
      expect(admittedW.fence!).toBeGreaterThan(admittedB.fence!);
      const all = await lives(a, w, b);
      expect(maxHeld(all)).toBe(1);
      expect(fencesIncrease(all)).toBe(true);
    } finally {
      await subProxy.stop();
    }
  });

  it('RedisCreditSemaphore across processes: a release comes back refundMs later in another process; a killed holder\'s credits come back within leaseMs', async () => {
    const name = uniqueName('credits-mp');
    const [a, b] = await Promise.all([start('releases', { name, capacity: 10, refundMs: 400 }), start('waits', { name, capacity: 10, refundMs: 400 })]);
    a.send({ cmd: 'acquire', tag: 'a', cost: 10 });
    await a.on('admitted', 'a');
    b.send({ cmd: 'acquire', tag: 'b', cost: 10 });
    await until(async () => (await ctx.client.zcard(`tollgate:credits:{${name}}:q`)) === 1);
    a.send({ cmd: 'release', tag: 'a' });
    const released = await a.on('released', 'a');
    const admitted = await b.on('admitted', 'b', 5_000);
    expect(admitted.at! - released.at!).toBeGreaterThanOrEqual(400 - 40);
    expect(admitted.at! - released.at!).toBeLessThan(400 + 300);
    // Now b holds all 10 and dies: its lease runs out unreleased, credited back at its expiry.
    a.send({ cmd: 'acquire', tag: 'a2', cost: 10 });
    await until(async () => (await ctx.client.zcard(`tollgate:credits:{${name}}:q`)) === 1);
    await b.kill();
    const killedAt = hr();
    const again = await a.on('admitted', 'a2', 5_000);
    expect(again.at! - killedAt).toBeLessThan(L + 350);
    const all = await lives(a);
    expect(maxHeld([...all, ...[{ tag: 'b', cost: 10, fence: admitted.fence!, start: admitted.at!, end: killedAt }]])).toBe(10);
  });
});
