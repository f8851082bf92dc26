// No PIN, API key or webhook secret in the log, at trace level, through the HTTP API, the event
// stream and webhooks (including refusals, a wrong key and a failing endpoint).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../helpers/api-client.ts';
import { type HttpEnv, keySecret, seamClient, startHttp } from '../helpers/http-kit.ts';
import { showsPin } from '../helpers/pins.ts';
import { newWebhookSecret, WebhookReceiver } from '../helpers/webhook-receiver.ts';

let env: HttpEnv;
let receiver: WebhookReceiver;
let secretFile: string;
beforeAll(async () => {
  receiver = await WebhookReceiver.start(newWebhookSecret());
  secretFile = join(process.env.TMPDIR ?? '/tmp', `lockbridge-secret-${process.pid}-${Date.now()}`);
  writeFileSync(secretFile, receiver.secret, { mode: 0o600 });
  env = await startHttp([{ name: 'Front door' }], {
    yaml: JSON.stringify({
      webhooks: [
        {
          id: 'hook',
          url: `${receiver.url}?token=s3cr3t-query-token`,
          secret_file: secretFile,
          retry_base_ms: 20,
          retry_max_ms: 50,
        },
      ],
    }),
  });
});
afterAll(async () => {
  await env.close();
  await receiver.close();
  rmSync(secretFile, { force: true });
});

it('leaves every PIN, the API key and the webhook secret out of the log', async () => {
  const { seam, h } = env;
  const pins = ['482916', '613094', '750128'];
  const created = await seam.accessCodes.create({ device_id: h.deviceId(), code: pins[0]!, name: 'Guest' });
  await seam.accessCodes.update({ access_code_id: created.access_code_id, code: pins[1]! });
  await seam.accessCodes.create({ device_id: h.deviceId(), code: pins[1]! }).catch(() => undefined); // duplicate
  await seam.accessCodes.create({ device_id: h.deviceId(), code: `${pins[2]}x` }).catch(() => undefined); // invalid
  receiver.failing = true;
  await seam.accessCodes.create({ device_id: h.deviceId(), code: pins[2]! });
  await eventually(() => receiver.refused > 1, 5000, 'webhook refused');
  receiver.failing = false;
  await seamClient(env.url, `${env.key.slice(0, -4)}AAAA`)
    .devices.list()
    .catch(() => undefined); // wrong key
  await eventually(
    () => h.log.text.includes('webhook endpoint takes events again'),
    5000,
    'webhook recovered',
  );

  const log = h.log.text;
  expect(log).toContain('request answered'); // trace level: the requests are in it
  for (const pin of pins) expect(showsPin(log, pin), pin).toBe(false);
  expect(log).not.toContain(env.key);
  expect(log).not.toContain(keySecret(env.key));
  expect(log).not.toContain(receiver.secret.slice('whsec_'.length));
  expect(log).not.toContain('s3cr3t-query-token');
});
