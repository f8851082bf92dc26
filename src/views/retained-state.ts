// Writes the retained state topics into the store's state outbox, in the caller's transaction.
import { type ManagedCode, toView } from '../core/access-code.ts';
import type { DeviceRecord } from '../store/devices.ts';
import type { StateOutbox } from '../store/state-outbox.ts';
import { deviceView } from './device-view.ts';

export class RetainedState {
  constructor(
    private readonly outbox: StateOutbox,
    private readonly includeCodes: boolean,
  ) {}

  code(code: ManagedCode): void {
    const topic = `access_codes/${code.access_code_id}`;
    // A deleted code's topic is emptied at once, even while its removal from the lock is pending.
    this.outbox.put(topic, code.deleted_at === null ? JSON.stringify(toView(code, this.includeCodes)) : '');
  }

  codeDeleted(accessCodeId: string): void {
    this.outbox.put(`access_codes/${accessCodeId}`, '');
  }

  device(device: DeviceRecord): void {
    this.outbox.put(`devices/${device.device_id}`, JSON.stringify(deviceView(device)));
  }
}
