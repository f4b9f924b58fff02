// The blocked addresses in a real VS Code on a provisioned sandbox: an address fail2ban blocks on
// the server shows under the server as "Blocked (1)", and its Unblock action lifts the block (the
// server's list is empty again, and the row becomes "Blocked (0)"). The address is put into the
// jail with fail2ban-client (no traffic is sent to it); the sandbox is left with nothing blocked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JAIL_NAME, listBlocked } from '../../src/core/brute-force';
import { shellCommand } from '../../src/core/remote';
import {
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
  uiYaml,
  type SandboxJson,
} from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the blocked addresses UI test');

// TEST-NET-3: only written into the firewall set, never sent anything.
const ADDRESS = '203.0.113.77';

async function onServer(vps: SandboxJson, argv: string[]): Promise<string> {
  const conn = rootConnection(vps);
  try {
    return (await conn.exec(shellCommand(argv))).stdout;
  } finally {
    conn.close();
  }
}

async function blockedOnServer(vps: SandboxJson): Promise<string[]> {
  const conn = rootConnection(vps);
  try {
    return (await listBlocked(conn)).addresses;
  } finally {
    conn.close();
  }
}

test(
  'Blocked lists an address fail2ban blocks, and Unblock lifts the block',
  { skip, timeout: 20 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));
    assert.deepEqual(await blockedOnServer(vps), [], 'nothing is blocked before the test');
    await onServer(vps, ['fail2ban-client', 'set', JAIL_NAME, 'banip', ADDRESS]);
    try {
      assert.deepEqual(await blockedOnServer(vps), [ADDRESS]);
      await withWorkbench(
        'blocked',
        { installVsix: true, workspaceFiles: { 'mailwright.yaml': uiYaml(vps) } },
        async ({ page, screenshot, step }) => {
          await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
          await trustHostKey(page, 45_000);
          step('host key trusted');

          const blocked = treeRow(page, /^Blocked \(1\)$/);
          await blocked.waitFor({ timeout: 60_000 });
          await blocked.click();
          const row = treeRow(page, ADDRESS);
          await row.waitFor({ timeout: 15_000 });
          step('the blocked address is listed');
          await row.hover();
          await screenshot('blocked-address');

          await row.locator('.action-label[aria-label="Unblock"]').click();
          await eventually(async () => {
            assert.ok(await treeRow(page, /^Blocked \(0\)$/).isVisible(), 'the row shows no blocked address');
          }, 60_000);
          step('the row is gone');
          await screenshot('unblocked');
          assert.deepEqual(await blockedOnServer(vps), [], 'the server blocks nothing any more');
        },
      );
    } finally {
      // Left as found, whatever happened above.
      if ((await blockedOnServer(vps)).includes(ADDRESS))
        await onServer(vps, ['fail2ban-client', 'set', JAIL_NAME, 'unbanip', ADDRESS]);
    }
  },
);
