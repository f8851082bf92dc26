// What the hub's codes, statuses and events mean, in words a person at the door understands.

const STATUS = {
  setting: ['Being programmed', 'busy'],
  set: ['On the lock', 'good'],
  unset: ['Not on the lock (outside its time window)', 'idle'],
  removing: ['Being removed', 'busy'],
  unknown: ['Unknown: the lock stopped answering during a change', 'bad'],
};

/** [words, tone] for an access code's status. */
export const statusWords = (status) => STATUS[status] ?? [status, 'idle'];

const METHODS = {
  keycode: 'with a code',
  manual: 'by hand',
  automatic: 'automatically',
  remote: 'from the hub',
};

const ACTIONS = {
  delete_access_code: 'Code removal',
  lock_door: 'Locking',
  unlock_door: 'Unlocking',
  convert_access_code_to_managed: 'Taking over a found code',
  delete_unmanaged_access_code: 'Removing a found code',
};

const percent = (level) => (typeof level === 'number' ? `${Math.round(level * 100)} %` : '');

/** One line for an event; names: access_code_id → name, where the console knows it. */
export function eventWords(event, names = new Map()) {
  const name = names.get(event.access_code_id);
  const code = name ? `Code “${name}”` : 'A code';
  const how = METHODS[event.method] ?? '';
  switch (event.event_type) {
    case 'access_code.created':
      return `${code} was created`;
    case 'access_code.changed':
      return `${code} was changed`;
    case 'access_code.set_on_device':
      return `${code} is now on the lock`;
    case 'access_code.scheduled_on_device':
      return `${code} is scheduled on the lock`;
    case 'access_code.delay_in_setting_on_device':
      return `${code} is taking long to program`;
    case 'access_code.failed_to_set_on_device':
      return `${code} could not be programmed`;
    case 'access_code.deleted':
      return `${code} was deleted`;
    case 'access_code.removed_from_device':
      return `${code} was removed from the lock`;
    case 'access_code.delay_in_removing_from_device':
      return `${code} is taking long to remove`;
    case 'access_code.failed_to_remove_from_device':
      return `${code} could not be removed from the lock`;
    case 'access_code.modified_externally':
      return `${code} was changed at the lock itself`;
    case 'access_code.deleted_externally':
      return `${code} was removed at the lock itself`;
    case 'access_code.unmanaged.created':
      return 'A code the hub did not set was found on the lock';
    case 'access_code.unmanaged.removed':
      return 'A code the hub did not set was removed';
    case 'access_code.unmanaged.converted_to_managed':
      return 'A found code is now managed by the hub';
    case 'access_code.unmanaged.failed_to_convert_to_managed':
      return 'A found code could not be taken over';
    case 'lock.locked':
      return `Locked ${how}`.trim();
    case 'lock.unlocked':
      return `Unlocked ${name ? `with code “${name}”` : how}`.trim();
    case 'lock.access_denied':
      return 'A wrong code was entered';
    case 'device.connected':
      return 'The lock answers';
    case 'device.disconnected':
      return 'The lock stopped answering';
    case 'device.battery_status_changed':
      return `Battery at ${percent(event.battery_level)}`;
    case 'device.low_battery':
      return `Battery low (${percent(event.battery_level)})`;
    default: {
      const attempt = /^action_attempt\.(.+)\.(succeeded|failed)$/.exec(event.event_type);
      if (attempt)
        return `${ACTIONS[attempt[1]] ?? attempt[1]} ${attempt[2] === 'succeeded' ? 'done' : 'failed'}`;
      return event.event_type;
    }
  }
}

/** Events that are bad news, shown in red. */
export const isBadEvent = (event) =>
  /failed|delay_in|disconnected|low_battery|access_denied|externally/.test(event.event_type);

/** "just now", "5 min ago", "3 h ago", or the date. */
export function ago(isoTime, now = Date.now()) {
  if (!isoTime) return '';
  const seconds = Math.round((now - Date.parse(isoTime)) / 1000);
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(isoTime).toLocaleDateString();
}

export const when = (isoTime) =>
  new Date(isoTime).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });

export function lockWords(device) {
  const p = device.properties;
  return {
    online: p.online ? 'Answering' : 'Not answering',
    locked: p.locked === true ? 'Locked' : p.locked === false ? 'Unlocked' : 'Lock state unknown',
    door: p.door_open === true ? 'Door open' : p.door_open === false ? 'Door closed' : '',
    battery: typeof p.battery_level === 'number' ? `Battery ${percent(p.battery_level)}` : 'Battery unknown',
    lowBattery: typeof p.battery_level === 'number' && p.battery_level < 0.2,
  };
}
