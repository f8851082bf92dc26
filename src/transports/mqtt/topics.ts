// The MQTT topics of the contract (mqtt-api.md "Topics"), relative to `<base_topic>/<gateway_id>`,
// and what goes on them: the bridge's neutral records named and shaped for MQTT.
import type { EventRecord } from '../../store/events.ts';
import type { RetainedRecord } from '../../store/retained-outbox.ts';
import type { OutboxMessage } from './ports.ts';

export const eventMessage = (record: EventRecord): OutboxMessage => ({
  id: record.seq,
  topic: `events/${record.event_type}`,
  payload: record.body,
  retain: false,
});

const RETAINED_TOPIC = {
  device: (id: string) => `devices/${id}`,
  access_code: (id: string) => `access_codes/${id}`,
  bridge_info: () => 'bridge/info',
} as const;

/**
 * Retained state: an empty payload clears a gone object's topic. Access codes go without their
 * PIN unless mqtt.include_codes says otherwise.
 */
export function retainedMessage(record: RetainedRecord, includeCodes: boolean): OutboxMessage {
  let payload = record.body ?? '';
  if (record.kind === 'access_code' && record.body !== null && !includeCodes) {
    const { code: _code, ...rest } = JSON.parse(record.body) as Record<string, unknown>;
    payload = JSON.stringify(rest);
  }
  return { id: record.seq, topic: RETAINED_TOPIC[record.kind](record.id), payload, retain: true };
}
