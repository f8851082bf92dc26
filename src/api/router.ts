// The transport-agnostic API: a route and a raw payload in, a response body out. A request is
// answered only after its transaction committed, and a request_id answered in the last 24 h gets
// the stored response instead of running again.
import type { RequestHandler } from '../transports/mqtt/ports.ts';
import type { ApiContext } from './context.ts';
import { ApiError, invalidField } from './errors.ts';
import { ROUTES } from './routes/index.ts';

export const MAX_PAYLOAD_BYTES = 64 * 1024;

type Body = Record<string, unknown>;

export function createRequestHandler(ctx: ApiContext): RequestHandler {
  return async (route, payload, { generatedRequestId }) =>
    handleRequest(ctx, route, payload, generatedRequestId);
}

export function handleRequest(
  ctx: ApiContext,
  route: string,
  payload: Buffer,
  generatedRequestId: string,
): Body {
  let requestId = generatedRequestId;
  let clientGaveId = false;
  try {
    const handler = ROUTES[route];
    if (!handler) throw new ApiError('unknown_route', `There is no route "${route}".`, { route });
    const params = parsePayload(payload);
    if (params.request_id !== undefined) {
      if (
        typeof params.request_id !== 'string' ||
        params.request_id.length === 0 ||
        params.request_id.length > 128
      ) {
        throw invalidField('request_id', 'Must be a string of 1 to 128 characters');
      }
      requestId = params.request_id;
      clientGaveId = true;
    }
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
      const body: Body = { ...handler(ctx, params), ok: true, request_id: requestId };
      ctx.store.requests.remember(requestId, body, now);
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

function parsePayload(payload: Buffer): Body {
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new ApiError('invalid_input', `The payload is larger than ${MAX_PAYLOAD_BYTES} bytes.`, {
      size: payload.length,
    });
  }
  if (payload.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new ApiError('invalid_input', 'The payload is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ApiError('invalid_input', 'The payload must be a JSON object.');
  }
  return parsed as Body;
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
