// "Mail: Provision Server" in a real VS Code against a fresh sandbox VPS: the dashboard
// webview shows the plan, Apply first asks the new user's password (titled with the address,
// confirmed, in VS Code's own password input, while the dashboard says what it waits for and
// before any step starts), then runs with live per-step state, and the summary names the
// snapshot commit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyUntilDone, dashboardFrame, waitForPlan } from './dashboard-steps';
import {
  eventually,
  runCommandUntilTaken,
  sandboxInstance,
  skipWithoutSandbox,
  trustHostKey,
  withWorkbench,
} from './harness';
import { removeUser } from '../../src/core/plan/actions/domains';
import { readSandbox, rootConnection, UI_DOMAIN, UI_USER } from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the provisioning dashboard UI test');

const PASSWORD = 'correct horse battery staple';

test(
  'the provisioning dashboard plans and applies on the sandbox',
  { skip, timeout: 15 * 60_000 },
  async () => {
    const vps = instance!;
    // The test is about a new user's password: an earlier test on this sandbox may have left
    // alice on the server (the plan then adds nobody), so she goes first; this run adds her back
    // with the same password the other tests use.
    const conn = rootConnection(readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!));
    await removeUser(conn, UI_DOMAIN, UI_USER).finally(() => conn.close());
    const yaml = [
      'version: 1',
      'hosts:',
      '  - name: sandbox',
      `    ssh: root@${vps.ipv4}:${vps.port}`,
      `    identityFile: ${vps.rootKey}`,
      '    mailHost: smtp.example.test',
      '    domains:',
      '      - name: example.test',
      '        users: [alice]',
      "        aliases: { alice: [alice@elsewhere.test], '*': [postmaster@elsewhere.test] }",
      '',
    ].join('\n');

    await withWorkbench(
      'dashboard',
      { installVsix: true, workspaceFiles: { 'mailwright.yaml': yaml } },
      async ({ page, screenshot, step }) => {
        // The palette lists the command once the extension is registered (its Mail tab shows then).
        await page.getByRole('tab', { name: 'Mail', exact: true }).waitFor({ timeout: 30_000 });
        await runCommandUntilTaken(page, 'Mail: Provision Server');
        step('ran Mail: Provision Server');
        await trustHostKey(page);
        step('host key trusted');

        const view = dashboardFrame(page);
        const titles = await waitForPlan(page);
        step(`plan shown: ${titles.length} step(s)`);
        // add-server.test.ts runs first in the suite and may have installed chasquid already: the
        // full plan of a fresh server is asserted there; here the plan adds at least alice.
        const fresh = titles.some((t) => /install chasquid/i.test(t));
        assert.ok(
          titles.length >= (fresh ? 4 : 1),
          `a ${fresh ? 'fresh' : 'provisioned'} server needs several steps: ${titles.join(' | ')}`,
        );
        assert.equal(await view.locator('li.action[data-status="pending"]').count(), titles.length);
        await screenshot('dashboard-plan');

        const run = await applyUntilDone(page, {
          passwords: { 'alice@example.test': PASSWORD },
          step,
          inputScreenshot: () => screenshot('dashboard-waiting-for-password'),
          runningScreenshot: () => screenshot('dashboard-running'),
        });
        assert.deepEqual(
          run.askedPasswordFor,
          ['alice@example.test'],
          'the password of the new user was asked for in VS Code’s input',
        );
        if (fresh) assert.ok(run.sawRunning, 'the dashboard was seen mid-run');
        assert.deepEqual(
          run.statuses,
          titles.map(() => 'done'),
          'every action reached done',
        );
        const commitText = run.commitText;
        assert.match(commitText, /Committed [0-9a-f]{10}/, `the summary names the commit: ${commitText}`);
        assert.match(
          run.summaryText,
          new RegExp(`${vps.ipv4.replace(/\./g, '\\.')}\\s*→\\s*smtp\\.example\\.test`),
        );
        assert.match(run.summaryText, /MX/);
        // The records to publish carry their real values, the server's DKIM key included (each
        // name and value is followed by its Copy button, whose label the text holds too).
        assert.match(run.summaryText, /_domainkey\.example\.test(?:Copy)?\s+v=DKIM1; k=rsa; p=MII/);
        assert.match(run.summaryText, /_dmarc\.example\.test(?:Copy)?\s+v=DMARC1; p=quarantine/);
        await view.locator('#summary').scrollIntoViewIfNeeded();
        await screenshot('dashboard-done');
        step(`summary: ${commitText}`);

        // The tree still shows the host afterwards.
        await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
        const tree = page.getByRole('tree', { name: 'Mail Servers' });
        const hostRow = tree
          .getByRole('treeitem')
          .filter({ has: page.locator('.label-name', { hasText: 'sandbox' }) })
          .first();
        await eventually(async () => {
          assert.ok(await hostRow.isVisible(), 'the sandbox host row is visible');
        }, 45_000);
        await screenshot('dashboard-tree-after');
      },
    );
  },
);
