// The simulated coordinator stick: a subclass of herdsman's abstract Adapter, so that herdsman's
// real Controller, Device, Endpoint and ZCL codec run above it. It carries encoded ZCL frames to the
// simulated locks of its SimulatedZigbeeNetwork and theirs back, answers ZDO requests for itself and
// for them, and waits for answers as herdsman's adapters do (by address, endpoint, cluster, command
// and sequence number; or, like deconz, by cluster and sequence number only).
import { Zcl, Zdo } from 'zigbee-herdsman';
import {
  Adapter,
  type ClusterWaitressMatcher,
  type ZclWaitressPayload,
} from 'zigbee-herdsman/dist/adapter/adapter.js';
import type { ZclPayload } from 'zigbee-herdsman/dist/adapter/events.js';
import type * as TsType from 'zigbee-herdsman/dist/adapter/tstype.js';
import { Waitress } from 'zigbee-herdsman/dist/utils/waitress.js';

type ZclFrame = Parameters<Adapter['sendZclFrameToEndpoint']>[3];

/** The network formed on the stick (its NVRAM). */
export interface FormedNetwork {
  panID: number;
  extendedPanID: number[];
  channel: number;
  networkKey: number[];
}

/** What the coordinator needs of the air it sends on (SimulatedZigbeeNetwork). */
export interface CoordinatorAir {
  readonly options: { coordinator_ieee: string; matching: 'strict' | 'cluster_and_sequence' };
  readonly nvram: FormedNetwork | null;
  openPort(coordinator: SimulatedCoordinator, wanted: FormedNetwork): TsType.StartResult;
  closePort(coordinator: SimulatedCoordinator): void;
  permitJoin(seconds: number, through?: number): void;
  zdo(ieee: string, nwk: number, cluster: Zdo.ClusterId, payload: Buffer): Promise<Buffer | null>;
  deliver(
    nwk: number,
    endpoint: number,
    sourceEndpoint: number,
    cluster: number,
    bytes: Buffer,
  ): Promise<boolean>;
}

export class SimulatedCoordinator extends Adapter {
  private readonly waitress: Waitress<ZclWaitressPayload, ClusterWaitressMatcher>;
  private running = false;

  constructor(
    private readonly air: CoordinatorAir,
    networkOptions: TsType.NetworkOptions,
    serialPortOptions: TsType.SerialPortOptions,
    backupPath: string,
    adapterOptions: TsType.AdapterOptions,
  ) {
    super(networkOptions, serialPortOptions, backupPath, adapterOptions);
    const loose = air.options.matching === 'cluster_and_sequence';
    this.waitress = new Waitress<ZclWaitressPayload, ClusterWaitressMatcher>(
      loose
        ? (payload, matcher) =>
            payload.clusterID === matcher.clusterId &&
            (matcher.transactionSequenceNumber === undefined ||
              payload.header.transactionSequenceNumber === matcher.transactionSequenceNumber)
        : Adapter.zclWaitressValidator,
      Adapter.clusterWaitressTimeoutFormatter,
    );
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<TsType.StartResult> {
    const result = this.air.openPort(this, {
      panID: this.networkOptions.panID,
      extendedPanID: this.networkOptions.extendedPanID ?? [],
      channel: this.networkOptions.channelList[0] ?? 11,
      networkKey: this.networkOptions.networkKey ?? [],
    });
    this.running = true;
    return result;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.waitress.clear();
    this.air.closePort(this);
  }

  /** The stick is gone (unplugged): herdsman is told, as a real adapter tells it. */
  lost(): void {
    if (!this.running) return;
    this.running = false;
    this.waitress.clear();
    this.emit('disconnected');
  }

  async getCoordinatorIEEE(): Promise<string> {
    return this.air.options.coordinator_ieee;
  }

  async getCoordinatorVersion(): Promise<TsType.CoordinatorVersion> {
    return { type: 'lockbridge-simulated', meta: { revision: 1 } };
  }

  async reset(): Promise<void> {}

  async supportsBackup(): Promise<boolean> {
    return false;
  }

  async backup(): Promise<never> {
    throw new Error('the simulated coordinator keeps no backup');
  }

  async getNetworkParameters(): Promise<TsType.NetworkParameters> {
    const nvram = this.air.nvram!;
    return {
      panID: nvram.panID,
      extendedPanID: `0x${Buffer.from(nvram.extendedPanID).toString('hex')}`,
      channel: nvram.channel,
      nwkUpdateID: 0,
    };
  }

  async addInstallCode(): Promise<void> {}

  waitFor(
    networkAddress: number,
    endpoint: number,
    _frameType: Zcl.FrameType,
    _direction: Zcl.Direction,
    transactionSequenceNumber: number | undefined,
    clusterId: number,
    commandId: number,
    defaultRspCommandId: number | undefined,
    timeout: number,
  ): { promise: Promise<ZclPayload>; cancel: () => void } {
    const waiter = this.waitress.waitFor(
      {
        address: networkAddress,
        endpoint,
        clusterId,
        commandId,
        defaultRspCommandId,
        transactionSequenceNumber,
      },
      timeout,
    );
    return { promise: waiter.start().promise, cancel: () => this.waitress.remove(waiter.ID) };
  }

  async sendZdo(
    ieeeAddress: string,
    networkAddress: number,
    clusterId: Zdo.ClusterId,
    payload: Buffer,
    disableResponse: boolean,
    // biome-ignore lint/suspicious/noExplicitAny: one body for the abstract method's three overloads
  ): Promise<any> {
    this.usable();
    const response = await this.air.zdo(ieeeAddress, networkAddress, clusterId, payload);
    if (disableResponse) return undefined;
    if (response === null)
      throw new Error(`ZDO ${Zdo.ClusterId[clusterId]} to ${networkAddress}: no answer (MAC no ack)`);
    const answerCluster = (clusterId | 0x8000) as Zdo.ClusterId;
    const parsed = Zdo.Buffalo.readResponse(true, answerCluster, response);
    this.emit('zdoResponse', answerCluster, parsed);
    return parsed;
  }

  async permitJoin(seconds: number, networkAddress?: number): Promise<void> {
    this.usable();
    this.air.permitJoin(seconds, networkAddress);
  }

  async sendZclFrameToEndpoint(
    _ieeeAddr: string,
    networkAddress: number,
    endpoint: number,
    zclFrame: ZclFrame,
    timeout: number,
    disableResponse: boolean,
    _disableRecovery: boolean,
    sourceEndpoint?: number,
  ): Promise<ZclPayload | undefined> {
    this.usable();
    const header = zclFrame.header;
    const command = zclFrame.command;
    // As Z-Stack: wait for the command's response, or for a Default Response when one is asked for.
    let waiter: { promise: Promise<ZclPayload>; cancel: () => void } | null = null;
    if (command.response !== undefined && !disableResponse) {
      waiter = this.waitFor(
        networkAddress,
        endpoint,
        header.frameControl.frameType,
        Zcl.Direction.SERVER_TO_CLIENT,
        header.transactionSequenceNumber,
        zclFrame.cluster.ID,
        command.response,
        undefined,
        timeout,
      );
    } else if (!header.frameControl.disableDefaultResponse && !disableResponse) {
      waiter = this.waitFor(
        networkAddress,
        endpoint,
        Zcl.FrameType.GLOBAL,
        Zcl.Direction.SERVER_TO_CLIENT,
        header.transactionSequenceNumber,
        zclFrame.cluster.ID,
        Zcl.Foundation.defaultRsp.ID,
        undefined,
        timeout,
      );
    }
    const delivered = await this.air.deliver(
      networkAddress,
      endpoint,
      sourceEndpoint ?? 1,
      zclFrame.cluster.ID,
      zclFrame.toBuffer(),
    );
    if (!delivered) {
      waiter?.cancel();
      throw new Error(`Data request failed with error: 'MAC no ack' (233) to ${networkAddress}/${endpoint}`);
    }
    return waiter ? await waiter.promise : undefined;
  }

  async sendZclFrameToGroup(): Promise<void> {
    this.usable();
  }

  async sendZclFrameToAll(): Promise<void> {
    this.usable();
  }

  async setChannelInterPAN(): Promise<void> {
    throw new Error('the simulated coordinator does not do Inter-PAN');
  }

  async sendZclFrameInterPANToIeeeAddr(): Promise<void> {
    throw new Error('the simulated coordinator does not do Inter-PAN');
  }

  async sendZclFrameInterPANBroadcast(): Promise<never> {
    throw new Error('the simulated coordinator does not do Inter-PAN');
  }

  async restoreChannelInterPAN(): Promise<void> {}

  // --- From the air. ---

  /** A frame from a node: answers the waiter it matches, and goes to herdsman's Controller. */
  received(payload: ZclPayload): void {
    if (!this.running) return;
    if (payload.header) this.waitress.resolve(payload as ZclWaitressPayload);
    this.emit('zclPayload', payload);
  }

  private usable(): void {
    if (!this.running) throw new Error('the coordinator adapter is disconnected');
  }
}
