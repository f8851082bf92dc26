// The MQTT topics of the contract (mqtt-api.md "Topics"), relative to `<base_topic>/<gateway_id>`,
// and what goes on them: the bridge's neutral records named and shaped for MQTT.
import type { EventRecord } from '../../store/events.ts';
import type { RetainedRecord, RetainedState } from '../../store/retained-outbox.ts';
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
  return { id: record.seq, ...retainedPublication(record, includeCodes), retain: true };
}

/** The topic and payload of an object's retained state (from the outbox, or published again). */
export function retainedPublication(
  state: RetainedState,
  includeCodes: boolean,
): { topic: string; payload: string } {
  let payload = state.body ?? '';
  if (state.kind === 'access_code' && state.body !== null && !includeCodes) {
    const { code: _code, ...rest } = JSON.parse(state.body) as Record<string, unknown>;
    payload = JSON.stringify(rest);
  }
  return { topic: RETAINED_TOPIC[state.kind](state.id), payload };
}
