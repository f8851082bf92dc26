// The web console in a real browser: Debian's chromium (.ci/run installs it), driven by
// playwright-core through its executablePath, never a downloaded browser. A screenshot of each
// page is kept in test-artifacts/console/ (git ignores it).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HttpEnv, startHttp } from '../helpers/http-kit.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'console');
const WAIT = { timeout: 10_000 };

let env: HttpEnv;
let browser: BrowserContext;
let profile: string;
beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // A lock slow enough that "being programmed" can be seen before "on the lock".
  env = await startHttp([
    { name: 'Front door', latency_ms: 700 },
    { name: 'Back door', latency_ms: 20 },
  ]);
  profile = mkdtempSync(join(tmpdir(), 'lockbridge-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1100, height: 800 },
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  rmSync(profile, { recursive: true, force: true });
  await env?.close();
});

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

it('log in, create a code and watch it go from being programmed to on the lock, delete it, see the events', async () => {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    // The wrong key below is refused on purpose; the browser logs that 401 as a failed load.
    if (message.type() === 'error' && !message.text().includes('401')) problems.push(message.text());
  });
  page.on('dialog', (dialog) => void dialog.accept());

  await page.goto(env.url);
  await page.getByLabel('API key').waitFor(WAIT);
  await shot(page, '1-login');
  await page.getByLabel('API key').fill('seam_00000000_notakeynotakeynotakeynotakey');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('This key is not accepted by the hub.').waitFor(WAIT);
  await page.getByLabel('API key').fill(env.key);
  await page.getByRole('button', { name: 'Log in' }).click();

  // The locks, with their state.
  const front = page.locator('a.card', { hasText: 'Front door' });
  await front.getByText('Answering').waitFor(WAIT);
  expect(await page.locator('a.card').count()).toBe(2);
  await page.getByText('Live', { exact: true }).waitFor(WAIT);
  await shot(page, '2-locks');

  // One lock: a new code, live from "being programmed" to "on the lock".
  await front.click();
  await page.getByRole('heading', { name: 'Front door' }).waitFor(WAIT);
  await page.getByRole('button', { name: 'New code' }).click();
  await page.getByLabel('Name').fill('Guest');
  await page.getByLabel('PIN').fill('482916');
  await page.getByRole('button', { name: 'Create code' }).click();
  const row = page.locator('table.codes tr', { hasText: 'Guest' });
  await row.getByText('Being programmed').waitFor(WAIT);
  await row.getByText('On the lock').waitFor(WAIT);
  expect(env.h.lock(0).model.slotWithCode('482916')).not.toBeNull();

  // Edit: a new name and one-time use; the row says so once the hub has it.
  await row.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Name').fill('Guest 2');
  await page.getByLabel(/One-time use/).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('table.codes tr', { hasText: 'Guest 2' }).getByText('one-time').waitFor(WAIT);

  // A code typed in at the keypad shows up live among the codes found on the lock.
  env.h.lock(0).keypadProgram(7, '135790');
  await page.locator('table.unmanaged tr', { hasText: 'Slot 7' }).waitFor(WAIT);
  await shot(page, '3-lock');

  // Delete: removed from the lock, gone from the page, and said in the events.
  await row.getByRole('button', { name: 'Delete' }).click();
  await row.waitFor({ state: 'detached', ...WAIT });
  await page.locator('ol.events li', { hasText: 'Code “Guest 2” was removed from the lock' }).waitFor(WAIT);
  expect(env.h.lock(0).model.slotWithCode('482916')).toBeNull();

  // Take over the found code: it becomes a managed code on the same lock.
  await page
    .locator('table.unmanaged tr', { hasText: 'Slot 7' })
    .getByRole('button', { name: 'Manage' })
    .click();
  await page.locator('table.codes tr', { hasText: 'Slot 7' }).getByText('On the lock').waitFor(WAIT);

  await page.getByRole('link', { name: 'Events' }).click();
  await page.getByRole('heading', { name: 'Events' }).waitFor(WAIT);
  await page.locator('ol.events li', { hasText: 'was deleted' }).first().waitFor(WAIT);
  await shot(page, '4-events');
  expect(problems).toEqual([]);
});

it('fits a phone: the lock page at 390 px wide', async () => {
  const page = await browser.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${env.url}/#/locks/${env.h.deviceId(0)}`);
  await page.getByLabel('API key').fill(env.key);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Front door' }).waitFor(WAIT);
  await page.getByRole('button', { name: 'New code' }).waitFor(WAIT);
  const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  expect(width).toBeLessThanOrEqual(390);
  await shot(page, '5-lock-phone');
});
