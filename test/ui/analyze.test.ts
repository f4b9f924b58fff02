// "Mail: Analyze Message Source" in a real VS Code: a message signed by the test (a fresh RSA
// key) lies in the workspace, its key, SPF and DMARC are served by a DNS server the test runs on
// loopback (the mailwright.dns.resolvers setting points at it), so every verdict is known
// offline: SPF, DKIM and DMARC pass, the first hop (chasquid, TLS 1.3, IPv4) passes, the second
// (IPv6, no TLS) is a warning. The report panel must show exactly that, in English and, in a
// Chinese VS Code, in Chinese.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { dkimSign } from 'mailauth/lib/dkim/sign';
import type { FrameLocator, Page } from 'playwright-core';
import { splitTxt } from '../../src/core/dkim';
import { startTxtServer } from '../unit/udp-dns';
import { eventually, missingPrerequisite, runCommand, withWorkbench } from './harness';

const skip = missingPrerequisite({ vsix: true });
if (skip) console.warn(`\n*** SKIPPING the Analyze Message Source UI test: ${skip} ***\n`);

const DOMAIN = 'example.test';
const SELECTOR = 'ui1';
const FILE = 'report-test.eml';

async function signedMessage(pem: string): Promise<string> {
  const body = [
    `From: Alice <alice@${DOMAIN}>`,
    'To: bob@example.org',
    'Subject: Report test',
    'Date: Sat, 28 Nov 2026 06:00:00 +0000',
    `Message-ID: <report-test@${DOMAIN}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Signed by the UI test.',
    '',
  ].join('\r\n');
  const signed = await dkimSign(body, {
    signatureData: [{ signingDomain: DOMAIN, selector: SELECTOR, privateKey: pem, algorithm: 'rsa-sha256' }],
  } as Parameters<typeof dkimSign>[1]);
  assert.deepEqual(signed.errors, []);
  // What the submission server (chasquid, TLS) and then the recipient's MX (plain, IPv6) add on top.
  const delivered = [
    `Return-Path: <alice@${DOMAIN}>`,
    'Received: from mail.example.test (mail.example.test [IPv6:2001:db8::10])',
    '\tby mx.example.org (chasquid) with ESMTP',
    `\t(over SMTP, plain text!, envelope from "alice@${DOMAIN}")`,
    '\t; Sat, 28 Nov 2026 06:00:02 +0000',
    'Received: from laptop.example.test ([192.0.2.50])',
    '\tby mail.example.test (chasquid) with ESMTPSA',
    '\ttls TLS_AES_128_GCM_SHA256',
    `\t(over submission+TLS, TLS-1.3, envelope from "alice@${DOMAIN}")`,
    '\t; Sat, 28 Nov 2026 06:00:01 +0000',
  ].join('\r\n');
  return `${delivered}\r\n${signed.signatures}${body}`;
}

function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
}

/** A message signed with a fresh key; a DNS server on loopback serves its key, SPF and DMARC. */
async function withSignedMessage(fn: (message: string, resolver: string) => Promise<void>): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
  const dns = await startTxtServer({
    [`${SELECTOR}._domainkey.${DOMAIN}`]: splitTxt(key),
    [DOMAIN]: ['v=spf1 ip6:2001:db8::10 -all'],
    [`_dmarc.${DOMAIN}`]: ['v=DMARC1; p=reject'],
  });
  try {
    await fn(
      await signedMessage(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
      dns.address,
    );
  } finally {
    dns.close();
  }
}

/** Opens the message file (Go to File), runs `command` from the palette, returns the report's frame. */
async function analyzeFromPalette(
  page: Page,
  command: string,
  step: (what: string) => void,
): Promise<FrameLocator> {
  await runCommand(page, 'Go to File');
  const input = page.locator('.quick-input-widget input');
  await input.fill(FILE);
  await page
    .locator('.quick-input-widget .monaco-list-row')
    .filter({ hasText: FILE })
    .first()
    .waitFor({ timeout: 30_000 });
  await input.press('Enter');
  await page.locator('.tab', { hasText: FILE }).waitFor({ timeout: 30_000 });
  step('message open in the editor');
  await runCommand(page, command);
  const view = panelFrame(page);
  await view.locator('table#checks').waitFor({ timeout: 90_000 });
  step('report shown');
  return view;
}

test(
  'Analyze Message Source: the message in the editor, judged with the resolvers setting, in the report panel',
  { skip, timeout: 5 * 60_000 },
  () =>
    withSignedMessage((message, resolver) =>
      withWorkbench(
        'analyze',
        {
          installVsix: true,
          workspaceFiles: { [FILE]: message },
          settings: { 'mailwright.dns.resolvers': [resolver] },
        },
        async ({ page, screenshot, step }) => {
          const view = await analyzeFromPalette(page, 'Mail: Analyze Message Source', step);

          const status = (id: string) =>
            view.locator(`tr.check[data-id="${id}"]`).getAttribute('data-status');
          await eventually(async () => assert.equal(await status('dkim:1'), 'pass'), 10_000);
          assert.equal(await status('spf'), 'pass');
          assert.equal(await status('dmarc'), 'pass');
          assert.equal(await status('arc'), 'skip');
          assert.equal(await status('hop:1'), 'pass');
          assert.equal(await status('hop:2'), 'warn');
          assert.equal(
            await view.locator('#summary').innerText(),
            '4 passed, 1 warning(s), 0 failed, 1 not judged',
          );
          const dkim = view.locator('tr.check[data-id="dkim:1"]');
          assert.match(
            await dkim.locator('td.title').innerText(),
            /DKIM signature \(d=example\.test, s=ui1\)/,
          );
          assert.match(
            await dkim.locator('td.evidence').innerText(),
            /key: found at ui1\._domainkey\.example\.test \(RSA 2048 bits\)/,
          );
          assert.ok(await dkim.locator('vscode-button.copy-evidence').isVisible());
          const plainHop = view.locator('tr.check[data-id="hop:2"]');
          assert.match(await plainHop.locator('td.evidence').innerText(), /\[2001:db8::10\] IPv6/);
          assert.match(await plainHop.locator('td.fix').innerText(), /STARTTLS/);
          assert.ok(await plainHop.locator('vscode-button.copy-fix').isVisible());

          // The path: hop 1 over TLS 1.3 from IPv4, hop 2 in plain text from IPv6.
          const hop = (i: number) => view.locator(`table#hops tr.hop[data-index="${i}"]`);
          assert.equal(await hop(1).getAttribute('data-tls'), 'true');
          assert.match(await hop(1).locator('td.tls').innerText(), /TLS 1\.3 TLS_AES_128_GCM_SHA256/);
          assert.match(await hop(1).locator('td.address').innerText(), /192\.0\.2\.50 \(IPv4\)/);
          assert.equal(await hop(2).getAttribute('data-tls'), 'false');
          assert.match(await hop(2).locator('td.address').innerText(), /2001:db8::10 \(IPv6\)/);
          assert.match(await view.locator('#facts').innerText(), new RegExp(FILE.replace('.', '\\.')));
          await screenshot('analyze-report');
          await view.locator('table#hops').scrollIntoViewIfNeeded();
          await screenshot('analyze-report-path');
          step('rows checked');

          // "Analyze again" reads the file again and replaces the report (a new time stamp).
          const made = await view.locator('#status').innerText();
          await new Promise((resolve) => setTimeout(resolve, 1_100));
          await view.locator('#action-analyze-again').click();
          await eventually(async () => {
            assert.notEqual(await view.locator('#status').innerText(), made);
          }, 60_000);
          assert.equal(await status('dkim:1'), 'pass');
          step('analyzed again');
        },
      ),
    ),
);

test(
  'Analyze Message Source in a Chinese VS Code: the command and the report in Chinese',
  { skip, timeout: 5 * 60_000 },
  () =>
    withSignedMessage((message, resolver) =>
      withWorkbench(
        'analyze-zh-cn',
        {
          installVsix: true,
          locale: 'zh-cn',
          workspaceFiles: { [FILE]: message },
          settings: { 'mailwright.dns.resolvers': [resolver] },
        },
        async ({ page, screenshot, step }) => {
          // The command's title from package.nls.zh-cn.json, the report's from the bundle.
          const view = await analyzeFromPalette(page, 'Mail: 分析邮件原文', step);
          await eventually(
            async () =>
              assert.equal(
                await view.locator('#summary').innerText(),
                '4 项通过，1 项警告，0 项失败，1 项未判定',
              ),
            10_000,
          );
          assert.equal(await view.locator('h1').innerText(), '邮件分析');
          assert.match(await view.locator('tr.check[data-id="dkim:1"] td').first().innerText(), /通过/);
          assert.match(await view.locator('table#checks thead').innerText(), /证据/);
          assert.match(
            await view.locator('table#hops tr.hop[data-index="2"] td.tls').innerText(),
            /无（明文）/,
          );
          assert.match(await view.locator('#action-analyze-again').innerText(), /重新分析/);
          await screenshot('analyze-report-zh-cn');
          step('report in Chinese');
        },
      ),
    ),
);
