// The Reports panel in a real VS Code, on the provisioned sandbox: a domain with reports: keep has
// a Reports row; clicking it reads the reports kept on the server (two report mails placed in the
// store as chasquid's pipe alias leaves them) and shows the sending sources, the failing one first.
// The store is put back as it was found. Screenshot: test-results/ui/reports-panel.png.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { shellScript } from '../../src/core/remote';
import { REPORT_STORE_DIR } from '../../src/core/reports/store';
import { summariseStore } from '../../src/core/reports/stored';
import { reportMail } from '../unit/report-mail';
import {
  eventually,
  sandboxInstance,
  skipWithoutSandbox,
  treeRow,
  trustHostKey,
  withWorkbench,
} from './harness';
import { provisionSandbox, readSandbox, rootConnection, UI_DOMAIN, uiYaml } from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the Reports panel UI test');

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/reports', name), 'utf8');

const panelFrame = (page: Page) =>
  page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');

test(
  'Reports panel: the Reports row of a domain that keeps its reports shows the failing source first',
  { skip, timeout: 15 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    const messages = [
      reportMail({
        to: `postmaster@${UI_DOMAIN}`,
        attachment: Buffer.from(
          zipSync({ [`google.com!${UI_DOMAIN}!1.xml`]: Buffer.from(fixture('google-aggregate.xml')) }),
        ),
        filename: 'google.zip',
        contentType: 'application/zip',
      }),
      reportMail({
        to: `postmaster@${UI_DOMAIN}`,
        attachment: gzipSync(fixture('microsoft-aggregate.xml')),
        filename: 'microsoft.xml.gz',
        contentType: 'application/gzip',
      }),
    ];
    // What the panel must show first, from the same mails: the source failing most.
    const expected = summariseStore(
      {
        messages: messages.map((bytes, i) => ({ name: `${UI_DOMAIN}/${i}.eml`, bytes })),
        tooLarge: [],
        skipped: [],
        dropped: {},
      },
      [UI_DOMAIN],
    ).summaries[0]!.sources[0]!;
    assert.ok(expected.messages > expected.dmarcPass, 'the fixtures have a failing source');

    const conn = rootConnection(vps);
    const dir = `${REPORT_STORE_DIR}/${UI_DOMAIN}`;
    const existed =
      (
        await conn.exec(shellScript('[ -e "$1" ] && echo yes', [REPORT_STORE_DIR]), { check: false })
      ).stdout.trim() === 'yes';
    try {
      await conn.exec(
        shellScript('install -d -o chasquid -g chasquid -m 0700 "$1" "$2"', [REPORT_STORE_DIR, dir]),
      );
      for (const [i, bytes] of messages.entries()) {
        await conn.exec(
          shellScript('umask 077; cat > "$1" && chown chasquid:chasquid "$1"', [
            `${dir}/20261201T00000${i}Z-ui.eml`,
          ]),
          { stdin: bytes },
        );
      }
      const yaml = uiYaml(vps).replace(/\n$/, `\n        reports: { keep: true }\n`);
      await withWorkbench(
        'reports',
        { installVsix: true, workspaceFiles: { 'mailwright.yaml': yaml } },
        async ({ page, screenshot, step }) => {
          await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 90_000 });
          await trustHostKey(page);
          const domainRow = treeRow(page, UI_DOMAIN);
          await domainRow.waitFor({ timeout: 45_000 });
          const reportsRow = treeRow(page, /^Reports$/);
          await eventually(async () => {
            if (!(await reportsRow.isVisible())) await domainRow.click();
            await reportsRow.waitFor({ timeout: 3_000 });
          }, 30_000);
          step('the domain has a Reports row');
          // A click on a row the tree is redrawing (facts arriving) can select it without running
          // its command: clicked again while no panel has opened.
          const view = panelFrame(page);
          const first = view.locator('#sources tbody tr').first();
          await eventually(async () => {
            if ((await page.locator('iframe.webview').count()) === 0) await reportsRow.click();
            await first.waitFor({ timeout: 15_000 });
          }, 90_000);
          assert.equal(await first.locator('.ip').innerText(), expected.ip);
          assert.equal(await first.getAttribute('class'), 'failing');
          assert.equal(
            Number(await first.locator('td.count').innerText()),
            expected.messages - expected.dmarcPass,
          );
          assert.match(await view.locator('#status').innerText(), /^2 DMARC report\(s\), 0 TLS report\(s\)/);
          step(`the failing source ${expected.ip} is first`);
          await page.mouse.move(900, 700); // no tooltip over the table
          await screenshot('reports-panel');
        },
      );
    } finally {
      // As found: the reports placed here removed, and the store too when there was none.
      await conn.exec(shellScript(existed ? 'rm -rf -- "$2"' : 'rm -rf -- "$1"', [REPORT_STORE_DIR, dir]), {
        check: false,
      });
      conn.close();
    }
  },
);
