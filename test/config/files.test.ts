// The files shipped in config/ load as they are.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { useTempDir } from './support.ts';

const shipped = (name: string) => fileURLToPath(new URL(`../../config/${name}`, import.meta.url));
const files = useTempDir();

describe('shipped configuration files', () => {
  it('example.yaml is valid and sets every section', () => {
    const config = loadConfig(shipped('example.yaml'), {});
    expect(config.gateway_id).toBe('hub-1');
    expect(config.locks.map((l) => l.driver)).toEqual(['serial', 'simulated']);
    expect(config.zigbee?.names).toEqual({ '0x00124b0012345678': 'Back door' });
    expect(config.mqtt).toMatchObject({
      cert_file: '/etc/lockbridge/client.pem',
      key_file: '/etc/lockbridge/client.key',
      allow_plaintext_codes: false,
    });
    expect(config.homeassistant).toEqual({ enabled: true, discovery_prefix: 'homeassistant' });
    expect(config.http).toMatchObject({
      listen: '127.0.0.1:8080',
      auth: true,
      tls: { key_file: '/etc/lockbridge/tls.key' },
    });
    expect(config.webhooks?.map((w) => w.id)).toEqual(['cloud']);
  });

  it('installed.yaml (what the installer writes on a fresh hub) is valid: loopback broker, Home Assistant on, no locks yet', () => {
    const config = loadConfig(shipped('installed.yaml'), {});
    expect(config).toMatchObject({
      gateway_id: 'hub-1',
      data_dir: '/var/lib/lockbridge',
      mqtt: { url: 'mqtt://127.0.0.1:1883', include_codes: false },
      homeassistant: { enabled: true, discovery_prefix: 'homeassistant' },
      locks: [],
    });
    expect(config.http).toBeUndefined(); // the HTTP API is opt-in: nothing listens until asked
  });

  it('demo.yaml runs an embedded broker with three simulated locks, its store in the checkout', () => {
    const config = loadConfig(shipped('demo.yaml'), {});
    expect(config.data_dir).toBe(fileURLToPath(new URL('../../.data/demo', import.meta.url)));
    expect(config.mqtt).toMatchObject({ url: 'embedded', embedded_port: 1883, include_codes: false });
    expect(config.log).toEqual({ level: 'info', pretty: true });
    expect(config.timing).toMatchObject({ retry_base_ms: 500, retry_max_ms: 10000 });
    expect(config.http).toMatchObject({ listen: '127.0.0.1:8080', auth: true, console: true });
    expect(
      config.locks.map((l) =>
        l.driver === 'simulated' ? [l.name, l.simulated.slots, l.simulated.serial_number] : [l.name],
      ),
    ).toEqual([
      ['Front door', 30, 'SIM-0001'],
      ['Back door', 20, 'SIM-0002'],
      ['Storage room', 10, 'SIM-0003'],
    ]);
  });
});

describe('docs/configuration.md', () => {
  it('has a minimal and a full example that load', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/configuration.md', import.meta.url)), 'utf8');
    const examples = [...doc.matchAll(/```yaml\n(gateway_id:[^`]*)```/g)].map((m) => m[1]!);
    expect(examples).toHaveLength(2);
    const [minimal, full] = examples.map((text, i) => loadConfig(files.write(`example-${i}.yaml`, text), {}));
    expect(minimal!.locks).toEqual([]);
    expect(full!.zigbee?.adapter).toBe('zstack');
    expect(full!.http?.tls).toBeDefined();
    expect(full!.webhooks).toHaveLength(1);
  });
});
