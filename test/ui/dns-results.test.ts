// The DNS panel in a real VS Code, on a provisioned sandbox with a real knot serving example.test:
// Check DNS from the domain's context menu opens the panel with the results; the table fits the
// panel at 1440 px and in a split editor (names wrap at their dots, the fix under the record);
// Publish is disabled without a dns: provider and says how to add one; and the results stay
// (with their time) when mailwright.yaml changes in a way that does not touch DNS (an alias).
// Screenshots: test-results/ui/dns-results-*.png.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { startTestDns } from '../integration/dns-fixture';
import type { SandboxInstance } from '../integration/sandbox-instances';
import {
  chooseFromContextMenu,
  eventually,
  sandboxInstance,
  skipWithoutSandbox,
  treeRow,
  trustHostKey,
  withWorkbench,
} from './harness';
import { provisionSandbox, readSandbox, UI_DOMAIN, UI_USER, uiYaml } from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the DNS results UI test');

function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
}

/** How the table sits in the panel: overflow, and where a record's cells are. */
async function layout(view: FrameLocator, id: string) {
  // No helper functions inside: the page runs this source as it is.
  return view.locator('body').evaluate((body, rowId) => {
    const doc = body.ownerDocument;
    const win = doc.defaultView!;
    const row = doc.querySelector(`tr.record[data-id="${rowId}"]`)!;
    const nameCode = row.querySelector('td.name code')!;
    const name = nameCode.getBoundingClientRect();
    const fix = row.querySelector('td.fix')!.getBoundingClientRect();
    const lineHeight = parseFloat(win.getComputedStyle(nameCode).lineHeight);
    return {
      width: doc.documentElement.clientWidth,
      scrollWidth: doc.documentElement.scrollWidth,
      tableRight: doc.querySelector('table#records')!.getBoundingClientRect().right,
      fixRight: fix.right,
      fixTop: fix.top,
      nameBottom: name.bottom,
      nameLines: lineHeight ? Math.round(name.height / lineHeight) : 0,
      nameWidth: name.width,
      display: win.getComputedStyle(row).display,
    };
  }, id);
}

test(
  'DNS panel: Check DNS from the domain menu opens the results, the table fits at 1440 px and in a split editor, results survive an alias',
  { skip, timeout: 15 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    const dns = await startTestDns(vps as unknown as SandboxInstance, { reverseZones: true });
    try {
      await withWorkbench(
        'dns-results',
        {
          installVsix: true,
          workspaceFiles: { 'mailwright.yaml': uiYaml(vps) },
          settings: {
            'mailwright.dns.resolvers': dns.servers,
            'mailwright.dns.authoritative': dns.servers,
          },
        },
        async ({ page, screenshot, step, server }) => {
          await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 90_000 });
          await trustHostKey(page);
          const domainRow = treeRow(page, UI_DOMAIN);
          await domainRow.waitFor({ timeout: 45_000 });
          step('host key trusted');

          // Check DNS from the domain's context menu: the panel opens and shows the results.
          await chooseFromContextMenu(page, domainRow, /^Check DNS/);
          const view = panelFrame(page);
          await eventually(async () => {
            assert.equal(await view.locator('#status').getAttribute('data-phase'), 'checked');
          }, 120_000);
          const summary = (await view.locator('#summary').innerText()).trim();
          assert.match(summary, /^\d+ ok/, `the panel shows the check's summary: ${summary}`);
          assert.equal(await view.locator('tr.record[data-id="mx"]').getAttribute('data-status'), 'ok');
          step(`checked from the domain's menu: ${summary}`);

          // 1440 px: nothing wider than the panel; the Fix column ends inside it.
          const wide = await layout(view, 'dmarc');
          assert.ok(
            wide.scrollWidth <= wide.width,
            `no horizontal scrolling at 1440 px: ${JSON.stringify(wide)}`,
          );
          assert.ok(
            wide.fixRight <= wide.width + 1,
            `the Fix column is not clipped: ${JSON.stringify(wide)}`,
          );
          assert.ok(wide.tableRight <= wide.width + 1, JSON.stringify(wide));

          // No dns: provider: Publish is disabled, and says how to add one.
          assert.equal(await view.locator('vscode-button#publish').getAttribute('disabled'), '');
          assert.match(
            (await view.locator('#publish-wrap').getAttribute('title')) ?? '',
            /dns: \{ provider: … \} under the domain in mailwright\.yaml/,
          );
          await screenshot('dns-results-1440');
          step('1440 px: the table fits; Publish disabled with the way to add a provider');

          // The DNS Records row keeps the results with their time ...
          const dnsNode = treeRow(page, 'DNS Records');
          if (!(await dnsNode.isVisible())) await domainRow.click();
          await dnsNode.waitFor({ timeout: 30_000 });
          const description = async () =>
            ((await dnsNode.locator('.label-description').textContent()) ?? '').trim();
          await eventually(async () => assert.match(await description(), /^\d+ ok.* · checked /), 30_000);
          const checked = await description();

          // ... through a change of mailwright.yaml that makes no other record: an alias (what Add Alias writes).
          const yamlPath = join(server.workspace, 'mailwright.yaml');
          const yaml = readFileSync(yamlPath, 'utf8');
          writeFileSync(
            yamlPath,
            yaml.replace('        aliases:\n', `        aliases:\n          sales: ${UI_USER}\n`),
          );
          await eventually(async () => {
            assert.ok(await treeRow(page, 'sales').isVisible(), 'the tree shows the new alias');
          }, 30_000);
          // Give a reset the time it would take to show.
          await page.waitForTimeout(3_000);
          assert.equal(await description(), checked, 'the DNS results were kept');
          assert.equal((await view.locator('#summary').innerText()).trim(), summary);
          assert.equal(await view.locator('tr.record[data-id="mx"]').getAttribute('data-status'), 'ok');
          await screenshot('dns-results-kept');
          step(`results kept after the alias: ${checked}`);

          // A split editor: Export zone file opens beside the panel, which gets about half the width.
          await view.locator('vscode-button#export-zone').click();
          await page.locator('.editor-group-container').nth(1).waitFor({ timeout: 20_000 });
          await eventually(async () => {
            const narrow = await layout(view, 'dmarc');
            assert.ok(narrow.width < 760, `the panel is narrow: ${JSON.stringify(narrow)}`);
            assert.ok(
              narrow.scrollWidth <= narrow.width,
              `no horizontal scrolling: ${JSON.stringify(narrow)}`,
            );
            // The record is a block: the fix below its name, not in a squeezed column beside it.
            assert.equal(narrow.display, 'grid', JSON.stringify(narrow));
            assert.ok(narrow.fixTop >= narrow.nameBottom, JSON.stringify(narrow));
            // "_dmarc.example.test" on one or two lines, never a character per line.
            assert.ok(narrow.nameLines <= 2 && narrow.nameWidth > 80, JSON.stringify(narrow));
          }, 20_000);
          await screenshot('dns-results-split');
          step('split editor: records as blocks, nothing clipped');
        },
      );
    } finally {
      await dns.stop();
    }
  },
);
