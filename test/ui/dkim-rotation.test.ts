// Rotate DKIM Key… in a real VS Code, on a provisioned sandbox with a real knot serving
// example.test. First without a dns: provider, from the domain's context menu: the stages are
// confirmed in a modal, the new record opens in an editor to publish by hand, and the run (waiting
// for that record) is cancelled — chasquid still signs with the old key. Then, with the RFC 2136
// provider in mailwright.yaml, from the palette: the same rotation continues (no second key), its
// record is published to knot, chasquid switches, and the notification says until when the old
// record and key stay. The server is read to check each of these.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { installedDkimKeys } from '../../src/core/dkim/installed';
import { ROTATION_DIR, rotationStatePath } from '../../src/core/dkim/rotation';
import { gatherFacts } from '../../src/core/facts';
import { planHost } from '../../src/core/plan';
import { readRemoteFileIfExists, shellScript } from '../../src/core/remote';
import { tsigKey } from '../integration/acme-fixture';
import { startTestDns } from '../integration/dns-fixture';
import type { SandboxInstance } from '../integration/sandbox-instances';
import {
  chooseFromContextMenu,
  eventually,
  runCommand,
  sandboxInstance,
  skipWithoutSandbox,
  toast,
  treeRow,
  trustHostKey,
  withWorkbench,
} from './harness';
import {
  provisionSandbox,
  readSandbox,
  rootConnection,
  UI_DOMAIN,
  uiHost,
  uiYaml,
} from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the DKIM rotation UI test');

test(
  'Rotate DKIM Key…: the record to publish by hand, cancel, then the rotation continues through RFC 2136',
  { skip, timeout: 10 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l.slice(0, 160)}`));
    const conn = rootConnection(vps);
    // A rotation left by an earlier run would change the first steps: start from none.
    await conn.exec(shellScript('rm -rf -- "$1"', [ROTATION_DIR]));
    const signing = async () =>
      (await installedDkimKeys(conn, 'native-dkim', UI_DOMAIN)).map((k) => k.selector).sort();
    const oldSelectors = await signing();
    assert.ok(oldSelectors.length > 0, 'the provisioned domain signs with a DKIM key');
    const dns = await startTestDns(vps as unknown as SandboxInstance);
    const key = tsigKey(dns);
    const dnsHost = (vps as unknown as SandboxInstance).hostIpv4;
    try {
      await withWorkbench(
        'dkim-rotation',
        {
          installVsix: true,
          workspaceFiles: { 'mailwright.yaml': uiYaml(vps) },
          settings: { 'mailwright.dns.resolvers': dns.servers, 'mailwright.dns.authoritative': dns.servers },
        },
        async ({ server, page, screenshot, step }) => {
          await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
          await trustHostKey(page);
          step('host key trusted');

          // No dns: provider. The domain's context menu.
          const domainRow = treeRow(page, UI_DOMAIN);
          await domainRow.waitFor({ timeout: 45_000 });
          await chooseFromContextMenu(page, domainRow, 'Rotate DKIM Key…');
          const confirm = page
            .getByRole('dialog')
            .filter({ hasText: `Rotate the DKIM key of ${UI_DOMAIN} on sandbox?` });
          await confirm.waitFor({ timeout: 60_000 });
          const stages = await confirm.locator('#monaco-dialog-message-detail').innerText();
          assert.match(stages, /→ new key generated \(a new selector\), not signing yet/, stages);
          assert.match(
            stages,
            /old record and key \(the current selector\(s\)\) kept for 7 day\(s\)/,
            stages,
          );
          await screenshot('dkim-rotation-confirm');
          // Nothing is made before the confirmation.
          assert.equal(await readRemoteFileIfExists(conn, rotationStatePath(UI_DOMAIN)), null);
          await confirm.getByRole('button', { name: 'Rotate', exact: true }).click();
          step('rotation confirmed');

          // The new record opens in an editor, to be copied to the DNS host.
          const editor = page.locator('.editor-group-container .monaco-editor .view-lines');
          let document = '';
          await eventually(async () => {
            document = (await editor.allTextContents()).join('\n').replace(/\u00a0/g, ' ');
            assert.match(document, /Publish these records at the DNS host of example\.test/, document);
            assert.match(document, /mw\d{8}\w*\._domainkey\.example\.test\. TXT "v=DKIM1; k=/, document);
          }, 60_000);
          const newSelectors = [...document.matchAll(/(mw\d{8}\w*)\._domainkey\.example\.test\./g)]
            .map((m) => m[1]!)
            .sort();
          assert.equal(newSelectors.length, oldSelectors.length, 'one new key per key signing now');
          for (const s of newSelectors) assert.ok(!oldSelectors.includes(s), `${s} is a new selector`);
          step(`record to publish shown: ${newSelectors.join(', ')}`);

          // The run waits for that record on knot, which never gets it: cancelled.
          const running = toast(page, /Rotating the DKIM key of example\.test/);
          await running.waitFor({ timeout: 30_000 });
          await eventually(async () => {
            const text = await running.innerText();
            assert.match(text, /Waiting until every authoritative server of example\.test serves/, text);
          }, 30_000);
          await screenshot('dkim-rotation-publish-by-hand');
          await running.hover();
          await running.getByRole('button', { name: 'Cancel' }).click({ timeout: 10_000 });
          await toast(page, /The DKIM key rotation of example\.test was cancelled/).waitFor({
            timeout: 30_000,
          });
          step('cancelled while waiting for the record');
          assert.deepEqual(await signing(), oldSelectors, 'chasquid still signs with the old key');
          const state = await readRemoteFileIfExists(conn, rotationStatePath(UI_DOMAIN));
          assert.ok(state, 'the generated stage is kept on the server');
          for (const s of newSelectors) assert.match(state.toString('utf8'), new RegExp(`"${s}"`));

          // The RFC 2136 provider added: the palette's command continues the same rotation.
          writeFileSync(
            join(server.workspace, 'mailwright.yaml'),
            uiYaml(vps) +
              `        dns: { provider: rfc2136, server: '${dnsHost}:53', keyName: ${key.keyName}, ttl: 5 }\n`,
          );
          await runCommand(page, 'Mail: Rotate DKIM Key…');
          const input = page.locator('.quick-input-widget input[type="password"]');
          await input.waitFor({ timeout: 20_000 });
          await input.fill(key.secret);
          await page.keyboard.press('Enter');
          const resume = page
            .getByRole('dialog')
            .filter({ hasText: `Continue the DKIM key rotation of ${UI_DOMAIN} on sandbox?` });
          await resume.waitFor({ timeout: 60_000 });
          const resumed = await resume.locator('#monaco-dialog-message-detail').innerText();
          assert.match(resumed, /✓ new key generated \(.*\), not signing yet/, resumed);
          for (const s of newSelectors) assert.ok(resumed.includes(s), `the same new key ${s}: ${resumed}`);
          assert.match(resumed, /→ record of .* published/, resumed);
          await resume.getByRole('button', { name: 'Continue', exact: true }).click();
          const switched = toast(
            page,
            /example\.test now signs with its new DKIM key\. The old record and key stay until/,
          );
          await switched.waitFor({ timeout: 180_000 });
          await screenshot('dkim-rotation-switched');
          step('switched: the notification says until when the old key stays');

          assert.deepEqual(await signing(), newSelectors, 'chasquid signs with the new key(s) only');
          for (const s of newSelectors) {
            const txt = (await dns.resolver().resolveTxt(`${s}._domainkey.${UI_DOMAIN}`)).map((r) =>
              r.join(''),
            );
            assert.equal(txt.length, 1, `${s} published on knot`);
            assert.match(txt[0]!, /^v=DKIM1; k=/);
          }
          const kept = await conn.exec(shellScript('ls -1 -- "$1"', [`${ROTATION_DIR}/${UI_DOMAIN}`]));
          for (const s of oldSelectors)
            assert.match(kept.stdout, new RegExp(`^${s}\\.pem$`, 'm'), 'old key kept');
          // Provisioning again keeps the rotated key: nothing to plan.
          const plan = planHost(uiHost(vps), await gatherFacts(conn));
          assert.deepEqual(
            plan.actions.map((a) => a.id),
            [],
            'the plan after the rotation is empty',
          );
        },
      );
    } finally {
      // The sandbox stays provisioned (signing with the new keys); the rotation's leftovers go.
      await conn.exec(shellScript('rm -rf -- "$1"', [ROTATION_DIR])).catch(() => undefined);
      conn.close();
      await dns.stop();
    }
  },
);
