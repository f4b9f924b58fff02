// The DNS Records node and panel in a real VS Code, on a provisioned sandbox, with a real knot
// serving example.test (MX, A, AAAA of the mail host) and the reverse zones (PTR): those rows
// must come out ok, the records nobody published (SPF, DKIM, DMARC) as errors, and the panel
// must show the same findings, explain the lack of a DNS provider and export a zone file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { tsigKey } from '../integration/acme-fixture';
import { startTestDns } from '../integration/dns-fixture';
import type { SandboxInstance } from '../integration/sandbox-instances';
import {
  expandRow,
  eventually,
  runCommand,
  runCommandUntilTaken,
  sandboxInstance,
  skipWithoutSandbox,
  treeRow,
  trustHostKey,
  withWorkbench,
} from './harness';
import { provisionSandbox, readSandbox, UI_DOMAIN, uiYaml } from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the DNS Records UI test');

function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
}

/** The codicon class of a row's icon (`codicon-pass`, `codicon-error`, …). */
async function iconOf(page: Page, label: string | RegExp): Promise<string> {
  const cls =
    (await treeRow(page, label).locator('.custom-view-tree-node-item-icon').getAttribute('class')) ?? '';
  return /codicon-([a-z-]+)/.exec(cls)?.[1] ?? cls;
}

test(
  'DNS Records: expected rows before a check, real findings with icons and tooltips after, and the panel',
  { skip, timeout: 15 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    const dns = await startTestDns(vps as unknown as SandboxInstance, { reverseZones: true });
    try {
      await withWorkbench(
        'dns',
        {
          installVsix: true,
          workspaceFiles: { 'mailwright.yaml': uiYaml(vps) },
          settings: {
            'mailwright.dns.resolvers': dns.servers,
            'mailwright.dns.authoritative': dns.servers,
          },
        },
        async ({ page, screenshot, step }) => {
          await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
          await trustHostKey(page);
          step('host key trusted');

          // Before any check: the records the domain needs, unchecked, with a Check DNS action.
          const domainRow = treeRow(page, UI_DOMAIN);
          await domainRow.waitFor({ timeout: 45_000 });
          await expandRow(domainRow);
          const dnsNode = treeRow(page, 'DNS Records');
          await dnsNode.waitFor({ timeout: 45_000 });
          await dnsNode.click();
          await eventually(async () => {
            assert.equal(await treeRow(page, 'MX').isVisible(), true, 'the MX row is listed');
          }, 60_000);
          assert.match(
            (await treeRow(page, 'MX').locator('.label-description').textContent()) ?? '',
            /not checked/,
          );
          assert.equal(await iconOf(page, 'MX'), 'circle-large-outline');
          assert.match((await dnsNode.locator('.label-description').textContent()) ?? '', /not checked/);
          await dnsNode.hover();
          assert.ok(
            await dnsNode.locator('.action-label[aria-label="Check DNS"]').isVisible(),
            'the DNS Records row offers Check DNS inline',
          );
          await screenshot('dns-tree-unchecked');
          step('expected records shown unchecked');

          // Mail: Check DNS from the palette: the tree rows get their status, the panel opens.
          await runCommand(page, 'Mail: Check DNS');
          await eventually(async () => {
            const d = (await dnsNode.locator('.label-description').textContent()) ?? '';
            assert.match(d, /^\d+ ok/, `DNS Records description is "${d}"`);
          }, 120_000);
          // "5 ok, 4 to fix · checked 10:12:03": the results with the time they were taken.
          const description = ((await dnsNode.locator('.label-description').textContent()) ?? '').trim();
          assert.match(description, / · checked \S/, description);
          const summary = description.replace(/ · checked .*$/, '');
          step(`checked: ${summary}`);
          assert.match(summary, /to fix/, 'SPF, DKIM and DMARC are not published: something to fix');

          // knot serves the MX and the mail host's addresses and PTRs: those are ok.
          assert.equal(await iconOf(page, 'MX'), 'pass');
          assert.match((await treeRow(page, 'MX').locator('.label-description').textContent()) ?? '', /· ok/);
          assert.equal(await iconOf(page, `A ${vps.ipv4}`), 'pass');
          assert.equal(await iconOf(page, `Reverse DNS ${vps.ipv4}`), 'pass');
          // Nobody published SPF or DMARC: errors, and the tooltip says what to do.
          assert.equal(await iconOf(page, 'SPF (TXT)'), 'error');
          assert.equal(await iconOf(page, 'DMARC (TXT)'), 'error');
          const dmarcRow = treeRow(page, 'DMARC (TXT)');
          assert.match((await dmarcRow.locator('.label-description').textContent()) ?? '', /· missing/);
          await screenshot('dns-tree-checked');

          // The row's tooltip: what was found, what is expected, the fix. A mouse hover does not
          // open reliably once the panel (a webview) has focus, so the row is focused as a
          // keyboard user would: a right-click (it runs no command), Escape, then VS Code's
          // "show hover" chord for the focused list row (Ctrl+K Ctrl+I).
          const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'DMARC (TXT)' });
          await eventually(async () => {
            await dmarcRow.click({ button: 'right' });
            await page.keyboard.press('Escape');
            await page.keyboard.press('Control+K');
            await page.keyboard.press('Control+I');
            await hover.first().waitFor({ state: 'visible', timeout: 3_000 });
          }, 30_000);
          const tip = ((await hover.first().innerText()) ?? '').replace(/\u00a0/g, ' ');
          assert.match(tip, /_dmarc\.example\.test: missing/, `DMARC tooltip: ${tip}`);
          assert.match(tip, /Found: nothing/, `DMARC tooltip: ${tip}`);
          assert.match(tip, /Expected: v=DMARC1; p=/, `DMARC tooltip: ${tip}`);
          assert.match(tip, /Fix: .*_dmarc\.example\.test/, `DMARC tooltip: ${tip}`);
          await screenshot('dns-tree-tooltip');
          await page.keyboard.press('Escape');
          step("the DMARC row's tooltip says found, expected and the fix");

          // The panel shows the same findings in the expected-vs-found table, with the fix.
          const view = panelFrame(page);
          const table = view.locator('table#records');
          await table.waitFor({ timeout: 60_000 });
          assert.equal(await view.locator('#summary').innerText(), summary);
          assert.equal(await view.locator('tr.record[data-id="mx"]').getAttribute('data-status'), 'ok');
          assert.equal(
            await view.locator('tr.record[data-id="dmarc"]').getAttribute('data-status'),
            'missing',
          );
          assert.match(
            await view.locator('tr.record[data-id="dmarc"] td.fix').innerText(),
            /_dmarc\.example\.test/,
          );
          assert.match(
            await view.locator('tr.record[data-id="mx"] td.found').innerText(),
            /10 smtp\.example\.test/,
          );
          assert.ok(await view.locator('tr.record[data-id="dmarc"] vscode-button.copy-value').isVisible());
          assert.ok(await view.locator('tr.record[data-id="dmarc"] vscode-button.copy-name').isVisible());
          // Each row explains what the record does (tag-by-tag DMARC notes come with a found record).
          const dmarcNotes = await view.locator('tr.notes[data-for="dmarc"]').innerText();
          assert.match(
            dmarcNotes,
            /what to do with mail that fails SPF and DKIM/,
            `DMARC explanation: ${dmarcNotes}`,
          );
          // No dns: provider in mailwright.yaml: the table is the manual instructions, and Publish is
          // disabled, its tooltip saying how to add a provider.
          assert.match(await view.locator('#manual').innerText(), /dns: \{ provider: cloudflare \}/);
          assert.equal(await view.locator('vscode-button#publish').getAttribute('disabled'), '');
          assert.match(
            (await view.locator('#publish-wrap').getAttribute('title')) ?? '',
            /dns: \{ provider: … \}/,
          );
          await screenshot('dns-panel');
          step('panel shows the findings');

          // Copy puts the exact value on the clipboard; the status bar confirms.
          await view.locator('tr.record[data-id="mx"] vscode-button.copy-value').click();
          await page
            .locator('.statusbar')
            .getByText(/Copied value for example\.test/)
            .waitFor({ timeout: 10_000 });

          // Export zone file: a new editor with the BIND lines.
          await view.locator('vscode-button#export-zone').click();
          const editor = page.locator('.editor-group-container .monaco-editor .view-lines');
          await eventually(async () => {
            const texts = (await editor.allTextContents()).join('\n').replace(/\u00a0/g, ' ');
            assert.match(texts, /_dmarc\.example\.test\./, `zone snippet: ${texts.slice(0, 300)}`);
          }, 20_000);
          await screenshot('dns-zone-export');
          step(`zone file exported for ${UI_DOMAIN}`);
        },
      );
    } finally {
      await dns.stop();
    }
  },
);

test(
  'DNS Records: Publish through RFC 2136 from the panel (dry run, confirm), then the records check ok',
  { skip, timeout: 15 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    const dns = await startTestDns(vps as unknown as SandboxInstance, { reverseZones: true });
    // A foreign record at the apex: publishing must leave it alone.
    const foreign = 'google-site-verification=ui-test-keep-me';
    await dns.setTxt(UI_DOMAIN, [foreign]);
    const key = tsigKey(dns);
    const host = (vps as unknown as SandboxInstance).hostIpv4;
    const yaml =
      uiYaml(vps) +
      `        dns: { provider: rfc2136, server: '${host}:53', keyName: ${key.keyName}, ttl: 5 }\n`;
    try {
      await withWorkbench(
        'dns-publish',
        {
          installVsix: true,
          workspaceFiles: { 'mailwright.yaml': yaml },
          settings: { 'mailwright.dns.resolvers': dns.servers, 'mailwright.dns.authoritative': dns.servers },
        },
        async ({ page, screenshot, step }) => {
          await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
          await trustHostKey(page);
          step('host key trusted');

          await runCommandUntilTaken(page, 'Mail: Check DNS');
          const view = panelFrame(page);
          const status = (id: string) =>
            view.locator(`tr.record[data-id="${id}"]`).getAttribute('data-status');
          await eventually(async () => {
            assert.equal(await status('spf'), 'missing');
          }, 120_000);
          step('checked: SPF missing before publishing');

          // Publish…: the credential is asked once (password box), then the dry run is shown.
          await view.locator('vscode-button#publish').click();
          const input = page.locator('.quick-input-widget input');
          await input.waitFor({ timeout: 20_000 });
          await input.fill(key.secret);
          await page.keyboard.press('Enter');
          const plan = view.locator('#publish-plan');
          await eventually(async () => {
            assert.equal(await plan.getAttribute('data-phase'), 'planned');
          }, 60_000);
          const planText = await plan.innerText();
          assert.match(planText, /_dmarc\.example\.test/, `the dry run lists DMARC: ${planText}`);
          assert.match(planText, /\._domainkey\.example\.test/, 'and the DKIM key');
          assert.equal(
            await view.locator('#publish-plan tr[data-op="delete"]').count(),
            0,
            'nothing deleted',
          );
          await screenshot('dns-publish-dry-run');
          step('dry run shown');

          // Nothing is written before the modal confirmation.
          assert.deepEqual(
            await dns
              .resolver()
              .resolveTxt(`_dmarc.${UI_DOMAIN}`)
              .catch(() => []),
            [],
          );
          await view.locator('vscode-button#apply-publish').click();
          const confirm = page
            .getByRole('dialog')
            .filter({ hasText: /change\(s\) to the DNS of example\.test/ });
          await confirm.waitFor({ timeout: 20_000 });
          await confirm.getByRole('button', { name: 'Publish', exact: true }).click();
          await eventually(async () => {
            assert.equal(await plan.getAttribute('data-phase'), 'published');
          }, 60_000);
          step('published');

          // Check again: what was published is now found, and the foreign TXT is still there.
          await view.locator('vscode-button#check').click();
          await eventually(async () => {
            for (const id of ['spf', 'spf-include', 'dmarc']) assert.equal(await status(id), 'ok', id);
            const dkim = view.locator('tr.record[data-id^="dkim:"]').first();
            assert.equal(await dkim.getAttribute('data-status'), 'ok', 'DKIM');
          }, 90_000);
          // The DKIM key found exactly as expected is not printed a second time.
          assert.match(
            await view.locator('tr.record[data-id^="dkim:"] td.found').first().innerText(),
            /^same as expected \(\d+ characters\)$/,
          );
          const apex = (await dns.resolver().resolveTxt(UI_DOMAIN)).map((r) => r.join(''));
          assert.ok(apex.includes(foreign), `the foreign TXT survived: ${apex.join(' | ')}`);
          await screenshot('dns-published-checked');
          step('records check ok after publishing');
        },
      );
    } finally {
      await dns.stop();
    }
  },
);
