// The daemon under a systemd-like NOTIFY_SOCKET (a datagram listener the test opens): READY=1
// once it has started, WATCHDOG=1 at half of WATCHDOG_USEC while healthy, none while its event
// loop is blocked, and STOPPING=1 on SIGTERM.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../helpers/daemon.ts';
import { type NotifySocket, startNotifySocket } from '../helpers/notify-socket.ts';

const BLOCKER = new URL('../fixtures/block-event-loop.ts', import.meta.url).pathname;
let dir: string | undefined;
let daemon: Daemon | undefined;
let socket: NotifySocket | undefined;

afterEach(async () => {
  daemon?.proc.kill('SIGKILL');
  await daemon?.exited;
  await socket?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  daemon = socket = dir = undefined;
});

function config(): string {
  dir = mkdtempSync(join(tmpdir(), 'lockbridge-wd-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    [
      'gateway_id: watchdog-test',
      `data_dir: ${join(dir, 'data')}`,
      'mqtt: { url: "mqtt://127.0.0.1:1" }', // no broker: the bridge runs on and keeps trying
      'locks:',
      '  - { name: Front door, driver: simulated, simulated: { serial_number: WD-1, latency_ms: 5 } }',
    ].join('\n'),
  );
  return file;
}

const isPing = (m: string) => m === 'WATCHDOG=1';

it('tells systemd it is ready, pings the watchdog at half its interval, and says when it stops', async () => {
  const file = config();
  socket = await startNotifySocket(dir!);
  daemon = startDaemon(file, { env: { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '400000' } });
  await socket.waitFor((m) => m.startsWith('READY=1'));
  await socket.waitFor(isPing, 3);
  const ready = socket.messages().find((m) => m.startsWith('READY=1'))!;
  expect(ready).toMatch(/STATUS=\d+ locks online/);
  expect(
    daemon.lines().some((l) => l.msg === 'systemd watchdog: pinging while healthy' && l.interval_ms === 200),
  ).toBe(true);

  daemon.proc.kill('SIGTERM');
  expect(await daemon.exited).toBe(0);
  expect(socket.messages()).toContain('STOPPING=1');
  // After STOPPING=1 no more pings: systemd's stop timeout governs from there.
  const stoppingAt = socket.messages().indexOf('STOPPING=1');
  expect(socket.messages().slice(stoppingAt).filter(isPing)).toEqual([]);
}, 60_000);

it('sends no ping while its event loop is blocked, and pings again once it turns', async () => {
  const file = config();
  socket = await startNotifySocket(dir!);
  daemon = startDaemon(file, {
    env: { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '400000' },
    imports: [BLOCKER],
  });
  await socket.waitFor(isPing, 2);
  daemon.proc.kill('SIGUSR2');
  await socket.waitFor((m) => m === 'X_TEST_BLOCK=end');
  const afterEnd = socket.messages().filter(isPing).length;
  await socket.waitFor(isPing, afterEnd + 2);

  const messages = socket.messages();
  const start = messages.indexOf('X_TEST_BLOCK=start');
  const end = messages.indexOf('X_TEST_BLOCK=end');
  expect(start).toBeGreaterThan(0);
  expect(messages.slice(start, end).filter(isPing)).toEqual([]); // two seconds, ten intervals: silence
  expect(messages.slice(end).filter(isPing).length).toBeGreaterThanOrEqual(2);
  // Said once for the block (about 1,800 ms late); a loaded machine may add a short stall of its own.
  const late = daemon.lines().filter((l) => l.msg === 'the event loop was blocked; watchdog ping was late');
  expect(late.filter((l) => (l.blocked_ms as number) >= 1500)).toHaveLength(1);
}, 60_000);

it('does not ping when systemd set no watchdog, or set it for another process', async () => {
  const file = config();
  socket = await startNotifySocket(dir!);
  daemon = startDaemon(file, {
    env: { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '400000', WATCHDOG_PID: '1' },
  });
  await socket.waitFor((m) => m.startsWith('READY=1'));
  await daemon.waitFor('"ready"');
  daemon.proc.kill('SIGTERM');
  expect(await daemon.exited).toBe(0);
  expect(socket.messages().filter(isPing)).toEqual([]);
}, 60_000);
