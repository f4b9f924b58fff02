// A self-signed certificate in a real VS Code: the sandbox provisioned without acme: serves the
// self-signed bootstrap certificate; its row under Status is a warning saying so (not green
// "89 days left"), and its inline "Get a Trusted Certificate…" asks where the certificate comes
// from (the same step as Add Server, without the self-signed choice), writes the acme: block
// and offers Provision Now, whose plan gets the certificate from Let's Encrypt over HTTP-01.
// The plan is not applied: Let's Encrypt is unreachable from the test bed (test/ui/add-server
// applies the same path against pebble).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { parse } from 'yaml';
import { ACME_CA_DIRECTORIES } from '../../src/core/config';
import { waitForPlan } from './dashboard-steps';
import {
  expandRow,
  eventually,
  itemLabels,
  sandboxInstance,
  skipWithoutSandbox,
  treeRow,
  trustHostKey,
  withWorkbench,
} from './harness';
import {
  provisionSandbox,
  readSandbox,
  removeMailHostCertificate,
  uiYaml,
  UI_MAIL_HOST,
} from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the self-signed certificate UI test');

const ACTION = 'Get a Trusted Certificate…';
const quickInput = (page: Page) => page.locator('.quick-input-widget');

test(
  "a self-signed certificate's row is a warning whose action writes acme: and offers provisioning",
  { skip, timeout: 15 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    // Whatever certificate an earlier test left, provisioning without acme: makes the self-signed one.
    await removeMailHostCertificate(vps);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));

    await withWorkbench(
      'certificate',
      { installVsix: true, workspaceFiles: { 'mailwright.yaml': uiYaml(vps) } },
      async ({ page, screenshot, step, server }) => {
        const yamlPath = join(server.workspace, 'mailwright.yaml');
        await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
        await trustHostKey(page);
        step('host key trusted');

        const hostRow = treeRow(page, /^sandbox$/);
        await hostRow.waitFor({ timeout: 30_000 });
        await expandRow(hostRow);
        const status = treeRow(page, /^Status$/);
        await status.waitFor({ timeout: 60_000 });
        await expandRow(status);
        const certRow = treeRow(page, new RegExp(`^Certificate ${UI_MAIL_HOST.replace(/\./g, '\\.')}$`));
        await certRow.waitFor({ timeout: 30_000 });
        assert.equal(
          ((await certRow.locator('.label-description').textContent()) ?? '').trim(),
          'self-signed',
        );
        const iconClass =
          (await certRow.locator('.custom-view-tree-node-item-icon').getAttribute('class')) ?? '';
        assert.match(iconClass, /codicon-warning/, `the row's icon: ${iconClass}`);
        assert.doesNotMatch(
          (await certRow.innerText()).replace(/\s+/g, ' '),
          /days left/,
          'no "days left" for a self-signed certificate',
        );
        await screenshot('certificate-1-self-signed-row');
        step('the certificate row says self-signed, with a warning icon');

        await certRow.hover();
        await certRow.locator(`.action-label[aria-label="${ACTION}"]`).click();
        const title = quickInput(page).locator('.quick-input-title');
        await eventually(async () => {
          assert.match((await title.textContent()) ?? '', /^Trusted Certificate for smtp\.example\.test/);
        }, 15_000);
        const row = (label: string) =>
          quickInput(page)
            .locator('.monaco-list-row')
            .filter({ has: page.locator('.label-name', { hasText: label }) })
            .first();
        await row("Let's Encrypt (HTTP-01)").waitFor({ timeout: 10_000 });
        const labels = await itemLabels(quickInput(page));
        assert.deepEqual(labels, [
          "Let's Encrypt (HTTP-01)",
          "Let's Encrypt (DNS-01)",
          "Let's Encrypt staging (for trying)",
        ]);
        await screenshot('certificate-2-choice');
        await row("Let's Encrypt (HTTP-01)").click();
        step("chose Let's Encrypt (HTTP-01)");

        await eventually(async () => {
          const written = parse(readFileSync(yamlPath, 'utf8')) as { hosts: { acme?: unknown }[] };
          assert.deepEqual(written.hosts[0]!.acme, { ca: 'letsencrypt', challenge: 'http-01' });
        }, 30_000);
        step('mailwright.yaml has acme: { ca: letsencrypt, challenge: http-01 }');

        const toast = page
          .locator('.notifications-toasts .notification-toast')
          .filter({ hasText: `now asks for a certificate for ${UI_MAIL_HOST} from Let's Encrypt` });
        await toast.waitFor({ timeout: 30_000 });
        await screenshot('certificate-3-offer');
        await toast.getByRole('button', { name: 'Provision Now', exact: true }).click();
        const titles = await waitForPlan(page);
        step(`plan: ${titles.join(' | ')}`);
        assert.ok(
          titles.some((t) =>
            t.startsWith(
              `Get a certificate for ${UI_MAIL_HOST} from ${ACME_CA_DIRECTORIES.letsencrypt} (http-01)`,
            ),
          ),
          `the plan gets the certificate from Let's Encrypt: ${titles.join(' | ')}`,
        );
        await screenshot('certificate-4-plan');
      },
    );
  },
);
