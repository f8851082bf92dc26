// The unmanaged access_code object of the contract.
import { iso } from '../core/access-code.ts';
import type { UnmanagedCode } from '../core/unmanaged-code.ts';

/** The PIN is included when the lock could read it back (unmanaged codes have no retained topic). */
export function unmanagedView(code: UnmanagedCode) {
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
