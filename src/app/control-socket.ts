// How `lockbridge status` asks a running daemon: a unix socket in data_dir (0700, so only the
// service's user and root reach it). A client connects and reads one line of JSON: the bridge's
// info as it is now. Nothing is written to disk for it, and it answers even while the broker is away.
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';

export const SOCKET_FILE = 'lockbridge.sock';
/** sockaddr_un's path is 108 bytes on Linux, its last one a NUL. */
const MAX_SOCKET_PATH = 107;

export interface ControlSocket {
  close(): Promise<void>;
}

/**
 * Listens on <data_dir>/lockbridge.sock. Call it only while holding the instance lock: a socket
 * file left there is then a dead daemon's, and is replaced.
 */
export async function startControlSocket(
  dataDir: string,
  info: () => object,
  log: Pick<Logger, 'warn' | 'error'>,
): Promise<ControlSocket> {
  const path = join(dataDir, SOCKET_FILE);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    log.warn(
      { path },
      'data_dir is too long a path for the status socket; lockbridge status will read the store only',
    );
    return { close: async () => undefined };
  }
  rmSync(path, { force: true });
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined); // a client that went away
    let body: string;
    try {
      body = JSON.stringify(info());
    } catch (error) {
      log.error({ err: error }, 'could not answer a status request');
      body = JSON.stringify({ error: 'the bridge could not collect its status' });
    }
    socket.end(`${body}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        rmSync(path, { force: true });
      }),
  };
}

/** The running daemon's info, or null when none answers on data_dir's socket within `timeoutMs`. */
export async function askRunningBridge(
  dataDir: string,
  timeoutMs = 3000,
): Promise<Record<string, unknown> | null> {
  const path = join(dataDir, SOCKET_FILE);
  if (!existsSync(path)) return null;
  return new Promise((resolve) => {
    let text = '';
    const socket = connect(path);
    const done = (value: Record<string, unknown> | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => {
      try {
        done(JSON.parse(text) as Record<string, unknown>);
      } catch {
        done(null);
      }
    });
    socket.on('error', () => done(null));
  });
}
