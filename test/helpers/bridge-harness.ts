// Runs a whole bridge in the test process: a real store in a temp dir, real simulated locks, and
// (when a broker URL is given) the real MQTT transport. The log is captured for PIN searches.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse, stringify } from 'yaml';
import type { LockModelOptions } from '../../drivers/simulated/lock-model.ts';
import { SimulatedDriver } from '../../drivers/simulated/simulated-driver.ts';
import type { SimulatedLock } from '../../drivers/simulated/simulated-lock.ts';
import { Bridge } from '../../src/app/bridge.ts';
import { type TransportDeps, transportsFromConfig } from '../../src/app/transports-from-config.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { LastProblems } from '../../src/log/last-problems.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { Transport } from '../../src/transports/transport.ts';
import { type ApiBody, eventually } from './api-client.ts';

export const ROOT = 'lockbridge/test-hub';

export interface SimLockSpec {
  name: string;
  latency_ms?: number;
  options?: Partial<LockModelOptions>;
}

export function simulatedDriver(specs: SimLockSpec[]): SimulatedDriver {
  return new SimulatedDriver(
    specs.map((s, i) => ({
      name: s.name,
      latency_ms: s.latency_ms ?? 5,
      options: {
        slots: 10,
        min_code_length: 4,
        max_code_length: 8,
        can_read_codes: true,
        supports_native_scheduling: false,
        serial_number: `SIM-TEST-${i + 1}`,
        ...s.options,
      },
    })),
  );
}

export class LogCapture extends Writable {
  readonly chunks: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString());
    done();
  }
  get text(): string {
    return this.chunks.join('');
  }
}

export interface HarnessOptions {
  brokerUrl?: string;
  /** Extra YAML merged over the test defaults (timing:, reconciler: ...). */
  yaml?: string;
  dataDir?: string;
  log?: LogCapture;
  /** The bridge's clock (tests of long windows move it by hand, then call bridge.clock.recheck()). */
  now?: () => number;
  /** Tests keep every line (trace, the default); benchmarks keep only what matters. */
  logLevel?: string;
  /** What the system says of clock synchronisation (default: synchronised). */
  syncProbe?: () => Promise<boolean | null>;
  /** A driver asks for a daemon restart (a Zigbee stick that can't be restarted in the process). */
  onRestartNeeded?: (reason: string) => void;
  readOnlyProbeMs?: number;
  /** Passed to the bridge (shutdown: how long the command in flight may take). */
  commandWaitMs?: number;
  /** The last problem per subsystem, fed by the captured logger. */
  problems?: LastProblems;
  /** Transports built by the test (from this.config), instead of the configuration's or none. */
  transports?: (config: Config) => Transport[];
}

export class Harness {
  bridge!: Bridge;
  readonly log: LogCapture;
  readonly dataDir: string;
  readonly config: Config;
  private readonly parent: string;

  constructor(
    /** null: the drivers the configuration names (serial locks in the YAML). */
    readonly driver: SimulatedDriver | null,
    private readonly options: HarnessOptions = {},
  ) {
    this.parent = mkdtempSync(join(tmpdir(), 'lockbridge-it-'));
    this.dataDir = options.dataDir ?? join(this.parent, 'data');
    this.log = options.log ?? new LogCapture();
    const base = {
      gateway_id: 'test-hub',
      data_dir: this.dataDir,
      mqtt: { url: options.brokerUrl ?? 'mqtt://127.0.0.1:1' },
      log: { level: 'trace' },
      timing: { retry_base_ms: 20, retry_max_ms: 200 },
    };
    const yaml = stringify(deepMerge(base, (parse(options.yaml ?? '') ?? {}) as Record<string, unknown>));
    const file = join(this.parent, 'config.yaml');
    writeFileSync(file, yaml);
    this.config = loadConfig(file, {});
  }

  async start(): Promise<Bridge> {
    const problems = this.options.problems;
    const logger = createLogger({
      level: this.options.logLevel ?? 'trace',
      pretty: false,
      destination: this.log,
      ...(problems ? { onProblem: (line) => problems.record(line) } : {}),
    });
    this.bridge = await Bridge.start({
      config: this.config,
      log: logger,
      ...(this.driver ? { drivers: [this.driver] } : {}),
      // Built by the test; or without a broker, the other transports the YAML names (HTTP, webhooks).
      ...(this.options.transports
        ? { transports: this.options.transports(this.config) }
        : this.options.brokerUrl === undefined
          ? {
              transports: async (deps: TransportDeps) =>
                (await transportsFromConfig(this.config, deps)).filter((t) => t.name !== 'mqtt'),
            }
          : {}),
      clockBackground: false,
      syncProbe: this.options.syncProbe ?? (async () => true),
      ...(this.options.now ? { now: this.options.now } : {}),
      ...(this.options.onRestartNeeded ? { onRestartNeeded: this.options.onRestartNeeded } : {}),
      ...(this.options.readOnlyProbeMs ? { readOnlyProbeMs: this.options.readOnlyProbeMs } : {}),
      ...(this.options.commandWaitMs !== undefined ? { commandWaitMs: this.options.commandWaitMs } : {}),
      ...(problems ? { problems } : {}),
    });
    return this.bridge;
  }

  /** Starts the bridge and waits until every simulated lock is online. */
  async startOnline(): Promise<Bridge> {
    await this.start();
    const locks = this.driver?.locks ?? [];
    await eventually(
      () => locks.every((l) => this.bridge.store.devices.byIdentity(l.identity)?.online),
      5000,
      'locks online',
    );
    return this.bridge;
  }

  /** Calls a route directly (no MQTT). */
  async call(route: string, params: Record<string, unknown> = {}): Promise<ApiBody> {
    return this.bridge.api(route, Buffer.from(JSON.stringify(params)), {
      generatedRequestId: `gen-${Math.random()}`,
    });
  }

  lock(index = 0): SimulatedLock {
    if (!this.driver) throw new Error('no simulated driver in this harness');
    return this.driver.locks[index]!;
  }

  deviceId(index = 0): string {
    const lock = this.lock(index);
    return this.bridge.store.devices.byIdentity(lock.identity)!.device_id;
  }

  async stop(): Promise<void> {
    await this.bridge?.stop();
  }

  cleanup(): void {
    rmSync(this.parent, { recursive: true, force: true });
  }
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    const bothObjects = [current, value].every(
      (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    );
    out[key] = bothObjects
      ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>)
      : value;
  }
  return out;
}

/** For afterEach: stops and removes every harness a test started. */
export async function releaseAll(harnesses: Harness[]): Promise<void> {
  for (const h of harnesses.splice(0)) {
    await h.stop().catch(() => undefined);
    h.cleanup();
  }
}

/** A harness with simulated locks (one, "Front", by default), started with every lock online; kept for releaseAll. */
export async function startedHarness(
  harnesses: Harness[],
  specs: SimLockSpec[] = [{ name: 'Front' }],
): Promise<Harness> {
  const h = new Harness(simulatedDriver(specs));
  harnesses.push(h);
  await h.startOnline();
  return h;
}
