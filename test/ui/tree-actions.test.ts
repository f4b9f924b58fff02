// The "Mail Servers" tree's actions in a real VS Code on a provisioned sandbox, as a first-time
// user meets them: a domain's aliases are generated from mailwright.yaml, so opening them offers
// the yaml or a read-only view (and mailwright.yaml is where a new alias goes: provisioned, a
// real message to it is accepted); an invalid chasquid.conf is refused with its own error and
// never reaches the server, and its problems go away when the file is reverted; Add User on a
// domain the server does not serve yet writes the yaml, keeps the password for the provision
// it offers, and that provision creates the user without asking again.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readRemoteFile, shellCommand } from '../../src/core/remote';
import { applyUntilDone, dashboardFrame, waitForPlan } from './dashboard-steps';
import {
  expandRow,
  eventually,
  runCommand,
  sandboxInstance,
  skipWithoutSandbox,
  treeRow,
  trustHostKey,
  withWorkbench,
} from './harness';
import {
  provisionSandbox,
  readSandbox,
  rootConnection,
  sendMail,
  UI_DOMAIN,
  UI_USER,
  uiYaml,
  type SandboxJson,
} from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the tree actions UI test');

/** The visible text of the active editor (Monaco renders non-breaking spaces); '' when none. */
async function editorText(page: Page, timeoutMs = 2_000): Promise<string> {
  const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
  const text = await lines.textContent({ timeout: timeoutMs }).catch(() => '');
  return (text ?? '').replace(/\u00a0/g, ' ');
}

/**
 * Opens a file from its tree row and waits for the editor to show `expected`. A click can be
 * lost when the tree re-renders under the mouse (the facts or the DNS check refresh it), so an
 * editor that does not appear within a few seconds gets the row clicked again.
 */
async function openFromTree(page: Page, row: Locator, expected: RegExp): Promise<void> {
  await eventually(async () => {
    if (!expected.test(await editorText(page, 500))) {
      await page.mouse.move(0, 0);
      await row.click();
    }
    await eventually(async () => {
      const text = await editorText(page);
      assert.match(text, expected, `the active editor shows: ${text.slice(0, 200) || '(no editor)'}`);
    }, 8_000);
  }, 60_000);
}

/** A domain of the yaml that the sandbox does not serve until the test provisions it. */
const NEW_DOMAIN = 'new.test';
const NEW_USER = 'bob';
const NEW_PASSWORD = 'a long password for bob';

function testYaml(vps: SandboxJson): string {
  return [
    uiYaml(vps).trimEnd(),
    // Not on the server yet: the provision the test runs writes it.
    `          newalias: ${UI_USER}`,
    `      - name: ${NEW_DOMAIN}`,
    '        aliases:',
    `          ${NEW_USER}: ${NEW_USER}@elsewhere.test`,
    '',
  ].join('\n');
}

test(
  'tree actions: generated files go through mailwright.yaml, errors clear, Add User before the domain is served',
  { skip, timeout: 25 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    const conn = rootConnection(vps);
    // The new domain is this test's own: the other UI tests on this sandbox do not expect it.
    const dropNewDomain = () =>
      conn.exec(shellCommand(['rm', '-rf', '--', `/etc/chasquid/domains/${NEW_DOMAIN}`]), { check: false });
    try {
      await dropNewDomain();
      await inWorkbench(vps);
    } finally {
      await dropNewDomain().catch(() => undefined);
      conn.close();
    }
  },
);

const editorTextarea = (page: Page) =>
  page.locator('.editor-group-container.active .monaco-editor textarea').first();

async function inWorkbench(vps: SandboxJson): Promise<void> {
  await withWorkbench(
    'tree-actions',
    { installVsix: true, workspaceFiles: { 'mailwright.yaml': testYaml(vps) } },
    async ({ page, server, screenshot, step }) => {
      const yamlPath = join(server.workspace, 'mailwright.yaml');
      await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
      await page.getByRole('tree', { name: 'Mail Servers' }).waitFor({ timeout: 30_000 });
      await trustHostKey(page, 45_000);
      step('host key trusted');

      await treeRow(page, UI_DOMAIN).waitFor({ timeout: 30_000 });
      const configFiles = treeRow(page, 'Config files');
      await configFiles.waitFor({ timeout: 30_000 });
      const aliasesRow = treeRow(page, `domains/${UI_DOMAIN}/aliases`);
      // A row's tooltip may cover "Config files", and a refresh of the tree may land between the
      // click and the expansion: move the mouse away and try again until the files are listed.
      await eventually(async () => {
        await page.mouse.move(0, 0);
        await expandRow(configFiles);
        await aliasesRow.waitFor({ timeout: 3_000 });
      }, 30_000);
      await screenshot('tree-domain');

      // 1. The aliases are generated from mailwright.yaml: opening them offers the choice.
      const generated = page
        .getByRole('dialog')
        .filter({ hasText: 'This file is generated from mailwright.yaml' });
      await eventually(async () => {
        if (!(await generated.isVisible())) {
          await page.mouse.move(0, 0);
          await aliasesRow.click();
        }
        await generated.waitFor({ timeout: 5_000 });
      }, 60_000);
      assert.match(await generated.innerText(), /undone by the next provision/);
      await screenshot('aliases-generated-choice');
      await generated.getByRole('button', { name: 'Open Read-Only' }).click();
      await eventually(async () => {
        assert.match(await editorText(page), /postmaster\s*:\s*alice/);
      }, 30_000);
      const text = await editorText(page);
      assert.match(
        text,
        /Generated from mailwright\.yaml by Mailwright: opened read-only in the editor/,
        text,
      );
      // Typing changes nothing: the file is read-only.
      await editorTextarea(page).focus();
      await page.keyboard.press('Control+End');
      await page.keyboard.type('\nnewalias: alice\n');
      await page.waitForTimeout(1_000);
      assert.doesNotMatch(
        await editorText(page),
        /newalias/,
        'the generated aliases file must not be editable',
      );
      await screenshot('aliases-read-only');
      step('aliases opened read-only');

      // "Edit mailwright.yaml" opens the yaml, where the alias goes; provisioning writes it.
      await page.keyboard.press('Control+w');
      await eventually(async () => {
        if (!(await generated.isVisible())) {
          await page.mouse.move(0, 0);
          await aliasesRow.click();
        }
        await generated.waitFor({ timeout: 5_000 });
      }, 60_000);
      await generated.getByRole('button', { name: 'Edit mailwright.yaml' }).click();
      await eventually(async () => {
        assert.match(await page.locator('.tab.active').innerText(), /mailwright\.yaml/);
      }, 15_000);
      step('Edit mailwright.yaml opened the yaml');
      await page.keyboard.press('Control+w');

      // 2. An invalid chasquid.conf: its own error, a diagnostic, and the server keeps its file;
      // reverting the editor clears the problem.
      const conn = rootConnection(vps);
      try {
        const before = (await readRemoteFile(conn, '/etc/chasquid/chasquid.conf')).toString('utf8');
        await openFromTree(page, treeRow(page, 'chasquid.conf'), /hostname/);
        step('chasquid.conf open');
        await editorTextarea(page).focus();
        await page.keyboard.press('Control+End');
        await page.keyboard.type('\nthis line is not valid\n');
        await page.keyboard.press('Control+s');
        step('saved chasquid.conf with an invalid line');

        await page
          .locator('.editor-group-container.active .monaco-editor .squiggly-error')
          .first()
          .waitFor({ timeout: 30_000 });
        // The save error names the problem, not only "permissions".
        const saveError = page.locator('.notifications-toasts').filter({ hasText: 'chasquid.conf' });
        await eventually(async () => {
          const shown = (
            (await saveError
              .first()
              .innerText()
              .catch(() => '')) ?? ''
          ).replace(/\s+/g, ' ');
          assert.match(shown, /chasquid\.conf has 1 error\(s\) \(line \d+:/, `the save error: ${shown}`);
          assert.doesNotMatch(shown, /permission/i);
        }, 30_000);
        await screenshot('conf-invalid');
        await page.keyboard.press('Control+Shift+M');
        const problems = page.locator('.markers-panel');
        await eventually(async () => {
          const text = ((await problems.textContent()) ?? '').replace(/\u00a0/g, ' ');
          assert.match(text, /chasquid\.conf/, `Problems panel: ${text}`);
        }, 20_000);
        step('the save error and a diagnostic are shown');
        const after = (await readRemoteFile(conn, '/etc/chasquid/chasquid.conf')).toString('utf8');
        assert.equal(after, before, 'the invalid chasquid.conf must not reach the server');

        await editorTextarea(page).focus();
        await runCommand(page, 'File: Revert File');
        await eventually(async () => {
          assert.doesNotMatch(await editorText(page), /this line is not valid/);
          const text = ((await problems.textContent()) ?? '').replace(/\u00a0/g, ' ');
          assert.doesNotMatch(text, /chasquid\.conf/, `Problems panel after the revert: ${text}`);
          assert.equal(
            await page.locator('.editor-group-container.active .monaco-editor .squiggly-error').count(),
            0,
          );
        }, 30_000);
        await screenshot('conf-reverted');
        step('reverted: no problem left');
        await page.keyboard.press('Control+w');

        // 3. Add User on a domain the server does not serve yet.
        const newDomainRow = treeRow(page, NEW_DOMAIN);
        await newDomainRow.waitFor({ timeout: 30_000 });
        await newDomainRow.hover();
        await newDomainRow.locator('.action-label[aria-label="Add User"]').click();
        const box = page.locator('.quick-input-widget input').first();
        await box.waitFor({ timeout: 15_000 });
        await box.pressSequentially(NEW_USER);
        await box.press('Enter');
        for (const again of [false, true]) {
          await eventually(async () => {
            const title = (await page.locator('.quick-input-widget .quick-input-title').textContent()) ?? '';
            assert.equal(title.trim(), `Password for ${NEW_USER}@${NEW_DOMAIN}${again ? ' (again)' : ''}`);
          }, 15_000);
          const pw = page.locator('.quick-input-widget input[type="password"]');
          await pw.pressSequentially(NEW_PASSWORD);
          await pw.press('Enter');
        }
        const offer = page
          .locator('.notifications-toasts .notification-list-item')
          .filter({ hasText: `does not serve ${NEW_DOMAIN} yet` });
        await offer.waitFor({ timeout: 60_000 });
        await screenshot('add-user-offer');
        const users = (
          parse(readFileSync(yamlPath, 'utf8')) as {
            hosts: { domains: { name: string; users?: string[] }[] }[];
          }
        ).hosts[0]!.domains.find((d) => d.name === NEW_DOMAIN)?.users;
        assert.deepEqual(users, [NEW_USER], 'mailwright.yaml lists the new user');
        const folder = await conn.exec(shellCommand(['test', '-e', `/etc/chasquid/domains/${NEW_DOMAIN}`]), {
          check: false,
        });
        assert.notEqual(folder.exitCode, 0, 'nothing was made on the server before the provision');
        step('Add User wrote the yaml and offered to provision');

        // Provision Now: the dashboard asks nothing (the password was kept) and creates bob.
        await offer.getByRole('button', { name: 'Provision Now' }).click();
        await waitForPlan(page, 120_000);
        const run = await applyUntilDone(page, { passwords: {}, step });
        assert.deepEqual(run.askedPasswordFor, [], 'the password given with Add User is not asked again');
        await dashboardFrame(page).locator('#summary').scrollIntoViewIfNeeded();
        await screenshot('add-user-provisioned');
        const usersFile = (await readRemoteFile(conn, `/etc/chasquid/domains/${NEW_DOMAIN}/users`)).toString(
          'utf8',
        );
        assert.match(
          usersFile,
          new RegExp(`"${NEW_USER}"`),
          `the users file of ${NEW_DOMAIN} has ${NEW_USER}`,
        );
        step(`${NEW_USER}@${NEW_DOMAIN} created by the provision`);

        // The alias added in mailwright.yaml was written by the same provision: chasquid takes a
        // real message to it, and the workspace repository has the server's new aliases.
        await eventually(async () => {
          await sendMail(vps, 'sender@elsewhere.test', `newalias@${UI_DOMAIN}`, 'to the new alias');
        }, 60_000);
        const committed = execFileSync(
          'git',
          ['-C', server.workspace, 'show', `HEAD:conf/sandbox/domains/${UI_DOMAIN}/aliases`],
          { encoding: 'utf8' },
        );
        assert.match(committed, /^newalias: alice@example\.test$/m, committed);
        step('a message to the alias from mailwright.yaml was accepted and the aliases committed');
      } finally {
        conn.close();
      }
    },
  );
}
