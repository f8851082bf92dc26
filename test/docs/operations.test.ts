// docs/operations.md stays true: every warning and error the bridge can log is in its table, every
// event type it can emit is named, and the exposure score it quotes is systemd-analyze's.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { warnAndErrorMessages } from './log-messages.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const guide = readFileSync(`${ROOT}docs/operations.md`, 'utf8');

describe('docs/operations.md', () => {
  it('explains every warning and error message in the source', () => {
    const messages = warnAndErrorMessages();
    expect(messages.length).toBeGreaterThan(30);
    const missing = messages
      .filter((m) => !guide.includes(`\`${m.message}\``))
      .map((m) => `${m.file}: ${m.message}`);
    expect(missing).toEqual([]);
  });

  it('names every event type the bridge emits', () => {
    const sources = ['src/core', 'src/devices', 'src/api', 'src/reconciler']
      .flatMap((dir) =>
        spawnSync(
          'grep',
          ['-rhoE', "'(access_code|device|lock|action_attempt)\\.[a-z_.]+'", `${ROOT}${dir}`],
          {
            encoding: 'utf8',
          },
        ).stdout.split('\n'),
      )
      .filter((line) => line !== '')
      .map((line) => line.slice(1, -1));
    const types = [...new Set(sources)];
    expect(types.length).toBeGreaterThan(20);
    const named = (type: string) => {
      if (guide.includes(`\`${type}\``)) return true;
      if (type.startsWith('action_attempt.')) return guide.includes('`action_attempt.*.failed`');
      // Listed in a row as `access_code.created`, `.changed`, ...: the last part after its family.
      const tail = type.replace(/^access_code\.(unmanaged\.)?/, '.');
      return guide.includes(`\`${tail}\``);
    };
    expect(types.filter((type) => !named(type))).toEqual([]);
  });

  it("quotes systemd-analyze security's exposure score of the unit", () => {
    const run = spawnSync(
      'systemd-analyze',
      ['security', '--offline=true', `${ROOT}systemd/lockbridge.service`],
      {
        encoding: 'utf8',
      },
    );
    const line = `${run.stdout}${run.stderr}`.split('\n').find((l) => l.includes('Overall exposure level'));
    expect(line).toBeDefined();
    expect(guide).toContain(line!.trim());
  });
});
