// sd_notify without a native addon: Node has no unix datagram sockets, so each notification is a
// `systemd-notify` child process (the unit sets NotifyAccess=all so systemd takes it from a child).
// systemd-notify waits until systemd has read the message (unless --no-block), so the message is
// never lost to the child having exited first.
import { spawn } from 'node:child_process';

export interface Notifier {
  /** True when systemd listens ($NOTIFY_SOCKET is set). */
  readonly enabled: boolean;
  /** Sends assignments such as READY=1, WATCHDOG=1, STOPPING=1, STATUS=...; resolves when sent (or failed). */
  notify(...assignments: string[]): Promise<boolean>;
}

export function systemdNotifier(env: NodeJS.ProcessEnv = process.env, command = 'systemd-notify'): Notifier {
  const enabled = Boolean(env.NOTIFY_SOCKET);
  return {
    enabled,
    notify(...assignments) {
      if (!enabled) return Promise.resolve(false);
      return new Promise((resolve) => {
        const child = spawn(command, assignments, { stdio: 'ignore', env });
        child.once('error', () => resolve(false));
        child.once('exit', (code) => resolve(code === 0));
      });
    },
  };
}
