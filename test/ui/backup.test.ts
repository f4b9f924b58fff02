// "Back Up…" and "Restore from Backup…" in a real VS Code against the UI sandbox: the backup is
// written where the save dialog says (passphrase given in the quick input, not kept), and the
// restore of that archive shows its plan (nothing to write on the same server, the DKIM keys and
// users kept) in a modal, which is cancelled: the sandbox is left as it was.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { shellScript } from '../../src/core/remote';
import {
  chooseFromContextMenu,
  answerQuickInput,
  eventually,
  runCommand,
  sandboxInstance,
  skipWithoutSandbox,
  trustHostKey,
  treeRow,
  withWorkbench,
} from './harness';
import { provisionSandbox, readSandbox, rootConnection, uiYaml } from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the backup UI test');

const PASSPHRASE = 'backup from the editor, not secret';

/**
 * The simple file dialog of the browser workbench: a quick input holding a path. Waits for the
 * dialog's own title, so the path never goes into the quick input before it (the passphrase's).
 */
async function choosePath(page: Page, title: RegExp, path: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await eventually(async () => {
    assert.match((await widget.locator('.quick-input-title').textContent()) ?? '', title);
  }, 30_000);
  const input = widget.locator('input.input').first();
  await input.waitFor({ state: 'visible', timeout: 20_000 });
  await input.fill(path);
  // The dialog reads a typed path asynchronously; an Enter that comes before it has is lost, so
  // Enter is pressed again (every 2 s, up to 30 s) until the dialog has taken the path and closed.
  const open = async () =>
    (await widget.isVisible()) &&
    title.test((await widget.locator('.quick-input-title').textContent()) ?? '');
  for (let tries = 0; ; tries++) {
    await input.press('Enter');
    const until = Date.now() + 2000;
    while (Date.now() < until && (await open())) await new Promise((r) => setTimeout(r, 200));
    if (!(await open())) return;
    assert.ok(tries < 15, `the file dialog is still open with ${await input.inputValue()}`);
    if ((await input.inputValue()) !== path) await input.fill(path);
  }
}

const STATE = `find /etc/chasquid /var/lib/mailwright -type f -exec sha256sum {} + | sort`;

test(
  'Back Up… writes an archive; Restore from Backup… shows its plan',
  { skip, timeout: 10 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l.slice(0, 160)}`));
    const conn = rootConnection(vps);
    const state = async () => (await conn.exec(shellScript(STATE))).stdout;
    try {
      const before = await state();
      await withWorkbench(
        'backup',
        { installVsix: true, workspaceFiles: { 'mailwright.yaml': uiYaml(vps) } },
        async ({ server, page, screenshot, step }) => {
          const archive = join(server.root, 'sandbox-backup.age');
          await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
          await page.getByRole('tree', { name: 'Mail Servers' }).waitFor({ timeout: 30_000 });
          await trustHostKey(page, 45_000);
          step('host key trusted');

          await chooseFromContextMenu(page, treeRow(page, 'sandbox'), 'Back Up…');
          await answerQuickInput(page, /Passphrase for the backup of sandbox/, PASSPHRASE, {
            password: true,
          });
          await answerQuickInput(page, /The same passphrase again/, PASSPHRASE, { password: true });
          const keep = page
            .getByRole('dialog')
            .filter({ hasText: "Keep this passphrase in VS Code's secret storage" });
          await keep.waitFor({ timeout: 20_000 });
          await keep.getByRole('button', { name: 'Not Now' }).click();
          await choosePath(page, /Save the backup of sandbox/, archive);
          step('backup started');
          await eventually(async () => {
            assert.ok(existsSync(archive), `${archive} written`);
          }, 120_000);
          assert.equal(statSync(archive).mode & 0o777, 0o600);
          const done = page
            .locator('.notifications-toasts .notification-list-item-message')
            .filter({ hasText: 'Backup of sandbox written to' });
          await done.first().waitFor({ timeout: 60_000 });
          await screenshot('backup-written');
          step('archive written');

          await runCommand(page, 'Mail: Restore from Backup…');
          await choosePath(page, /Restore a backup onto sandbox/, archive);
          await answerQuickInput(page, /Passphrase of sandbox-backup\.age/, PASSPHRASE, { password: true });
          const dialog = page
            .getByRole('dialog')
            .filter({ hasText: 'Restore sandbox-backup.age onto sandbox?' });
          await dialog.waitFor({ timeout: 120_000 });
          const detail = await dialog.locator('#monaco-dialog-message-detail').innerText();
          assert.match(detail, /Restore plan for sandbox/);
          assert.match(detail, /Nothing to write: the server already holds the backup's files\./);
          assert.match(detail, /DKIM keys kept: example\.test \(/);
          assert.match(detail, /Mail users kept with their passwords: alice@example\.test/);
          assert.match(detail, /DNS: no record changes/);
          await screenshot('restore-plan');
          await dialog.getByRole('button', { name: 'Cancel' }).click();
          await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
          step('restore plan shown and cancelled');
        },
      );
      assert.equal(await state(), before, 'the sandbox is as it was');
    } finally {
      conn.close();
    }
  },
);
