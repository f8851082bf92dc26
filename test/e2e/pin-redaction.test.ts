// PINs are secrets: a whole scenario at log level trace, and not one PIN it set is in the log.
import { afterAll, expect, it } from 'vitest';
import { eventually } from '../helpers/api-client.ts';
import { showsPin } from '../helpers/pins.ts';
import { type E2e, startE2e } from './e2e-kit.ts';

let env: E2e;
afterAll(async () => {
  await env.close();
});

it('no PIN the scenario set, generated, changed or typed appears in the captured log', async () => {
  env = await startE2e([
    { name: 'Front door', latency_ms: 10 },
    { name: 'Back door', latency_ms: 10, options: { can_read_codes: false } },
  ]);
  const { api, h } = env;
  const pins = new Set<string>(['482916', '613094', '750128', '246802', '135791', '902184']);
  const a = await api.request('access_codes/create', {
    device_id: h.deviceId(),
    code: '482916',
    name: 'Guest',
  });
  const b = await api.request('access_codes/create', { device_id: h.deviceId(1), code: '750128' });
  const generated = await api.request('access_codes/create', { device_id: h.deviceId() });
  pins.add(generated.access_code.code);
  await api.request('access_codes/update', { access_code_id: a.access_code.access_code_id, code: '613094' });
  await eventually(() => api.eventsOf('access_code.set_on_device').length >= 4, 5000, 'codes set');
  h.lock().keypadProgram(9, '246802'); // an unmanaged code appears
  h.lock().enterCode('613094');
  h.lock().enterCode('135791'); // a wrong code
  await api.request('access_codes/create', { device_id: h.deviceId(), code: '12' }); // refused: bad input echoes nothing
  await api.rawRequest('access_codes/create', `{"device_id":"${h.deviceId()}","code":"902184",`); // bad JSON with a PIN in it
  await api.request('access_codes/delete', { access_code_id: b.access_code.access_code_id });
  await api.waitForEvent((e) => e.event_type === 'access_code.unmanaged.created');
  await api.waitForEvent((e) => e.event_type === 'lock.access_denied' || e.event_type === 'lock.unlocked');
  await api.waitForEvent((e) => e.event_type === 'access_code.removed_from_device');

  const log = h.log.text;
  expect(log.length).toBeGreaterThan(1000); // the log did capture the run
  expect(log).toContain('ready');
  for (const pin of pins) expect(showsPin(log, pin), `PIN ${pin} in the log`).toBe(false);
  // Events carry no PIN either (include_codes is false).
  for (const event of api.events)
    for (const pin of pins) expect(showsPin(JSON.stringify(event), pin)).toBe(false);
});
