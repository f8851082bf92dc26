// The access_code object of the contract (mqtt-api.md "Objects"), with its PIN: each transport
// decides whether the PIN goes out (the MQTT retained topics leave it out unless include_codes).

import type {
  AccessCodeError,
  AccessCodeStatus,
  AccessCodeType,
  AccessCodeWarning,
} from '../core/access-code.ts';
import { iso, type ManagedCode } from '../core/access-code.ts';

export interface AccessCodeView {
  access_code_id: string;
  device_id: string;
  name: string | null;
  code?: string;
  type: AccessCodeType;
  starts_at?: string;
  ends_at?: string;
  status: AccessCodeStatus;
  is_managed: true;
  is_scheduled_on_device: boolean;
  is_external_modification_allowed: boolean;
  is_one_time_use: boolean;
  common_code_key: string | null;
  created_at: string;
  errors: AccessCodeError[];
  warnings: AccessCodeWarning[];
}

export function accessCodeView(code: ManagedCode): AccessCodeView {
  const view: AccessCodeView = {
    access_code_id: code.access_code_id,
    device_id: code.device_id,
    name: code.name,
    code: code.code,
    type: code.type,
    status: code.status,
    is_managed: true,
    is_scheduled_on_device: code.is_scheduled_on_device,
    is_external_modification_allowed: code.allow_external_modification,
    is_one_time_use: code.is_one_time_use,
    common_code_key: code.common_code_key,
    created_at: iso(code.created_at),
    errors: code.errors,
    warnings: code.warnings,
  };
  if (code.window) {
    view.starts_at = iso(code.window.starts_at);
    view.ends_at = iso(code.window.ends_at);
  }
  return view;
}

/** The object without its PIN. */
export function withoutCode<T extends { code?: string | null }>(view: T): Omit<T, 'code'> {
  const { code: _code, ...rest } = view;
  return rest;
}
