// The Zigbee network around the locks: the network key and herdsman's files, a coordinator missing
// at start or lost while running (restarted in the process, or the daemon asked to restart), locks
// that go quiet, leave, join again and are removed, interviews that fail, devices that are no locks.
import { readFileSync, statSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { simLock } from '../../../drivers/zigbee/simulator/lock-kinds.ts';
import { record } from '../serial/harness.ts';
import { FAST_TIMINGS, ieee, until, ZigbeeBench } from './harness.ts';

let bench: ZigbeeBench;
afterEach(async () => bench?.cleanup());

const getPinCodes = (ieeeAddress: string) => bench.network.framesTo(ieeeAddress, 'getPinCode').length;

describe('the network key and herdsman’s files', () => {
  it('the key is generated once (0600), kept across restarts; herdsman’s database lives under the state dir', async () => {
    bench = await ZigbeeBench.create();
    const driver = await bench.start();
    const keyFile = join(bench.dir, 'network-key');
    const key = readFileSync(keyFile, 'utf8');
    expect(key).toMatch(/^[0-9a-f]{32}\n$/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    await bench.pair(bench.network.add(simLock('reads_back', ieee(1))));
    await driver.stop();
    expect(statSync(join(bench.dir, 'zigbee', 'database.db')).isFile()).toBe(true);
    await chmod(keyFile, 0o644);
    const again = await bench.start();
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    // The same network (same key, same derived PAN): the lock is still on it, not paired again.
    await until(() => again.lockByIeee(ieee(1))?.online === true, 'the lock online after the restart');
    expect(bench.logged('was readable by others')).toHaveLength(1);
    expect(JSON.stringify(bench.lines)).not.toContain(key.trim());
  });

  it('a restart costs no adoption again and no slot read: one probe', async () => {
    bench = await ZigbeeBench.create();
    const driver = await bench.start();
    await bench.pair(bench.network.add(simLock('reads_back', ieee(1))));
    await driver.stop();
    const from = bench.network.framesTo(ieee(1)).length;
    const again = await bench.start();
    await until(() => again.lockByIeee(ieee(1))?.online === true, 'online');
    expect(
      bench.network
        .framesTo(ieee(1))
        .slice(from)
        .map((f) => f.command),
    ).toEqual(['read:closuresDoorLock']);
  });
});

describe('the coordinator', () => {
  it('missing at start: the driver starts anyway, says so once, and runs once the stick is there', async () => {
    bench = await ZigbeeBench.create();
    bench.network.unplug();
    const driver = await bench.start();
    expect(driver.available).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(bench.logged('Zigbee coordinator unavailable')).toHaveLength(1);
    bench.network.replug();
    await until(() => driver.available, 'the coordinator running');
    expect(bench.logged('Zigbee coordinator running again')).toHaveLength(1);
  });

  it('lost while running: every lock offline, one warning; restarted in the process, the locks answer again without a slot read', async () => {
    bench = await ZigbeeBench.create();
    const driver = await bench.start();
    const a = await bench.pair(bench.network.add(simLock('reads_back', ieee(1))));
    const b = await bench.pair(bench.network.add(simLock('from_one', ieee(2))));
    const seen = record(a, ['offline', 'online']);
    const reads = getPinCodes(ieee(1)) + getPinCodes(ieee(2));
    bench.network.unplug();
    await until(() => !a.online && !b.online, 'both offline');
    await new Promise((resolve) => setTimeout(resolve, 150)); // several restart attempts fail meanwhile
    expect(bench.logged('Zigbee coordinator lost')).toHaveLength(1);
    await expect(a.writeSlot(1, '1234', null)).rejects.toMatchObject({ kind: 'offline' });
    bench.network.replug();
    await until(() => a.online && b.online, 'both online again');
    expect(seen.map((e) => e[0])).toEqual(['offline', 'online']);
    expect(getPinCodes(ieee(1)) + getPinCodes(ieee(2))).toBe(reads);
    await a.writeSlot(1, '1234', null);
    expect(driver.available).toBe(true);
  });

  it('deconz (its adapter keeps the port after stop): the daemon is asked to restart, once', async () => {
    bench = await ZigbeeBench.create({ port_locked_after_stop: true, always_resumed: true });
    const restarts: string[] = [];
    await bench.start(
      { adapter: 'deconz', on_adapter_loss: 'exit' },
      { restartDaemon: (reason) => restarts.push(reason) },
    );
    const lock = await bench.pair(bench.network.add(simLock('reads_back', ieee(1))));
    bench.network.unplug();
    await until(() => restarts.length === 1, 'restart asked');
    expect(restarts[0]).toContain('Zigbee coordinator lost');
    expect(lock.online).toBe(false);
    bench.network.replug();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(restarts).toHaveLength(1);
  });

  it('…where restarting in the process would never work: the port stays locked', async () => {
    bench = await ZigbeeBench.create({ port_locked_after_stop: true });
    const driver = await bench.start({ on_adapter_loss: 'restart' });
    await bench.pair(bench.network.add(simLock('reads_back', ieee(1))));
    bench.network.unplug();
    bench.network.replug();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(driver.available).toBe(false);
    expect(bench.lines.some((l) => l.level === 20 && String(l.reason).includes('Cannot lock port'))).toBe(
      true,
    );
  });
});

describe('locks on the network', () => {
  it('a lock that stops answering is offline, probed with backoff (no command sent), and online once it answers', async () => {
    bench = await ZigbeeBench.create();
    await bench.start();
    const sim = bench.network.add(simLock('reads_back', ieee(1)));
    const lock = await bench.pair(sim);
    sim.silent = true;
    await expect(lock.readSlot(1)).rejects.toMatchObject({ kind: 'timeout' });
    expect(lock.online).toBe(false);
    const from = bench.network.framesTo(ieee(1)).length;
    await expect(lock.writeSlot(1, '1234', null)).rejects.toMatchObject({ kind: 'offline' });
    await new Promise((resolve) => setTimeout(resolve, 250));
    const probes = bench.network.framesTo(ieee(1)).slice(from);
    expect(new Set(probes.map((f) => f.command))).toEqual(new Set(['read:closuresDoorLock']));
    // 20, 40, 80, 80 ms apart: a handful, not a storm.
    expect(probes.length).toBeLessThan(8);
    sim.silent = false;
    await until(() => lock.online, 'online again');
    expect(bench.logged('does not answer')).toHaveLength(1);
  });

  it('a frame from a quiet lock brings it back at once', async () => {
    bench = await ZigbeeBench.create();
    await bench.start({}, { timings: { ...FAST_TIMINGS, probe_min_ms: 60_000, probe_max_ms: 60_000 } });
    const sim = bench.network.add(simLock('reads_back', ieee(1)));
    const lock = await bench.pair(sim);
    sim.silent = true;
    await expect(lock.readSlot(1)).rejects.toMatchObject({ kind: 'timeout' });
    sim.silent = false;
    sim.manual(true);
    await until(() => lock.online, 'online');
  });

  it('leaves: removed (its handle stays); joins again: added, online, rebooted (slots as they were), the same handle', async () => {
    bench = await ZigbeeBench.create();
    await bench.start();
    const sim = bench.network.add(simLock('reads_back', ieee(1)));
    const lock = await bench.pair(sim);
    const seen = record(lock, ['removed', 'added', 'online', 'rebooted', 'offline']);
    bench.network.leave(sim);
    await until(() => seen.length === 2, 'offline and removed');
    expect(seen).toEqual([
      ['offline', 'left the network'],
      ['removed', 'left the network'],
    ]);
    await expect(lock.readSlot(1)).rejects.toMatchObject({ kind: 'offline' });
    const again = await bench.pair(sim);
    expect(again).toBe(lock);
    await until(() => seen.length === 5, 'added, online, rebooted');
    expect(seen.slice(2).map((e) => e[0])).toEqual(['added', 'online', 'rebooted']);
    expect(bench.announced).toHaveLength(1);
  });

  it('deconz reports no Leave: a lock that left is noticed by its silence, offline (not removed)', async () => {
    bench = await ZigbeeBench.create({ reports_leave: false });
    await bench.start();
    const sim = bench.network.add(simLock('reads_back', ieee(1)));
    const lock = await bench.pair(sim);
    const seen = record(lock, ['removed', 'offline']);
    bench.network.leave(sim);
    await expect(lock.readSlot(1)).rejects.toMatchObject({ kind: 'timeout' });
    expect(seen).toEqual([['offline', 'the lock stopped answering']]);
  });

  it('remove: the lock is asked to leave and is forgotten; a lock that does not answer is kept unless forced', async () => {
    bench = await ZigbeeBench.create();
    const driver = await bench.start();
    const sim = bench.network.add(simLock('reads_back', ieee(1)));
    const lock = await bench.pair(sim);
    const removed = record(lock, ['removed']);
    await driver.remove(lock.identity, false);
    expect(bench.network.framesTo(ieee(1), 'zdo:LEAVE_REQUEST')).toHaveLength(1);
    expect(removed).toEqual([['removed', 'removed from the network']]);
    await until(() => sim.nwk === null, 'the lock off the network');

    const gone = bench.network.add(simLock('reads_back', ieee(2)));
    const other = await bench.pair(gone);
    gone.silent = true;
    await expect(driver.remove(other.identity, false)).rejects.toThrow(/did not confirm it left/);
    expect(other.listenerCount('removed')).toBe(0);
    const forced = record(other, ['removed']);
    await driver.remove(other.identity, true);
    expect(forced).toHaveLength(1);
  });

  it('an interview that fails is said clearly; a device without a Door Lock cluster is left alone', async () => {
    bench = await ZigbeeBench.create();
    const driver = await bench.start();
    await driver.permitJoin(30, null);
    const mute = bench.network.add(simLock('reads_back', ieee(1)));
    bench.network.join(mute);
    mute.silent = true;
    await until(() => bench.logged('Zigbee interview failed').length === 1, 'interview failure');
    const plug = bench.network.add(simLock('reads_back', ieee(2), { door_lock: false }));
    bench.network.join(plug);
    await until(() => bench.logged('not a lock').length === 1, 'not a lock');
    expect(bench.announced).toHaveLength(0);
  });
});
