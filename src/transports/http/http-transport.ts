// The HTTP transport: Seam's HTTP API, the live event stream and the web console on one server
// (http or https), calling the same request handler as MQTT. It reads no durable event consumer:
// the stream's watchers keep their own position (Last-Event-ID).
import type { ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import type { ApiKeyVerifier } from '../../auth/api-keys.ts';
import type { Transport, TransportContext } from '../transport.ts';
import { createHttpApp } from './app.ts';
import { HttpAuth } from './auth.ts';
import { loadConsoleFiles } from './console-files.ts';
import { EventStreams } from './event-stream.ts';
import { RateLimiter } from './rate-limit.ts';

export interface HttpTransportOptions {
  host: string;
  /** 0: any free port (tests); `address()` tells which. */
  port: number;
  tls?: { cert: Buffer; key: Buffer };
  /** null: no API keys asked (only allowed on a loopback address; the schema checks). */
  keys: ApiKeyVerifier | null;
  console: boolean;
  maxBodyBytes: number;
  rateLimitPerMinute: number;
  rateLimitBurst: number;
  /** The whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  maxStreams: number;
  /** A comment on an idle event stream this often (and its key checked again). */
  streamKeepAliveMs: number;
}

/** How long a request's headers may take to arrive, at most (slow-header clients hold a socket). */
const HEADERS_TIMEOUT_MS = 10_000;

export class HttpTransport implements Transport {
  readonly name = 'http';
  readonly eventConsumers: readonly string[] = [];
  private server: ServerType | null = null;
  private streams: EventStreams | null = null;

  constructor(private readonly options: HttpTransportOptions) {}

  async start(ctx: TransportContext): Promise<void> {
    const { options } = this;
    const log = ctx.log.child({ component: 'http' });
    const streams = new EventStreams(ctx.events, options.maxStreams, options.streamKeepAliveMs);
    const app = createHttpApp({
      api: ctx.api,
      log,
      auth: new HttpAuth(options.keys, log),
      limiter: new RateLimiter(options.rateLimitPerMinute, options.rateLimitBurst),
      streams,
      maxBodyBytes: options.maxBodyBytes,
      consoleFiles: options.console ? loadConsoleFiles() : null,
    });
    const serverOptions = {
      requestTimeout: options.requestTimeoutMs,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, options.requestTimeoutMs),
      keepAliveTimeout: 5_000,
      // How often the timeouts above are checked (Node's default, 30 s, lets a slow client linger).
      connectionsCheckingInterval: 1_000,
      ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
    };
    const server = createAdaptorServer({
      fetch: app.fetch,
      ...(options.tls
        ? { createServer: createHttpsServer, serverOptions }
        : { createServer: createHttpServer, serverOptions }),
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) =>
      answerClientError(error, socket),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => log.error({ err: error }, 'HTTP server error'));
    this.server = server;
    this.streams = streams;
    log.info(
      { url: this.url(), auth: options.keys !== null, console: options.console },
      'HTTP API listening',
    );
  }

  /** The address bound (the port chosen when 0 was asked for). */
  address(): AddressInfo {
    const address = this.server?.address();
    if (!address || typeof address !== 'object') throw new Error('the HTTP transport is not listening');
    return address;
  }

  url(): string {
    const { address, family, port } = this.address();
    const host = family === 'IPv6' ? `[${address}]` : address;
    return `${this.options.tls ? 'https' : 'http'}://${host}:${port}`;
  }

  status(): Record<string, unknown> {
    if (!this.server) return {};
    return { http: { url: this.url(), auth: this.options.keys !== null, console: this.options.console } };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.streams?.closeAll();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Idle keep-alive connections would hold close() open; busy ones finish their answer.
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      setTimeout(() => {
        if ('closeAllConnections' in server) server.closeAllConnections();
      }, 2_000).unref();
    });
  }
}

/**
 * What Node's HTTP parser refused (a malformed request line, headers too large, too slow) gets an
 * answer in the API's envelope too, then the connection is closed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, reason, type, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'invalid_input', 'The request headers are too large.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'request_timeout', 'The request did not arrive in time.']
        : [400, 'Bad Request', 'invalid_input', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ ok: false, error: { type, message, request_id: '' }, request_id: '' });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
