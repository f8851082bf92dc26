// Incoming QoS 1 messages are acknowledged (PUBACK) only after their receiver has handled them, so
// a crash in between leaves the message in the broker's session for redelivery.
//
// mqtt.js sends the PUBACK when `handleMessage`'s callback runs, and reads no further packet until
// then. Holding that callback would handle one request at a time and stall our own PUBACKs and
// PINGRESPs behind a slow one. So the callback gets an error, which makes mqtt.js skip its PUBACK
// and read on, and this class sends the PUBACK itself once the message is handled: through
// mqtt.js's `_sendPacket`, the same path mqtt.js uses (mqtt is pinned; a test covers it).
import type { IPublishPacket, MqttClient, Packet } from 'mqtt';

/** Handles one incoming message; calls `handled` once it may be acknowledged. */
export type InboundReceiver = (packet: IPublishPacket, handled: () => void) => void;

/**
 * The messages of some topics (the request listener's, Home Assistant's commands) and who handles
 * them. While its receiver is null (not attached yet, or stopped) its messages wait, unacknowledged,
 * so the broker delivers them again to the next run.
 */
export interface InboundRoute {
  setReceiver(receiver: InboundReceiver | null): void;
}

interface Route {
  matches: (topic: string) => boolean;
  receiver: InboundReceiver | null;
}

interface Delivery {
  handled: boolean;
}

interface Arrival {
  packet: IPublishPacket;
  handled: () => void;
}

/** Tells mqtt.js not to acknowledge: we do it later. */
const ACK_DEFERRED = new Error('PUBACK deferred until the message is handled');

export class InboundAcks {
  private readonly routes: Route[] = [];
  /** Every topic is routed (the transport has set up its routes): an unrouted message is dropped. */
  private opened = false;
  /** Messages whose receiver is not attached (a persistent session's backlog, or stopped). */
  private readonly waiting: Arrival[] = [];
  /** QoS 1 messages not yet acknowledged, by packet id, in arrival order. */
  private readonly unacked = new Map<number, Delivery>();

  constructor(
    private readonly client: MqttClient,
    private readonly isOnline: () => boolean,
  ) {
    client.handleMessage = (packet, callback) => {
      this.arrive(packet);
      callback(packet.qos === 1 ? ACK_DEFERRED : undefined);
    };
  }

  /** How many messages wait for a receiver. */
  get held(): number {
    return this.waiting.length;
  }

  /** Claims the topics `matches` accepts; their messages wait until the route has a receiver. */
  route(matches: (topic: string) => boolean): InboundRoute {
    const route: Route = { matches, receiver: null };
    this.routes.push(route);
    return {
      setReceiver: (receiver) => {
        route.receiver = receiver;
        this.handOver();
      },
    };
  }

  /**
   * Every route is set up: a message no route claims (a subscription a former run left in the
   * session) is acknowledged and dropped from now on, so it cannot hold back the PUBACKs after it.
   */
  open(): void {
    this.opened = true;
    this.handOver();
  }

  /** The broker started a new session: the packet ids we still owe PUBACKs for mean nothing to it now. */
  sessionLost(): void {
    this.unacked.clear();
  }

  /** Sends the PUBACKs that are due, in arrival order, as MQTT requires; called again on reconnect. */
  flush(): void {
    if (!this.isOnline()) return;
    for (const [messageId, delivery] of this.unacked) {
      if (!delivery.handled) break;
      this.unacked.delete(messageId);
      sendPacket(this.client, { cmd: 'puback', messageId, reasonCode: 0 });
    }
  }

  private arrive(packet: IPublishPacket): void {
    if (packet.qos !== 1 || packet.messageId === undefined) {
      this.deliver(packet, () => {});
      return;
    }
    const messageId = packet.messageId;
    // A redelivery of a message still being handled, or handled while we were offline: the
    // broker only reuses a packet id after our PUBACK, so this is the same message; don't run it twice.
    if (packet.dup && this.unacked.has(messageId)) {
      this.flush();
      return;
    }
    const delivery: Delivery = { handled: false };
    this.unacked.delete(messageId);
    this.unacked.set(messageId, delivery);
    this.deliver(packet, () => {
      if (this.unacked.get(messageId) !== delivery) return; // the session that sent it is gone
      delivery.handled = true;
      this.flush();
    });
  }

  private deliver(packet: IPublishPacket, handled: () => void): void {
    if (!this.dispatch({ packet, handled })) this.waiting.push({ packet, handled });
  }

  /** Hands a message to its receiver (or drops an unrouted one once open); false: it must wait. */
  private dispatch(arrival: Arrival): boolean {
    const route = this.routes.find((r) => r.matches(String(arrival.packet.topic)));
    if (route?.receiver) {
      route.receiver(arrival.packet, arrival.handled);
      return true;
    }
    if (!route && this.opened) {
      arrival.handled();
      return true;
    }
    return false;
  }

  /** Messages that waited, in arrival order, to whoever can take them now. */
  private handOver(): void {
    const still: Arrival[] = [];
    for (const arrival of this.waiting.splice(0)) if (!this.dispatch(arrival)) still.push(arrival);
    this.waiting.push(...still);
  }
}

function sendPacket(client: MqttClient, packet: Packet): void {
  (client as unknown as { _sendPacket(packet: Packet): void })._sendPacket(packet);
}
