// What api.bench.ts and its server process (api-server.ts) say to each other over IPC.
import type { MqttClient } from 'mqtt';

export type ServerMessage =
  | { type: 'ready'; root: string; deviceIds: string[] }
  | ({ type: 'usage' } & Usage)
  | { type: 'stopped' };

/** What a server used so far, and what it still owes its locks. */
export interface Usage {
  /** CPU time (user + system, ms). */
  cpuMs: number;
  /** Its store's commits and fsyncs. */
  commits: number;
  fsyncs: number;
  /** Codes created and not yet set on their lock (the floor has no locks: 0). */
  unsettled: number;
  /** Events in the log not yet delivered to every consumer (the floor has none: 0). */
  undelivered: number;
}

export type ParentMessage = { type: 'usage' } | { type: 'stop' };

/** mqtt.js takes no socket options: Nagle is turned off on its socket once it exists. */
export function noDelay(client: MqttClient): void {
  (client.stream as { setNoDelay?: (on: boolean) => unknown }).setNoDelay?.(true);
}
