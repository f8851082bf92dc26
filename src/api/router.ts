// The transport-agnostic API: a route and a raw payload in, a response body out. A request is
// answered only after its transaction committed, and a request_id answered in the last 24 h gets
// the stored response instead of running again.
import type { ApiContext } from './context.ts';
import { ApiError, invalidField } from './errors.ts';
import { parsePayload } from './payload.ts';
import type { RequestContext, RequestHandler } from './request-handler.ts';
import { ROUTES } from './routes/index.ts';

type Body = Record<string, unknown>;

export function createRequestHandler(ctx: ApiContext): RequestHandler {
  return async (route, payload, context) => handleRequest(ctx, route, payload, context);
}

function handleRequest(ctx: ApiContext, route: string, payload: Buffer, context: RequestContext): Body {
  let requestId = context.generatedRequestId;
  let clientGaveId = false;
  try {
    // The payload is read before the route is looked up, so that every answer, an unknown
    // route's and a refused one's included, carries the client's request_id.
    const parsed = parsePayload(payload);
    const given = parsed.ok ? parsed.params.request_id : parsed.request_id;
    const validId = typeof given === 'string' && given.length > 0 && given.length <= 128;
    if (validId) {
      requestId = given;
      clientGaveId = true;
    }
    // The transport refused the request (e.g. its MQTT 5 Response Topic): answered, never run.
    if (context.refusal) throw context.refusal;
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
      const body: Body = { ...handler(ctx, params), ok: true, request_id: requestId };
      ctx.store.requests.remember(requestId, body, now);
      return body;
    });
    ctx.log.debug({ route, request_id: requestId }, 'request answered');
    ctx.log.trace({ route, response }, 'response');
    return response;
  } catch (error) {
    const response = errorResponse(ctx, route, error, requestId);
    // A transport's refusal is not the request's answer: sent again properly, the request runs.
    if (clientGaveId && error instanceof ApiError && error !== context.refusal) {
      const now = ctx.now();
      ctx.store.tx.run(() => {
        // Never in place of the answer an earlier request with this id got.
        if (!ctx.store.requests.answered(requestId, now))
          ctx.store.requests.remember(requestId, response, now);
      });
    }
    return response;
  }
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
