// The ZDO side of the simulated radio, in bytes: the requests herdsman builds for a join, an
// interview, a bind and a leave are read here, and the answers are written here as a Zigbee stack
// would put them on the air, for herdsman's own ZDO codec to read. Every ZDO frame starts with a
// transaction sequence number (herdsman's "ZDO message overhead").
import { Zdo } from 'zigbee-herdsman';

/** Little-endian IEEE address bytes, as ZDO carries them. */
export function ieeeBytes(ieee: string): Buffer {
  return Buffer.from(ieee.replace(/^0x/, ''), 'hex').reverse();
}

export function ieeeFrom(bytes: Buffer): string {
  return `0x${Buffer.from(bytes).reverse().toString('hex')}`;
}

/** What a node tells of itself in a Node Descriptor. */
export interface NodeDescription {
  nwk: number;
  logical: 'coordinator' | 'router' | 'end_device';
  manufacturer_code: number;
  /** Receiver on while idle (a router, a lock that does not sleep). */
  rx_on_when_idle: boolean;
  mains_powered: boolean;
}

export interface SimpleDescription {
  endpoint: number;
  profile: number;
  device_id: number;
  input_clusters: number[];
  output_clusters: number[];
}

const frame = (tsn: number, ...parts: (number[] | Buffer)[]): Buffer =>
  Buffer.concat([Buffer.from([tsn & 0xff]), ...parts.map((p) => Buffer.from(p))]);

const u16 = (value: number): number[] => [value & 0xff, (value >> 8) & 0xff];

/** MAC capability flags (802.15.4): device type, power source, receiver on when idle, allocate address. */
export function macCapabilities(node: NodeDescription): number {
  let flags = 0x80; // allocate address
  if (node.logical !== 'end_device') flags |= 0x02;
  if (node.mains_powered) flags |= 0x04;
  if (node.rx_on_when_idle) flags |= 0x08;
  return flags;
}

export function nodeDescriptorResponse(tsn: number, node: NodeDescription): Buffer {
  const logical = { coordinator: 0, router: 1, end_device: 2 }[node.logical];
  return frame(
    tsn,
    [Zdo.Status.SUCCESS, ...u16(node.nwk), logical, 0x40 /* 2.4 GHz */, macCapabilities(node)],
    [...u16(node.manufacturer_code), 82 /* max buffer */, ...u16(82)],
    [...u16(22 << 9) /* server mask: stack compliance revision 22 */, ...u16(82), 0x00],
  );
}

export function activeEndpointsResponse(tsn: number, nwk: number, endpoints: number[]): Buffer {
  return frame(tsn, [Zdo.Status.SUCCESS, ...u16(nwk), endpoints.length, ...endpoints]);
}

export function simpleDescriptorResponse(
  tsn: number,
  nwk: number,
  ep: SimpleDescription | undefined,
): Buffer {
  if (!ep) return frame(tsn, [Zdo.Status.NOT_ACTIVE, ...u16(nwk), 0]);
  const body = [
    ep.endpoint,
    ...u16(ep.profile),
    ...u16(ep.device_id),
    0x01,
    ep.input_clusters.length,
    ...ep.input_clusters.flatMap(u16),
    ep.output_clusters.length,
    ...ep.output_clusters.flatMap(u16),
  ];
  return frame(tsn, [Zdo.Status.SUCCESS, ...u16(nwk), body.length, ...body]);
}

export function statusResponse(tsn: number, status: number): Buffer {
  return frame(tsn, [status]);
}

export function ieeeAddressResponse(tsn: number, ieee: string, nwk: number): Buffer {
  return frame(tsn, [Zdo.Status.SUCCESS], ieeeBytes(ieee), [...u16(nwk), 0, 0]);
}

export function networkAddressResponse(tsn: number, ieee: string, nwk: number): Buffer {
  return frame(tsn, [Zdo.Status.SUCCESS], ieeeBytes(ieee), [...u16(nwk), 0, 0]);
}

export function endDeviceAnnounce(tsn: number, node: NodeDescription, ieee: string): Buffer {
  return frame(tsn, u16(node.nwk), ieeeBytes(ieee), [macCapabilities(node)]);
}

/** The parts of a ZDO request the simulated nodes act on. */
export type ZdoRequest =
  | { kind: 'node_descriptor' | 'active_endpoints'; nwk: number }
  | { kind: 'simple_descriptor'; nwk: number; endpoint: number }
  | { kind: 'bind' | 'unbind'; ieee: string; endpoint: number; cluster: number }
  | { kind: 'leave'; ieee: string; rejoin: boolean }
  | { kind: 'ieee_address'; nwk: number }
  | { kind: 'network_address'; ieee: string }
  | { kind: 'other'; cluster: number };

export function readZdoRequest(cluster: number, payload: Buffer): { tsn: number; request: ZdoRequest } {
  const tsn = payload[0] ?? 0;
  const body = payload.subarray(1);
  const C = Zdo.ClusterId;
  switch (cluster) {
    case C.NODE_DESCRIPTOR_REQUEST:
      return { tsn, request: { kind: 'node_descriptor', nwk: body.readUInt16LE(0) } };
    case C.ACTIVE_ENDPOINTS_REQUEST:
      return { tsn, request: { kind: 'active_endpoints', nwk: body.readUInt16LE(0) } };
    case C.SIMPLE_DESCRIPTOR_REQUEST:
      return {
        tsn,
        request: { kind: 'simple_descriptor', nwk: body.readUInt16LE(0), endpoint: body.readUInt8(2) },
      };
    case C.BIND_REQUEST:
    case C.UNBIND_REQUEST:
      return {
        tsn,
        request: {
          kind: cluster === C.BIND_REQUEST ? 'bind' : 'unbind',
          ieee: ieeeFrom(body.subarray(0, 8)),
          endpoint: body.readUInt8(8),
          cluster: body.readUInt16LE(9),
        },
      };
    case C.LEAVE_REQUEST:
      return {
        tsn,
        request: {
          kind: 'leave',
          ieee: ieeeFrom(body.subarray(0, 8)),
          rejoin: (body.readUInt8(8) & 0x80) !== 0,
        },
      };
    case C.IEEE_ADDRESS_REQUEST:
      return { tsn, request: { kind: 'ieee_address', nwk: body.readUInt16LE(0) } };
    case C.NETWORK_ADDRESS_REQUEST:
      return { tsn, request: { kind: 'network_address', ieee: ieeeFrom(body.subarray(0, 8)) } };
    default:
      return { tsn, request: { kind: 'other', cluster } };
  }
}
