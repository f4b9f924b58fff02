// Scheduled backups: archives locked for an age public key and opened with its identity (a wrong
// identity, or the identity on a passphrase archive, refused), the key pair, which archives the
// retention deletes, the backups.schedule checks of mailwright.yaml, and the timer's plan.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import {
  archiveLock,
  archivesBeyond,
  backupFileName,
  BackupCryptoError,
  backupSettings,
  generateBackupKey,
  identityOf,
  openBackup,
  startArchive,
} from '../../src/core/backup';
import {
  BACKUP_PROGRAM_PATH,
  BACKUP_SERVICE_PATH,
  BACKUP_SETTINGS_PATH,
  BACKUP_TIMER_PATH,
} from '../../src/core/backup/server-paths';
import { parseConfig, type BackupScheduleConfig, type HostConfig } from '../../src/core/config';
import { parseBackupArchives, parseRenewal } from '../../src/core/facts/parse';
import type { Facts, RenewalFacts } from '../../src/core/facts';
import { sha256, type PlanContext } from '../../src/core/plan';
import { BACKUP_SERVICE, backupTimer, planBackupTimer } from '../../src/core/plan/actions/backup-timer';
import { backupChecks } from '../../src/core/checks/server';
import { testDomain, testHost } from './config-fixture';

const server = { os: 'Debian GNU/Linux 13 (trixie)', addresses: { ipv4: ['198.51.100.2'], ipv6: [] } };
let dir: string;
let root: string;

async function archiveFor(out: string, key: { recipient: string } | { passphrase: string }): Promise<void> {
  const archive = await startArchive({
    host: testHost({ name: 'vps', domains: [testDomain()] }),
    server,
    config: Buffer.from('version: 1\n'),
    ...key,
    scryptLogN: 10,
    out,
    withMail: false,
  });
  const tar = spawn('tar', ['--format=pax', '-c', '-f', '-', '-C', root, 'etc/chasquid'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  }).stdout;
  await pipeline(tar, archive.sink);
  await archive.done;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-backup-schedule-'));
  root = join(dir, 'root');
  mkdirSync(join(root, 'etc/chasquid/domains/example.com'), { recursive: true });
  writeFileSync(join(root, 'etc/chasquid/domains/example.com/dkim:sel.pem'), 'KEY\n');
  writeFileSync(join(root, 'etc/chasquid/chasquid.conf'), 'hostname: "smtp.example.com"\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('archives locked for a public key', () => {
  it('a key pair: the public key for mailwright.yaml, the identity file in age-keygen’s format', async () => {
    const { identityFile, recipient } = await generateBackupKey(new Date('2026-12-07T00:00:00Z'));
    assert.match(recipient, /^age1[02-9ac-hj-np-z]{58}$/);
    assert.match(
      identityFile,
      new RegExp(`^# created: 2026-12-07T00:00:00.000Z\\n# public key: ${recipient}\\n`),
    );
    assert.match(identityOf(identityFile), /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/);
    assert.throws(() => identityOf(`${recipient}\n`), /public key .* only locks archives/);
    assert.throws(() => identityOf('nothing here\n'), BackupCryptoError);
  });

  it('opens with its identity only; a wrong identity and a passphrase are refused, and a passphrase archive with an identity', async () => {
    const mine = await generateBackupKey();
    const other = await generateBackupKey();
    const locked = join(dir, 'locked.age');
    await archiveFor(locked, { recipient: mine.recipient });
    assert.equal(statSync(locked).mode & 0o777, 0o600);
    assert.equal(await archiveLock(locked), 'recipient');
    const opened = await openBackup(locked, { identity: identityOf(mine.identityFile) });
    assert.equal(opened.manifest.host.name, 'vps');
    assert.deepEqual(
      opened.files.find((f) => f.path.endsWith('dkim:sel.pem'))?.content,
      readFileSync(join(root, 'etc/chasquid/domains/example.com/dkim:sel.pem')),
    );
    await assert.rejects(openBackup(locked, { identity: identityOf(other.identityFile) }), (e: Error) => {
      assert.ok(e instanceof BackupCryptoError);
      assert.match(e.message, /This identity does not open .*Nothing was changed/);
      return true;
    });
    await assert.rejects(openBackup(locked, 'a passphrase it never had'), BackupCryptoError);

    const withPassphrase = join(dir, 'passphrase.age');
    await archiveFor(withPassphrase, { passphrase: 'correct horse battery staple' });
    assert.equal(await archiveLock(withPassphrase), 'passphrase');
    await assert.rejects(
      openBackup(withPassphrase, { identity: identityOf(mine.identityFile) }),
      BackupCryptoError,
    );
    await openBackup(withPassphrase, { passphrase: 'correct horse battery staple' });
    assert.equal(await archiveLock(join(root, 'etc/chasquid/chasquid.conf')), 'unknown');
  });

  it('a damaged public key is refused before anything is written', async () => {
    const out = join(dir, 'never.age');
    await assert.rejects(archiveFor(out, { recipient: 'age1notakey' }), /not an age public key/);
    assert.throws(() => statSync(out));
  });
});

describe('retention', () => {
  it('deletes the oldest of the host’s own archives beyond keep, nothing else', () => {
    const names = [
      backupFileName('vps', new Date('2026-12-03T03:00:00Z')),
      backupFileName('vps', new Date('2026-12-01T03:00:00Z')),
      backupFileName('vps', new Date('2026-12-02T03:00:00Z')),
      backupFileName('vps-2', new Date('2026-11-01T03:00:00Z')),
      'mailwright-backup-vps-20261101-030000.age.part',
      '.mailwright-backup-vps-20261201-030000.age.0a1b2c.part',
      'notes.txt',
    ];
    assert.equal(names[1], 'mailwright-backup-vps-20261201-030000.age');
    assert.deepEqual(archivesBeyond('vps', names, 2), ['mailwright-backup-vps-20261201-030000.age']);
    assert.deepEqual(archivesBeyond('vps', names, 3), []);
    assert.deepEqual(archivesBeyond('vps', names, 1), [
      'mailwright-backup-vps-20261201-030000.age',
      'mailwright-backup-vps-20261202-030000.age',
    ]);
  });
});

const RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

function load(schedule: string): { schedule?: BackupScheduleConfig; errors: string[] } {
  const text = [
    'version: 1',
    'hosts:',
    '  - name: vps',
    '    ssh: root@mail.example.com',
    '    mailHost: smtp.example.com',
    '    domains: [{ name: example.com }]',
    `    backups: { schedule: ${schedule} }`,
    '',
  ].join('\n');
  const loaded = parseConfig(text, 'mailwright.yaml');
  return {
    schedule: loaded.config?.hosts[0]?.backups?.schedule,
    errors: loaded.issues
      .filter((i) => i.severity === 'error')
      .map((i) => `${i.path}: ${i.message} ${i.hint}`),
  };
}

describe('backups.schedule in mailwright.yaml', () => {
  it('the defaults: every 24h, 7 kept, a folder of its own, no mail', () => {
    assert.deepEqual(load(`{ recipient: ${RECIPIENT} }`), {
      schedule: {
        every: '24h',
        keep: 7,
        dir: '/var/backups/mailwright-archives',
        recipient: RECIPIENT,
        withMail: false,
      },
      errors: [],
    });
  });

  it('refuses the identity in place of the public key, saying it must never be there', () => {
    const { errors } = load(
      '{ recipient: AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX }',
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /recipient: This is an age identity.*never be in this file or on the server/);
  });

  it('refuses what is not a public key, or missing', () => {
    assert.match(load('{ recipient: ssh-ed25519 AAAA }').errors[0]!, /not an age public key/);
    assert.match(load('{ every: 24h }').errors[0]!, /recipient/);
  });

  it('refuses intervals, counts and folders out of bounds, naming why', () => {
    const bad = (field: string) => load(`{ recipient: ${RECIPIENT}, ${field} }`).errors;
    assert.match(bad('every: 30m')[0]!, /every: "30m" is out of range: use 1h to 7d/);
    assert.match(bad('every: 2w')[0]!, /out of range/);
    assert.match(bad('every: often')[0]!, /not a duration/);
    assert.match(bad('keep: 0')[0]!, /keep: "0" is not a valid number of archives to keep/);
    assert.match(bad('dir: relative/path')[0]!, /absolute folder/);
    assert.match(bad('dir: /var/backups/../etc')[0]!, /no "\.\."/);
    assert.match(bad('dir: /etc/chasquid/backups')[0]!, /inside what a backup holds/);
    assert.match(bad('dir: /var/mail/vhosts/x')[0]!, /inside what a backup holds/);
    assert.match(bad('dir: /var/backups/mailwright')[0]!, /previous versions/);
    assert.match(bad('dir: /srv')[0]!, /system folder/);
    assert.deepEqual(bad('every: 12h, keep: 30, dir: /srv/backups/mail, withMail: true'), []);
  });
});

function hostWith(schedule?: BackupScheduleConfig): HostConfig {
  return testHost({ name: 'vps', domains: [testDomain()], ...(schedule && { backups: { schedule } }) });
}
const SCHEDULE: BackupScheduleConfig = {
  every: '24h',
  keep: 7,
  dir: '/var/backups/mailwright-archives',
  recipient: RECIPIENT,
  withMail: false,
};
const PROGRAM = 'console.log("backup")\n';

function ctx(host: HostConfig, timer: RenewalFacts, node = '20.19.2'): PlanContext {
  const facts = {
    systemd: true,
    hasApt: true,
    confFiles: {},
    chasquidState: { domains: {}, certs: {}, managed: {} },
    renewal: node ? { node, files: {} } : { nodeCandidate: '20.19.2+dfsg-1', files: {} },
    backupTimer: timer,
  } as unknown as Facts;
  return { host, facts, now: new Date('2026-12-01T00:00:00Z') };
}

function installed(host: HostConfig): RenewalFacts {
  return {
    timerEnabled: 'enabled',
    timerActive: 'active',
    files: {
      [BACKUP_PROGRAM_PATH]: sha256(PROGRAM),
      [BACKUP_SETTINGS_PATH]: sha256(backupSettings(host)),
      [BACKUP_SERVICE_PATH]: sha256(BACKUP_SERVICE),
      [BACKUP_TIMER_PATH]: sha256(backupTimer(86_400, '24h')),
    },
  };
}

describe('scheduled backups: planning', () => {
  before(() => {
    process.env.MAILWRIGHT_BACKUP_PROGRAM = join(dir, 'backup.js');
    writeFileSync(process.env.MAILWRIGHT_BACKUP_PROGRAM, PROGRAM);
  });
  const ids = (c: PlanContext) => planBackupTimer(c).actions.map((a) => a.id);

  it('a fresh server: Node.js, program, settings, units, then the timer enabled; then nothing', () => {
    const host = hostWith(SCHEDULE);
    assert.deepEqual(ids(ctx(host, { files: {} }, '')), [
      'backup:nodejs',
      'backup:program',
      'backup:settings',
      'backup:service',
      'backup:timer',
      'backup:enable',
    ]);
    assert.deepEqual(ids(ctx(host, installed(host))), []);
  });

  it('the settings hold the public key and no SSH details; a new interval rewrites the timer', () => {
    const host = hostWith(SCHEDULE);
    const settings = backupSettings(host);
    assert.match(settings, new RegExp(RECIPIENT));
    assert.doesNotMatch(settings, /mail\.example\.com|AGE-SECRET/);
    const twice = hostWith({ ...SCHEDULE, every: '12h' });
    assert.deepEqual(ids(ctx(twice, installed(host))), ['backup:settings', 'backup:timer', 'backup:enable']);
    assert.match(backupTimer(43_200, '12h'), /OnUnitActiveSec=43200s/);
  });

  it('the schedule removed: the timer stops (archives stay); with no timer running, nothing', () => {
    const host = hostWith(SCHEDULE);
    const plan = planBackupTimer(ctx(hostWith(), installed(host)));
    assert.deepEqual(
      plan.actions.map((a) => [a.id, a.title]),
      [['backup:stop', 'Stop the scheduled backups (the archives already written stay)']],
    );
    assert.deepEqual(ids(ctx(hostWith(), { files: {} })), []);
  });

  it('a server whose Node.js is too old gets a note, no action', () => {
    const plan = planBackupTimer(ctx(hostWith(SCHEDULE), { files: {} }, '12.22.9'));
    assert.deepEqual(plan.actions, []);
    assert.match(plan.notes[0]!, /Scheduled backups cannot run on vps: its Node.js is 12\.22\.9/);
  });
});

describe('facts of the scheduled backups', () => {
  it('reads the timer, the last run and the archives', () => {
    const timer = parseRenewal('timer-enabled enabled\ntimer-active active\nservice-result exit-code\n');
    assert.equal(timer.serviceResult, 'exit-code');
    assert.deepEqual(
      parseBackupArchives(
        'now 1765000000\ndir /var/backups/mailwright-archives\nfile 1764990000.5 4096 600 root:root mailwright-backup-vps-20261205-000000.age\nfile 1764900000.1 4000 600 root:root mailwright-backup-vps-20261204-000000.age\n',
      ),
      {
        now: 1765000000,
        dir: '/var/backups/mailwright-archives',
        files: [
          {
            name: 'mailwright-backup-vps-20261204-000000.age',
            mtime: 1764900000.1,
            size: 4000,
            mode: '600',
            owner: 'root:root',
          },
          {
            name: 'mailwright-backup-vps-20261205-000000.age',
            mtime: 1764990000.5,
            size: 4096,
            mode: '600',
            owner: 'root:root',
          },
        ],
      },
    );
    assert.equal(parseBackupArchives(''), undefined);
  });
});

describe('the health check of scheduled backups', () => {
  const host = hostWith({ ...SCHEDULE, every: '12h' });
  const now = 1_765_000_000;
  const file = (hoursAgo: number) => {
    const when = new Date((now - hoursAgo * 3600) * 1000);
    return {
      name: backupFileName('vps', when),
      mtime: now - hoursAgo * 3600,
      size: 4096,
      mode: '600',
      owner: 'root:root',
    };
  };
  const judge = (files: ReturnType<typeof file>[], serviceResult = 'success') =>
    backupChecks(host, {
      backupTimer: { files: {}, serviceResult },
      backupArchives: { now, dir: SCHEDULE.dir, files },
    } as unknown as Facts)[0]!;

  it('passes with a recent archive, warns past two periods, fails when the last run failed', () => {
    assert.equal(judge([file(30), file(6)]).status, 'pass');
    assert.match(judge([file(30), file(6)]).evidence[0]!, /6\.0 h old; 2 kept \(keep 7\)/);
    const late = judge([file(30), file(25)]);
    assert.equal(late.status, 'warn');
    assert.match(late.fix!, /two periods/);
    const failed = judge([file(6)], 'exit-code');
    assert.equal(failed.status, 'fail');
    assert.match(failed.fix!, /journalctl -u mailwright-backup/);
    assert.equal(judge([]).status, 'skip');
    assert.deepEqual(backupChecks(hostWith(), {} as Facts), []);
  });
});
