// "Mail: Tail Logs" in a real VS Code on a provisioned sandbox: the read-only log document
// opens and a message sent over SMTP by the test shows up in it while it streams; when the
// SSH connection drops, the document marks the gap and streams again; closing it stops the
// remote tail.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import {
  eventually,
  PROJECT_DIR,
  runCommand,
  runCommandUntilTaken,
  sandboxInstance,
  skipWithoutSandbox,
  trustHostKey,
  withWorkbench,
} from './harness';
import {
  provisionSandbox,
  readSandbox,
  sendMail,
  UI_DOMAIN,
  uiYaml,
  type SandboxJson,
} from './provisioned-sandbox';

const instance = sandboxInstance();
const skip = skipWithoutSandbox(instance, 'the log tail UI test');

const run = promisify(execFile);

/** Runs a command as root inside the sandbox VPS (no SSH: the test must not need the link it breaks). */
async function onGuest(vps: SandboxJson, argv: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run('bash', [
      join(PROJECT_DIR, 'scripts', 'sandbox'),
      'exec',
      vps.name,
      '--',
      ...argv,
    ]);
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string };
    if (typeof err.code === 'number') return { code: err.code, stdout: err.stdout ?? '' };
    throw e;
  }
}

/** The remote tail's processes (journalctl or tail -F), as pgrep lists them. */
const TAIL_PATTERN = 'journalctl -u chasquid -f|tail -n [0-9]+ -F';

test(
  'Mail: Tail Logs streams a message sent over SMTP into a read-only document',
  { skip, timeout: 20 * 60_000 },
  async () => {
    const vps = readSandbox(process.env.MAILWRIGHT_SANDBOX_INSTANCE!);
    await provisionSandbox(vps, (l) => console.log(`[provision] ${l}`));

    await withWorkbench(
      'logs',
      { installVsix: true, workspaceFiles: { 'mailwright.yaml': uiYaml(vps) } },
      async ({ page, screenshot, step }) => {
        await page.getByRole('tab', { name: 'Mail', exact: true }).click({ timeout: 30_000 });
        await trustHostKey(page, 45_000);
        step('host key trusted');

        await runCommandUntilTaken(page, 'Mail: Tail Logs');
        // With one host there may be no question; with a quick pick, choose the sandbox.
        const pick = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: 'sandbox' });
        const tab = page.locator('.tabs-container .tab').filter({ hasText: 'chasquid.log' });
        const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
        const text = async () => ((await lines.textContent()) ?? '').replace(/\u00a0/g, ' ');
        await eventually(async () => {
          if (await pick.first().isVisible()) await pick.first().click();
          assert.ok(await tab.isVisible(), 'the chasquid.log tab is open');
          const t = await text();
          assert.ok(t.length > 0 && !/Waiting for chasquid/.test(t), `the log has lines: ${t.slice(0, 200)}`);
        }, 45_000);
        step('log document open and streaming');
        // Regression: setting the document's language closed it for a moment, which stopped the tail.
        await page.waitForTimeout(2_000);
        assert.doesNotMatch(await text(), /not tailing/, 'the tail must survive opening the document');

        // Read-only: typing changes nothing (and the tab never turns dirty).
        const beforeTyping = await text();
        await lines.click();
        await page.keyboard.type('xyzzy-typed');
        assert.doesNotMatch(await text(), /xyzzy-typed/);
        assert.equal(await tab.first().evaluate((e) => e.classList.contains('dirty')), false);
        assert.ok(beforeTyping.length > 0);

        // A message with a sender nobody else uses: its line must appear while the tail runs.
        const sender = `tail-${randomBytes(4).toString('hex')}@elsewhere.test`;
        await sendMail(vps, sender, `postmaster@${UI_DOMAIN}`, 'tail logs test');
        step(`sent a message from ${sender}`);
        await eventually(async () => {
          const t = await text();
          assert.ok(t.includes(sender), `${sender} is not in the log document yet:\n${t.slice(-800)}`);
        }, 30_000);
        step('its line appeared in the log document');
        await screenshot('log-document');

        // The connection drops: the sshd session serving the extension dies (OpenSSH 10 names
        // it sshd-session, older ones sshd). The tail reconnects and marks the gap.
        const killed = await onGuest(vps, ['pkill', '-KILL', '-e', '-f', '^sshd(-session)?: [^ ]+@notty']);
        assert.equal(killed.code, 0, 'an sshd session of the extension was running and was killed');
        step(`connection dropped: ${killed.stdout.trim()}`);
        const after = `tail-${randomBytes(4).toString('hex')}@elsewhere.test`;
        await eventually(async () => {
          // journalctl -n 0 after a reconnect: only lines logged from now on, so keep mailing.
          if (!(await text()).includes(after))
            await sendMail(vps, after, `postmaster@${UI_DOMAIN}`, 'after drop');
          const t = await text();
          const gap = t.search(/connection lost at \S+, reconnected at \S+/);
          assert.ok(gap >= 0, `no gap marker yet:\n${t.slice(-800)}`);
          assert.ok(t.indexOf(after) > gap, `${after} is not after the gap marker:\n${t.slice(-800)}`);
        }, 60_000);
        step('the gap is marked and the tail streams again');
        await screenshot('log-document-reconnected');

        // Closing the document stops the remote command.
        assert.equal((await onGuest(vps, ['pgrep', '-f', TAIL_PATTERN])).code, 0, 'the tail runs remotely');
        await runCommand(page, 'View: Close All Editors');
        await eventually(async () => {
          const left = await onGuest(vps, ['pgrep', '-a', '-f', TAIL_PATTERN]);
          assert.equal(left.code, 1, `the remote tail still runs after closing: ${left.stdout}`);
        }, 30_000);
        step('closing the document stopped the remote tail');
      },
    );
  },
);
