// Editing chasquid's files on the server from the "Mail Servers" tree, in a real VS Code on a
// provisioned sandbox: a new alias saved from the editor is used by chasquid (a real message
// to it is accepted) and committed to the workspace git; an invalid chasquid.conf gets a
// diagnostic and never reaches the server.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { readRemoteFile, writeRemoteFileAtomic } from '../../src/core/remote';
import {
  answerGitHistoryQuestion,
  eventually,
  missingPrerequisite,
  sandboxInstance,
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
  uiYaml,
  type SandboxJson,
} from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = !instance
  ? 'MAILWRIGHT_SANDBOX_INSTANCE is not set (path to a sandbox instance.json): run bash scripts/test-ui'
  : missingPrerequisite({ vsix: true });
if (skip) console.warn(`\n*** SKIPPING the tree actions UI test: ${skip} ***\n`);

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

test(
  'aliases and chasquid.conf edited from the tree: checked, uploaded, used and committed',
  { skip, timeout: 20 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    // A run just before may have added the alias: chasquid forgets it within about 30 s of the
    // file being put back (see the finally below).
    await eventually(
      () =>
        assert.rejects(
          sendMail(vps, 'before@elsewhere.test', `newalias@${UI_DOMAIN}`, 'before the alias'),
          /550|not accepted|did not accept|Recipient/i,
          `newalias@${UI_DOMAIN} must not exist before the test adds it`,
        ),
      90_000,
    );

    // The test changes the aliases on the server: put them back afterwards, so that the next
    // test's provisioning finds the server as Mailwright left it (no drift to decide on).
    const aliasesPath = `/etc/chasquid/domains/${UI_DOMAIN}/aliases`;
    const restoreConn = rootConnection(vps);
    const originalAliases = await readRemoteFile(restoreConn, aliasesPath);
    try {
      await editInWorkbench(vps);
    } finally {
      await writeRemoteFileAtomic(restoreConn, aliasesPath, originalAliases).catch((e: Error) =>
        console.warn(`could not restore ${aliasesPath}: ${e.message}`),
      );
      restoreConn.close();
    }
  },
);

async function editInWorkbench(vps: SandboxJson): Promise<void> {
  const alias = `newalias@${UI_DOMAIN}`;
  await withWorkbench(
    'tree-actions',
    { installVsix: true, workspaceFiles: { 'mailwright.yaml': uiYaml(vps) } },
    async ({ page, server, screenshot, step }) => {
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
        if ((await configFiles.getAttribute('aria-expanded')) !== 'true') await configFiles.click();
        await aliasesRow.waitFor({ timeout: 3_000 });
      }, 30_000);
      await screenshot('tree-domain');

      // Open the aliases file from the tree and add a line at the end.
      await openFromTree(page, aliasesRow, /postmaster\s*:\s*alice/);
      step('aliases open in an editor');
      await page.locator('.editor-group-container.active .monaco-editor textarea').first().focus();
      await page.keyboard.press('Control+End');
      await page.keyboard.type('\nnewalias: alice\n');
      await page.keyboard.press('Control+s');
      step('saved the aliases with newalias: alice');

      // chasquid re-reads aliases within about 30 s: a real message to the new alias is accepted.
      await eventually(async () => {
        await sendMail(vps, 'sender@elsewhere.test', alias, 'to the new alias');
      }, 60_000);
      step(`a message to ${alias} was accepted`);

      // The save was committed to the workspace repository (conf/<host>/), once the question
      // asked before the workspace becomes a repository is answered.
      await eventually(async () => {
        await answerGitHistoryQuestion(page);
        const log = execFileSync(
          'git',
          ['-C', server.workspace, 'log', '--format=%H %s', '--name-only', '--', 'conf/sandbox'],
          { encoding: 'utf8' },
        );
        assert.match(log, new RegExp(`edit domains/${UI_DOMAIN}/aliases on sandbox`), log);
        assert.match(log, new RegExp(`conf/sandbox/domains/${UI_DOMAIN.replace('.', '\\.')}/aliases`), log);
      }, 30_000);
      const committed = execFileSync(
        'git',
        ['-C', server.workspace, 'show', 'HEAD:conf/sandbox/domains/example.test/aliases'],
        {
          encoding: 'utf8',
        },
      );
      assert.match(committed, /^newalias: alice$/m);
      step('the workspace repository has the commit');
      await screenshot('aliases-saved');

      // An invalid chasquid.conf: a diagnostic, and the server keeps its file.
      const conn = rootConnection(vps);
      try {
        const before = (await readRemoteFile(conn, '/etc/chasquid/chasquid.conf')).toString('utf8');
        await openFromTree(page, treeRow(page, 'chasquid.conf'), /hostname/);
        step('chasquid.conf open');
        await page.locator('.editor-group-container.active .monaco-editor textarea').first().focus();
        await page.keyboard.press('Control+End');
        await page.keyboard.type('\nthis line is not valid\n');
        await page.keyboard.press('Control+s');
        step('saved chasquid.conf with an invalid line');

        // The squiggle in the editor, and the entry in the Problems panel.
        await page
          .locator('.editor-group-container.active .monaco-editor .squiggly-error')
          .first()
          .waitFor({ timeout: 30_000 });
        await page.keyboard.press('Control+Shift+M');
        const problems = page.locator('.markers-panel');
        await eventually(async () => {
          const text = ((await problems.textContent()) ?? '').replace(/\u00a0/g, ' ');
          assert.match(text, /chasquid\.conf/, `Problems panel: ${text}`);
          assert.match(text, /chasquid/, `Problems panel: ${text}`);
        }, 20_000);
        step('a diagnostic is shown');
        await screenshot('conf-invalid');

        const after = (await readRemoteFile(conn, '/etc/chasquid/chasquid.conf')).toString('utf8');
        assert.equal(after, before, 'the invalid chasquid.conf must not reach the server');
        assert.doesNotMatch(after, /this line is not valid/);
      } finally {
        conn.close();
      }
    },
  );
}
