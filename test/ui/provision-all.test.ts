// "Mail: Provision All Servers" in a real VS Code: two hosts serve example.test, the sandbox VPS
// and one where nothing listens. The combined plan opens in an editor with the unreachable host
// refused, one confirmation applies the sandbox (its new user's password typed into VS Code's
// password input), and the results name each host: the sandbox ok, the other failed. Then a step
// that stores a secret on the server is asked about first, and a no refuses that server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  answerGitHistoryQuestion,
  eventually,
  runCommandUntilTaken,
  sandboxInstance,
  skipWithoutSandbox,
  trustHostKey,
  withWorkbench,
} from './harness';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the Provision All UI test');

const PASSWORD = 'correct horse battery staple';

/** The active editor's visible text; Monaco renders spaces as no-break spaces. */
const editorText = async (page: Page) =>
  (await page.locator('.editor-instance .view-lines').first().innerText()).replace(/\u00a0/g, ' ');

test(
  'Provision All Servers: a combined plan, one confirmation, a result per host',
  { skip, timeout: 15 * 60_000 },
  async () => {
    const vps = instance!;
    const domain = (selector: string) => [
      '    domains:',
      '      - name: example.test',
      '        users: [alice, carol]',
      '        aliases:',
      '          postmaster: alice',
      '          alice: alice@elsewhere.test',
      '          carol: carol@elsewhere.test',
      `        dkim: { selector: ${selector} }`,
    ];
    const yaml = [
      'version: 1',
      'hosts:',
      // First in the file, so its refusal is at the top of the plan's editor.
      '  - name: gone',
      `    ssh: root@${vps.ipv4}:1`,
      `    identityFile: ${vps.rootKey}`,
      '    mailHost: smtp2.example.test',
      ...domain('gone'),
      '  - name: sandbox',
      `    ssh: root@${vps.ipv4}:${vps.port}`,
      `    identityFile: ${vps.rootKey}`,
      '    mailHost: smtp.example.test',
      ...domain('auto'),
      '',
    ].join('\n');

    await withWorkbench(
      'provision-all',
      { installVsix: true, workspaceFiles: { 'mailwright.yaml': yaml } },
      async ({ page, screenshot, step }) => {
        await page.getByRole('tab', { name: 'Mail', exact: true }).waitFor({ timeout: 30_000 });
        await runCommandUntilTaken(page, 'Mail: Provision All Servers');
        step('ran Mail: Provision All Servers');
        await trustHostKey(page);
        step('host key trusted');

        const confirm = page
          .getByRole('dialog')
          .filter({ hasText: /Apply \d+ action\(s\) to 1 server\(s\)\?/ });
        await confirm.waitFor({ timeout: 5 * 60_000 });
        assert.match(await confirm.innerText(), /Not changed \(refused, see the plan\): gone/);
        const plan = await editorText(page);
        assert.match(plan, /=== gone \(root@[\d.]+:1\) ===/);
        assert.match(plan, /REFUSED: gone will not be changed:/);
        assert.match(plan, /connection refused/);
        await screenshot('provision-all-plan');
        await confirm.getByRole('button', { name: 'Apply' }).click();
        step('confirmed');

        const failed = page
          .locator('.notifications-toasts')
          .filter({ hasText: '1 of 2 server(s) did not succeed: gone.' });
        const asked: string[] = [];
        for (const deadline = Date.now() + 12 * 60_000; !(await failed.isVisible().catch(() => false));) {
          if (await answerGitHistoryQuestion(page)) step('answered the git history question: keep');
          const input = page.locator('.quick-input-widget input[type="password"]');
          if (await input.isVisible().catch(() => false)) {
            const title = (await page.locator('.quick-input-widget .quick-input-title').innerText())
              .replace(/\s+/g, ' ')
              .trim();
            // Titled with the address, confirmed once, and asked before the servers are changed.
            const match = /^Password for (\S+@example\.test) \(new user\)( \(again\))?$/.exec(title);
            assert.ok(match, `unexpected password input: ${title}`);
            assert.equal(
              await page.locator('.notifications-toasts').filter({ hasText: 'Provisioning' }).count(),
              0,
              `the password of ${match[1]} was asked while the servers were being provisioned`,
            );
            await input.fill(PASSWORD);
            await input.press('Enter');
            await page.waitForTimeout(500);
            if (match[2]) asked.push(match[1]!);
            step(`typed the password of ${match[1]}${match[2] ? ' again' : ''}`);
          }
          assert.ok(Date.now() < deadline, 'the run did not end in 12 minutes');
          await page.waitForTimeout(400);
        }
        assert.ok(
          asked.includes('carol@example.test'),
          `carol's password was asked for: ${asked.join(', ')}`,
        );
        step('results notified');
        await eventually(async () => {
          const results = await editorText(page);
          assert.match(results, /Results:/);
          assert.match(results, /sandbox\s+ok: \d+ action\(s\) applied/);
          assert.match(results, /gone\s+FAILED: .*connection refused/);
          assert.match(results, /1 of 2 host\(s\) did not succeed: gone\./);
        }, 30_000);
        await screenshot('provision-all-results');
      },
    );
  },
);

test(
  'Provision All Servers asks consent before storing a secret on a server; a no refuses that server',
  { skip, timeout: 10 * 60_000 },
  async () => {
    const vps = instance!;
    // Renewal on the server with dns-01 stores the domain's DNS credential there: a step that
    // needs the user's yes, asked the way a single server's dashboard asks it.
    const yaml = [
      'version: 1',
      'hosts:',
      '  - name: sandbox',
      `    ssh: root@${vps.ipv4}:${vps.port}`,
      `    identityFile: ${vps.rootKey}`,
      '    mailHost: smtp.example.test',
      '    acme: { email: you@example.test, challenge: dns-01, renewOn: server }',
      '    domains:',
      '      - name: example.test',
      '        users: [alice]',
      '        aliases: { postmaster: alice, alice: alice@elsewhere.test }',
      "        dns: { provider: rfc2136, server: '127.0.0.1:53', keyName: mw-test }",
      '',
    ].join('\n');

    await withWorkbench(
      'provision-all-consent',
      { installVsix: true, workspaceFiles: { 'mailwright.yaml': yaml } },
      async ({ page, screenshot, step }) => {
        await page.getByRole('tab', { name: 'Mail', exact: true }).waitFor({ timeout: 30_000 });
        await runCommandUntilTaken(page, 'Mail: Provision All Servers');
        step('ran Mail: Provision All Servers');
        await trustHostKey(page);
        step('host key trusted');

        const consent = page
          .getByRole('dialog')
          .filter({ hasText: 'This step stores a secret on the server.' });
        await consent.waitFor({ timeout: 5 * 60_000 });
        assert.match(
          await consent.innerText(),
          /Store the DNS credential of example\.test \(rfc2136\) on sandbox, readable by root only\?/,
        );
        assert.ok(await consent.getByRole('button', { name: 'Store on the Server' }).isVisible());
        await screenshot('provision-all-consent');
        await page.keyboard.press('Escape'); // the modal's Cancel
        step('declined');

        // The only server is refused: nothing is applied, and the plan says why.
        await page
          .locator('.notifications-toasts')
          .filter({ hasText: 'Nothing to apply. Refused: sandbox (see the plan).' })
          .waitFor({ timeout: 60_000 });
        await eventually(async () => {
          const plan = await editorText(page);
          assert.match(plan, /REFUSED: sandbox will not be changed:/);
          assert.match(plan, /You did not consent to storing a secret on the server\./);
        }, 30_000);
        assert.equal(
          await page
            .getByRole('dialog')
            .filter({ hasText: /Apply \d+ action\(s\)/ })
            .count(),
          0,
          'no confirmation to apply is asked',
        );
        await screenshot('provision-all-consent-refused');
      },
    );
  },
);
