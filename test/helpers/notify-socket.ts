// A NOTIFY_SOCKET for tests: the datagram socket systemd would listen on, played by a small Perl
// program (Node has no unix datagram sockets; perl-base is Essential on Debian, always there). It
// reads with recv() and so takes no file descriptors: systemd-notify's BARRIER=1 pipe is closed by
// the kernel, just as systemd closes it, and systemd-notify returns.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { eventually } from './api-client.ts';

const LISTENER = `
$| = 1;
use Socket;
my $path = shift;
socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
unlink $path;
bind($s, pack_sockaddr_un($path)) or die "bind $path: $!";
print "listening\\n";
while (defined(recv($s, my $message, 65536, 0))) {
  $message =~ s/\\n/ /g;
  print "$message\\n";
}
`;

export interface NotifySocket {
  path: string;
  /** Every message so far, one string each (assignments joined by spaces). */
  messages(): string[];
  /** Waits until `count` messages (counted from the start) satisfy `match`. */
  waitFor(match: (message: string) => boolean, count?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startNotifySocket(dir: string): Promise<NotifySocket> {
  const path = join(dir, 'notify.sock');
  const proc: ChildProcess = spawn('perl', ['-e', LISTENER, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buffered = '';
  let errors = '';
  proc.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
  proc.stdout?.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  });
  await eventually(() => lines[0] === 'listening' || proc.exitCode !== null, 5000, 'the notify socket');
  if (lines[0] !== 'listening') throw new Error(`notify socket listener failed: ${errors}`);
  const messages = () => lines.slice(1);
  return {
    path,
    messages,
    waitFor: async (match, count = 1, timeoutMs = 20_000) => {
      await eventually(
        () => messages().filter(match).length >= count,
        timeoutMs,
        `${count} notify message(s)`,
      );
    },
    close: async () => {
      if (proc.exitCode !== null) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
