// lockbridge api-key create|list|revoke as a separate process on the store of a running bridge: a
// new key works at once, a revoked one stops at once, and the store holds only salted hashes.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SeamHttpUnauthorizedError } from '@seamapi/http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STORE_FILE } from '../../src/store/database.ts';
import { type HttpEnv, keySecret, seamClient, startHttp } from '../helpers/http-kit.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const run = promisify(execFile);

let env: HttpEnv;
let config: string;
beforeAll(async () => {
  env = await startHttp([{ name: 'Front door' }]);
  config = join(env.h.dataDir, '..', 'cli.yaml');
  writeFileSync(
    config,
    `gateway_id: test-hub\ndata_dir: ${env.h.dataDir}\nmqtt: { url: "mqtt://127.0.0.1:1" }\n`,
  );
});
afterAll(async () => env.close());

/** Runs `lockbridge api-key …` with the project's Node; its stdout lines. */
async function lockbridge(...args: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, [
    '--import',
    'tsx',
    MAIN,
    'api-key',
    ...args,
    '--config',
    config,
  ]);
  return stdout.trimEnd().split('\n');
}

it('creates a key the running bridge accepts at once, lists it, revokes it; only hashes are stored', async () => {
  const created = await lockbridge('create', '--name', 'Front desk');
  const key = created.at(-1)!;
  expect(key).toMatch(/^seam_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
  expect(created[0]).toMatch(/shown only this once/);
  const keyId = key.split('_')[1]!;

  const seam = seamClient(env.url, key);
  expect(await seam.devices.list()).toHaveLength(1);

  const listed = await lockbridge('list');
  const line = listed.find((l) => l.startsWith(keyId))!;
  expect(line).toContain('Front desk');
  expect(line).toContain('active');
  expect(listed.join('\n')).not.toContain(keySecret(key));

  expect(await lockbridge('revoke', keyId)).toEqual([`API key ${keyId} revoked: it stops working at once.`]);
  await expect(seam.devices.list()).rejects.toBeInstanceOf(SeamHttpUnauthorizedError);
  expect((await lockbridge('list')).find((l) => l.startsWith(keyId))).toMatch(/revoked \d{4}-/);

  // The secret half of the key is nowhere in the store's files.
  for (const suffix of ['', '-wal']) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(env.h.dataDir, `${STORE_FILE}${suffix}`));
    } catch {
      continue;
    }
    expect(bytes.includes(Buffer.from(keySecret(key)))).toBe(false);
  }
});

it('refuses to revoke what is not there, and explains its usage', async () => {
  await expect(lockbridge('revoke', 'deadbeef')).rejects.toMatchObject({
    code: 1,
    stdout: expect.stringContaining('no active API key deadbeef'),
  });
  await expect(lockbridge('rotate')).rejects.toMatchObject({
    code: 2,
    stdout: expect.stringContaining('usage'),
  });
});
