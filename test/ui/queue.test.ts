// The Queue row in a real VS Code on the provisioned sandbox: a message for a domain the sandbox
// cannot reach (elsewhere.test has no DNS there) stays queued; the Queue row counts it, Show
// Headers opens its headers read-only, Retry Now says chasquid cannot, and Delete from Queue (after
// the modal confirmation) removes it. The sandbox is left with the queue it had before.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { deleteQueueMessage, readQueue, type QueueItem } from '../../src/core/queue';
import { shellCommand } from '../../src/core/remote';
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
  sendMail,
  UI_DOMAIN,
  uiYaml,
  type SandboxJson,
} from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the queue UI test');

/** The queued message whose data holds `marker`, once chasquid has tried it once. */
async function queuedWith(vps: SandboxJson, marker: string): Promise<QueueItem> {
  const conn = rootConnection(vps);
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      for (const item of (await readQueue(conn)).items.filter((i) => i.lastError)) {
        const r = await conn.exec(
          shellCommand(['grep', '-c', marker, `/var/lib/chasquid/queue/m:${item.id}`]),
          { sudo: true, check: false },
        );
        if (r.stdout.trim() === '1') return item;
      }
      assert.ok(Date.now() < deadline, `no queued message with ${marker} within 60 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    conn.close();
  }
}

async function queueIds(vps: SandboxJson): Promise<string[]> {
  const conn = rootConnection(vps);
  try {
    return (await readQueue(conn)).items.map((i) => i.id).sort();
  } finally {
    conn.close();
  }
}

test(
  'The Queue row counts a stuck message; Show Headers opens it; Delete from Queue removes it',
  { skip, timeout: 20 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    const before = await queueIds(vps);
    const tag = randomBytes(4).toString('hex');
    const rcpt = `queue-ui-${tag}@elsewhere.test`;
    const subject = `queue ui ${tag}`;
    await sendMail(vps, `alice@${UI_DOMAIN}`, rcpt, subject);
    const item = await queuedWith(vps, subject);
    try {
      const queued = await queueIds(vps);
      assert.ok(queued.includes(item.id));

      await withWorkbench(
        'queue',
        { installVsix: true, workspaceFiles: { 'mailwright.yaml': uiYaml(vps) } },
        async ({ page, screenshot, step }) => {
          await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
          await trustHostKey(page, 45_000);
          step('host key trusted');

          const queueRow = treeRow(page, /^Queue \(\d+\)$/);
          await queueRow.waitFor({ timeout: 60_000 });
          const label = (await queueRow.locator('.label-name').innerText()).trim();
          assert.equal(label, `Queue (${queued.length})`, 'the row counts what is queued on the server');
          step(`${label} shown`);
          await queueRow.click();
          const row = treeRow(page, rcpt);
          await row.waitFor({ timeout: 15_000 });
          const description = (await row.locator('.label-description').innerText()).trim();
          assert.match(description, /\d+ (s|min)/, `age in the description: ${description}`);
          await screenshot('queue-row');

          const menu = async (name: RegExp) => {
            await chooseFromContextMenu(page, row, name);
          };

          // Show Headers: a read-only document with the message's headers.
          await menu(/^Show Headers/);
          const tab = page.locator('.tabs-container .tab').filter({ hasText: item.id });
          const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
          await eventually(async () => {
            assert.ok(await tab.isVisible(), 'the headers tab is open');
            const text = ((await lines.textContent()) ?? '').replace(/\u00a0/g, ' ');
            assert.ok(text.includes(`Subject: ${subject}`), `headers shown: ${text.slice(0, 400)}`);
          }, 30_000);
          await lines.click();
          await page.keyboard.type('xyzzy');
          assert.doesNotMatch((await lines.textContent()) ?? '', /xyzzy/, 'read-only');
          step('headers opened read-only');
          await screenshot('queue-headers');

          // Retry Now: chasquid has no such operation, and the editor says so.
          await menu(/^Retry Now/);
          const notice = page
            .locator('.notifications-toasts .notification-list-item-message')
            .filter({ hasText: 'chasquid cannot retry one message on demand' });
          await notice.first().waitFor({ timeout: 15_000 });
          step('Retry Now explains that chasquid cannot');

          // Delete from Queue, confirmed in the modal dialog.
          await menu(/^Delete from Queue/);
          const dialog = page.getByRole('dialog').filter({ hasText: `Delete message ${item.id}` });
          await dialog.waitFor({ timeout: 15_000 });
          await screenshot('queue-delete-confirm');
          await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
          await eventually(async () => {
            assert.equal(await row.isVisible(), false, 'the message row is gone');
            const now = (
              await treeRow(page, /^Queue/)
                .locator('.label-name')
                .innerText()
            ).trim();
            assert.equal(now, `Queue (${queued.length - 1})`);
          }, 60_000);
          step('deleted from the queue');
          await screenshot('queue-deleted');
        },
      );
      assert.deepEqual(await queueIds(vps), before, 'the server has the queue it had before');
    } finally {
      // A failure above must not leave the message queued for the next test.
      const conn = rootConnection(vps);
      try {
        if ((await readQueue(conn)).items.some((i) => i.id === item.id))
          await deleteQueueMessage(conn, item.id);
      } finally {
        conn.close();
      }
    }
  },
);
