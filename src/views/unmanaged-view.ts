// The unmanaged access_code object of the MQTT contract.
import { iso } from '../core/access-code.ts';
import type { UnmanagedCodeRecord } from '../store/unmanaged-codes.ts';

/** The PIN is included when the lock could read it back (unmanaged codes have no retained topic). */
export function unmanagedView(code: UnmanagedCodeRecord) {
  return {
    access_code_id: code.access_code_id,
    device_id: code.device_id,
    name: `Slot ${code.slot}`,
    ...(code.code !== null ? { code: code.code } : {}),
    type: 'ongoing' as const,
    status: 'set' as const,
    is_managed: false,
    created_at: iso(code.created_at),
    errors: [],
    warnings: [],
  };
}
