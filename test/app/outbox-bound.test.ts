// The event outbox is bounded (outbox.max_events / max_age_days); what the bridge had to drop is
// logged with its count, so an operator knows events were lost while the broker was away.
import { afterEach, expect, it } from 'vitest';
import { eventually } from '../helpers/api-client.ts';
import { Harness, releaseAll, simulatedDriver } from '../helpers/bridge-harness.ts';

const harnesses: Harness[] = [];
afterEach(() => releaseAll(harnesses));

it('drops the oldest undelivered events beyond max_events at start, and says so', async () => {
  const driver = simulatedDriver([{ name: 'Front' }]);
  // The broker never answers (port 1): nothing is delivered.
  const away = 'mqtt://127.0.0.1:1';
  const first = new Harness(driver, { yaml: 'outbox: { max_events: 5 }', brokerUrl: away });
  harnesses.push(first);
  await first.startOnline();
  for (const code of ['482916', '613094', '750128', '246802']) {
    expect((await first.call('access_codes/create', { device_id: first.deviceId(), code })).ok).toBe(true);
  }
  const events = () => first.bridge.store.events.list({ since: 0, limit: 1000 }).length;
  await eventually(() => events() >= 9, 5000, 'created and set_on_device for each code'); // + device.connected
  const made = events();
  await first.stop();

  const second = new Harness(driver, {
    yaml: 'outbox: { max_events: 5 }',
    dataDir: first.dataDir,
    brokerUrl: away,
  });
  harnesses.push(second);
  await second.startOnline();
  const line = second.log.text.split('\n').find((l) => l.includes('undelivered events dropped'));
  expect(line).toBeDefined();
  expect(JSON.parse(line!).dropped).toBeGreaterThanOrEqual(made - 5);
});
