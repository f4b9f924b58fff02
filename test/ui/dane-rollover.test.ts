// Roll Over DANE Key… in a real VS Code, on a provisioned sandbox with the test knot signing
// example.test (DNSSEC) and a CA-issued certificate whose TLSA record knot serves
// (dane-sandbox.ts). The mail host has acme: settings (the rollover switches through ACME, which
// this test never reaches) and its domain the RFC 2136 provider to knot. From the server row's
// context menu: the TSIG secret is asked, the modal shows the stages, and the first run makes the
// next key on the server, publishes its TLSA record beside the current one and stops before the
// switch, the notification saying until when (the record's TTL). The server holds the staged key
// while port 25's certificate keeps the current one, Check DNS shows both TLSA rows ok, and the
// tree's DNS Records name them "DANE (TLSA)" and "DANE (TLSA), next key".
// Screenshots: test-results/ui/dane-rollover-confirm.png, -held.png, -dns.png, -tree.png.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { privateKeySpkiSha256 } from '../../src/core/acme/renewal';
import { certDir } from '../../src/core/chasquid/paths';
import { nextKeyPath, parseRolloverState, rolloverStatePath } from '../../src/core/dane/rollover';
import { certificateSpkiSha256 } from '../../src/core/dns/dane';
import { readRemoteFile, readRemoteFileIfExists } from '../../src/core/remote';
import { tsigKey } from '../integration/acme-fixture';
import type { SandboxInstance } from '../integration/sandbox-instances';
import { checkDnsFromTree, DANE_TLSA_TTL, showDaneTreeRows, withDaneSandbox } from './dane-sandbox';
import {
  chooseFromContextMenu,
  sandboxInstance,
  skipWithoutSandbox,
  toast,
  treeRow,
  trustHostKey,
  withWorkbench,
} from './harness';
import { provisionSandbox, readSandbox, UI_DOMAIN, UI_MAIL_HOST, uiYaml } from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the DANE key rollover UI test');

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test(
  'Roll Over DANE Key…: the stages confirmed, the next key staged and published through RFC 2136, held for the TTL',
  { skip, timeout: 10 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l.slice(0, 160)}`));
    await withDaneSandbox(vps, async ({ conn, dns, current }) => {
      const key = tsigKey(dns);
      const dnsHost = (vps as unknown as SandboxInstance).hostIpv4;
      const mailHostLine = `    mailHost: ${UI_MAIL_HOST}\n`;
      const base = uiYaml(vps);
      assert.ok(base.includes(mailHostLine), 'uiYaml() has the mail host line the acme: block follows');
      // The CA is never asked (the switch is not reached): an address that cannot resolve.
      const yaml =
        base.replace(
          mailHostLine,
          `${mailHostLine}    acme: { ca: 'https://acme.invalid/directory', challenge: dns-01 }\n`,
        ) +
        `        dns: { provider: rfc2136, server: '${dnsHost}:53', keyName: ${key.keyName}, ttl: ${DANE_TLSA_TTL} }\n`;
      await withWorkbench(
        'dane-rollover',
        {
          installVsix: true,
          workspaceFiles: { 'mailwright.yaml': yaml },
          settings: { 'mailwright.dns.resolvers': dns.servers, 'mailwright.dns.authoritative': dns.servers },
        },
        async ({ page, screenshot, step }) => {
          await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 90_000 });
          await trustHostKey(page);
          const hostRow = treeRow(page, /^sandbox$/);
          await hostRow.waitFor({ timeout: 45_000 });
          step('host key trusted');

          await chooseFromContextMenu(page, hostRow, 'Roll Over DANE Key…');
          const input = page.locator('.quick-input-widget input[type="password"]');
          await input.waitFor({ timeout: 30_000 });
          await input.fill(key.secret);
          await page.keyboard.press('Enter');
          const confirm = page
            .getByRole('dialog')
            .filter({ hasText: `Roll over the DANE key of ${UI_MAIL_HOST} on sandbox?` });
          await confirm.waitFor({ timeout: 60_000 });
          const stages = await confirm.locator('#monaco-dialog-message-detail').innerText();
          assert.match(stages, /→ next key made on the server \(a next key\), not served yet/, stages);
          assert.match(stages, /TLSA record of a next key published beside the current key/, stages);
          assert.match(
            stages,
            new RegExp(`switch waits the record's TTL \\(${DANE_TLSA_TTL} second\\(s\\)\\)`),
            stages,
          );
          assert.match(stages, /old record \(the current key\) removed/, stages);
          await screenshot('dane-rollover-confirm');
          // Nothing is made before the confirmation.
          assert.equal(await readRemoteFileIfExists(conn, rolloverStatePath(UI_MAIL_HOST)), null);
          await confirm.getByRole('button', { name: 'Roll Over', exact: true }).click();
          step('rollover confirmed');

          // Published and served at once by knot: the run stops before the switch, for the TTL.
          const held = toast(
            page,
            new RegExp(
              `DANE key rollover of ${escaped(UI_MAIL_HOST)}: both TLSA records are served\\. The certificate switches to the next key after .+ \\(the record's TTL\\): run Roll Over DANE Key again then\\.`,
            ),
          );
          await held.waitFor({ timeout: 120_000 });
          await screenshot('dane-rollover-held');
          step('held: the notification says when the switch may happen');

          // The server: the rollover's state, the next key staged outside chasquid's certificates,
          // and port 25's certificate still the current key.
          const text = await readRemoteFileIfExists(conn, rolloverStatePath(UI_MAIL_HOST));
          assert.ok(text, 'the rollover state is on the server');
          const state = parseRolloverState(text.toString('utf8'), UI_MAIL_HOST);
          assert.equal(state.current, current, 'the rollover began with the served key');
          assert.notEqual(state.next, current, 'a next key, not the current one');
          assert.equal(state.ttlSeconds, DANE_TLSA_TTL, "the wait is the record's TTL in knot");
          assert.ok(state.publishedAt, 'published through the provider');
          assert.ok(state.seenAt, 'seen on every authoritative server');
          assert.equal(state.switchedAt, undefined, 'not switched');
          const staged = await readRemoteFile(conn, nextKeyPath(UI_MAIL_HOST));
          assert.equal(privateKeySpkiSha256(staged), state.next, 'the staged key is the next key');
          const served = await readRemoteFile(conn, `${certDir(UI_MAIL_HOST)}/fullchain.pem`);
          assert.equal(
            certificateSpkiSha256(served.toString('utf8')),
            current,
            'the certificate keeps the current key',
          );

          // Check DNS: both TLSA rows, each published in knot.
          const domainRow = treeRow(page, UI_DOMAIN);
          const row = await checkDnsFromTree(page, domainRow);
          assert.equal(await row('tlsa').getAttribute('data-status'), 'ok', 'the current key is published');
          const currentRow = await row('tlsa').innerText();
          assert.match(currentRow, new RegExp(`3 1 1 ${current}`), currentRow);
          assert.equal(await row('tlsa:next').getAttribute('data-status'), 'ok', 'the next key is published');
          const nextRow = await row('tlsa:next').innerText();
          assert.match(nextRow, new RegExp(`3 1 1 ${state.next}`), nextRow);
          await row('tlsa:next').scrollIntoViewIfNeeded();
          await screenshot('dane-rollover-dns');
          step('Check DNS: the current and the next TLSA rows, both ok');
          await showDaneTreeRows(page, domainRow);
          await screenshot('dane-rollover-tree');
          step('the tree: DANE (TLSA) and DANE (TLSA), next key');
        },
      );
    });
  },
);
