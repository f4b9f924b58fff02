// The certificate renewal offer (src/vscode/certificate-watch.ts) in a real VS Code: the sandbox
// gets an ACME certificate from pebble (scripts/testacme, 60-day certificates) through the core
// first; mailwright.yaml asks for renewal 61 days ahead, so that certificate is due. When the tree
// gathers the host's facts, a warning names the host and the reason; its Renew button opens the
// dashboard, whose plan gets a new certificate (HTTP-01: the server answers pebble on port 80, no
// credential needed); afterwards port 465 serves another serial, and the offer is not made again
// in the same session although the new certificate is just as due.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { HostConfig } from '../../src/core/config';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, planHost } from '../../src/core/plan';
import { planRenewal } from '../../src/core/plan/actions/acme-certificate';
import { MemorySecretStore } from '../../src/core/remote';
import { servedSerial, startTestAcme, type TestAcme } from '../integration/acme-fixture';
import { startTestDns, type TestDns } from '../integration/dns-fixture';
import type { SandboxInstance } from '../integration/sandbox-instances';
import { applyUntilDone, waitForPlan } from './dashboard-steps';
import {
  eventually,
  runCommand,
  sandboxInstance,
  skipWithoutSandbox,
  trustHostKey,
  withWorkbench,
} from './harness';
import {
  provisionSandbox,
  readSandbox,
  rootConnection,
  uiHost,
  uiYaml,
  UI_MAIL_HOST,
  type SandboxJson,
} from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the ACME renewal offer UI test');

// pebble's certificates last 60 days: renewing 61 days ahead makes a fresh one due.
const RENEW_BEFORE_DAYS = 61;

function acmeOf(acme: TestAcme) {
  return {
    ca: acme.directoryUrl,
    challenge: 'http-01' as const,
    renewBeforeDays: RENEW_BEFORE_DAYS,
    caCertificate: acme.tlsCaFile,
  };
}

function acmeYaml(vps: SandboxJson, acme: TestAcme): string {
  const a = acmeOf(acme);
  const mailHostLine = `    mailHost: ${UI_MAIL_HOST}\n`;
  const yaml = uiYaml(vps);
  assert.ok(yaml.includes(mailHostLine), 'uiYaml() has the mail host line the acme: block follows');
  return yaml.replace(
    mailHostLine,
    [
      mailHostLine + '    acme:',
      `      ca: ${a.ca}`,
      `      caCertificate: ${a.caCertificate}`,
      `      challenge: ${a.challenge}`,
      `      renewBeforeDays: ${a.renewBeforeDays}`,
      '',
    ].join('\n'),
  );
}

/** Puts a pebble certificate on the sandbox with the core (as a renewal weeks ago would have). */
async function installAcmeCertificate(vps: SandboxJson, host: HostConfig): Promise<void> {
  const conn = rootConnection(vps);
  try {
    const facts = await gatherFacts(conn);
    const plan = planHost(host, facts);
    assert.ok(
      plan.actions.some((a) => a.kind === 'acme-certificate'),
      `the core plans no ACME certificate: ${plan.actions.map((a) => a.title).join('; ')}`,
    );
    const r = await applyPlan(plan, {
      conn,
      host,
      secrets: new MemorySecretStore(),
      regather: () => gatherFacts(conn),
    });
    assert.ok(r.ok, `installing the first ACME certificate failed: ${JSON.stringify(r.failed)}`);
  } finally {
    conn.close();
  }
}

/** What planRenewal says about the sandbox now (the reason the offer would give, or none). */
async function renewalReasonNow(vps: SandboxJson, host: HostConfig): Promise<string | undefined> {
  const conn = rootConnection(vps);
  try {
    return planRenewal(host, await gatherFacts(conn)).actions[0]?.reason;
  } finally {
    conn.close();
  }
}

/** How often the Mailwright output channel logged freshly gathered facts of `host`. */
function factsGatheredCount(userDataDir: string, host: string): number {
  const logs = join(userDataDir, 'logs');
  let text = '';
  for (const entry of readdirSync(logs, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('Mailwright.log'))
      text += readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return text.split('\n').filter((l) => l.includes(`Facts of ${host}: `)).length;
}

function renewalToasts(page: Page, host: string) {
  return page
    .locator('.notifications-toasts .notification-toast')
    .filter({ hasText: `${host}: certificate expires in` });
}

test(
  'a certificate due for renewal is offered once; Renew plans and applies it in the dashboard and 465 serves a new one',
  { skip, timeout: 8 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    const inst = vps as unknown as SandboxInstance;
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    let dns: TestDns | undefined;
    let acme: TestAcme | undefined;
    try {
      // pebble resolves smtp.example.test through knot and fetches the HTTP-01 token from the guest.
      dns = await startTestDns(inst);
      acme = await startTestAcme(`h8ui-${process.pid}`, `${inst.hostIpv4}:53`);
      const host = { ...uiHost(vps), acme: acmeOf(acme) } as HostConfig;
      await installAcmeCertificate(vps, host);
      const reason = await renewalReasonNow(vps, host);
      assert.match(reason ?? '', /^certificate expires in \d+ days \(renewing 61 days ahead\)$/);
      const before465 = await servedSerial(inst, 465, acme.issuerRoot);
      assert.ok(before465, 'port 465 serves a certificate from pebble before the test');

      await withWorkbench(
        'acme-renewal',
        { installVsix: true, workspaceFiles: { 'mailwright.yaml': acmeYaml(vps, acme) } },
        async ({ page, screenshot, step, server }) => {
          await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
          await trustHostKey(page);
          step('host key trusted');

          // The tree's facts arrive: the offer names the host and says why.
          const toast = renewalToasts(page, 'sandbox').first();
          await toast.waitFor({ timeout: 60_000 });
          const offer = (await toast.locator('.notification-list-item-message').innerText()).trim();
          assert.equal(offer, `sandbox: ${reason}`);
          assert.ok(
            await toast.locator('.codicon-warning, .codicon-notifications-warning').count(),
            'the offer is a warning',
          );
          await screenshot('acme-renewal-offer');
          step(`offered: ${offer}`);

          await toast.getByRole('button', { name: 'Renew', exact: true }).click();
          const titles = await waitForPlan(page);
          step(`plan: ${titles.join(' | ')}`);
          assert.ok(
            titles.some((t) =>
              t.startsWith(`Get a certificate for ${UI_MAIL_HOST} from ${acme!.directoryUrl} (http-01)`),
            ),
            `the dashboard plans the ACME certificate: ${titles.join(' | ')}`,
          );
          assert.ok(
            titles.some((t) => /serve the new certificate/.test(t)),
            'and checks that it is served',
          );
          const run = await applyUntilDone(page, { step, timeoutMs: 3 * 60_000 });
          assert.deepEqual(run.askedPasswordFor, [], 'HTTP-01 needs no credential and alice exists');
          assert.ok(
            run.statuses.every((s) => s === 'done'),
            `every step done: ${run.statuses.join(', ')}`,
          );
          await screenshot('acme-renewal-dashboard-done');

          const after465 = await servedSerial(inst, 465, acme!.issuerRoot);
          assert.ok(after465, 'port 465 serves a certificate from pebble after the run');
          assert.notEqual(after465, before465, 'the served certificate is the renewed one');
          assert.equal(await servedSerial(inst, 587, acme!.issuerRoot), after465, '587 serves it too');
          step(`served serial ${before465} -> ${after465}`);

          // The renewed certificate is due too (60 days < 61): only "once per session" keeps the
          // offer away when the facts come again.
          assert.match(
            (await renewalReasonNow(vps, host)) ?? '',
            /^certificate expires in \d+ days/,
            'the new certificate is still due, so a missing offer means it was not repeated',
          );
          const gathered = factsGatheredCount(server.userDataDir, 'sandbox');
          await page.keyboard.press('Escape');
          await runCommand(page, 'Mail: Refresh');
          await eventually(async () => {
            assert.ok(
              factsGatheredCount(server.userDataDir, 'sandbox') > gathered,
              'the facts are gathered again after Mail: Refresh',
            );
          }, 60_000);
          step('facts gathered again');
          // The watcher answers a facts change within milliseconds; give it ample time.
          await page.waitForTimeout(3_000);
          assert.equal(await renewalToasts(page, 'sandbox').count(), 0, 'no second offer as a toast');
          await runCommand(page, 'Notifications: Show Notifications');
          const center = page.locator('.notifications-center');
          await center.waitFor({ timeout: 10_000 });
          assert.equal(
            await center
              .locator('.notification-list-item')
              .filter({ hasText: 'certificate expires in' })
              .count(),
            0,
            'no second offer in the notification center',
          );
          step('not offered again');
        },
      );
    } finally {
      await acme?.stop();
      await dns?.stop();
    }
  },
);
