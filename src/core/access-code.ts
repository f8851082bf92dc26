// The access-code model of mqtt-api.md. Pure data: no I/O here.

export type AccessCodeType = 'ongoing' | 'time_bound';
export type AccessCodeStatus = 'setting' | 'set' | 'unset' | 'removing' | 'unknown';

export type AccessCodeErrorCode =
  | 'failed_to_set_on_device'
  | 'failed_to_remove_from_device'
  | 'duplicate_code_on_device'
  | 'no_space_for_access_code_on_device'
  | 'bad_code_on_device'
  | 'unsupported_by_device';

export type AccessCodeWarningCode =
  | 'delay_in_setting_on_device'
  | 'delay_in_removing_from_device'
  | 'code_modified_externally';

export interface AccessCodeError {
  error_code: AccessCodeErrorCode;
  message: string;
  created_at: string;
}

export interface AccessCodeWarning {
  warning_code: AccessCodeWarningCode;
  message: string;
  created_at: string;
}

/** A time window in epoch milliseconds; both ends or none. */
export interface TimeWindow {
  starts_at: number;
  ends_at: number;
}

/** A managed access code as the store holds it: the desired state of one PIN on one lock. */
export interface ManagedCode {
  access_code_id: string;
  device_id: string;
  name: string | null;
  code: string;
  type: AccessCodeType;
  window: TimeWindow | null;
  status: AccessCodeStatus;
  is_scheduled_on_device: boolean;
  allow_external_modification: boolean;
  is_one_time_use: boolean;
  prefer_native_scheduling: boolean;
  common_code_key: string | null;
  created_at: number;
  errors: AccessCodeError[];
  warnings: AccessCodeWarning[];
  /** Epoch ms of the deletion; a deleted code stays as a tombstone until its slot is cleared. */
  deleted_at: number | null;
  /** The DELETE_ACCESS_CODE attempt that waits for the slot to be cleared. */
  delete_attempt_id: string | null;
  /** Epoch ms since the code has been waiting for the lock (setting or removing); drives delay/fail. */
  pending_since: number | null;
  /** Bumped on every change of what must be on the lock (code, window); lets retries collapse. */
  revision: number;
  /**
   * Set when the bridge stopped trying (permanent refusal, or failed after fail_after_s): no retry
   * until the code changes, a slot is freed (no space), the lock is reset, or (failed for lack of an
   * answer) the lock reconnects or reboots.
   */
  suspended: boolean;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/** What identifies a new managed code; everything else starts at its default. */
export type NewCode = Pick<ManagedCode, 'access_code_id' | 'device_id' | 'code' | 'created_at'> &
  Partial<ManagedCode>;

/** A managed ongoing code, waiting to be programmed, unless `fields` says otherwise. */
export function newManagedCode(fields: NewCode): ManagedCode {
  return {
    name: null,
    type: 'ongoing',
    window: null,
    status: 'setting',
    is_scheduled_on_device: false,
    allow_external_modification: false,
    is_one_time_use: false,
    prefer_native_scheduling: true,
    common_code_key: null,
    errors: [],
    warnings: [],
    deleted_at: null,
    delete_attempt_id: null,
    pending_since: fields.created_at,
    revision: 1,
    suspended: false,
    ...fields,
  };
}
