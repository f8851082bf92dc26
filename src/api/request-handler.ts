// The transport-agnostic API as every transport calls it (MQTT today, HTTP next).
import type { ApiError } from './errors.ts';

export interface RequestContext {
  /** Set by the transport when the request came without one. */
  generatedRequestId: string;
  /**
   * The transport will not carry this request out (an MQTT 5 Response Topic it must not publish
   * to, say): it is answered with this error, with its request_id, and not run or remembered.
   */
  refusal?: ApiError;
}

/** Takes a route and its raw payload, returns the response body. Never throws. */
export type RequestHandler = (
  route: string,
  payload: Buffer,
  context: RequestContext,
) => Promise<Record<string, unknown>>;
