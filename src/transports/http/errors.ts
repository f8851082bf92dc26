// Seam's error envelope and the HTTP status of each error type (the seeds: 400 invalid_input,
// 404 *_not_found, 409 a refused duplicate, 401, 413, 429), for answers the router gave and for
// those the HTTP layer gives itself before a request reaches it.

type Body = Record<string, unknown>;

const STATUS_OF_TYPE: Readonly<Record<string, number>> = {
  invalid_input: 400,
  unknown_route: 404,
  device_not_found: 404,
  access_code_not_found: 404,
  action_attempt_not_found: 404,
  duplicate_access_code: 409,
  device_offline: 409,
  unauthorized: 401,
  method_not_allowed: 405,
  payload_too_large: 413,
  rate_limited: 429,
  too_many_streams: 503,
  storage_unavailable: 503,
  internal_error: 500,
};

/** The status of a response body from the router: 200 for ok, else by its error type. */
export function statusOf(body: Body): number {
  if (body.ok !== false) return 200;
  const type = (body.error as { type?: unknown } | undefined)?.type;
  if (typeof type !== 'string') return 500;
  return STATUS_OF_TYPE[type] ?? (type.endsWith('_not_found') ? 404 : 400);
}

/** An answer the HTTP layer gives itself, in the router's envelope. */
export function errorBody(
  type: string,
  message: string,
  requestId: string,
  extra: { data?: Body; validation_errors?: Body } = {},
): Body {
  return { ok: false, error: { type, message, ...extra, request_id: requestId }, request_id: requestId };
}

export const statusOfType = (type: string): number => STATUS_OF_TYPE[type] ?? 400;
