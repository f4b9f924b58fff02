// The DANE rows in a real VS Code, on a provisioned sandbox with the test knot signing example.test
// (DNSSEC): the mail host gets a CA-issued certificate (not the self-signed bootstrap one, which
// has no TLSA record), and a DANE key rollover is under way on the server (its state file names
// that certificate's key and a next key). Check DNS then shows two TLSA rows: the served key's,
// published in knot (ok), and the next key's, not published yet (missing, a warning); the tree's
// DNS Records name them "DANE (TLSA)" and "DANE (TLSA), next key". The setting is dane-sandbox.ts's;
// the rollover here is only its state file (dane-rollover.test.ts runs one from the editor).
// Screenshots: test-results/ui/dns-tlsa.png, dns-tlsa-tree.png.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rolloverStatePath, ROLLOVER_DIR, type RolloverState } from '../../src/core/dane/rollover';
import { shellCommand, writeRemoteFileAtomic } from '../../src/core/remote';
import { sandboxInstance, skipWithoutSandbox, treeRow, trustHostKey, withWorkbench } from './harness';
import { checkDnsFromTree, DANE_TLSA_TTL, showDaneTreeRows, withDaneSandbox } from './dane-sandbox';
import { provisionSandbox, readSandbox, UI_DOMAIN, UI_MAIL_HOST, uiYaml } from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the DNS TLSA UI test');

test(
  'DNS panel: in a signed zone during a DANE key rollover, the current and the next TLSA rows',
  { skip, timeout: 15 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    await withDaneSandbox(vps, async ({ conn, dns, current }) => {
      // A rollover under way: its state file names the served key and a next key, not published.
      const next = 'ab'.repeat(32);
      const state: RolloverState = {
        version: 1,
        mailHost: UI_MAIL_HOST,
        startedAt: new Date().toISOString(),
        ttlSeconds: DANE_TLSA_TTL,
        current,
        next,
        publishedAt: new Date().toISOString(),
      };
      await conn.exec(shellCommand(['install', '-d', '-m', '0700', ROLLOVER_DIR]), { sudo: true });
      await writeRemoteFileAtomic(conn, rolloverStatePath(UI_MAIL_HOST), JSON.stringify(state), {
        mode: '0600',
        owner: 'root:root',
      });
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

          const row = await checkDnsFromTree(page, domainRow);
          assert.equal(await row('tlsa').getAttribute('data-status'), 'ok', 'the served key is published');
          assert.match(await row('tlsa').innerText(), new RegExp(`3 1 1 ${current}`));
          assert.equal(await row('tlsa:next').getAttribute('data-status'), 'missing');
          assert.match(await row('tlsa:next').innerText(), new RegExp(`3 1 1 ${next}`));
          await row('tlsa:next').scrollIntoViewIfNeeded();
          await screenshot('dns-tlsa');
          step('the panel: the current TLSA ok, the next one missing');

          // The tree's DNS Records say which row is which.
          await showDaneTreeRows(page, domainRow);
          await screenshot('dns-tlsa-tree');
          step('the tree: DANE (TLSA) and DANE (TLSA), next key');
        },
      );
    });
  },
);
