import { describe, expect, it } from 'vitest';
import { type ManagedCode, newManagedCode } from '../../src/core/access-code.ts';
import {
  checkDelay,
  confirmSet,
  markRemoving,
  modifiedExternally,
  nextDelayCheck,
  refuseSet,
  reprogram,
} from '../../src/core/lifecycle.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const timing = { delay_warning_after_ms: 60_000, fail_after_ms: 900_000 };

const code = (over: Partial<ManagedCode> = {}): ManagedCode =>
  newManagedCode({
    access_code_id: 'c1',
    device_id: 'd1',
    name: 'Guest',
    code: '482913',
    created_at: T0,
    ...over,
  });

describe('lifecycle', () => {
  it('confirmSet makes the code set with one set_on_device, and is silent when nothing changes', () => {
    const first = confirmSet(code());
    expect(first.code.status).toBe('set');
    expect(first.code.pending_since).toBeNull();
    expect(first.events.map((e) => e.event_type)).toEqual(['access_code.set_on_device']);
    expect(confirmSet(first.code).events).toEqual([]);
  });

  it('warns after delay_warning_after and fails after fail_after, once each, then suspends setting', () => {
    const early = checkDelay(code(), T0 + 59_999, timing);
    expect(early.events).toEqual([]);
    const warned = checkDelay(code(), T0 + 60_000, timing);
    expect(warned.events.map((e) => e.event_type)).toEqual(['access_code.delay_in_setting_on_device']);
    expect(warned.code.warnings.map((w) => w.warning_code)).toEqual(['delay_in_setting_on_device']);
    expect(checkDelay(warned.code, T0 + 61_000, timing).events).toEqual([]);
    expect(nextDelayCheck(warned.code, timing)).toBe(T0 + 900_000);
    const failed = checkDelay(warned.code, T0 + 900_000, timing);
    expect(failed.events.map((e) => e.event_type)).toEqual(['access_code.failed_to_set_on_device']);
    expect(failed.code.suspended).toBe(true);
    expect(nextDelayCheck(failed.code, timing)).toBeNull();
  });

  it('never suspends a removal: a deleted code keeps being retried', () => {
    const removing = markRemoving(code({ status: 'set', pending_since: null }), T0, 'a1');
    const failed = checkDelay(checkDelay(removing, T0 + 60_000, timing).code, T0 + 900_000, timing);
    expect(failed.events.map((e) => e.event_type)).toEqual(['access_code.failed_to_remove_from_device']);
    expect(failed.code.suspended).toBe(false);
  });

  it('a refusal is reported with the specific error and stops retries; a change clears it', () => {
    const refused = refuseSet(
      code(),
      'duplicate_code_on_device',
      'The lock already holds this PIN in slot 5.',
      T0,
    );
    expect(refused.code.suspended).toBe(true);
    expect(refused.code.errors.map((e) => e.error_code)).toEqual(['duplicate_code_on_device']);
    expect(refused.events[0]?.fields).toEqual({ error_code: 'duplicate_code_on_device' });
    const changed = reprogram({ ...refused.code, code: '917346' }, T0 + 1);
    expect(changed.suspended).toBe(false);
    expect(changed.errors).toEqual([]);
    expect(changed.revision).toBe(2);
  });

  it('a keypad change is undone with a warning, unless external modification is allowed', () => {
    const set = confirmSet(code()).code;
    const undone = modifiedExternally(set, '111222', T0);
    expect(undone.code.code).toBe('482913');
    expect(undone.code.status).toBe('setting');
    expect(undone.code.warnings.map((w) => w.warning_code)).toEqual(['code_modified_externally']);
    expect(undone.events.map((e) => e.event_type)).toEqual(['access_code.modified_externally']);
    expect(modifiedExternally(set, null, T0).events.map((e) => e.event_type)).toEqual([
      'access_code.deleted_externally',
    ]);
    const taken = modifiedExternally({ ...set, allow_external_modification: true }, '111222', T0);
    expect(taken.code.code).toBe('111222');
    expect(taken.events.map((e) => e.event_type)).toEqual(['access_code.changed']);
  });

  it('never puts the PIN into an event', () => {
    const all = [
      confirmSet(code()),
      refuseSet(code(), 'bad_code_on_device', 'x', T0),
      modifiedExternally(code({ status: 'set' }), '555666', T0),
      modifiedExternally(code({ status: 'set', allow_external_modification: true }), '555666', T0),
    ];
    const text = JSON.stringify(all.flatMap((t) => t.events));
    expect(text).not.toContain('482913');
    expect(text).not.toContain('555666');
  });
});
