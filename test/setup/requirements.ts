// Before any test: the programs the tests run, from Debian's packages (never npm's, never a
// download). Missing ones are installed when the tests run as root with apt-get (a fresh CI
// machine or container); otherwise the run stops at once with the one command to run.
// .ci/run installs the same list (keep PACKAGES there in step).
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A program the tests run, and the Debian package that has it. */
export const REQUIREMENTS: ReadonlyArray<{ program: string; package: string; why: string }> = [
  { program: '/usr/sbin/mosquitto', package: 'mosquitto', why: 'the real broker of the MQTT tests' },
  {
    program: 'mosquitto_passwd',
    package: 'mosquitto',
    why: 'the broker password file of the security tests',
  },
  { program: 'socat', package: 'socat', why: 'pseudo-terminal pairs for the serial locks' },
  { program: 'openssl', package: 'openssl', why: 'the test CA of the TLS tests' },
  { program: 'systemd-notify', package: 'systemd', why: 'the daemon tells systemd READY / WATCHDOG' },
  { program: 'systemd-analyze', package: 'systemd', why: 'verify the installed units' },
  { program: 'perl', package: 'perl-base', why: 'the NOTIFY_SOCKET listener of the watchdog tests' },
  { program: 'useradd', package: 'passwd', why: 'the installer test creates its user' },
  { program: '/usr/bin/dash', package: 'dash', why: "the installer test's /bin/sh" },
  {
    program: '/usr/bin/chromium',
    package: 'chromium',
    why: 'the web console tests (playwright-core drives it)',
  },
];

function found(program: string): boolean {
  const candidates = program.startsWith('/')
    ? [program]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .concat('/usr/sbin', '/sbin')
        .map((dir) => join(dir, program));
  return candidates.some((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

type Requirement = (typeof REQUIREMENTS)[number];

function missingPackages(list: readonly Requirement[]): string[] {
  return [...new Set(list.filter((r) => !found(r.program)).map((r) => r.package))];
}

export default function setup(): void {
  checkRequirements(REQUIREMENTS, process.getuid?.() === 0 && found('apt-get'));
}

/** Throws, naming the packages and the command, when some are missing and cannot be installed. */
export function checkRequirements(list: readonly Requirement[], canInstall: boolean): void {
  let missing = missingPackages(list);
  if (missing.length === 0) return;
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (canInstall) {
    console.log(`the tests need Debian packages: installing ${missing.join(', ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', command.split(' ').slice(1), { stdio: 'inherit', env });
    missing = missingPackages(list);
    if (missing.length === 0) return;
  }
  const why = list
    .filter((r) => missing.includes(r.package))
    .map((r) => `  ${r.package}: ${r.why}`)
    .join('\n');
  throw new Error(
    `the tests need these Debian packages, which are missing:\n${why}\nRun:  sudo ${command}\nthen npm test again.`,
  );
}
