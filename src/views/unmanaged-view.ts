// The unmanaged access_code object of the MQTT contract.
import { iso } from '../core/access-code.ts';
import type { UnmanagedCodeRecord } from '../store/unmanaged-codes.ts';

export function unmanagedView(code: UnmanagedCodeRecord, includeCode: boolean) {
  return {
    access_code_id: code.access_code_id,
    device_id: code.device_id,
    name: `Slot ${code.slot}`,
    ...(includeCode && code.code !== null ? { code: code.code } : {}),
    type: 'ongoing' as const,
    status: 'set' as const,
    is_managed: false,
    created_at: iso(code.created_at),
    errors: [],
    warnings: [],
  };
}
