// lockbridge check-config: exit codes, the summary, every problem, and never the password.
import { describe, expect, it } from 'vitest';
import { checkConfigCommand } from '../../src/config/load.ts';
import { MINIMAL, useTempDir } from './support.ts';

const files = useTempDir();

function run(path: string | undefined, env: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  const code = checkConfigCommand(path, env, (line) => lines.push(line));
  return { code, lines, text: lines.join('\n') };
}

const PASSWORD = 'Sup3r-s3cret-broker-pw';

describe('check-config', () => {
  it('exits 0 with a summary: gateway, broker, locks by driver', () => {
    files.write('mqtt-password', `${PASSWORD}\n`);
    const file = files.write(
      'config.yaml',
      [
        ...MINIMAL,
        '  username: hub-1',
        '  password_file: mqtt-password',
        'locks:',
        '  - { name: A, driver: simulated }',
        '  - { name: B, driver: simulated }',
        '  - { name: C, driver: serial, serial: { path: /dev/ttyUSB0 } }',
      ].join('\n'),
    );
    const { code, lines, text } = run(file);
    expect(code).toBe(0);
    expect(lines[0]).toBe(`${file}: ok`);
    expect(text).toContain('gateway: hub-1');
    expect(text).toContain('broker: mqtt://127.0.0.1:1883, topics under lockbridge/hub-1');
    expect(text).toContain('locks: 2 simulated, 1 serial');
    expect(text).not.toContain(PASSWORD);
  });

  it('says which variables it used and which it ignored, without their values', () => {
    const file = files.write('config.yaml', MINIMAL.join('\n'));
    const { code, text } = run(file, {
      LOCKBRIDGE_MQTT_URL: 'embedded',
      LOCKBRIDGE_MQTT_PASWORD: PASSWORD,
      LOCKBRIDGE_CONFIG: file,
    });
    expect(code).toBe(0);
    expect(text).toContain('broker: embedded (in-process, port 1883)');
    expect(text).toContain('from the environment: LOCKBRIDGE_MQTT_URL');
    expect(text).toContain('ignored (no such setting): LOCKBRIDGE_MQTT_PASWORD');
    expect(text).not.toContain(PASSWORD);
  });

  it('exits 1 and prints every problem, one per line', () => {
    const file = files.write(
      'config.yaml',
      ['gateway_id: Hub!', 'mqtt: { url: "ftp://x", colour: red }'].join('\n'),
    );
    const { code, lines } = run(file);
    expect(code).toBe(1);
    expect(lines[0]).toBe(`${file}: not valid (4 problems)`);
    expect(lines.slice(1).map((l) => l.trim().split(':')[0])).toEqual([
      'gateway_id',
      'data_dir',
      'mqtt.url',
      'mqtt.colour',
    ]);
  });

  it('exits 1 when the password file cannot be read, naming it', () => {
    const file = files.write(
      'config.yaml',
      [...MINIMAL, '  password_file: /nonexistent/lockbridge-pw'].join('\n'),
    );
    const { code, lines } = run(file);
    expect(code).toBe(1);
    expect(lines[1]).toBe('  mqtt.password_file: cannot read /nonexistent/lockbridge-pw (no such file)');
  });

  it('exits 1 when a TLS file is missing', () => {
    const file = files.write('config.yaml', [...MINIMAL, '  ca_file: ca.pem'].join('\n'));
    const { code, text } = run(file);
    expect(code).toBe(1);
    expect(text).toContain('mqtt.ca_file: cannot read');
  });

  it('never prints the password when another file named next to it is missing', () => {
    files.write('mqtt-password', PASSWORD);
    const file = files.write(
      'config.yaml',
      [...MINIMAL, '  password_file: mqtt-password', '  ca_file: missing-ca.pem'].join('\n'),
    );
    const { code, text } = run(file);
    expect(code).toBe(1);
    expect(text).toContain('mqtt.ca_file');
    expect(text).not.toContain(PASSWORD);
  });

  it('names a password written into the file by mistake without repeating it', () => {
    const file = files.write('config.yaml', [...MINIMAL, `  password: ${PASSWORD}`].join('\n'));
    const { code, lines } = run(file);
    expect(code).toBe(1);
    expect(lines.slice(1)).toEqual(['  mqtt.password: unknown key']);
  });

  it('exits 1 for a missing file and 2 when no file was given', () => {
    expect(run('/nonexistent/lockbridge.yaml').code).toBe(1);
    const none = run(undefined);
    expect(none.code).toBe(2);
    expect(none.text).toMatch(/--config FILE or set LOCKBRIDGE_CONFIG/);
  });
});
