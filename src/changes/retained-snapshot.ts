// The current retained state of every device and live access code, read from the store and never
// written: what a transport publishes again when its broker lost the retained topics (restarted
// without persistence). Built by the same views the write path queues (changes.ts), so a topic
// published again equals the one a change would publish.
import type { RetainedState } from '../store/retained-outbox.ts';
import type { Store } from '../store/store.ts';
import { accessCodeView } from '../views/access-code-view.ts';
import { deviceView } from '../views/device-view.ts';

/** One batch a device: the device and its live codes, read together when the batch is asked for. */
export function* retainedSnapshot(store: Store): Generator<RetainedState[]> {
  const deviceIds = store.devices.list().map((device) => device.device_id);
  for (const deviceId of deviceIds) {
    const device = store.devices.get(deviceId);
    if (!device) continue;
    const batch: RetainedState[] = [
      { kind: 'device', id: deviceId, body: JSON.stringify(deviceView(device)) },
    ];
    for (const code of store.codes.liveForDevice(deviceId)) {
      batch.push({
        kind: 'access_code',
        id: code.access_code_id,
        body: JSON.stringify(accessCodeView(code)),
      });
    }
    yield batch;
  }
}
