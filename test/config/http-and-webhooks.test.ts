// The http: and webhooks: sections: defaults, the loopback rule for auth, listen addresses, webhook
// ids and secret files (check-config reads them, never prints them), environment overrides.
import { describe, expect, it } from 'vitest';
import { checkConfigCommand, loadConfig } from '../../src/config/load.ts';
import { webhookIdOf } from '../../src/config/schema.ts';
import { MINIMAL, problemsOf, useTempDir } from './support.ts';

const files = useTempDir();
const load = (lines: string[], env: NodeJS.ProcessEnv = {}) =>
  loadConfig(files.write('config.yaml', [...MINIMAL, ...lines].join('\n')), env);
const problems = (lines: string[]) => problemsOf(() => load(lines));

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('http', () => {
  it('is absent unless configured; an empty section gets every default, on the loopback', () => {
    expect(load([]).http).toBeUndefined();
    expect(load(['http: {}']).http).toEqual({
      listen: '127.0.0.1:8080',
      auth: true,
      console: true,
      max_body_bytes: 65536,
      rate_limit_per_minute: 600,
      rate_limit_burst: 60,
      request_timeout_s: 30,
      max_streams: 16,
      stream_keepalive_s: 15,
    });
  });

  it('takes IPv4, IPv6 and host names; refuses what is not HOST:PORT', () => {
    expect(load(['http: { listen: "[::1]:8443" }']).http?.listen).toBe('[::1]:8443');
    expect(load(['http: { listen: "0.0.0.0:80" }']).http?.listen).toBe('0.0.0.0:80');
    expect(load(['http: { listen: "localhost:0" }']).http?.listen).toBe('localhost:0');
    for (const listen of ['8080', '127.0.0.1', '127.0.0.1:99999', '[nope]:80', 'a b:80']) {
      expect(problems([`http: { listen: "${listen}" }`]), listen).toEqual([
        'http.listen: expected HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080',
      ]);
    }
  });

  it('allows auth: false only on a loopback address', () => {
    expect(load(['http: { auth: false }']).http?.auth).toBe(false);
    expect(load(['http: { auth: false, listen: "[::1]:8080" }']).http?.auth).toBe(false);
    expect(problems(['http: { auth: false, listen: "0.0.0.0:8080" }'])).toEqual([
      'http.auth: may be false only when listening on a loopback address, not on 0.0.0.0',
    ]);
  });

  it('resolves the TLS files against the file, and check-config names a missing one', () => {
    const config = load(['http:', '  tls: { cert_file: tls/hub.crt, key_file: /etc/lockbridge/hub.key }']);
    expect(config.http?.tls).toEqual({
      cert_file: `${files.dir()}/tls/hub.crt`,
      key_file: '/etc/lockbridge/hub.key',
    });
    const lines: string[] = [];
    const file = files.write(
      'tls.yaml',
      [...MINIMAL, 'http:', '  tls: { cert_file: nope.crt, key_file: nope.key }'].join('\n'),
    );
    expect(checkConfigCommand(file, {}, (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toContain('http.tls.cert_file: cannot read');
  });

  it('can be set from the environment (scalar keys only)', () => {
    const config = load(['http: {}'], {
      LOCKBRIDGE_HTTP_LISTEN: '127.0.0.1:9090',
      LOCKBRIDGE_HTTP_MAX_STREAMS: '4',
    });
    expect(config.http).toMatchObject({ listen: '127.0.0.1:9090', max_streams: 4 });
  });
});

describe('webhooks', () => {
  it('derive a stable id from the URL unless given, and refuse two with the same id', () => {
    const config = load([
      'webhooks:',
      '  - { url: "https://cloud.example.com/hook", secret_file: hook.secret }',
      '  - { id: audit, url: "http://10.0.0.5/hook", secret_file: /etc/lockbridge/audit.secret, event_types: [lock.unlocked] }',
    ]);
    expect(config.webhooks?.map((w) => w.id)).toEqual([
      webhookIdOf('https://cloud.example.com/hook'),
      'audit',
    ]);
    expect(config.webhooks?.[0]).toMatchObject({
      secret_file: `${files.dir()}/hook.secret`,
      timeout_s: 10,
      retry_base_ms: 1000,
      retry_max_ms: 300000,
    });
    expect(
      problems([
        'webhooks:',
        '  - { url: "https://a.example/hook", secret_file: a }',
        '  - { url: "https://a.example/hook", secret_file: b }',
      ]),
    ).toEqual([
      `webhooks.1.id: duplicate webhook id "${webhookIdOf('https://a.example/hook')}" (also webhooks.0): give each endpoint its own id`,
    ]);
    expect(problems(['webhooks:', '  - { url: "ftp://x/hook", secret_file: a }'])).toEqual([
      'webhooks.0.url: expected an http:// or https:// URL',
    ]);
  });

  it('check-config reads each secret file and never prints a secret', () => {
    files.write('good.secret', `${SECRET}\n`);
    files.write('bad.secret', 'hunter2-not-a-webhook-secret\n');
    const file = files.write(
      'config.yaml',
      [
        ...MINIMAL,
        'webhooks:',
        '  - { id: good, url: "https://a.example/hook", secret_file: good.secret }',
        '  - { id: bad, url: "https://b.example/hook", secret_file: bad.secret }',
        '  - { id: gone, url: "https://c.example/hook", secret_file: gone.secret }',
      ].join('\n'),
    );
    const lines: string[] = [];
    expect(checkConfigCommand(file, {}, (l) => lines.push(l))).toBe(1);
    const text = lines.join('\n');
    expect(text).toContain('webhooks.1.secret_file');
    expect(text).toContain('does not hold a webhook secret');
    expect(text).toContain('webhooks.2.secret_file');
    expect(text).not.toContain('webhooks.0');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(SECRET);
  });
});
