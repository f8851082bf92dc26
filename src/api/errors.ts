// API errors with the types of mqtt-api.md. A route throws one; the router turns it into a response.

export type ApiErrorType =
  | 'invalid_input'
  | 'device_not_found'
  | 'access_code_not_found'
  | 'action_attempt_not_found'
  | 'duplicate_access_code'
  | 'unknown_route'
  | 'device_offline'
  | 'zigbee_not_configured'
  | 'zigbee_unavailable'
  | 'storage_unavailable'
  | 'response_topic_not_allowed'
  | 'internal_error';

export class ApiError extends Error {
  constructor(
    readonly type: ApiErrorType,
    message: string,
    readonly data?: Record<string, unknown>,
    readonly validation_errors?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const accessCodeNotFound = (access_code_id: string) =>
  new ApiError('access_code_not_found', 'Could not find an access_code with device_id or access_code_id', {
    access_code_id,
  });

export const deviceNotFound = (device_id: string) =>
  new ApiError('device_not_found', 'Could not find a device with device_id', { device_id });

export const actionAttemptNotFound = (action_attempt_id: string) =>
  new ApiError('action_attempt_not_found', 'Could not find an action_attempt with action_attempt_id', {
    action_attempt_id,
  });

/** invalid_input for one field, shaped like zod's error tree. */
export const invalidField = (field: string, message: string) =>
  new ApiError('invalid_input', `${message} for provided "${field}"`, undefined, {
    _errors: [],
    [field]: { _errors: [message] },
  });
