// The editor's smaller dead ends, each in a real VS Code (code-server) against the sandbox VPS:
// the host-key dialog (plain text, Enter does not trust), Show Server Facts (a named read-only
// document that refreshes), the log tail (Stop Following / Follow, long lines wrapped), the
// certificate rows (only certificates), remote file tabs (which server), the end of a run
// (summary first, copy buttons, unbroken names, a notification) and git (asked once; history and
// comparison of a config file).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { dashboardFrame, waitForPlan } from './dashboard-steps';
import {
  answerGitHistoryQuestion,
  chooseFromContextMenu,
  eventually,
  expandRow,
  fingerprintOf,
  PROJECT_DIR,
  runCommand,
  runCommandUntilTaken,
  sandboxInstance,
  skipWithoutSandbox,
  treeRow,
  trustHostKey,
  withWorkbench,
  type Workbench,
} from './harness';
import {
  provisionSandbox,
  readSandbox,
  sendMail,
  UI_DOMAIN,
  UI_USER,
  uiYaml,
  type SandboxJson,
} from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the editor details UI tests');

const run = promisify(execFile);

/** Runs a command as root inside the sandbox VPS. */
async function onGuest(vps: SandboxJson, argv: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run('bash', [
      join(PROJECT_DIR, 'scripts', 'sandbox'),
      'exec',
      vps.name,
      '--',
      ...argv,
    ]);
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string };
    if (typeof err.code === 'number') return { code: err.code, stdout: err.stdout ?? '' };
    throw e;
  }
}

const HOST_KEY_DIALOG = 'Mailwright: unknown host key for';

/** The text of the active editor (non-breaking spaces as spaces). */
async function editorText(page: Page): Promise<string> {
  const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
  return ((await lines.textContent()) ?? '').replace(/\u00a0/g, ' ');
}

/** An editor title bar action by its label (the command's title). */
function titleAction(page: Page, label: string) {
  return page
    .locator('.editor-group-container.active .editor-actions')
    .getByRole('button', { name: new RegExp(label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });
}

/** The labels of the open editor tabs. */
async function tabLabels(page: Page): Promise<string[]> {
  return (await page.locator('.tabs-container .tab .label-name').allInnerTexts()).map((t) => t.trim());
}

async function pickSandboxIfAsked(page: Page): Promise<void> {
  const pick = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: 'sandbox' });
  if (await pick.first().isVisible()) await pick.first().click();
}

/** The host-key dialog: plain text, the fingerprint on its own line; Enter and Escape do not trust. */
async function hostKeyDialog({ page, screenshot, step }: Workbench): Promise<void> {
  const expected = instance!.hostKeys.map(fingerprintOf);
  await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
  const dialog = page.getByRole('dialog').filter({ hasText: HOST_KEY_DIALOG });
  await dialog.waitFor({ timeout: 45_000 });
  const detail = await dialog.locator('#monaco-dialog-message-detail').innerText();
  assert.doesNotMatch(detail, /`/, `the detail shows markdown backticks:\n${detail}`);
  const lines = detail.split('\n').map((l) => l.trim());
  const shown = lines.find((l) => l.startsWith('SHA256:'));
  assert.ok(shown, `the fingerprint is not on a line of its own:\n${detail}`);
  assert.ok(
    expected.some((k) => k.fingerprint === shown),
    `the line ${shown} is not a fingerprint of the sandbox's keys`,
  );
  assert.ok(lines.includes('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub'), detail);
  const focused = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText ?? '');
  assert.doesNotMatch(focused, /Trust/, `the focused (default) button is "${focused}"`);
  await screenshot('host-key-dialog');
  step(`dialog shows ${shown}; focused button "${focused.trim()}"`);

  // Enter presses the default button: the key is not trusted, so the next connection asks again.
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
  await eventually(async () => {
    await runCommand(page, 'Mail: Refresh');
    await dialog.waitFor({ timeout: 5_000 });
  }, 60_000);
  step('Enter did not trust: asked again');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
  await eventually(async () => {
    await runCommand(page, 'Mail: Refresh');
    await dialog.waitFor({ timeout: 5_000 });
  }, 60_000);
  step('Escape did not trust: asked again');
  await dialog.getByRole('button', { name: 'Trust and Connect' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
  const hostRow = treeRow(page, 'sandbox');
  await eventually(async () => {
    const d = (await hostRow.locator('.label-description').textContent()) ?? '';
    assert.match(d, /Debian GNU\/Linux/, `host row description is "${d}"`);
  }, 45_000);
  step('trusted by a click: connected');
}

/** The certificate rows list only certificates (README.certs is not one). */
async function certificateRows({ page, screenshot, step }: Workbench): Promise<void> {
  const tree = page.getByRole('tree', { name: 'Mail Servers' });
  const hostRow = treeRow(page, 'sandbox');
  await hostRow.waitFor({ timeout: 45_000 });
  await expandRow(hostRow);
  // The certificates are rows of the host's Status.
  const statusRow = treeRow(page, 'Status');
  await statusRow.waitFor({ timeout: 45_000 });
  await expandRow(statusRow);
  const certRow = (name: string) =>
    tree
      .getByRole('treeitem')
      .filter({ has: page.locator('.label-name', { hasText: `Certificate ${name}` }) });
  await eventually(async () => {
    assert.equal(await certRow('smtp.example.test').count(), 1, 'the mail host certificate is listed');
  }, 45_000);
  const rows = await tree.locator('.label-name').allInnerTexts();
  const certs = rows.filter((r) => r.startsWith('Certificate'));
  assert.deepEqual(
    certs.filter((r) => /README/.test(r)),
    [],
    `a file that is not a certificate is listed: ${certs.join(' | ')}`,
  );
  await screenshot('cert-rows');
  step(`certificate rows: ${certs.join(' | ')}`);
}

/** A server file tab says which server it is from. */
async function serverFileTabs({ page, screenshot, step }: Workbench): Promise<void> {
  const hostRow = treeRow(page, 'sandbox');
  await hostRow.waitFor({ timeout: 45_000 });
  await expandRow(hostRow);
  const files = treeRow(page, 'Config files');
  await files.waitFor({ timeout: 45_000 });
  await expandRow(files);
  for (const [row, title] of [
    ['chasquid.conf', 'chasquid.conf — sandbox'],
    [`domains/${UI_DOMAIN}/aliases`, 'aliases — sandbox'],
  ] as const) {
    // Away from the tree first: a row's tooltip would take the click.
    await page.mouse.move(900, 600);
    await page.waitForTimeout(500);
    await treeRow(page, row).click({ timeout: 30_000 });
    if (row.endsWith('/aliases')) {
      // Generated from mailwright.yaml: the editor first offers the yaml (tree-actions.test.ts).
      const generated = page
        .getByRole('dialog')
        .filter({ hasText: 'This file is generated from mailwright.yaml' });
      await generated.getByRole('button', { name: 'Open Read-Only' }).click({ timeout: 30_000 });
    }
    await eventually(async () => {
      const tabs = await tabLabels(page);
      assert.ok(tabs.includes(title), `no tab "${title}": ${tabs.join(' | ')}`);
    }, 45_000);
    step(`tab "${title}"`);
  }
  // The file opened is the server's: its content is chasquid's configuration.
  await page.locator('.tabs-container .tab', { hasText: 'chasquid.conf — sandbox' }).click();
  await eventually(
    async () => assert.match(await editorText(page), /hostname:\s*"smtp\.example\.test"/),
    30_000,
  );
  await screenshot('file-tabs');
}

/** Show Server Facts opens a named read-only document that refreshes. */
async function factsDocument({ page, screenshot, step }: Workbench): Promise<void> {
  await runCommandUntilTaken(page, 'Mail: Show Server Facts');
  await eventually(async () => {
    await pickSandboxIfAsked(page);
    assert.match(await editorText(page), /"prettyName"/);
  }, 60_000);
  const tabs = await tabLabels(page);
  assert.ok(tabs.includes('Facts — sandbox'), `tabs: ${tabs.join(' | ')}`);
  assert.ok(!tabs.some((t) => /^Untitled/.test(t)), `an untitled document opened: ${tabs.join(' | ')}`);
  const tab = page.locator('.tabs-container .tab').filter({ hasText: 'Facts — sandbox' });
  step('facts document "Facts — sandbox" open');

  // Read-only: typing changes nothing and the tab never turns dirty.
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.type('xyzzy');
  assert.doesNotMatch(await editorText(page), /xyzzy/);
  assert.equal(await tab.first().evaluate((e) => e.classList.contains('dirty')), false);

  // Refresh from the title bar: the facts are gathered again (their gatheredAt changes).
  const gatheredAt = async () => /"gatheredAt": "([^"]+)"/.exec(await editorText(page))?.[1];
  const before = await gatheredAt();
  assert.ok(before, 'the facts carry their gathering time');
  await titleAction(page, 'Refresh Server Facts').click();
  await eventually(async () => {
    const after = await gatheredAt();
    assert.ok(after && after !== before, `still the facts of ${before}`);
  }, 60_000);
  await screenshot('show-facts-document');
  step('refreshed from the title bar');
}

/** The log tail stops and resumes following, and wraps long lines. */
async function logFollowAndWrap({ page, screenshot, step }: Workbench, vps: SandboxJson): Promise<void> {
  await runCommandUntilTaken(page, 'Mail: Tail Logs');
  await eventually(async () => {
    await pickSandboxIfAsked(page);
    const t = await editorText(page);
    assert.ok(t.length > 0 && !/Waiting for chasquid/.test(t), `the log has lines: ${t.slice(0, 200)}`);
  }, 45_000);
  step('log document streaming');

  // A sender far longer than the editor is wide: its line must wrap.
  const long = (tag: string) =>
    `${tag}-${randomBytes(4).toString('hex')}-${'x'.repeat(40)}@${'long'.repeat(15)}.${'name'.repeat(15)}.elsewhere.test`;
  const first = long('wrap');
  await sendMail(vps, first, `postmaster@${UI_DOMAIN}`, 'wrap test');
  await eventually(async () => assert.ok((await editorText(page)).includes(first.slice(0, 30))), 30_000);
  const widths = await page
    .locator('.editor-group-container.active .monaco-editor')
    .first()
    .evaluate((ed) => {
      const lines = ed.querySelector('.view-lines') as HTMLElement;
      const scrollable = ed.querySelector('.monaco-scrollable-element') as HTMLElement;
      return { content: lines.scrollWidth, visible: scrollable.clientWidth };
    });
  assert.ok(
    widths.content <= widths.visible,
    `long lines are not wrapped: content ${widths.content}px in an editor ${widths.visible}px wide`,
  );
  step(`long line wrapped (${widths.content}px ≤ ${widths.visible}px)`);
  await screenshot('log-wrapped');

  // Stop following: the document holds still while mail goes on.
  const stop = titleAction(page, 'Stop Following Log');
  await stop.click({ timeout: 10_000 });
  const follow = titleAction(page, 'Follow Log');
  await follow.waitFor({ timeout: 10_000 });
  assert.equal(await stop.count(), 0, 'the title bar shows the state: Follow, not Stop Following');
  const held = long('held');
  await sendMail(vps, held, `postmaster@${UI_DOMAIN}`, 'held');
  const onServer = async () =>
    (await onGuest(vps, ['grep', '-c', held.slice(0, 20), '/var/log/chasquid/chasquid.log'])).code === 0 ||
    (await onGuest(vps, ['sh', '-c', `journalctl -u chasquid | grep -c ${held.slice(0, 20)}`])).code === 0;
  await eventually(async () => assert.ok(await onServer(), 'the message is logged on the server'), 30_000);
  await page.waitForTimeout(2_000);
  assert.ok(!(await editorText(page)).includes(held.slice(0, 30)), 'a stopped document took new lines');
  await screenshot('log-stopped');
  step('stopped: the logged line is not shown');

  await follow.click();
  await stop.waitFor({ timeout: 10_000 });
  await eventually(async () => assert.ok((await editorText(page)).includes(held.slice(0, 30))), 15_000);
  step('following again: the line held back is shown');
}

test(
  'on the sandbox: the host-key dialog, certificate rows, server file tabs, the facts document, the log tail',
  { skip, timeout: 25 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    // The chasquid package ships certs/README.certs; make sure it is there, as on a fresh install.
    const readme = await onGuest(vps, ['test', '-f', '/etc/chasquid/certs/README.certs']);
    if (readme.code !== 0) {
      await onGuest(vps, [
        'sh',
        '-c',
        'echo "Certificates go in subdirectories." > /etc/chasquid/certs/README.certs',
      ]);
    }
    const listed = await onGuest(vps, ['ls', '/etc/chasquid/certs']);
    assert.match(listed.stdout, /README\.certs/);
    await withWorkbench(
      'editor-details',
      { installVsix: true, workspaceFiles: { 'mailwright.yaml': uiYaml(vps) } },
      async (wb) => {
        await hostKeyDialog(wb);
        await certificateRows(wb);
        await serverFileTabs(wb);
        await factsDocument(wb);
        await logFollowAndWrap(wb, vps);
      },
    );
  },
);

test(
  "the run's end (summary first, copy buttons, whole names, a notification while hidden) and git (asked once; history and comparison of a config file)",
  { skip, timeout: 25 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    // A new alias each run: the plan has a step, whatever an earlier run left.
    const withAlias = (yaml: string, alias: string) =>
      yaml.replace('        aliases:\n', `        aliases:\n          ${alias}: ${UI_USER}\n`);
    const first = `first-${randomBytes(3).toString('hex')}`;
    const second = `second-${randomBytes(3).toString('hex')}`;
    await withWorkbench(
      'run-end-git',
      { installVsix: true, workspaceFiles: { 'mailwright.yaml': withAlias(uiYaml(vps), first) } },
      async ({ page, context, screenshot, step, server }) => {
        const question = page
          .getByRole('dialog')
          .filter({ hasText: "Keep the history of the servers' configuration in git?" });
        await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
        await page.getByRole('tab', { name: 'Mail', exact: true }).waitFor({ timeout: 30_000 });
        await runCommandUntilTaken(page, 'Mail: Provision Server');
        await trustHostKey(page);
        const titles = await waitForPlan(page);
        assert.equal(existsSync(join(server.workspace, '.git')), false, 'the workspace starts without git');
        assert.ok(titles.length >= 1, 'the new alias needs a step');
        step(`plan: ${titles.join(' | ')}`);

        // Apply, then hide the dashboard behind another editor: the end must still be told.
        const view = dashboardFrame(page);
        await view.locator('vscode-button#apply').click();
        await runCommand(page, 'Mail: Open mailwright.yaml');
        await page.locator('.tabs-container .tab.active', { hasText: 'mailwright.yaml' }).waitFor();
        step('dashboard hidden behind mailwright.yaml');
        const toast = page
          .locator('.notifications-toasts .notification-list-item')
          .filter({ hasText: /Provisioned smtp\.example\.test in (\d+ min )?\d+ s\./ });
        // The workspace is no git repository yet: the run's snapshot asks first, once.
        await question.waitFor({ timeout: 5 * 60_000 });
        assert.equal(existsSync(join(server.workspace, '.git')), false, 'no repository before the answer');
        await screenshot('git-question');
        await question.getByRole('button', { name: 'Keep History in Git' }).click();
        await toast.waitFor({ timeout: 2 * 60_000 });
        await screenshot('run-end-notification');
        step(`notification: ${(await toast.innerText()).split('\n')[0]}`);
        await toast.getByRole('button', { name: 'Show' }).click();
        await view.locator('#summary').waitFor({ timeout: 30_000 });
        step('Show brought the dashboard back');

        // The summary comes before the steps, whose output is folded away.
        const order = await view.locator('#app').evaluate((app) => {
          const summary = app.querySelector('#summary');
          const actions = app.querySelector('#actions');
          return summary && actions
            ? summary.compareDocumentPosition(actions) & Node.DOCUMENT_POSITION_FOLLOWING
            : -1;
        });
        assert.ok(order > 0, 'the summary is shown before the steps');
        const outputs = view.locator('details.output');
        assert.ok((await outputs.count()) > 0, 'the steps have output');
        assert.equal(
          await view.locator('details.output[open]').count(),
          0,
          'a done step shows its output folded',
        );

        // Names stay whole in a narrow editor (the explorer beside it); the long DKIM value wraps
        // inside its cell.
        await page.setViewportSize({ width: 1100, height: 900 });
        await page.waitForTimeout(500);
        const names = await view
          .locator('table.dns td.name code')
          .evaluateAll((els) =>
            els.map((e) => ({ text: e.textContent ?? '', lines: e.getClientRects().length })),
          );
        assert.ok(names.length >= 4, `the summary lists the records: ${JSON.stringify(names)}`);
        const broken = names.filter((n) => n.lines !== 1);
        assert.deepEqual(broken, [], 'a name is broken across lines');
        // Values of one short word (the addresses) are not broken either.
        const values = await view
          .locator('table.dns td.value code')
          .evaluateAll((els) =>
            els.map((e) => ({ text: e.textContent ?? '', lines: e.getClientRects().length })),
          );
        const words = values.filter((v) => !/\s/.test(v.text) && v.text.length < 40);
        assert.ok(words.length >= 1, `the summary has one-word values: ${JSON.stringify(values)}`);
        assert.deepEqual(
          words.filter((v) => v.lines !== 1),
          [],
          'a one-word value is broken across lines',
        );
        const tableFits = await view
          .locator('table.dns')
          .evaluate((t) => t.scrollWidth <= (t.ownerDocument.documentElement.clientWidth || 0));
        assert.ok(tableFits, 'the records table fits the width of the dashboard');
        await screenshot('run-end-summary-narrow');
        await page.setViewportSize({ width: 1440, height: 900 });

        // Copy buttons, as the walkthrough promises: the DMARC value lands on the clipboard.
        const dmarc = view.locator('table.dns tr.record').filter({ hasText: '_dmarc.example.test' });
        const value = ((await dmarc.locator('td.value code').innerText()) ?? '').trim();
        assert.match(value, /^v=DMARC1;/);
        await dmarc.locator('vscode-button.copy-value').click();
        await eventually(async () => {
          const copied = await page.evaluate(() => navigator.clipboard.readText());
          assert.equal(copied, value);
        }, 10_000);
        await dmarc.locator('vscode-button.copy-name').click();
        await eventually(async () => {
          assert.equal(await page.evaluate(() => navigator.clipboard.readText()), '_dmarc.example.test');
        }, 10_000);
        step('copy buttons put the DMARC value and name on the clipboard');
        assert.match(await view.locator('#commit').innerText(), /Committed [0-9a-f]{10}/);
        assert.ok(
          existsSync(join(server.workspace, '.git')),
          'the workspace became a repository after the yes',
        );
        step('asked once, answered Keep: committed');

        // A second run is not asked again.
        writeFileSync(
          join(server.workspace, 'mailwright.yaml'),
          withAlias(withAlias(uiYaml(vps), first), second),
        );
        await view.locator('vscode-button#replan').click();
        const titles2 = await waitForPlan(page);
        assert.ok(titles2.length >= 1, 'the second alias needs a step');
        await view.locator('vscode-button#apply').click();
        await view.locator('#progress[data-phase="done"]').waitFor({ timeout: 2 * 60_000 });
        assert.equal(await question.count(), 0, 'asked a second time');
        assert.match(await view.locator('#commit').innerText(), /Committed [0-9a-f]{10}/);
        step('second run committed without a question');

        // The aliases row: Compare with Previous Version shows the second alias as the change.
        await page.getByRole('tab', { name: 'Mail', exact: true }).click();
        const hostRow = treeRow(page, 'sandbox');
        await hostRow.waitFor({ timeout: 45_000 });
        await expandRow(hostRow);
        const files = treeRow(page, 'Config files');
        await files.waitFor({ timeout: 30_000 });
        await expandRow(files);
        const aliasesRow = treeRow(page, `domains/${UI_DOMAIN}/aliases`);
        await aliasesRow.waitFor({ timeout: 30_000 });
        const menu = (item: string) => chooseFromContextMenu(page, aliasesRow, item);
        const diff = page.locator('.editor-group-container.active .monaco-diff-editor');
        // A click on a context menu still opening can be lost: close it and try again.
        await eventually(async () => {
          await page.keyboard.press('Escape');
          await menu('Compare with Previous Version');
          await diff.waitFor({ timeout: 10_000 });
        }, 60_000);
        await eventually(async () => {
          const original = ((await diff.locator('.editor.original .view-lines').textContent()) ?? '').replace(
            /\u00a0/g,
            ' ',
          );
          const modified = ((await diff.locator('.editor.modified .view-lines').textContent()) ?? '').replace(
            /\u00a0/g,
            ' ',
          );
          assert.ok(original.includes(first) && !original.includes(second), `previous version: ${original}`);
          assert.ok(modified.includes(second), `server version: ${modified}`);
        }, 30_000);
        const tabs = await tabLabels(page);
        assert.ok(
          tabs.some((t) => /^aliases — sandbox: [0-9a-f]{7} ↔ server$/.test(t)),
          tabs.join(' | '),
        );
        await screenshot('git-compare-previous');
        step('Compare with Previous Version: the last commit before the present text, beside the server');

        // Show History: the commits that touched the file; the newest opens as the change it made.
        // The rows are counted only once the history's own picker shows (its title), so that
        // a lost menu click or a stale list of an earlier picker is not read as the history.
        const picker = page.locator('.quick-input-widget:visible');
        const rows = picker.locator('.monaco-list-row');
        await eventually(async () => {
          if (!(await picker.getByText('History of aliases on sandbox').isVisible())) {
            await page.keyboard.press('Escape');
            await menu('Show History');
            await picker.getByText('History of aliases on sandbox').waitFor({ timeout: 10_000 });
          }
          assert.ok((await rows.count()) >= 2, `history rows: ${await rows.count()}`);
        }, 60_000);
        await screenshot('git-history-pick');
        await rows.first().click();
        await eventually(async () => {
          const modified = ((await diff.locator('.editor.modified .view-lines').textContent()) ?? '').replace(
            /\u00a0/g,
            ' ',
          );
          assert.ok(modified.includes(second), `the newest commit's text: ${modified}`);
          const labels = await tabLabels(page);
          assert.ok(
            labels.some((t) => /\^ ↔ [0-9a-f]{7}$/.test(t)),
            labels.join(' | '),
          );
        }, 30_000);
        step('Show History listed the commits and opened one');
      },
    );
  },
);

test(
  'git: a no is kept for the workspace, which does not become a repository',
  { skip, timeout: 20 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    const withAlias = (yaml: string, alias: string) =>
      yaml.replace('        aliases:\n', `        aliases:\n          ${alias}: ${UI_USER}\n`);
    const first = `first-${randomBytes(3).toString('hex')}`;
    const second = `second-${randomBytes(3).toString('hex')}`;
    await withWorkbench(
      'git-declined',
      { installVsix: true, workspaceFiles: { 'mailwright.yaml': withAlias(uiYaml(vps), first) } },
      async ({ page, screenshot, step, server }) => {
        const question = page
          .getByRole('dialog')
          .filter({ hasText: "Keep the history of the servers' configuration in git?" });
        const view = dashboardFrame(page);
        await page.getByRole('tab', { name: 'Mail', exact: true }).waitFor({ timeout: 30_000 });
        await runCommandUntilTaken(page, 'Mail: Provision Server');
        await trustHostKey(page);
        await waitForPlan(page);
        await view.locator('vscode-button#apply').click();
        await question.waitFor({ timeout: 5 * 60_000 });
        assert.ok(await answerGitHistoryQuestion(page, false));
        await view.locator('#progress[data-phase="done"]').waitFor({ timeout: 2 * 60_000 });
        assert.match(await view.locator('#commit').innerText(), /Not kept in git/);
        assert.equal(existsSync(join(server.workspace, '.git')), false, 'no repository after the no');
        await screenshot('git-declined');
        step('answered no: nothing committed');

        writeFileSync(
          join(server.workspace, 'mailwright.yaml'),
          withAlias(withAlias(uiYaml(vps), first), second),
        );
        await view.locator('vscode-button#replan').click();
        assert.ok((await waitForPlan(page)).length >= 1, 'the second alias needs a step');
        await view.locator('vscode-button#apply').click();
        await view.locator('#progress[data-phase="done"]').waitFor({ timeout: 2 * 60_000 });
        assert.equal(await question.count(), 0, 'asked a second time');
        assert.match(await view.locator('#commit').innerText(), /Not kept in git/);
        assert.equal(existsSync(join(server.workspace, '.git')), false, 'no repository after the second run');
        step('second run: not asked again, still no repository');
      },
    );
  },
);
