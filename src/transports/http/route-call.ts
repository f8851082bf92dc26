// An HTTP request as a call of one of the API's routes: the path names the route; the parameters
// come from the query string (SDK 2.x: GET and DELETE, arrays as repeated keys, `_strict=true`),
// from the body (JSON: POST and PATCH, older SDKs and the seeds' curl lines, a JSON body on a GET
// included), or from both; an `Idempotency-Key` header is the request's request_id.

import { ROUTES } from '../../api/routes/index.ts';
import { paramsFromText } from '../../api/text-params.ts';

/** Seam's SDKs call locks/list and locks/get for what devices/list and devices/get answer. */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['locks/list', 'devices/list'],
  ['locks/get', 'devices/get'],
]);

const READ_METHODS = ['GET', 'POST'] as const;
const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The route a path names: `/access_codes/get/` is access_codes/get. */
export function routeOfPath(pathname: string): string {
  const route = pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  return ALIASES.get(route) ?? route;
}

/**
 * The methods a route takes, or null for any (an unknown route: the router names it). A GET never
 * changes anything: routes that do take POST, PUT, PATCH or DELETE.
 */
export function allowedMethods(route: string): readonly string[] | null {
  const entry = ROUTES.get(route);
  if (!entry) return null;
  return entry.readOnly ? READ_METHODS : WRITE_METHODS;
}

export type RoutePayload = { ok: true; payload: Buffer } | { ok: false; field: string; message: string };

export interface HttpParams {
  query: Iterable<[string, string]>;
  body: Buffer;
  contentType: string | undefined;
  idempotencyKey: string | undefined;
}

/** The route's payload as the router reads it (a JSON object), or why the request can't be one. */
export function routePayload(route: string, http: HttpParams): RoutePayload {
  const fromQuery = paramsFromText(route, http.query);
  const hasQuery = Object.keys(fromQuery).length > 0;
  let fromBody: Record<string, unknown> = {};
  if (http.body.length > 0) {
    const form = http.contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded') ?? false;
    const text = http.body.toString('utf8');
    if (form && !text.trimStart().startsWith('{')) {
      fromBody = paramsFromText(route, new URLSearchParams(text));
    } else {
      const parsed = parseObject(http.body);
      // Not a JSON object: the router reads the body as it came and says what is wrong with it.
      if (parsed === null) return { ok: true, payload: http.body };
      if (!hasQuery && http.idempotencyKey === undefined) return { ok: true, payload: http.body };
      fromBody = parsed;
    }
  }
  const params: Record<string, unknown> = { ...fromQuery, ...fromBody };
  const key = http.idempotencyKey;
  if (key !== undefined) {
    if (key.length === 0 || key.length > 128) {
      return { ok: false, field: 'Idempotency-Key', message: 'Must be 1 to 128 characters' };
    }
    if (params.request_id !== undefined && params.request_id !== key) {
      return { ok: false, field: 'request_id', message: 'Differs from the Idempotency-Key header' };
    }
    params.request_id = key;
  }
  return { ok: true, payload: Buffer.from(JSON.stringify(params)) };
}

function parseObject(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
