// Scheduled backups with real parts: a fresh Debian 13 sandbox provisioned with backups.schedule
// (Node.js, the backup program and its timer installed), the backup service started inside the
// guest as the timer starts it (not waiting for the timer): each run writes an archive root 0600
// that the CLI opens with the identity kept on this machine — its DKIM key the server's own — and
// refuses with another identity; runs beyond `keep` leave `keep` archives; a failed run leaves them
// all and shows in systemctl --failed and the health check; removing the schedule stops the timer.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { generateBackupKey, identityOf, openBackup } from '../../src/core/backup';
import { BACKUP_SETTINGS_PATH, BACKUP_UNIT } from '../../src/core/backup/server-paths';
import { backupChecks } from '../../src/core/checks/server';
import type { BackupScheduleConfig, HostConfig } from '../../src/core/config';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, planHost } from '../../src/core/plan';
import { MemorySecretStore, type RemoteConnection } from '../../src/core/remote';
import { SENDER_ZONE, startTestDns, type TestDns } from './dns-fixture';
import { connect, desiredHost, type SandboxInstance } from './sandbox-instances';

const run = promisify(execFile);
const SANDBOX = resolve(__dirname, '../../scripts/sandbox');
const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'src', 'cli', 'bin.ts');
const instancePath = process.env.MAILWRIGHT_SCHEDBACKUP_SANDBOX_13;
const instance = instancePath
  ? (JSON.parse(readFileSync(instancePath, 'utf8')) as SandboxInstance)
  : undefined;
if (!instance && process.env.CI)
  throw new Error('No sandbox: set MAILWRIGHT_SCHEDBACKUP_SANDBOX_13 (scripts/test-integration does).');

const DIR = '/var/backups/mw-scheduled';
const KEEP = 2;

describe(
  'scheduled backups from the server’s timer',
  { skip: !instance && 'no sandbox (MAILWRIGHT_SCHEDBACKUP_SANDBOX_13)' },
  () => {
    const inst = instance!;
    let conn: RemoteConnection;
    let dns: TestDns;
    let work: string;
    let identityFile: string;
    let otherIdentityFile: string;
    let schedule: BackupScheduleConfig;
    const secrets = new MemorySecretStore();

    /** Inside the guest, as its root, without SSH: what the timer does. */
    const guest = async (script: string) =>
      (await run('bash', [SANDBOX, 'exec', inst.name, '--', 'sh', '-c', script], { timeout: 300_000 }))
        .stdout;
    const archives = async () =>
      (await guest(`ls -1A ${DIR} 2>/dev/null || true`)).split('\n').filter((l) => l !== '');
    /** One run of the backup service, as the timer starts it; its exit status. */
    const backupRun = async () =>
      (await guest(`systemctl start ${BACKUP_UNIT}.service; echo "exit $?"`)).trim().split('\n').pop();
    const hostWith = (s?: BackupScheduleConfig): HostConfig => ({
      ...desiredHost(inst, { name: SENDER_ZONE }),
      ...(s && { backups: { schedule: s } }),
    });
    const cli = (args: string[], stdin = '') =>
      new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
        const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
          cwd: ROOT,
          env: { PATH: process.env.PATH, HOME: work },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
        child.stdin.end(stdin);
      });
    const fetchArchive = async (name: string) => {
      const { stdout } = await run('bash', [SANDBOX, 'exec', inst.name, '--', 'cat', `${DIR}/${name}`], {
        encoding: 'buffer',
        maxBuffer: 64 * 1024 * 1024,
      });
      const local = join(work, name);
      writeFileSync(local, stdout);
      return local;
    };
    const apply = async (host: HostConfig) => {
      const plan = planHost(host, await gatherFacts(conn));
      const r = await applyPlan(plan, { conn, host, secrets, regather: () => gatherFacts(conn) });
      assert.ok(r.ok, JSON.stringify(r.failed));
      return plan;
    };

    before(async () => {
      // The same backup program the release ships (dist/server/backup.js), built from these sources.
      const esbuild = await import('esbuild');
      const { backupBundleOptions, BACKUP_BUNDLE_FILE } = (await import(
        resolve(ROOT, 'scripts/renew-bundle.mjs')
      )) as { backupBundleOptions: object; BACKUP_BUNDLE_FILE: string };
      await esbuild.build({ ...backupBundleOptions, absWorkingDir: ROOT });
      process.env.MAILWRIGHT_BACKUP_PROGRAM = resolve(ROOT, BACKUP_BUNDLE_FILE);
      await guest(
        `systemctl disable --now ${BACKUP_UNIT}.timer; rm -rf ${DIR} /usr/local/lib/mailwright /etc/mailwright /etc/systemd/system/${BACKUP_UNIT}.*; systemctl daemon-reload; systemctl reset-failed; true`,
      );
      work = mkdtempSync(join(tmpdir(), 'mw-schedbackup-'));
      const mine = await generateBackupKey();
      const other = await generateBackupKey();
      identityFile = join(work, 'identity.txt');
      otherIdentityFile = join(work, 'other-identity.txt');
      writeFileSync(identityFile, mine.identityFile, { mode: 0o600 });
      writeFileSync(otherIdentityFile, other.identityFile, { mode: 0o600 });
      schedule = { every: '24h', keep: KEEP, dir: DIR, recipient: mine.recipient, withMail: false };
      conn = connect(inst);
      dns = await startTestDns(inst);
    });

    after(async () => {
      await guest('[ -d /etc/chasquid.off ] && mv /etc/chasquid.off /etc/chasquid; true').catch(
        () => undefined,
      );
      conn?.close();
      await dns?.stop();
    });

    it('provisioning installs Node.js, the backup program and its timer, with no secret, and is then idempotent', async () => {
      const host = hostWith(schedule);
      const plan = await apply(host);
      const ids = plan.actions.map((a) => a.id);
      for (const id of [
        'backup:program',
        'backup:settings',
        'backup:service',
        'backup:timer',
        'backup:enable',
      ])
        assert.ok(ids.includes(id), `${id} planned (${ids.join(', ')})`);
      const [enabled, active] = (
        await guest(`systemctl is-enabled ${BACKUP_UNIT}.timer; systemctl is-active ${BACKUP_UNIT}.timer`)
      )
        .trim()
        .split('\n');
      assert.deepEqual([enabled, active], ['enabled', 'active']);
      const settings = await guest(`cat ${BACKUP_SETTINGS_PATH}`);
      assert.match(settings, new RegExp(schedule.recipient));
      assert.doesNotMatch(settings, /AGE-SECRET-KEY|identityFile|root_ed25519/);
      const again = planHost(host, await gatherFacts(conn));
      assert.deepEqual(
        again.actions.map((a) => a.id),
        [],
        'a second plan has nothing to do',
      );
    });

    it('a run writes an archive, root 0600, that opens with the identity only', async () => {
      const before = new Set(await archives());
      assert.equal(await backupRun(), 'exit 0');
      const made = (await archives()).filter((n) => !before.has(n));
      assert.ok(made.length >= 1, `a new archive (${JSON.stringify(await archives())})`);
      const name = made.sort().pop()!;
      assert.match(name, new RegExp(`^mailwright-backup-${inst.name}-\\d{8}-\\d{6}\\.age$`));
      assert.equal((await guest(`stat -c '%U:%G %a' ${DIR}/${name}`)).trim(), 'root:root 600');
      assert.equal((await guest(`stat -c '%a' ${DIR}`)).trim(), '700');
      assert.equal(
        (await guest(`ls -a ${DIR} | grep -c '\\.part$' || true`)).trim(),
        '0',
        'no temporary file',
      );
      const journal = await guest(`journalctl -u ${BACKUP_UNIT}.service --no-pager -o cat`);
      assert.match(journal, new RegExp(`Wrote ${DIR}/${name} `));
      assert.doesNotMatch(journal, /ExperimentalWarning/, 'no warning noise in the journal');

      const local = await fetchArchive(name);
      const opened = await cli(['restore', local, '--age-identity', identityFile, '--check-only']);
      assert.equal(opened.code, 0, opened.stderr);
      assert.match(
        opened.stdout,
        new RegExp(`a whole backup of ${inst.name} \\(smtp\\.${SENDER_ZONE.replace('.', '\\.')}\\)`),
      );
      assert.match(opened.stdout, new RegExp(`DKIM selectors: ${SENDER_ZONE.replace('.', '\\.')}: \\w+`));

      // The archive holds the server's own DKIM key, byte for byte.
      const backup = await openBackup(local, { identity: identityOf(readFileSync(identityFile, 'utf8')) });
      const key = backup.files.find((f) => /\/dkim:[^/]+\.pem$/.test(f.path));
      assert.ok(key, 'a DKIM key in the archive');
      const onServer = (await guest(`sha256sum '${key.path}'`)).split(' ')[0];
      assert.equal(createHash('sha256').update(key.content).digest('hex'), onServer);

      const wrong = await cli(['restore', local, '--age-identity', otherIdentityFile, '--check-only']);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /This identity does not open .*Nothing was changed/);
      const noIdentity = await cli(['restore', local, '--check-only']);
      assert.equal(noIdentity.code, 2);
      assert.match(noIdentity.stderr, /locked for an age public key .*--age-identity/);
    });

    it(`runs beyond keep leave the ${KEEP} newest; a failed run leaves them all and is visible`, async () => {
      // Archive names carry the second they were made: one second apart at least.
      for (let i = 0; i < KEEP; i++) {
        await new Promise((r) => setTimeout(r, 1100));
        assert.equal(await backupRun(), 'exit 0');
      }
      const kept = await archives();
      assert.equal(kept.length, KEEP, JSON.stringify(kept));

      await guest('mv /etc/chasquid /etc/chasquid.off');
      try {
        assert.notEqual(await backupRun(), 'exit 0');
      } finally {
        await guest('mv /etc/chasquid.off /etc/chasquid');
      }
      assert.deepEqual(await archives(), kept, 'the earlier archives are untouched, no temporary file left');
      assert.match(
        await guest(`journalctl -u ${BACKUP_UNIT}.service --no-pager -o cat | tail -n 5`),
        /The backup failed, nothing was written \(earlier archives are kept\)/,
      );
      assert.match(
        await guest('systemctl --failed --no-legend --plain'),
        new RegExp(`${BACKUP_UNIT}\\.service`),
      );
      const failed = backupChecks(hostWith(schedule), await gatherFacts(conn))[0]!;
      assert.equal(failed.status, 'fail', JSON.stringify(failed));
      assert.match(failed.evidence.join('\n'), new RegExp(kept[kept.length - 1]!));

      assert.equal(await backupRun(), 'exit 0');
      assert.equal((await archives()).length, KEEP);
      const ok = backupChecks(hostWith(schedule), await gatherFacts(conn))[0]!;
      assert.equal(ok.status, 'pass', JSON.stringify(ok));
    });

    it('removing the schedule stops the timer and keeps the archives; then nothing to do', async () => {
      const kept = await archives();
      const host = hostWith();
      const plan = await apply(host);
      assert.deepEqual(
        plan.actions.map((a) => a.id),
        ['backup:stop'],
      );
      assert.equal((await guest(`systemctl is-enabled ${BACKUP_UNIT}.timer || true`)).trim(), 'disabled');
      assert.deepEqual(await archives(), kept);
      const again = planHost(host, await gatherFacts(conn));
      assert.deepEqual(
        again.actions.map((a) => a.id),
        [],
      );
    });
  },
);
