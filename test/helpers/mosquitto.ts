// A real Mosquitto (Debian's /usr/sbin/mosquitto) on a free loopback port, for tests; with a
// password file and an ACL file when asked.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MOSQUITTO = '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';

export interface Broker {
  url: string;
  port: number;
  /** Terminates the broker and removes its temp dir. */
  stop(): Promise<void>;
  /**
   * Stops it, runs `whileDown` (if given), then starts it again on the same port. Sessions and
   * retained messages survive only with the persistence option.
   */
  restart(whileDown?: () => Promise<void> | void): Promise<void>;
  /** SIGKILL, as in a crash; the temp dir stays until stop(). */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing is answered (no PUBACK) until resume(). */
  pause(): void;
  resume(): void;
  /** The broker's own log. */
  log(): string;
  /** SIGHUP: Mosquitto reads its password file (and certificates) again. */
  reload(): void;
}

export interface MosquittoOptions {
  port?: number;
  /** Keep sessions, queued messages and retained messages across restart() (saved on SIGTERM). */
  persistence?: boolean;
  /** Lines for the listener (TLS: cafile, certfile, keyfile, require_certificate), after it. */
  listener?: string[];
  /** A password file (mosquitto_passwd format), or `users` to have one made: anonymous clients are then refused. */
  passwordFile?: string;
  /** mqtts:// instead of mqtt:// in `url` (the listener lines set up TLS). */
  tls?: boolean;
  /** With persistence: also save this often (seconds), so that even kill() keeps what was older. */
  autosaveSeconds?: number;
  /** Users and their passwords: anonymous clients are refused then. */
  users?: Record<string, string>;
  /** A Mosquitto ACL file (acl_file), used as it is. */
  aclFile?: string;
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'lockbridge-mosquitto-'));
  const port = opts.port ?? (await freePort());
  const logFile = join(dir, 'mosquitto.log');
  const configFile = join(dir, 'mosquitto.conf');
  const passwordFile = join(dir, 'passwords');
  if (opts.users) writePasswordFile(passwordFile, opts.users);
  writeFileSync(
    configFile,
    [
      `listener ${port} 127.0.0.1`,
      ...(opts.listener ?? []),
      ...(opts.passwordFile || opts.users
        ? [`password_file ${opts.passwordFile ?? passwordFile}`, 'allow_anonymous false']
        : ['allow_anonymous true']),
      ...(opts.aclFile ? [`acl_file ${opts.aclFile}`] : []),
      // As docs/mqtt.md recommends: no Nagle delay on the broker's side of each connection.
      'set_tcp_nodelay true',
      ...(opts.persistence ? ['persistence true', `persistence_location ${dir}/`] : ['persistence false']),
      ...(opts.persistence && opts.autosaveSeconds ? [`autosave_interval ${opts.autosaveSeconds}`] : []),
      `log_dest file ${logFile}`,
      'log_type all',
      // Started as root, Mosquitto switches to the "mosquitto" user, which may not read our temp dir.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      '',
    ].join('\n'),
  );

  let child: ChildProcess | null = null;
  const start = async () => {
    const proc = spawn(MOSQUITTO, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child = proc;
    let onExit = () => {};
    const exitedEarly = new Promise<never>((_, reject) => {
      onExit = () => reject(new Error(`mosquitto exited at start: ${stderr}${readLog()}`));
      proc.once('exit', onExit);
    });
    try {
      await Promise.race([waitForPort(port), exitedEarly]);
    } catch (error) {
      proc.kill('SIGKILL');
      child = null;
      throw error;
    } finally {
      proc.off('exit', onExit);
    }
  };
  const halt = async (signal: NodeJS.Signals) => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill(signal);
    proc.kill('SIGCONT'); // a paused broker would never get to handle SIGTERM
    await exited;
  };
  const readLog = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    async stop() {
      await halt('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(whileDown) {
      await halt('SIGTERM');
      await whileDown?.();
      await start();
    },
    async kill() {
      await halt('SIGKILL');
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    log: readLog,
    reload() {
      child?.kill('SIGHUP');
    },
  };
}

/** Mosquitto's own tool hashes the passwords (-b: from the command line, -c: a new file). */
function writePasswordFile(path: string, users: Record<string, string>): void {
  Object.entries(users).forEach(([user, password], index) => {
    execFileSync(MOSQUITTO_PASSWD, [...(index === 0 ? ['-c'] : []), '-b', path, user, password]);
  });
}

/** Ports handed out by this process: the kernel may offer a port again once its probe closed. */
const handedOut = new Set<number>();

/** A loopback port free now, and never one this process was given before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    server.close();
    await once(server, 'close');
    if (handedOut.has(address.port)) continue;
    handedOut.add(address.port);
    return address.port;
  }
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`mosquitto did not open port ${port}`);
}
