// "Mail: Add Server" with the user's SSH configuration: a config file written by the test into a
// temporary folder, the mailwright.ssh.configFile setting pointed at it, a Host alias for the
// sandbox (its address, port, user, key and known-hosts file are only in that file). Add Server
// lists the alias beside "Enter user@host…"; picking it skips the login questions (the file names
// the key), connects through the alias (the facts gathered there name the sandbox's OS), and
// writes `ssh: <alias>` into mailwright.yaml with nothing copied from the file.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { parse } from 'yaml';
import {
  eventually,
  itemLabels,
  sandboxInstance,
  skipWithoutSandbox,
  treeRow,
  withWorkbench,
} from './harness';
import { UI_DOMAIN, UI_MAIL_HOST } from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the SSH configuration UI test');

const TITLE = 'Add Mail Server';
const ALIAS = 'uivps';
/** Once the alias is picked: it names the key, so no "how do you log in" and no key file step. */
const TOTAL_STEPS = 4;
/** Before anything is picked, every step may come. */
const STEPS_AT_FIRST = 6;

const quickInput = (page: Page) => page.locator('.quick-input-widget');

async function addServerStep(page: Page, n: number, total = TOTAL_STEPS): Promise<Locator> {
  const title = quickInput(page).locator('.quick-input-title');
  await eventually(async () => {
    assert.ok(await quickInput(page).isVisible(), 'the quick input is open');
    const text = (await title.textContent()) ?? '';
    assert.equal(text.trim(), `${TITLE} (${n}/${total})`, `quick input title is "${text}"`);
  }, 60_000);
  return quickInput(page).locator('input.input').first();
}

function pickItem(page: Page, label: string): Locator {
  return quickInput(page)
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: label }) });
}

async function typeInto(input: Locator, value: string): Promise<void> {
  await input.focus();
  await input.press('ControlOrMeta+a');
  await input.press('Backspace');
  await input.pressSequentially(value);
}

test(
  'Add Server lists the Host entries of the SSH configuration and connects through the alias picked',
  { skip, timeout: 10 * 60_000 },
  async () => {
    const vps = instance!;
    const dir = mkdtempSync(join(tmpdir(), 'mw-ui-ssh-config-'));
    const sshConfig = join(dir, 'config');
    writeFileSync(
      sshConfig,
      [
        `Host ${ALIAS}`,
        `  HostName ${vps.ipv4}`,
        `  Port ${vps.port}`,
        '  User root',
        `  IdentityFile ${vps.rootKey}`,
        // The sandbox's real host keys: no host-key dialog, as for a server ssh already knows.
        `  UserKnownHostsFile ${vps.knownHostsFile!}`,
        'Host *.internal other-*',
        '  User nobody',
        '',
      ].join('\n'),
    );
    await withWorkbench(
      'ssh-config',
      { installVsix: true, settings: { 'mailwright.ssh.configFile': sshConfig } },
      async ({ page, server, screenshot, step }) => {
        const yamlPath = join(server.workspace, 'mailwright.yaml');
        await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
        const welcome = page.locator('.welcome-view-content').filter({ hasText: 'No mail server yet' });
        await welcome.waitFor({ timeout: 30_000 });
        await welcome.getByRole('button', { name: 'Add Server' }).click();
        step('clicked Add Server');

        // 1/6: the configuration's concrete hosts (no wildcard pattern), then typing one.
        await addServerStep(page, 1, STEPS_AT_FIRST);
        await pickItem(page, ALIAS).waitFor({ timeout: 10_000 });
        assert.deepEqual(
          (await itemLabels(quickInput(page))).map((l) => l.trim()),
          [ALIAS, 'Enter user@host…'],
        );
        const row = await pickItem(page, ALIAS).innerText();
        assert.match(row, new RegExp(`root@${vps.ipv4.replace(/\./g, '\\.')}:${vps.port}`), row);
        await screenshot('ssh-config-1-hosts');
        await pickItem(page, ALIAS).click();
        step(`picked ${ALIAS}`);

        // The connection goes through the alias; then 2/4 is the mail host name.
        let input = await addServerStep(page, 2);
        await typeInto(input, UI_MAIL_HOST);
        await input.press('Enter');
        input = await addServerStep(page, 3);
        await typeInto(input, UI_DOMAIN);
        await input.press('Enter');
        await addServerStep(page, 4);
        await pickItem(page, 'Self-signed (for testing only)').click();
        step('mail host, domain, self-signed certificate');

        await eventually(async () => {
          assert.ok(existsSync(yamlPath), 'mailwright.yaml was written');
        }, 30_000);
        const host = (parse(readFileSync(yamlPath, 'utf8')) as { hosts: Record<string, unknown>[] })
          .hosts[0]!;
        assert.equal(host.ssh, ALIAS, 'ssh: names the alias');
        assert.equal(host.identityFile, undefined, 'the key stays in the SSH configuration');
        assert.equal(host.auth, undefined);
        step(`mailwright.yaml: ssh: ${ALIAS}`);

        // The notification names the OS from the facts gathered through the alias.
        const toast = page
          .locator('.notifications-toasts .notification-toast')
          .filter({ hasText: /Added \S+ \(Debian/ });
        await toast.waitFor({ timeout: 30_000 });
        step(`added: ${(await toast.innerText()).replace(/\s+/g, ' ')}`);

        // The tree connects with what mailwright.yaml now says (ssh: the alias, resolved through the
        // setting's file): the host's row shows the OS from its facts, its tooltip the alias.
        const hostRow = treeRow(page, new RegExp(`^${String(host.name)}$`));
        await eventually(async () => {
          assert.match(await hostRow.innerText(), /Debian/);
        }, 60_000);
        await screenshot('ssh-config-2-added');
        step('the tree shows the facts gathered through the alias');
      },
    );
  },
);
