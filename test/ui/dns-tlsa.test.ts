// The DANE rows in a real VS Code, on a provisioned sandbox with the test knot signing example.test
// (DNSSEC): the mail host gets a CA-issued certificate (not the self-signed bootstrap one, which
// has no TLSA record), and a DANE key rollover is under way on the server (its state file names
// that certificate's key and a next key). Check DNS then shows two TLSA rows: the served key's,
// published in knot (ok), and the next key's, not published yet (missing, a warning); the tree's
// DNS Records name them "DANE (TLSA)" and "DANE (TLSA), next key".
// Screenshots: test-results/ui/dns-tlsa.png, dns-tlsa-tree.png.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { certificateSpkiSha256, tlsaRecordName } from '../../src/core/dns/dane';
import { rolloverStatePath, ROLLOVER_DIR, type RolloverState } from '../../src/core/dane/rollover';
import { readRemoteFile, shellCommand, writeRemoteFileAtomic } from '../../src/core/remote';
import { startTestDns, type TestDns } from '../integration/dns-fixture';
import type { SandboxInstance } from '../integration/sandbox-instances';
import { issuedCertificate } from '../unit/certificates';
import {
  chooseFromContextMenu,
  eventually,
  sandboxInstance,
  skipWithoutSandbox,
  treeRow,
  trustHostKey,
  withWorkbench,
} from './harness';
import {
  provisionSandbox,
  readSandbox,
  rootConnection,
  UI_DOMAIN,
  UI_MAIL_HOST,
  uiYaml,
} from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the DNS TLSA UI test');

function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
}

test(
  'DNS panel: in a signed zone during a DANE key rollover, the current and the next TLSA rows',
  { skip, timeout: 15 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    // A certificate a CA issued (not self-signed), served after chasquid's restart, and a rollover under way.
    const issued = issuedCertificate(UI_MAIL_HOST);
    const current = certificateSpkiSha256(issued.cert)!;
    const next = 'ab'.repeat(32);
    const dir = `/etc/chasquid/certs/${UI_MAIL_HOST}`;
    const conn = rootConnection(vps);
    // The UI tests share the sandbox: its bootstrap certificate is put back afterwards.
    const original = {
      fullchain: await readRemoteFile(conn, `${dir}/fullchain.pem`),
      privkey: await readRemoteFile(conn, `${dir}/privkey.pem`),
    };
    const install = async (fullchain: string | Buffer, privkey: string | Buffer) => {
      await writeRemoteFileAtomic(conn, `${dir}/fullchain.pem`, fullchain, {
        mode: '0644',
        owner: 'root:root',
      });
      await writeRemoteFileAtomic(conn, `${dir}/privkey.pem`, privkey, {
        mode: '0640',
        owner: 'root:chasquid',
      });
      await conn.exec(shellCommand(['systemctl', 'restart', 'chasquid']), { sudo: true });
    };
    const restore = async () => {
      await install(original.fullchain, original.privkey);
      await conn.exec(shellCommand(['rm', '-rf', '--', ROLLOVER_DIR]), { sudo: true });
      conn.close();
    };
    try {
      await install(`${issued.cert}${issued.ca}`, issued.key);
      const state: RolloverState = {
        version: 1,
        mailHost: UI_MAIL_HOST,
        startedAt: new Date().toISOString(),
        ttlSeconds: 300,
        current,
        next,
        publishedAt: new Date().toISOString(),
      };
      await conn.exec(shellCommand(['install', '-d', '-m', '0700', ROLLOVER_DIR]), { sudo: true });
      await writeRemoteFileAtomic(conn, rolloverStatePath(UI_MAIL_HOST), JSON.stringify(state), {
        mode: '0600',
        owner: 'root:root',
      });
    } catch (error) {
      await restore();
      throw error;
    }
    let dns: TestDns | undefined;
    try {
      dns = await startTestDns(vps as unknown as SandboxInstance, { signed: true });
      await dns.update(UI_DOMAIN, [`update add ${tlsaRecordName(UI_MAIL_HOST)}. 300 TLSA 3 1 1 ${current}`]);
      const servers = dns.servers;
      await withWorkbench(
        'dns-tlsa',
        {
          installVsix: true,
          workspaceFiles: { 'mailwright.yaml': uiYaml(vps) },
          settings: {
            'mailwright.dns.resolvers': servers,
            'mailwright.dns.authoritative': servers,
          },
        },
        async ({ page, screenshot, step }) => {
          await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 90_000 });
          await trustHostKey(page);
          const domainRow = treeRow(page, UI_DOMAIN);
          await domainRow.waitFor({ timeout: 45_000 });
          step('host key trusted');

          await chooseFromContextMenu(page, domainRow, /^Check DNS/);
          const view = panelFrame(page);
          await eventually(async () => {
            assert.equal(await view.locator('#status').getAttribute('data-phase'), 'checked');
          }, 120_000);
          const row = (id: string) => view.locator(`tr.record[data-id="${id}"]`);
          assert.equal(await row('tlsa').getAttribute('data-status'), 'ok', 'the served key is published');
          assert.match(await row('tlsa').innerText(), new RegExp(`3 1 1 ${current}`));
          assert.equal(await row('tlsa:next').getAttribute('data-status'), 'missing');
          assert.match(await row('tlsa:next').innerText(), new RegExp(`3 1 1 ${next}`));
          await row('tlsa:next').scrollIntoViewIfNeeded();
          await screenshot('dns-tlsa');
          step('the panel: the current TLSA ok, the next one missing');

          // The tree's DNS Records say which row is which.
          const dnsNode = treeRow(page, 'DNS Records');
          if (!(await dnsNode.isVisible())) await domainRow.click();
          await dnsNode.waitFor({ timeout: 30_000 });
          await dnsNode.click();
          await treeRow(page, 'DANE (TLSA), next key').waitFor({ timeout: 30_000 });
          assert.ok(await treeRow(page, /^DANE \(TLSA\)$/).isVisible());
          await screenshot('dns-tlsa-tree');
          step('the tree: DANE (TLSA) and DANE (TLSA), next key');
        },
      );
    } finally {
      await dns?.stop();
      await restore();
    }
  },
);
