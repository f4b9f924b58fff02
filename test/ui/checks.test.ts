// "Check Now" in a real VS Code on the provisioned sandbox: the server's row runs the checks and
// the "Health Checks" row lists them with their status icons; a failing check (chasquid stopped
// by the test, started again afterwards) has the fix in its tooltip. The test DNS (knot) answers
// for the domain, so its records are really looked up.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { startTestDns } from '../integration/dns-fixture';
import type { SandboxInstance } from '../integration/sandbox-instances';
import {
  expandRow,
  eventually,
  PROJECT_DIR,
  runCommand,
  sandboxInstance,
  skipWithoutSandbox,
  treeRow,
  trustHostKey,
  withWorkbench,
} from './harness';
import { provisionSandbox, readSandbox, uiYaml } from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the server checks UI test');

const run = promisify(execFile);

async function iconOf(page: Page, label: string | RegExp): Promise<string> {
  const cls =
    (await treeRow(page, label).locator('.custom-view-tree-node-item-icon').getAttribute('class')) ?? '';
  return /codicon-([a-z-]+)/.exec(cls)?.[1] ?? cls;
}

test(
  'Check Now: the Health Checks rows with their status and the fix in the tooltip',
  { skip, timeout: 15 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    const guest = (script: string) =>
      run('bash', [join(PROJECT_DIR, 'scripts', 'sandbox'), 'exec', vps.name, '--', 'sh', '-c', script]);
    const dns = await startTestDns(vps as unknown as SandboxInstance, { reverseZones: true });
    try {
      // A failing check to see: chasquid stopped (started again below, whatever happens).
      await guest('systemctl stop chasquid');
      await withWorkbench(
        'checks',
        {
          installVsix: true,
          workspaceFiles: { 'mailwright.yaml': uiYaml(vps) },
          settings: {
            'mailwright.dns.resolvers': dns.servers,
            'mailwright.dns.authoritative': dns.servers,
            'mailwright.dns.blocklists': false,
          },
        },
        async ({ page, screenshot, step }) => {
          await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
          await trustHostKey(page);
          step('host key trusted');
          const checksRow = treeRow(page, 'Health Checks');
          await checksRow.waitFor({ timeout: 60_000 });
          assert.match((await checksRow.locator('.label-description').textContent()) ?? '', /not checked/);

          await runCommand(page, 'Mail: Check Now');
          await eventually(async () => {
            const d = (await checksRow.locator('.label-description').textContent()) ?? '';
            assert.match(
              d,
              /^\d+ failed, \d+ warning\(s\) · checked /,
              `Health Checks description is "${d}"`,
            );
          }, 120_000);
          step(`checked: ${(await checksRow.locator('.label-description').textContent()) ?? ''}`);
          await expandRow(checksRow);

          // knot serves the MX: a passing row; chasquid is stopped: a failing one; the bootstrap
          // certificate is self-signed: a warning.
          await eventually(async () => {
            assert.equal(await iconOf(page, 'chasquid running'), 'error');
          }, 30_000);
          assert.equal(await iconOf(page, 'MX example.test'), 'pass');
          assert.equal(await iconOf(page, 'TLS certificate of'), 'warning');
          assert.equal(await iconOf(page, 'Health Checks'), 'error');
          await screenshot('checks-tree');

          const chasquidRow = treeRow(page, 'chasquid running');
          const hover = page
            .locator('.monaco-hover, .workbench-hover')
            .filter({ hasText: 'chasquid running' });
          // The tooltip: from the keyboard (VS Code's "show hover" chord on the focused row) or,
          // failing that, the mouse resting on the row.
          await eventually(async () => {
            await chasquidRow.click();
            await page.keyboard.press('Control+K');
            await page.keyboard.press('Control+I');
            if (!(await hover.first().isVisible())) {
              await page.mouse.move(700, 600);
              await chasquidRow.locator('.label-name').hover();
            }
            await hover.first().waitFor({ state: 'visible', timeout: 4_000 });
          }, 45_000);
          const tip = ((await hover.first().innerText()) ?? '').replace(/\u00a0/g, ' ');
          assert.match(tip, /chasquid: (inactive|failed)/, `tooltip: ${tip}`);
          assert.match(
            tip,
            /Fix: chasquid is (inactive|failed): see journalctl -u chasquid/,
            `tooltip: ${tip}`,
          );
          await screenshot('checks-tooltip');
          await page.keyboard.press('Escape');
          step('the failing row has the fix in its tooltip');
        },
      );
    } finally {
      await guest('systemctl start chasquid').catch(() => undefined);
      await dns.stop();
    }
  },
);
