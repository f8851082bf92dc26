// The transport-agnostic API as every transport calls it (MQTT today, HTTP next).

export interface RequestContext {
  /** Set by the transport when the request came without one. */
  generatedRequestId: string;
}

/** Takes a route and its raw payload, returns the response body. Never throws. */
export type RequestHandler = (
  route: string,
  payload: Buffer,
  context: RequestContext,
) => Promise<Record<string, unknown>>;
