import { describe, expect, it } from 'vitest';
import { type ManagedCode, newManagedCode } from '../../src/core/access-code.ts';
import { confirmOnLock, expiredRemoved, windowStep } from '../../src/core/lifecycle.ts';
import { belongsOnLock } from '../../src/core/time-window.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-01T12:00:00.000Z');
const trusted = { lead_ms: 0, clock_trusted: true };

const guest = (over: Partial<ManagedCode> = {}): ManagedCode =>
  newManagedCode({
    access_code_id: 'g1',
    device_id: 'd1',
    name: 'Guest',
    code: '482913',
    created_at: T0,
    type: 'time_bound',
    window: { starts_at: T0 + HOUR, ends_at: T0 + 3 * HOUR },
    status: 'unset',
    pending_since: null,
    ...over,
  });

describe('belongsOnLock', () => {
  it('holds a time-bound code only inside its window, from the lead on', () => {
    expect(belongsOnLock(guest(), T0, trusted, false)).toBe(false);
    expect(belongsOnLock(guest(), T0 + HOUR, trusted, false)).toBe(true);
    expect(belongsOnLock(guest(), T0 + 3 * HOUR, trusted, false)).toBe(false);
    expect(belongsOnLock(guest(), T0 + HOUR / 2, { ...trusted, lead_ms: HOUR / 2 }, false)).toBe(true);
  });

  it('holds a natively scheduled code from creation to ends_at', () => {
    expect(belongsOnLock(guest(), T0, trusted, true)).toBe(true);
    expect(belongsOnLock(guest(), T0 + 3 * HOUR, trusted, true)).toBe(false);
  });

  it('changes nothing on the strength of an untrusted clock', () => {
    const untrusted = { ...trusted, clock_trusted: false };
    expect(belongsOnLock(guest({ status: 'unset' }), T0 + 2 * HOUR, untrusted, false)).toBe(false);
    expect(belongsOnLock(guest({ status: 'set' }), T0 + 10 * HOUR, untrusted, false)).toBe(true);
  });
});

describe('windowStep', () => {
  it('starts programming when the window opens', () => {
    const step = windowStep(guest(), T0 + HOUR, trusted, false, false);
    expect(step).toMatchObject({ kind: 'save', code: { status: 'setting', pending_since: T0 + HOUR } });
  });

  it('waits before the window', () => {
    expect(windowStep(guest(), T0, trusted, false, false)).toEqual({ kind: 'none' });
  });

  it('sends an expired code on the lock to removing, once', () => {
    const step = windowStep(guest({ status: 'set' }), T0 + 3 * HOUR, trusted, false, true);
    expect(step).toMatchObject({ kind: 'save', code: { status: 'removing' } });
    expect(windowStep(guest({ status: 'removing' }), T0 + 4 * HOUR, trusted, false, true)).toEqual({
      kind: 'none',
    });
  });

  it('deletes an expired code that is not on the lock', () => {
    const step = windowStep(guest(), T0 + 3 * HOUR, trusted, false, false);
    expect(step).toEqual({
      kind: 'delete',
      events: [{ event_type: 'access_code.deleted', device_id: 'd1', access_code_id: 'g1' }],
    });
  });

  it('takes a code off the lock when its window moved later', () => {
    const step = windowStep(guest({ status: 'set' }), T0, trusted, false, true);
    expect(step).toMatchObject({ kind: 'save', code: { status: 'removing' } });
    expect(windowStep(guest({ status: 'setting' }), T0, trusted, false, false)).toMatchObject({
      kind: 'save',
      code: { status: 'unset' },
    });
  });

  it('does nothing while the clock is untrusted', () => {
    expect(
      windowStep(guest({ status: 'set' }), T0 + 9 * HOUR, { ...trusted, clock_trusted: false }, false, true),
    ).toEqual({ kind: 'none' });
  });

  it('leaves a natively scheduled code alone before its window', () => {
    expect(windowStep(guest({ is_scheduled_on_device: true }), T0, trusted, true, true)).toEqual({
      kind: 'none',
    });
  });
});

describe('confirmOnLock', () => {
  it('is scheduled_on_device, not set, before a native window opens', () => {
    const t = confirmOnLock(
      guest({ is_scheduled_on_device: true, status: 'setting', pending_since: T0 }),
      T0,
    );
    expect(t.code.status).toBe('unset');
    expect(t.events.map((e) => e.event_type)).toEqual(['access_code.scheduled_on_device']);
    expect(confirmOnLock(t.code, T0 + 1).events).toEqual([]);
  });

  it('is set inside the window', () => {
    const t = confirmOnLock(
      guest({ is_scheduled_on_device: true, status: 'setting', pending_since: T0 }),
      T0 + HOUR,
    );
    expect(t.code.status).toBe('set');
    expect(t.events.map((e) => e.event_type)).toEqual(['access_code.set_on_device']);
  });
});

it('an expired code is removed from the device, then deleted', () => {
  expect(expiredRemoved(guest()).map((e) => e.event_type)).toEqual([
    'access_code.removed_from_device',
    'access_code.deleted',
  ]);
});
