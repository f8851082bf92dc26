// The transport-agnostic API: a route and a raw payload in, a response body out. A request is
// answered only after its transaction committed, and a request_id answered in the last 24 h gets
// the stored response instead of running again.
import type { ApiContext } from './context.ts';
import { ApiError, invalidField } from './errors.ts';
import type { RequestHandler } from './request-handler.ts';
import { ROUTES } from './routes/index.ts';

export const MAX_PAYLOAD_BYTES = 64 * 1024;

type Body = Record<string, unknown>;

export function createRequestHandler(ctx: ApiContext): RequestHandler {
  return async (route, payload, { generatedRequestId }) =>
    handleRequest(ctx, route, payload, generatedRequestId);
}

function handleRequest(ctx: ApiContext, route: string, payload: Buffer, generatedRequestId: string): Body {
  let requestId = generatedRequestId;
  let clientGaveId = false;
  try {
    // The payload is read before the route is looked up, so that every answer, an unknown
    // route's included, carries the client's request_id.
    const parsed = parsePayload(payload);
    const given = parsed.ok ? parsed.params.request_id : undefined;
    const validId = typeof given === 'string' && given.length > 0 && given.length <= 128;
    if (validId) {
      requestId = given;
      clientGaveId = true;
    }
    const handler = ROUTES.get(route);
    if (!handler) throw new ApiError('unknown_route', `There is no route "${route}".`, { route });
    if (!parsed.ok) throw parsed.error;
    const params = parsed.params;
    if (given !== undefined && !validId)
      throw invalidField('request_id', 'Must be a string of 1 to 128 characters');
    // At trace level the whole request is logged; the logger's redaction keeps PINs out of it.
    ctx.log.trace({ route, request_id: requestId, params }, 'request');
    const now = ctx.now();
    const answered = ctx.store.requests.answered(requestId, now);
    if (answered) {
      ctx.log.debug(
        { route, request_id: requestId },
        'request already answered; sending the stored response',
      );
      return answered;
    }
    const response = ctx.store.tx.run(() => {
      const body: Body = { ...handler.run(ctx, params), ok: true, request_id: requestId };
      // Only a client's own id can come again; remembering generated ones (every poll of an
      // action attempt over HTTP) would cost a disk flush a request and grow the table for nothing.
      if (clientGaveId) ctx.store.requests.remember(requestId, body, now);
      return body;
    });
    ctx.log.debug({ route, request_id: requestId }, 'request answered');
    ctx.log.trace({ route, response }, 'response');
    return response;
  } catch (error) {
    const response = errorResponse(ctx, route, error, requestId);
    if (clientGaveId && error instanceof ApiError) {
      ctx.store.tx.run(() => ctx.store.requests.remember(requestId, response, ctx.now()));
    }
    return response;
  }
}

type Parsed = { ok: true; params: Body } | { ok: false; error: ApiError };

function parsePayload(payload: Buffer): Parsed {
  if (payload.length > MAX_PAYLOAD_BYTES) {
    const message = `The payload is larger than ${MAX_PAYLOAD_BYTES} bytes.`;
    return { ok: false, error: new ApiError('invalid_input', message, { size: payload.length }) };
  }
  if (payload.length === 0) return { ok: true, params: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, error: new ApiError('invalid_input', 'The payload is not valid JSON.') };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, error: new ApiError('invalid_input', 'The payload must be a JSON object.') };
  }
  return { ok: true, params: parsed as Body };
}

function errorResponse(ctx: ApiContext, route: string, error: unknown, requestId: string): Body {
  const apiError =
    error instanceof ApiError
      ? error
      : new ApiError('internal_error', 'The bridge failed to handle the request.');
  if (error instanceof ApiError) {
    ctx.log.info({ route, request_id: requestId, error_type: error.type }, 'request refused');
  } else {
    ctx.log.error({ route, request_id: requestId, err: error }, 'request failed');
  }
  return {
    ok: false,
    error: {
      type: apiError.type,
      message: apiError.message,
      ...(apiError.data ? { data: apiError.data } : {}),
      ...(apiError.validation_errors ? { validation_errors: apiError.validation_errors } : {}),
      request_id: requestId,
    },
    request_id: requestId,
  };
}
