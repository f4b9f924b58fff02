// "Mail: Add Server" in a real VS Code, from an empty workspace to a provisioned sandbox, the way
// a person does it: the welcome view's button, every step of the quick input (target, key auth,
// host key checked against the sandbox's real keys, mail host, first domain, the certificate:
// DNS-01's extra steps visited and left with Back, then the default Let's Encrypt HTTP-01),
// mailwright.yaml on disk with its acme: block, then the notification's Provision Now button
// opening the dashboard, whose plan gets the certificate from the CA over HTTP-01 and applies
// (pebble stands in for Let's Encrypt, unreachable here: the test points acme.ca at it), 465
// serving that certificate, the domain with its DNS Records in the tree, and a user added from
// the tree.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { parse, parseDocument } from 'yaml';
import { removeUser, usersPath } from '../../src/core/plan/actions/domains';
import { readRemoteFile } from '../../src/core/remote';
import { servedSerial, startTestAcme, type TestAcme } from '../integration/acme-fixture';
import { startTestDns, type TestDns } from '../integration/dns-fixture';
import type { SandboxInstance as IntegrationInstance } from '../integration/sandbox-instances';
import { applyUntilDone, waitForPlan } from './dashboard-steps';
import {
  eventually,
  expandRow,
  itemLabels,
  fingerprintOf,
  sandboxInstance,
  skipWithoutSandbox,
  treeRow,
  withWorkbench,
  type SandboxInstance,
} from './harness';
import {
  readSandbox,
  removeMailHostCertificate,
  rootConnection,
  UI_DOMAIN,
  UI_MAIL_HOST,
} from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the Add Server UI test');

const TITLE = 'Add Mail Server';
const TOTAL_STEPS = 6;
/** Add Server names the host after the mail host's second label (smtp.example.test → example). */
const HOST_LABEL = 'example';
const NEW_USER = 'bob';
const NEW_USER_PASSWORD = 'a long enough test password';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A tree row whose label is exactly `label` (a RegExp as given). */
function exactRow(page: Page, label: string | RegExp): Locator {
  return treeRow(page, typeof label === 'string' ? new RegExp(`^${escapeRegExp(label)}$`) : label);
}

/** The codicon of a tree row's icon (`pass`, `error`, `circle-large-outline`, …). */
async function iconOf(row: Locator): Promise<string> {
  const cls = (await row.locator('.custom-view-tree-node-item-icon').getAttribute('class')) ?? '';
  return /codicon-([a-z-]+)/.exec(cls)?.[1] ?? '';
}

const quickInput = (page: Page) => page.locator('.quick-input-widget');

/** Waits until the quick input shows "Add Mail Server (n/total)" and returns its text box. */
async function addServerStep(page: Page, n: number, total = TOTAL_STEPS): Promise<Locator> {
  const title = quickInput(page).locator('.quick-input-title');
  await eventually(async () => {
    assert.ok(await quickInput(page).isVisible(), 'the quick input is open');
    const text = (await title.textContent()) ?? '';
    assert.equal(text.trim(), `${TITLE} (${n}/${total})`, `quick input title is "${text}"`);
  }, 60_000);
  return quickInput(page).locator('input.input').first();
}

/** The labels of the quick pick's items, in order. */
async function pickLabels(page: Page): Promise<string[]> {
  return itemLabels(quickInput(page));
}

function pickItem(page: Page, label: string): Locator {
  return quickInput(page)
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
}

async function pressBack(page: Page): Promise<void> {
  // VS Code labels it "Back (<its keybinding>)".
  await quickInput(page).locator('.quick-input-left-action-bar .action-label[aria-label^="Back"]').click();
}

const HTTP_01 = "Let's Encrypt (HTTP-01)";
const DNS_01 = "Let's Encrypt (DNS-01)";

/** What the quick input says under its box (the prompt, or the validation message). */
async function quickInputMessage(page: Page): Promise<string> {
  return ((await quickInput(page).locator('.quick-input-message').textContent()) ?? '').trim();
}

/** Types value into the step's box like a person (not fill: keystrokes run the validation). */
async function typeInto(input: Locator, value: string): Promise<void> {
  await input.focus();
  await input.press('ControlOrMeta+a');
  await input.press('Backspace');
  await input.pressSequentially(value);
}

/**
 * The modal host-key dialog: checks that it names the target and shows one of the sandbox's real
 * host keys (the fingerprint a person would compare), then trusts it.
 */
async function confirmHostKey(
  page: Page,
  vps: SandboxInstance,
  screenshot: (n: string) => Promise<string>,
): Promise<string> {
  const dialog = page.getByRole('dialog').filter({ hasText: 'Mailwright: unknown host key for' });
  await dialog.waitFor({ timeout: 60_000 });
  const text = await dialog.innerText();
  assert.match(text, new RegExp(`unknown host key for ${escapeRegExp(`${vps.ipv4}:${vps.port}`)}`));
  const shown = /SHA256:[A-Za-z0-9+/]{43}/.exec(text)?.[0];
  assert.ok(shown, `no SHA256 fingerprint in the dialog:\n${text}`);
  const real = vps.hostKeys.map(fingerprintOf);
  const match = real.find((k) => k.fingerprint === shown);
  assert.ok(
    match,
    `the dialog shows ${shown}, none of the sandbox's host keys:\n` +
      real.map((k) => `  ${k.type} ${k.fingerprint}`).join('\n'),
  );
  await screenshot('add-server-4-host-key');
  await dialog.getByRole('button', { name: 'Trust and Connect' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
  return `${match.type} ${shown}`;
}

test(
  'Add Server from an empty workspace through the quick input, then provision it in the dashboard',
  { skip, timeout: 20 * 60_000 },
  async () => {
    const vps = instance!;
    const target = `root@${vps.ipv4}:${vps.port}`;
    let addedUser = false;
    let dns: TestDns | undefined;
    let acme: TestAcme | undefined;
    try {
      // Whatever an earlier test left: no certificate, as on a new server.
      await removeMailHostCertificate(readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!));
      // pebble resolves smtp.example.test through knot and fetches the HTTP-01 token from the guest.
      const integration = vps as unknown as IntegrationInstance;
      dns = await startTestDns(integration);
      acme = await startTestAcme(`hgui-${process.pid}`, `${integration.hostIpv4}:53`);
      const ca = acme;
      await withWorkbench('add-server', { installVsix: true }, async ({ page, server, screenshot, step }) => {
        const yamlPath = join(server.workspace, 'mailwright.yaml');
        assert.equal(existsSync(yamlPath), false, 'the workspace starts empty');

        // An empty workspace: the Mail view welcomes with an Add Server button.
        await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
        const welcome = page.locator('.welcome-view-content').filter({ hasText: 'No mail server yet' });
        await welcome.waitFor({ timeout: 30_000 });
        await screenshot('add-server-0-welcome');
        await welcome.getByRole('button', { name: 'Add Server' }).click();
        step('clicked Add Server in the welcome view');

        // 1/6: the SSH target. A wrong one is refused with an example, and the step stays.
        let input = await addServerStep(page, 1);
        await typeInto(input, 'root@');
        await eventually(async () => {
          assert.match(await quickInputMessage(page), /Not a valid SSH target: .*Example: root@/);
        }, 10_000);
        await input.press('Enter');
        await addServerStep(page, 1);
        await typeInto(input, target);
        await eventually(async () => {
          assert.doesNotMatch(await quickInputMessage(page), /Not a valid/);
        }, 10_000);
        await screenshot('add-server-1-target');
        await input.press('Enter');
        step(`target ${target}`);

        // 2/6: how to log in: the private key file.
        input = await addServerStep(page, 2);
        const keyItem = quickInput(page).locator('.monaco-list-row').filter({ hasText: 'Private key file' });
        await keyItem.waitFor({ timeout: 10_000 });
        const labels = await quickInput(page).locator('.monaco-list-row .label-name').allInnerTexts();
        assert.deepEqual(
          labels.map((l) => l.trim()),
          ['Private key file', 'SSH agent', 'Password'],
        );
        await screenshot('add-server-2-auth');
        // Back returns to 1/6 with the target kept; Enter goes on.
        // VS Code labels it "Back (<its keybinding>)".
        await quickInput(page)
          .locator('.quick-input-left-action-bar .action-label[aria-label^="Back"]')
          .click();
        input = await addServerStep(page, 1);
        assert.equal(await input.inputValue(), target, 'Back keeps the target typed before');
        await input.press('Enter');
        await addServerStep(page, 2);
        await keyItem.click();
        step('chose key auth');

        // 3/6: the key file, which code-server (on this machine) reads: a missing file is refused.
        input = await addServerStep(page, 3);
        await typeInto(input, `${vps.rootKey}.missing`);
        await eventually(async () => {
          assert.match(await quickInputMessage(page), /No such file/);
        }, 10_000);
        const keyFolder = dirname(vps.rootKey);
        await typeInto(input, keyFolder);
        await eventually(async () => {
          assert.match(await quickInputMessage(page), /is not a file/);
        }, 10_000);
        await typeInto(input, vps.rootKey);
        await eventually(async () => {
          assert.doesNotMatch(await quickInputMessage(page), /No such file|is not a file/);
        }, 10_000);
        await screenshot('add-server-3-key-file');
        await input.press('Enter');
        step('key file given');

        // 4/6: Mailwright connects; the unknown host key is confirmed in a modal dialog.
        const hostKey = await confirmHostKey(page, vps, screenshot);
        step(`host key dialog showed the sandbox's ${hostKey}; trusted`);

        // 4/6 (the connection was no step of its own): the mail host name (the sandbox's own name
        // "vps" has no dot, so nothing is proposed).
        input = await addServerStep(page, 4);
        assert.match(await quickInputMessage(page), /Mail host name/);
        await typeInto(input, 'smtp..example.test');
        await eventually(async () => {
          assert.notEqual(await quickInputMessage(page), '', 'a bad name gets a message');
          assert.doesNotMatch(await quickInputMessage(page), /^Mail host name/);
        }, 10_000);
        await typeInto(input, UI_MAIL_HOST);
        await screenshot('add-server-5-mail-host');
        await input.press('Enter');
        step(`mail host ${UI_MAIL_HOST}`);

        // 5/6: the first domain, proposed from the mail host.
        input = await addServerStep(page, 5);
        assert.equal(await input.inputValue(), UI_DOMAIN, 'the domain is proposed from the mail host');
        await typeInto(input, UI_DOMAIN);
        await screenshot('add-server-6-domain');
        await input.press('Enter');
        step(`domain ${UI_DOMAIN}`);

        // 6/6: where the certificate comes from; Let's Encrypt over HTTP-01 is first and highlighted.
        await addServerStep(page, 6);
        await pickItem(page, HTTP_01).waitFor({ timeout: 10_000 });
        assert.deepEqual(await pickLabels(page), [
          HTTP_01,
          DNS_01,
          "Let's Encrypt staging (for trying)",
          'Self-signed (for testing only)',
        ]);
        assert.match(
          (await quickInput(page).locator('.monaco-list-row.focused').innerText()).trim(),
          new RegExp(`^${escapeRegExp(HTTP_01)}`),
          'HTTP-01 is the default',
        );
        await screenshot('add-server-7-certificate');
        // DNS-01 on a new domain asks how its records are written: one step more (7/7), and an
        // RFC 2136 server two more (8/9, 9/9). Back returns through them to 6/6.
        await pickItem(page, DNS_01).click();
        await addServerStep(page, 7, 7);
        await pickItem(page, 'Your own DNS server (RFC 2136)').click();
        input = await addServerStep(page, 8, 9);
        assert.match(
          await quickInputMessage(page),
          /DNS server that accepts signed updates for example\.test/,
        );
        await screenshot('add-server-7b-dns-server');
        await pressBack(page);
        await addServerStep(page, 7, 9);
        await pressBack(page);
        // The answers are kept (DNS-01 through RFC 2136 is still chosen), and so is their count.
        await addServerStep(page, 6, 9);
        await pickItem(page, HTTP_01).click();
        step("certificate: Let's Encrypt over HTTP-01");
        // mailwright.yaml on disk has exactly what was typed.
        await eventually(async () => {
          assert.ok(existsSync(yamlPath), 'mailwright.yaml was written');
        }, 30_000);
        const written = parse(readFileSync(yamlPath, 'utf8')) as {
          version: number;
          hosts: Record<string, unknown>[];
        };
        assert.equal(written.version, 1);
        assert.equal(written.hosts.length, 1);
        const host = written.hosts[0]!;
        assert.equal(host.name, HOST_LABEL);
        assert.equal(host.ssh, target);
        assert.equal(host.identityFile, vps.rootKey);
        assert.ok(host.auth === undefined || host.auth === 'key', `auth: ${String(host.auth)}`);
        assert.equal(host.mailHost, UI_MAIL_HOST);
        assert.deepEqual(
          (host.domains as { name: string; dns?: unknown }[]).map((d) => [d.name, d.dns]),
          [[UI_DOMAIN, undefined]],
          'no dns: provider (DNS-01 was left with Back)',
        );
        assert.deepEqual(host.acme, { ca: 'letsencrypt', challenge: 'http-01' });
        step('mailwright.yaml has the new host with acme: { ca: letsencrypt, challenge: http-01 }');

        // The notification offers to provision the new host.
        const toast = page
          .locator('.notifications-toasts .notification-toast')
          .filter({ hasText: `Added ${HOST_LABEL} (` });
        await toast.waitFor({ timeout: 30_000 });
        await screenshot('add-server-8-added');

        // Let's Encrypt cannot be reached from this test bed: pebble plays it, at its own URL.
        const edited = parseDocument(readFileSync(yamlPath, 'utf8'));
        edited.setIn(['hosts', 0, 'acme', 'ca'], ca.directoryUrl);
        edited.setIn(['hosts', 0, 'acme', 'caCertificate'], ca.tlsCaFile);
        writeFileSync(yamlPath, edited.toString());
        step(`acme.ca pointed at pebble (${ca.directoryUrl})`);

        // The tree shows the host, described by its OS (it connects without asking again).
        const hostRow = exactRow(page, HOST_LABEL);
        await hostRow.waitFor({ timeout: 30_000 });
        await eventually(async () => {
          const d = (await hostRow.locator('.label-description').textContent()) ?? '';
          assert.match(d, /Debian GNU\/Linux \d+ \(\w+\)/, `host row description is "${d}"`);
        }, 60_000);
        await screenshot('add-server-7-tree-host');

        // Provision Now from the notification; the plan gets the certificate; apply until done.
        await toast.getByRole('button', { name: 'Provision Now', exact: true }).click();
        step('clicked Provision Now');
        const titles = await waitForPlan(page);
        step(`plan: ${titles.length} step(s): ${titles.join(' | ')}`);
        await screenshot('add-server-8-plan');
        assert.ok(
          titles.some((t) =>
            t.startsWith(`Get a certificate for ${UI_MAIL_HOST} from ${ca.directoryUrl} (http-01)`),
          ),
          `the plan gets the certificate from the CA: ${titles.join(' | ')}`,
        );
        {
          const run = await applyUntilDone(page, {
            step,
            runningScreenshot: () => screenshot('add-server-9-running'),
          });
          assert.deepEqual(
            run.statuses,
            titles.map(() => 'done'),
            'every action reached done',
          );
          assert.deepEqual(run.askedPasswordFor, [], 'no user yet: no password is asked for');
          assert.match(
            run.commitText,
            /Committed [0-9a-f]{10}/,
            `the summary names the commit: ${run.commitText}`,
          );
          assert.match(
            run.summaryText,
            new RegExp(`${escapeRegExp(vps.ipv4)}\\s*→\\s*${escapeRegExp(UI_MAIL_HOST)}`),
          );
        }
        const served = await servedSerial(integration, 465, ca.issuerRoot);
        assert.ok(served, 'port 465 serves a certificate the CA issued');
        step(`465 serves the CA's certificate (serial ${served})`);
        await screenshot('add-server-10-done');

        // The tree: the domain, and its DNS Records rows with a status icon each.
        // Clicking the Mail tab while its view shows would close the side bar.
        if (!(await page.getByRole('tree', { name: 'Mail Servers' }).isVisible())) {
          await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
        }
        await expandRow(hostRow);
        const domainRow = exactRow(page, UI_DOMAIN);
        await domainRow.waitFor({ timeout: 45_000 });
        await expandRow(domainRow);
        const dnsNode = exactRow(page, 'DNS Records');
        await dnsNode.waitFor({ timeout: 45_000 });
        await expandRow(dnsNode);
        const dnsLevel = Number(await dnsNode.getAttribute('aria-level'));
        for (const record of ['MX', `A ${vps.ipv4}`, 'SPF (TXT)', 'DMARC (TXT)']) {
          const row = exactRow(page, record);
          await row.waitFor({ timeout: 60_000 });
          assert.equal(
            Number(await row.getAttribute('aria-level')),
            dnsLevel + 1,
            `${record} is under DNS Records`,
          );
          const icon = await iconOf(row);
          // Not checked yet (no DNS server for example.test here): the "unchecked" status icon.
          assert.equal(icon, 'circle-large-outline', `${record} row icon`);
          assert.match((await row.locator('.label-description').textContent()) ?? '', /not checked/);
        }
        await screenshot('add-server-11-tree-dns');
        step('tree shows the domain and its DNS Records');

        // Add User from the domain row's inline action.
        await domainRow.hover();
        await domainRow.locator('.action-label[aria-label="Add User"]').click();
        const userBox = quickInput(page).locator('input.input').first();
        await eventually(async () => {
          assert.match(
            (await quickInput(page).locator('.quick-input-title').textContent()) ?? '',
            new RegExp(`New user of ${escapeRegExp(UI_DOMAIN)}`),
          );
        }, 15_000);
        await typeInto(userBox, NEW_USER);
        await userBox.press('Enter');
        for (const again of [false, true]) {
          await eventually(async () => {
            const t = (await quickInput(page).locator('.quick-input-title').textContent()) ?? '';
            assert.equal(
              t.trim(),
              `Password for ${NEW_USER}@${UI_DOMAIN}${again ? ' (again)' : ''}`,
              `password input title is "${t}"`,
            );
          }, 15_000);
          const pw = quickInput(page).locator('input[type="password"]');
          await typeInto(pw, NEW_USER_PASSWORD);
          await screenshot(`add-server-12-user-password${again ? '-again' : ''}`);
          await pw.press('Enter');
        }
        addedUser = true;
        const userRow = exactRow(page, `${NEW_USER}@${UI_DOMAIN}`);
        await eventually(async () => {
          const users = (
            parse(readFileSync(yamlPath, 'utf8')) as { hosts: { domains: { users?: string[] }[] }[] }
          ).hosts[0]!.domains[0]!.users;
          assert.deepEqual(users, [NEW_USER], 'mailwright.yaml lists the new user');
        }, 30_000);
        await userRow.waitFor({ timeout: 30_000 });
        // mailwright.yaml changes first, then a plan of that one user is applied: the server's
        // users file follows within the run.
        const conn = rootConnection(readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!));
        try {
          await eventually(async () => {
            const users = (await readRemoteFile(conn, usersPath(UI_DOMAIN))).toString('utf8');
            assert.match(users, new RegExp(`"${NEW_USER}"`), `chasquid's users file has ${NEW_USER}`);
          }, 60_000);
        } finally {
          conn.close();
        }
        await screenshot('add-server-13-user-added');
        step(`added ${NEW_USER}@${UI_DOMAIN} from the tree`);
      });
    } finally {
      await acme?.stop();
      await dns?.stop();
      // The other UI tests on this sandbox expect only their own users on the server.
      if (addedUser) {
        const conn = rootConnection(readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!));
        await removeUser(conn, UI_DOMAIN, NEW_USER)
          .catch((e: Error) => console.warn(`could not remove ${NEW_USER}@${UI_DOMAIN}: ${e.message}`))
          .finally(() => conn.close());
      }
    }
  },
);
