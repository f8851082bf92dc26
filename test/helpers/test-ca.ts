// A certificate authority made for one test with Debian's openssl: a broker certificate for
// 127.0.0.1, a client certificate, and an unrelated CA with its own certificates (what a broker or
// a bridge must refuse). EC keys: quick to make.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Authority {
  ca: string;
  caKey: string;
}

export interface Issued {
  cert: string;
  key: string;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeAuthority(dir: string, name: string): Authority {
  mkdirSync(dir, { recursive: true });
  const ca = join(dir, `${name}.pem`);
  const caKey = join(dir, `${name}.key`);
  openssl(['req', '-x509', ...newKey, '-keyout', caKey, '-out', ca, '-days', '2', '-subj', `/CN=${name}`]);
  return { ca, caKey };
}

/** A certificate signed by `authority`; `ip` makes it a server certificate for that address. */
export function issue(dir: string, authority: Authority, name: string, ip?: string): Issued {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  openssl(['req', ...newKey, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
  writeFileSync(
    ext,
    ip ? `subjectAltName = IP:${ip}\nextendedKeyUsage = serverAuth\n` : 'extendedKeyUsage = clientAuth\n',
  );
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    authority.ca,
    '-CAkey',
    authority.caKey,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '2',
    '-extfile',
    ext,
  ]);
  return { cert, key };
}

/** A Mosquitto password file line for `user` (mosquitto_passwd, from Debian's mosquitto). */
export function passwordFile(path: string, user: string, password: string): void {
  writeFileSync(path, '');
  execFileSync('mosquitto_passwd', ['-b', path, user, password], { stdio: 'ignore' });
}
