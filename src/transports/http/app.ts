// The HTTP API as a Hono app: every path but the console's is a route of the API, answered by the
// same request handler MQTT calls. Before a request reaches it: the API key (401), the key's
// request rate (429), the method (405: a GET never changes anything) and the body's size (413).
import { randomUUID } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono } from 'hono';
import type { Logger } from 'pino';
import type { RequestHandler } from '../../api/request-handler.ts';
import { EVENT_TYPES } from '../../core/events.ts';
import type { HttpAuth } from './auth.ts';
import { readBody } from './body-reader.ts';
import type { StaticFile } from './console-files.ts';
import { errorBody, statusOf, statusOfType } from './errors.ts';
import type { EventStreams, StreamFilter } from './event-stream.ts';
import type { RateLimiter } from './rate-limit.ts';
import { allowedMethods, routeOfPath, routePayload } from './route-call.ts';

export interface HttpAppOptions {
  api: RequestHandler;
  log: Logger;
  auth: HttpAuth;
  /** Requests a caller (an API key, or an address when keys are off) may make. */
  limiter: RateLimiter;
  streams: EventStreams;
  maxBodyBytes: number;
  /** null: no console (http.console false). */
  consoleFiles: ReadonlyMap<string, StaticFile> | null;
}

type Ctx = Context<{ Bindings: HttpBindings }>;
type Body = Record<string, unknown>;

const STREAM_ROUTE = 'events/stream';
const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

/** Every API answer: JSON, never cached (it may hold PINs), with Seam's request id header. */
function reply(body: Body, status: number, headers: Record<string, string> = {}): Response {
  const requestId = typeof body.request_id === 'string' ? body.request_id : '';
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'seam-request-id': requestId,
      ...headers,
    },
  });
}

function refuse(requestId: string, type: string, message: string, headers: Record<string, string> = {}) {
  return reply(errorBody(type, message, requestId), statusOfType(type), headers);
}

const invalidField = (requestId: string, field: string, message: string, status = 400) =>
  reply(
    errorBody('invalid_input', `${message} for provided "${field}"`, requestId, {
      validation_errors: { _errors: [], [field]: { _errors: [message] } },
    }),
    status,
  );

export function createHttpApp(options: HttpAppOptions): Hono<{ Bindings: HttpBindings }> {
  const { api, log, auth, limiter, streams, maxBodyBytes, consoleFiles } = options;
  const app = new Hono<{ Bindings: HttpBindings }>();

  app.onError((error, c) => {
    const requestId = randomUUID();
    log.error(
      { err: error, method: c.req.method, path: c.req.path, request_id: requestId },
      'HTTP request failed',
    );
    return refuse(requestId, 'internal_error', 'The bridge failed to handle the request.');
  });

  if (consoleFiles) {
    app.get('*', async (c, next) => {
      const file = consoleFiles.get(c.req.path);
      if (!file) return next();
      const headers = {
        'Content-Type': file.type,
        ETag: file.etag,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        ...file.headers,
      };
      if (c.req.header('if-none-match') === file.etag) return new Response(null, { status: 304, headers });
      return new Response(new Uint8Array(file.body), { status: 200, headers });
    });
  }

  app.all('*', async (c) => {
    const requestId = randomUUID();
    const url = new URL(c.req.url);
    const route = routeOfPath(url.pathname);
    const method = c.req.method;

    const who = await auth.check(c.req.header('authorization'), getConnInfo(c).remote.address ?? 'unknown');
    if (!who.ok) {
      const headers: Record<string, string> = who.retryAfterS
        ? { 'Retry-After': String(who.retryAfterS) }
        : {};
      if (who.type === 'unauthorized') headers['WWW-Authenticate'] = 'Bearer';
      return refuse(requestId, who.type, who.message, headers);
    }
    const rate = limiter.take(who.caller);
    if (!rate.ok) {
      return refuse(requestId, 'rate_limited', `Too many requests; try again in ${rate.retryAfterS} s.`, {
        'Retry-After': String(rate.retryAfterS),
      });
    }

    const allowed = route === STREAM_ROUTE ? ['GET'] : allowedMethods(route);
    if (allowed && !allowed.includes(method)) {
      return refuse(requestId, 'method_not_allowed', `${route} takes ${allowed.join(', ')}, not ${method}.`, {
        Allow: allowed.join(', '),
      });
    }
    if (route === STREAM_ROUTE) {
      const authorization = c.req.header('authorization');
      const address = getConnInfo(c).remote.address ?? 'unknown';
      return openStream(c, url, requestId, async () => (await auth.check(authorization, address)).ok);
    }

    const read = await readBody(c.env.incoming, maxBodyBytes);
    if (!read.ok) {
      if (read.reason === 'aborted')
        return refuse(requestId, 'invalid_input', 'The request body was cut off.');
      const message = `The body is larger than ${maxBodyBytes} bytes.`;
      return reply(errorBody('invalid_input', message, requestId), 413, { Connection: 'close' });
    }
    const payload = routePayload(route, {
      query: url.searchParams,
      body: read.body,
      contentType: c.req.header('content-type'),
      idempotencyKey: c.req.header('idempotency-key'),
    });
    if (!payload.ok) return invalidField(requestId, payload.field, payload.message);
    const body = await api(route, payload.payload, { generatedRequestId: requestId });
    const status = statusOf(body);
    log.debug({ method, route, status, caller: who.caller, request_id: body.request_id }, 'HTTP request');
    return reply(body, status);
  });

  function openStream(c: Ctx, url: URL, requestId: string, allowed: () => Promise<boolean>): Response {
    const filter: StreamFilter = {};
    const types: string[] = [];
    let lastEventId: number | undefined;
    const lastEventText = c.req.header('last-event-id') ?? url.searchParams.get('last_event_id') ?? undefined;
    if (lastEventText !== undefined && lastEventText !== '') {
      if (!/^\d{1,15}$/.test(lastEventText)) {
        return invalidField(requestId, 'Last-Event-ID', 'Must be the id of an event this stream sent');
      }
      lastEventId = Number(lastEventText);
    }
    for (const [key, value] of url.searchParams) {
      if (key === 'event_types' || key === 'event_type' || key === 'event_types[]') {
        if (!KNOWN_EVENT_TYPES.has(value))
          return invalidField(requestId, key, `Unknown event type "${value}"`);
        types.push(value);
      } else if (key === 'device_id' || key === 'access_code_id') {
        filter[key] = value;
      } else if (key !== 'last_event_id' && key !== '_strict') {
        return invalidField(requestId, key, 'Unknown parameter');
      }
    }
    if (types.length > 0) filter.event_types = new Set(types);
    if (streams.full()) {
      return refuse(requestId, 'too_many_streams', 'Too many event streams are open; try again later.', {
        'Retry-After': '10',
      });
    }
    c.header('seam-request-id', requestId);
    return streams.serve(c, streams.startAfter(lastEventId), filter, allowed);
  }

  return app;
}
