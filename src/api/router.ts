// The transport-agnostic API: a route and a raw payload in, a response body out. A request is
// answered only after its transaction committed, and a request_id answered in the last 24 h gets
// the stored response instead of running again.
import { isStorageError } from '../store/storage-health.ts';
import type { ApiContext } from './context.ts';
import { ApiError, invalidField } from './errors.ts';
import { parsePayload } from './payload.ts';
import type { RequestContext, RequestHandler } from './request-handler.ts';
import { ROUTES } from './routes/index.ts';

type Body = Record<string, unknown>;

export function createRequestHandler(ctx: ApiContext): RequestHandler {
  return async (route, payload, context) => handleRequest(ctx, route, payload, context);
}

async function handleRequest(
  ctx: ApiContext,
  route: string,
  payload: Buffer,
  context: RequestContext,
): Promise<Body> {
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
    const answer = (): Body => ({ ...handler.run(ctx, params), ok: true, request_id: requestId });
    // A read without the client's own id changes nothing and is never asked again: no transaction.
    if (handler.readOnly && !clientGaveId) return answer();
    // Requests of the same turn share one transaction and one fsync (group commit), each in a
    // savepoint of its own; each is answered once that transaction committed.
    const { body, repeated } = await ctx.store.tx
      .grouped(() => {
        // Inside the transaction, so that a repeat within the same group is seen too.
        const answered = clientGaveId ? ctx.store.requests.answered(requestId, now) : undefined;
        if (answered) return { body: answered, repeated: true };
        const fresh = answer();
        // Only a client's own id can come again; remembering generated ones (every poll of an
        // action attempt over HTTP) would cost a write a request and grow the table for nothing.
        if (clientGaveId) ctx.store.requests.remember(requestId, fresh, now);
        return { body: fresh, repeated: false };
      })
      .catch((error: unknown) => {
        // On a full or read-only disk a read is still answered, only not remembered: asked again,
        // it reads again, which changes nothing.
        if (handler.readOnly && isStorageError(error)) return { body: answer(), repeated: false };
        throw error;
      });
    if (repeated) {
      ctx.log.debug(
        { route, request_id: requestId },
        'request already answered; sending the stored response',
      );
    } else {
      ctx.log.debug({ route, request_id: requestId }, 'request answered');
      ctx.log.trace({ route, response: body }, 'response');
    }
    return body;
  } catch (error) {
    const response = errorResponse(ctx, route, error, requestId);
    // A transport's refusal is not the request's answer: sent again properly, the request runs.
    if (clientGaveId && error instanceof ApiError && error !== context.refusal) {
      const now = ctx.now();
      await ctx.store.tx
        .grouped(() => {
          // Never in place of the answer an earlier request with this id got.
          if (!ctx.store.requests.answered(requestId, now))
            ctx.store.requests.remember(requestId, response, now);
        })
        .catch((cause: unknown) =>
          ctx.log.error({ err: cause, request_id: requestId }, 'could not remember a refusal'),
        );
    }
    return response;
  }
}

function errorResponse(ctx: ApiContext, route: string, error: unknown, requestId: string): Body {
  const storage = !(error instanceof ApiError) && isStorageError(error);
  const apiError =
    error instanceof ApiError
      ? error
      : storage
        ? new ApiError(
            'storage_unavailable',
            'The bridge cannot write to its store (the disk is full or read-only): nothing was changed. Try again once it is fixed.',
          )
        : new ApiError('internal_error', 'The bridge failed to handle the request.');
  if (error instanceof ApiError || storage) {
    // A storage outage is logged once, by the store's health, not once a request.
    ctx.log.info({ route, request_id: requestId, error_type: apiError.type }, 'request refused');
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
