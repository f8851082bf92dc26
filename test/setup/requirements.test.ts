// npm test on a machine without a program the tests need stops at once, naming the package, why
// it is needed, and the one command that installs it.
import { expect, it } from 'vitest';
import { checkRequirements, REQUIREMENTS } from './requirements.ts';

it('stops with the one command to run when a program is missing and cannot be installed', () => {
  const list = [
    { program: 'sh', package: 'dash', why: 'there' },
    { program: 'lockbridge-no-such-program', package: 'nosuch', why: 'for the test of this check' },
    { program: '/nowhere/at/all', package: 'another', why: 'also missing' },
  ];
  expect(() => checkRequirements(list, false)).toThrow(
    'the tests need these Debian packages, which are missing:\n  nosuch: for the test of this check\n  another: also missing\nRun:  sudo apt-get install -y --no-install-recommends nosuch another\nthen npm test again.',
  );
});

it('passes when every program is there (as on this machine, or the run would have stopped)', () => {
  expect(() => checkRequirements(REQUIREMENTS, false)).not.toThrow();
});
