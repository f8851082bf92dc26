// Adopting an interviewed device as a lock, once: find its Door Lock endpoint (herdsman's interview
// never looks at the cluster), read what it can do (PIN users, PIN lengths, year-day schedules, its
// poll rate), bind Door Lock and Power Configuration to the coordinator, configure lockState and
// battery reporting. What was learnt is kept in herdsman's device record (meta.lockbridge), so a
// restart costs no frame to learn it again.
import type { Logger } from 'pino';
import { type HerdsmanDevice, type HerdsmanEndpoint, herdsmanReason } from './herdsman.ts';
import type { LockRadio } from './lock-radio.ts';
import type { LockQuirks } from './quirks.ts';

/** What the bridge knows of a lock, learnt at adoption. */
export interface LockProfile {
  endpoint: number;
  slot_count: number;
  min_pin: number;
  max_pin: number;
  year_day_schedules: number;
  can_read_codes: boolean;
  /** How long the lock may take to poll for a frame (0 for a lock whose receiver is always on). */
  poll_ms: number;
}

const META_KEY = 'lockbridge';
/** A sleepy end device that does not say how often it polls: ZigBee's indirect transmission timeout. */
const DEFAULT_END_DEVICE_POLL_MS = 7680;

/** Before its poll rate is known, an end device gets the longest wait. */
export const adoptionWaitMs = (device: HerdsmanDevice, responseTimeoutMs: number): number =>
  responseTimeoutMs + (device.type === 'EndDevice' ? DEFAULT_END_DEVICE_POLL_MS : 0);

/** The endpoint with the Door Lock cluster: the quirk's when it has one, else the first. */
export function doorLockEndpoint(device: HerdsmanDevice, quirks: LockQuirks): HerdsmanEndpoint | null {
  const candidates = device.endpoints.filter((e) => e.supportsInputCluster('closuresDoorLock'));
  return candidates.find((e) => e.ID === quirks.endpoint) ?? candidates[0] ?? null;
}

export function storedProfile(device: HerdsmanDevice): LockProfile | null {
  const stored = (device.meta as Record<string, unknown>)[META_KEY] as LockProfile | undefined;
  return stored && typeof stored.slot_count === 'number' ? stored : null;
}

export function storeProfile(device: HerdsmanDevice, profile: LockProfile): void {
  (device.meta as Record<string, unknown>)[META_KEY] = profile;
  device.save();
}

/**
 * Reads the lock's capabilities and sets up its reports; the frames go through `radio` (already
 * aimed at the endpoint). Throws when the lock does not answer the capability read.
 */
export async function adopt(
  device: HerdsmanDevice,
  endpoint: HerdsmanEndpoint,
  coordinatorEndpoint: HerdsmanEndpoint,
  radio: LockRadio,
  quirks: LockQuirks,
  log: Logger,
): Promise<LockProfile> {
  const attrs = await radio.exclusive(() =>
    radio.readAttributes('closuresDoorLock', [
      'lockState',
      'numOfPinUsersSupported',
      'minPinLen',
      'maxPinLen',
      'numOfYearDaySchedulesSupportedPerUser',
    ]),
  );
  if (attrs === null) throw new Error('the lock did not answer the read of its Door Lock attributes');
  const slots = quirks.slot_count ?? numberOr(attrs.numOfPinUsersSupported, 0);
  if (slots < 1)
    throw new Error('the lock reports no PIN users (numOfPinUsersSupported): it keeps no PIN codes');
  const min = numberOr(attrs.minPinLen, 4);
  const max = Math.max(min, numberOr(attrs.maxPinLen, 8));
  let poll_ms = quirks.poll_interval_ms ?? 0;
  if (quirks.poll_interval_ms === null && endpoint.supportsInputCluster('genPollCtrl')) {
    const poll = await radio.exclusive(() => radio.readAttributes('genPollCtrl', ['longPollInterval']));
    // Quarter seconds.
    if (typeof poll?.longPollInterval === 'number') poll_ms = poll.longPollInterval * 250;
  } else if (quirks.poll_interval_ms === null && device.type === 'EndDevice') {
    poll_ms = DEFAULT_END_DEVICE_POLL_MS;
  }
  const profile: LockProfile = {
    endpoint: endpoint.ID,
    slot_count: slots,
    min_pin: Math.max(1, min),
    max_pin: max,
    year_day_schedules: numberOr(attrs.numOfYearDaySchedulesSupportedPerUser, 0),
    can_read_codes: !quirks.masked_pins,
    poll_ms,
  };
  await setUpReports(endpoint, coordinatorEndpoint, radio.timeoutMs, log);
  // The battery now, rather than at its first report an hour from now (it arrives as a message).
  if (endpoint.supportsInputCluster('genPowerCfg'))
    await radio.exclusive(() => radio.readAttributes('genPowerCfg', ['batteryPercentageRemaining']));
  storeProfile(device, profile);
  return profile;
}

/** Binds and configures reporting; a lock that refuses a part of it still works (it is only quieter). */
async function setUpReports(
  endpoint: HerdsmanEndpoint,
  coordinator: HerdsmanEndpoint,
  timeout: number,
  log: Logger,
): Promise<void> {
  const options = { timeout, sendPolicy: 'immediate' as const };
  const steps: [string, () => Promise<unknown>][] = [
    ['bind closuresDoorLock', () => endpoint.bind('closuresDoorLock', coordinator)],
    [
      'report lockState',
      () =>
        endpoint.configureReporting(
          'closuresDoorLock',
          [
            {
              attribute: 'lockState',
              minimumReportInterval: 0,
              maximumReportInterval: 3600,
              reportableChange: 0,
            },
          ],
          options,
        ),
    ],
  ];
  if (endpoint.supportsInputCluster('genPowerCfg')) {
    steps.push(
      ['bind genPowerCfg', () => endpoint.bind('genPowerCfg', coordinator)],
      [
        'report batteryPercentageRemaining',
        () =>
          endpoint.configureReporting(
            'genPowerCfg',
            [
              {
                attribute: 'batteryPercentageRemaining',
                minimumReportInterval: 3600,
                maximumReportInterval: 43200,
                reportableChange: 0,
              },
            ],
            options,
          ),
      ],
    );
  }
  for (const [what, step] of steps) {
    await step().catch((error: unknown) =>
      log.warn(
        { step: what, reason: herdsmanReason(error) },
        'the lock refused a reporting set-up step; it will report less',
      ),
    );
  }
}

const numberOr = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;
