// The packaged extension in a real VS Code whose display language is Simplified Chinese (a test
// language pack switches it, see CodeServer.useLocale): the manifest's texts
// (package.nls.zh-cn.json), the extension's own (l10n/bundle.l10n.zh-cn.json) and a webview's
// (the same bundle, handed to the page) appear in Chinese. No sandbox: a host nobody listens on
// still draws its rows, and the DNS panel its frame.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, expandRow, missingPrerequisite, treeRow, withWorkbench } from './harness';

const skip = missingPrerequisite({ vsix: true });
if (skip) console.warn(`\n*** SKIPPING the Simplified Chinese UI test: ${skip} ***\n`);

/** The tree's name in Chinese (package.nls.zh-cn.json). */
const TREE = '邮件服务器';

const YAML = [
  'version: 1',
  'hosts:',
  '  - name: far',
  '    ssh: root@127.0.0.1:1',
  '    auth: agent',
  '    mailHost: smtp.far.test',
  '    domains:',
  '      - name: far.test',
  '        users: [alice]',
  '',
].join('\n');

test(
  'in a Chinese VS Code the Mail view, its welcome text, the tree rows and the DNS panel are in Chinese',
  { skip, timeout: 240_000 },
  async () => {
    await withWorkbench(
      'l10n-welcome',
      { installVsix: true, locale: 'zh-cn' },
      async ({ page, screenshot, step }) => {
        // The activity bar entry and the welcome view come from package.nls.zh-cn.json.
        await page.getByRole('tab', { name: '邮件', exact: true }).click({ timeout: 30_000 });
        const welcome = page.locator('.welcome-view-content').first();
        await eventually(async () => {
          const text = await welcome.innerText();
          assert.match(text, /还没有邮件服务器/, `welcome view: ${text}`);
          assert.match(text, /添加服务器/, `welcome view: ${text}`);
        }, 30_000);
        step('welcome view in Chinese');
        await screenshot('l10n-welcome');
      },
    );

    await withWorkbench(
      'l10n-tree',
      { installVsix: true, locale: 'zh-cn', workspaceFiles: { 'mailwright.yaml': YAML } },
      async ({ page, screenshot, step }) => {
        await page.getByRole('tab', { name: '邮件', exact: true }).click({ timeout: 30_000 });
        // The rows come from vscode.l10n.t (l10n/bundle.l10n.zh-cn.json).
        for (const label of ['域名', '配置文件'])
          await treeRow(page, label, TREE).waitFor({ timeout: 30_000 });
        const domain = treeRow(page, 'far.test', TREE);
        assert.match((await domain.locator('.label-description').textContent()) ?? '', /1 个用户/);
        await expandRow(domain);
        for (const label of ['用户', '别名', 'DNS 记录'])
          await treeRow(page, label, TREE).waitFor({ timeout: 30_000 });
        step('tree rows in Chinese');
        await screenshot('l10n-tree');

        // The DNS panel: its page gets the bundle and its own texts are translated there.
        // "Show DNS Records", inline on the row (its title from package.nls.zh-cn.json).
        const dnsRow = treeRow(page, 'DNS 记录', TREE);
        await dnsRow.hover();
        await dnsRow.locator('.action-label[aria-label="显示 DNS 记录"]').click({ timeout: 10_000 });
        const frame = page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
        await eventually(async () => {
          const text = await frame.locator('body').innerText({ timeout: 2_000 });
          for (const words of [/检查 DNS/, /导出区域文件/, /邮件主机 smtp\.far\.test/])
            assert.match(text, words, `DNS panel: ${text.slice(0, 300)}`);
        }, 45_000);
        step('DNS panel in Chinese');
        await screenshot('l10n-dns-panel');
      },
    );
  },
);
