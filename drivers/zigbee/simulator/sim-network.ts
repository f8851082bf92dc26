// The simulated Zigbee network: the air between one coordinator stick and the simulated door locks
// in its range, and the stick's memory (the network it formed, who joined) that outlives a
// Controller, as a real stick's NVRAM does. Found by herdsman through its port path ("sim://name"):
// installSimulatedRadio() makes herdsman's Adapter.create hand out a SimulatedCoordinator for such a
// path. It counts every frame sent to each lock (the radio budget) and can fail as sticks do:
// unplugged, or a port still locked after stop() (herdsman 10.9's deconz adapter keeps running).
import { Zcl, Zdo } from 'zigbee-herdsman';
import { Adapter } from 'zigbee-herdsman/dist/adapter/adapter.js';
import type { ZclPayload } from 'zigbee-herdsman/dist/adapter/events.js';
import type * as TsType from 'zigbee-herdsman/dist/adapter/tstype.js';
import { type CoordinatorAir, type FormedNetwork, SimulatedCoordinator } from './sim-coordinator.ts';
import type { LockAir, SimDoorLock } from './sim-door-lock.ts';
import {
  activeEndpointsResponse,
  endDeviceAnnounce,
  ieeeAddressResponse,
  type NodeDescription,
  networkAddressResponse,
  nodeDescriptorResponse,
  readZdoRequest,
  type SimpleDescription,
  simpleDescriptorResponse,
  statusResponse,
} from './zdo-frames.ts';

export interface SimNetworkOptions {
  /** The port path herdsman is given: "sim://<name>". */
  path: string;
  coordinator_ieee: string;
  /** One way, coordinator to lock or back, before a frame arrives. */
  latency_ms: number;
  /** How answers are matched to requests: Z-Stack's way, or deconz's (cluster and sequence number). */
  matching: 'strict' | 'cluster_and_sequence';
  /** start() answers 'resumed' even when it formed the network (deconz). */
  always_resumed: boolean;
  /** After stop() the port stays locked for this process (herdsman 10.9's deconz adapter). */
  port_locked_after_stop: boolean;
  /** The stack reports a device that leaves (deconz does not). */
  reports_leave: boolean;
}

/** One frame on the air, as tests and the benchmark count them. */
export interface AirFrame {
  to: 'lock' | 'coordinator';
  ieee: string;
  cluster: number;
  /** 'setPinCode', 'read:closuresDoorLock', 'zdo:BIND_REQUEST' ... */
  command: string;
  bytes: Buffer;
}

const COORDINATOR_ENDPOINTS: SimpleDescription[] = [
  {
    endpoint: 1,
    profile: 0x0104,
    device_id: 0x0005,
    input_clusters: [0x0000, 0x0003, 0x000a, 0x0019],
    output_clusters: [0x0000, 0x0001, 0x0003, 0x0020, 0x0101],
  },
  { endpoint: 242, profile: 0xa1e0, device_id: 0x0064, input_clusters: [], output_clusters: [0x0021] },
];

const networks = new Map<string, SimulatedZigbeeNetwork>();
let installed = false;

/**
 * herdsman's Controller creates its adapter with Adapter.create(); a port path of a simulated
 * network gets that network's coordinator, any other path herdsman's own adapter.
 */
export function installSimulatedRadio(): void {
  if (installed) return;
  installed = true;
  const original = Adapter.create.bind(Adapter);
  Adapter.create = async (
    networkOptions: TsType.NetworkOptions,
    serialPortOptions: TsType.SerialPortOptions,
    backupPath: string,
    adapterOptions: TsType.AdapterOptions,
  ): Promise<Adapter> => {
    const network = serialPortOptions.path ? networks.get(serialPortOptions.path) : undefined;
    if (!network) return original(networkOptions, serialPortOptions, backupPath, adapterOptions);
    return new SimulatedCoordinator(network, networkOptions, serialPortOptions, backupPath, adapterOptions);
  };
}

let counter = 0;

export class SimulatedZigbeeNetwork implements LockAir, CoordinatorAir {
  readonly options: SimNetworkOptions;
  nvram: FormedNetwork | null = null;
  /** Locks in radio range, by IEEE address. */
  readonly locks = new Map<string, SimDoorLock>();
  readonly frames: AirFrame[] = [];
  private coordinator: SimulatedCoordinator | null = null;
  private plugged = true;
  private portLocked = false;
  private permitJoinUntil = 0;
  private nextNwk = 0x1a00;
  private zdoTsn = 0;

  constructor(options: Partial<SimNetworkOptions> = {}) {
    installSimulatedRadio();
    this.options = {
      path: `sim://network-${process.pid}-${++counter}`,
      coordinator_ieee: '0x00124b0000c0ffee',
      latency_ms: 0,
      matching: 'strict',
      always_resumed: false,
      port_locked_after_stop: false,
      reports_leave: true,
      ...options,
    };
    networks.set(this.options.path, this);
  }

  get path(): string {
    return this.options.path;
  }

  /** Forgets the network (a test is over). */
  close(): void {
    this.coordinator?.lost();
    networks.delete(this.options.path);
  }

  // --- The stick. ---

  get permitJoinOpen(): boolean {
    return Date.now() < this.permitJoinUntil;
  }

  /** Unplugs the stick: the adapter in use is told it is disconnected; opening fails until replug(). */
  unplug(): void {
    this.plugged = false;
    const coordinator = this.coordinator;
    this.coordinator = null;
    coordinator?.lost();
  }

  replug(): void {
    this.plugged = true;
  }

  /** A new process: whatever kept the port locked in the old one is gone with it. */
  newProcess(): void {
    this.portLocked = false;
  }

  get adapterRunning(): boolean {
    return this.coordinator?.isRunning ?? false;
  }

  /** A new adapter opens the port: forms the network, or resumes the one it remembers. */
  openPort(coordinator: SimulatedCoordinator, wanted: FormedNetwork): TsType.StartResult {
    if (!this.plugged) throw new Error(`Error: No such file or directory, cannot open ${this.options.path}`);
    if (this.portLocked)
      throw new Error(`Error Resource temporarily unavailable Cannot lock port ${this.options.path}`);
    this.coordinator = coordinator;
    const same =
      this.nvram !== null &&
      this.nvram.panID === wanted.panID &&
      this.nvram.channel === wanted.channel &&
      this.nvram.networkKey.join() === wanted.networkKey.join() &&
      this.nvram.extendedPanID.join() === wanted.extendedPanID.join();
    if (same) return 'resumed';
    // Another network than the one formed: every device is gone (they must join again).
    this.nvram = wanted;
    for (const lock of this.locks.values()) lock.nwk = null;
    return this.options.always_resumed ? 'resumed' : 'reset';
  }

  closePort(coordinator: SimulatedCoordinator): void {
    // herdsman 10.9's deconz driver keeps ticking after stop() and takes the port again.
    if (this.options.port_locked_after_stop) this.portLocked = true;
    if (this.coordinator === coordinator) this.coordinator = null;
  }

  permitJoin(seconds: number, _through?: number): void {
    this.permitJoinUntil = seconds > 0 ? Date.now() + seconds * 1000 : 0;
  }

  // --- Devices. ---

  /** A lock comes into range (not yet on the network). */
  add(lock: SimDoorLock): SimDoorLock {
    lock.attach(this);
    this.locks.set(lock.options.ieee, lock);
    return lock;
  }

  /**
   * The lock joins (needs joining open, as a real network does): it gets an address, the stick
   * says so, and the lock announces itself; herdsman interviews it.
   */
  join(lock: SimDoorLock): void {
    if (!this.permitJoinOpen) throw new Error('joining is not open');
    if (!this.locks.has(lock.options.ieee)) this.add(lock);
    lock.nwk = this.nextNwk++;
    this.later(() => {
      this.coordinator?.emit('deviceJoined', { networkAddress: lock.nwk!, ieeeAddr: lock.options.ieee });
      this.announce(lock);
    });
  }

  /** The lock rejoins without leaving (a power cycle, new batteries): a Device Announce. */
  rejoin(lock: SimDoorLock): void {
    if (lock.nwk === null) throw new Error('the lock is not on the network');
    lock.silent = false;
    this.later(() => this.announce(lock));
    if (lock.options.year_day_schedules > 0) this.later(() => lock.requestTime());
  }

  /** The lock leaves the network (by itself, or asked to). */
  leave(lock: SimDoorLock): void {
    const nwk = lock.nwk;
    lock.nwk = null;
    if (nwk !== null && this.options.reports_leave) {
      this.later(() =>
        this.coordinator?.emit('deviceLeave', { networkAddress: nwk, ieeeAddr: lock.options.ieee }),
      );
    }
  }

  /** Frames sent to a lock, optionally only those of one command. */
  framesTo(ieee: string, command?: string): AirFrame[] {
    return this.frames.filter(
      (f) => f.to === 'lock' && f.ieee === ieee && (command === undefined || f.command === command),
    );
  }

  // --- The coordinator's side. ---

  /** A ZCL frame from the coordinator to a node; false when the node did not acknowledge it. */
  async deliver(
    nwk: number,
    endpoint: number,
    sourceEndpoint: number,
    cluster: number,
    bytes: Buffer,
  ): Promise<boolean> {
    const lock = this.byNwk(nwk);
    await this.delay();
    if (!lock) return false;
    this.frames.push({
      to: 'lock',
      ieee: lock.options.ieee,
      cluster,
      command: commandName(cluster, bytes, 'to_lock'),
      bytes,
    });
    if (lock.silent) return false;
    // Acknowledged by the radio, but nothing on that endpoint answers.
    if (!lock.endpoints().some((e) => e.endpoint === endpoint)) return true;
    lock.receive(cluster, endpoint, sourceEndpoint, bytes);
    return true;
  }

  /** A ZDO request from the coordinator; the answer's bytes, or null when nobody acknowledged. */
  async zdo(ieee: string, nwk: number, cluster: Zdo.ClusterId, payload: Buffer): Promise<Buffer | null> {
    await this.delay();
    const { tsn, request } = readZdoRequest(cluster, payload);
    const coordinator = nwk === 0 && ieee === this.options.coordinator_ieee;
    const lock = coordinator ? undefined : (this.byNwk(nwk) ?? this.locks.get(ieee));
    if (lock) {
      this.frames.push({
        to: 'lock',
        ieee: lock.options.ieee,
        cluster,
        command: `zdo:${Zdo.ClusterId[cluster]}`,
        bytes: payload,
      });
      if (lock.silent || lock.nwk === null) return null;
    } else if (!coordinator) {
      return null;
    }
    const node: NodeDescription = lock
      ? lock.node()
      : { nwk: 0, logical: 'coordinator', manufacturer_code: 0, rx_on_when_idle: true, mains_powered: true };
    const endpoints = lock ? lock.endpoints() : COORDINATOR_ENDPOINTS;
    const answer = (() => {
      switch (request.kind) {
        case 'node_descriptor':
          return nodeDescriptorResponse(tsn, node);
        case 'active_endpoints':
          return activeEndpointsResponse(
            tsn,
            node.nwk,
            endpoints.map((e) => e.endpoint),
          );
        case 'simple_descriptor':
          return simpleDescriptorResponse(
            tsn,
            node.nwk,
            endpoints.find((e) => e.endpoint === request.endpoint),
          );
        case 'bind':
        case 'unbind':
          if (request.kind === 'bind') lock?.bind(request.cluster);
          else lock?.unbind(request.cluster);
          return statusResponse(tsn, Zdo.Status.SUCCESS);
        case 'leave':
          if (lock) setImmediate(() => this.leave(lock));
          return statusResponse(tsn, Zdo.Status.SUCCESS);
        case 'ieee_address':
          return ieeeAddressResponse(tsn, lock?.options.ieee ?? this.options.coordinator_ieee, node.nwk);
        case 'network_address':
          return networkAddressResponse(tsn, lock?.options.ieee ?? this.options.coordinator_ieee, node.nwk);
        default:
          return statusResponse(tsn, Zdo.Status.NOT_SUPPORTED);
      }
    })();
    if (lock) await this.delay(lock.options.answer_delay_ms);
    return answer;
  }

  // --- The locks' side (LockAir). ---

  send(
    lock: SimDoorLock,
    cluster: number,
    sourceEndpoint: number,
    bytes: Buffer,
    destinationEndpoint = 1,
  ): void {
    if (lock.nwk === null || lock.silent) return;
    const nwk = lock.nwk;
    this.frames.push({
      to: 'coordinator',
      ieee: lock.options.ieee,
      cluster,
      command: commandName(cluster, bytes, 'to_coordinator'),
      bytes,
    });
    const payload: ZclPayload = {
      clusterID: cluster,
      address: nwk,
      header: Zcl.Header.fromBuffer(bytes),
      data: bytes,
      endpoint: sourceEndpoint,
      linkquality: 180,
      groupID: 0,
      wasBroadcast: false,
      destinationEndpoint,
    };
    this.later(() => this.coordinator?.received(payload));
  }

  private announce(lock: SimDoorLock): void {
    if (lock.nwk === null || !this.coordinator) return;
    const bytes = endDeviceAnnounce(++this.zdoTsn & 0xff, lock.node(), lock.options.ieee);
    const parsed = Zdo.Buffalo.readResponse(true, Zdo.ClusterId.END_DEVICE_ANNOUNCE, bytes);
    this.coordinator.emit('zdoResponse', Zdo.ClusterId.END_DEVICE_ANNOUNCE, parsed);
  }

  private byNwk(nwk: number): SimDoorLock | undefined {
    for (const lock of this.locks.values()) if (lock.nwk === nwk) return lock;
    return undefined;
  }

  private later(action: () => void): void {
    const run = () => action();
    if (this.options.latency_ms > 0) setTimeout(run, this.options.latency_ms).unref();
    else setImmediate(run);
  }

  private delay(extra = 0): Promise<void> {
    const ms = this.options.latency_ms + extra;
    return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
  }
}

/** A frame's command, by name, for counting (`read:genBasic`, `setPinCode` ...). */
function commandName(cluster: number, bytes: Buffer, way: 'to_lock' | 'to_coordinator'): string {
  const header = Zcl.Header.fromBuffer(bytes);
  if (!header) return 'malformed';
  try {
    const clusterDef = Zcl.Utils.getCluster(cluster, undefined, {});
    if (header.isGlobal)
      return `${Zcl.Utils.getGlobalCommand(header.commandIdentifier).name}:${clusterDef.name}`;
    const command =
      way === 'to_lock'
        ? Zcl.Utils.getClusterCommand(clusterDef, header.commandIdentifier)
        : Zcl.Utils.getClusterCommandResponse(clusterDef, header.commandIdentifier);
    return command.name;
  } catch {
    return `0x${header.commandIdentifier.toString(16)}`;
  }
}
