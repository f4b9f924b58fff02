// "Mail: Send Test Mail" in a real VS Code against the sandbox: a domain with mailboxes is
// provisioned beside the shared one, then the command asks who sends, to whom and the password,
// submits through chasquid, reads the copy back from Dovecot over IMAP and shows the three
// stages (sent, delivered, verified) and the checks in the Mail Report panel.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import type { HostConfig } from '../../src/core/config';
import {
  answerQuickInput,
  eventually,
  runCommand,
  sandboxInstance,
  skipWithoutSandbox,
  trustHostKey,
  withWorkbench,
} from './harness';
import { provisionSandbox, readSandbox, uiHost, uiYaml, type SandboxJson } from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the send test mail UI test');

const MAILBOX_DOMAIN = 'mailbox.example.test';
const MAILBOX_USER = 'dora';
const MAILBOX_ADDRESS = `${MAILBOX_USER}@${MAILBOX_DOMAIN}`;
const MAILBOX_PASSWORD = 'send test mail from the editor, please';

/** The shared UI host plus a domain whose mail is stored on the server. */
function hostWithMailboxes(vps: SandboxJson): HostConfig {
  const host = uiHost(vps);
  return {
    ...host,
    domains: [
      ...host.domains,
      {
        name: MAILBOX_DOMAIN,
        users: [MAILBOX_USER],
        aliases: { postmaster: [MAILBOX_USER] },
        mailboxes: true,
        dkim: { algorithms: ['rsa2048'], selector: 'auto' },
        spf: { include: [] },
      },
    ],
  };
}

function yamlWithMailboxes(vps: SandboxJson): string {
  return [
    uiYaml(vps).trimEnd(),
    `      - name: ${MAILBOX_DOMAIN}`,
    `        users: [${MAILBOX_USER}]`,
    '        mailboxes: true',
    '        aliases:',
    `          postmaster: ${MAILBOX_USER}`,
    '',
  ].join('\n');
}

function reportFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
}

test(
  'Send Test Mail to a mailbox: sent, delivered (read back over IMAP) and verified in the report',
  { skip, timeout: 15 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(
      vps,
      (l) => console.log(`[provision] ${l.slice(0, 160)}`),
      hostWithMailboxes(vps),
      {
        [MAILBOX_ADDRESS]: MAILBOX_PASSWORD,
      },
    );
    await withWorkbench(
      'send-test',
      { installVsix: true, workspaceFiles: { 'mailwright.yaml': yamlWithMailboxes(vps) } },
      async ({ page, screenshot, step }) => {
        await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
        await page.getByRole('tree', { name: 'Mail Servers' }).waitFor({ timeout: 30_000 });
        await trustHostKey(page, 45_000);
        step('host key trusted');

        await runCommand(page, 'Mail: Send Test Mail');
        // Two users in mailwright.yaml: pick the one with a mailbox.
        const picks = page.locator('.quick-input-widget .monaco-list-row');
        await picks.filter({ hasText: MAILBOX_ADDRESS }).first().click({ timeout: 20_000 });
        await answerQuickInput(
          page,
          /Send a test mail from dora@mailbox\.example\.test \(1\/2\)/,
          MAILBOX_ADDRESS,
          { timeoutMs: 20_000 },
        );
        await answerQuickInput(page, /\(2\/2\)/, MAILBOX_PASSWORD, { password: true, timeoutMs: 20_000 });
        step('inputs given');

        const view = reportFrame(page);
        const stage = (id: string) => view.locator(`#stages [data-id="${id}"]`);
        await stage('sent').waitFor({ timeout: 60_000 });
        await eventually(async () => {
          assert.equal(await stage('delivered').getAttribute('data-status'), 'pass');
        }, 120_000);
        await eventually(async () => {
          const verified = await stage('verified').getAttribute('data-status');
          assert.ok(verified && !['running', 'pending'].includes(verified), `verified: ${verified}`);
        }, 60_000);
        // Sent: accepted; a warning only because the sandbox's certificate is self-signed.
        assert.ok(['pass', 'warn'].includes((await stage('sent').getAttribute('data-status')) ?? ''));
        assert.match(await stage('sent').innerText(), /accepted by/);
        assert.match(await stage('delivered').innerText(), /arrived at dora@mailbox\.example\.test/);
        const facts = await view.locator('#facts').innerText();
        assert.match(facts, /smtp\.example\.test/);
        assert.match(facts, /TLSv1\.3/);
        // No DNS serves the test domains here: the submission and the copy are judged, SPF/DMARC cannot pass.
        const checks = await view
          .locator('tr.check')
          .evaluateAll((rows) =>
            rows.map((r) => `${r.getAttribute('data-id')}=${r.getAttribute('data-status')}`),
          );
        step(`checks: ${checks.join(' ')}`);
        assert.ok(checks.length >= 4, checks.join(' '));
        assert.ok(checks.includes('submit:auth=pass'), checks.join(' '));
        assert.ok(checks.includes('submit:tls=pass'), checks.join(' '));
        assert.ok(checks.includes('delivered=pass'), checks.join(' '));
        assert.ok(
          checks.some((c) => c.startsWith('dkim:')),
          `a DKIM row: ${checks.join(' ')}`,
        );
        assert.doesNotMatch(await view.locator('body').innerText(), new RegExp(MAILBOX_PASSWORD));
        await screenshot('send-test-report');
        step('report checked');

        // The run ends with a notification that says how it went.
        await eventually(async () => {
          const toasts = await page.locator('.notifications-toasts').innerText();
          assert.match(toasts, /Test mail from dora@mailbox\.example\.test/);
        }, 30_000);
      },
    );
  },
);
