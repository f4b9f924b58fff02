// A backup that rebuilds a server elsewhere, with the built CLI as a user runs it, on two fresh
// Debian 13 VPSes: A is provisioned (a user, DKIM) and backed up; archives with a wrong
// passphrase, cut off, changed (a byte of the ciphertext; a file re-encrypted with the right
// passphrase), or of another mail host are refused with nothing on B changed; the backup is then
// restored onto B, where the old password logs in and mail is signed with A's DKIM keys, which
// verify against the record published for A.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { after, before, describe, it } from 'node:test';
import { decryptStream, encryptStream } from '../../src/core/backup';
import type { HostConfig } from '../../src/core/config';
import { dkimRecordsFor, installedDkimKeys } from '../../src/core/dkim';
import { shellScript, type RemoteConnection } from '../../src/core/remote';
import { sendTestMail, verifyDkim, verifyUserPassword } from '../../src/core/smtp';
import { startTestReceiver, type TestReceiver } from '../../src/core/smtp/test-receiver';
import { RECEIVER_ZONE, startTestDns, type TestDns } from './dns-fixture';
import { connect, desiredHost, type SandboxInstance } from './sandbox-instances';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const load = (variable: string) => {
  const path = process.env[variable];
  return path ? (JSON.parse(readFileSync(path, 'utf8')) as SandboxInstance) : undefined;
};
const A = load('MAILWRIGHT_BACKUP_SANDBOX_A');
const B = load('MAILWRIGHT_BACKUP_SANDBOX_B');
if ((!A || !B) && process.env.CI)
  throw new Error(
    'No backup sandboxes: set MAILWRIGHT_BACKUP_SANDBOX_A and _B (scripts/test-integration does).',
  );

const DOMAIN = 'example.test';
const MAIL_HOST = 'smtp.example.test';
const ADDRESS = `alice@${DOMAIN}`;
const INBOX = 'inbox@receiver.test';
const PASSWORD = 'backup test: the password from before';
const PASSPHRASE = 'backup test passphrase, not secret';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(work: string, args: string[], stdin = ''): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      [CLI, ...args, '--config', join(work, 'mailwright.yaml'), '--known-hosts', join(work, 'known_hosts')],
      {
        cwd: work,
        env: {
          PATH: process.env.PATH,
          HOME: join(work, 'home'),
          MAILWRIGHT_USER_PASSWORD_ALICE_EXAMPLE_TEST: PASSWORD,
        },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

function yamlFor(instance: SandboxInstance, mailHost = MAIL_HOST, mailboxes = false): string {
  return [
    'version: 1',
    'hosts:',
    '  - name: mail',
    `    ssh: root@${instance.ipv4}:${instance.port}`,
    `    identityFile: ${instance.rootKey}`,
    `    mailHost: ${mailHost}`,
    '    domains:',
    `      - name: ${DOMAIN}`,
    '        users: [alice]',
    ...(mailboxes ? ['        mailboxes: true'] : []),
    '        aliases:',
    // With a mailbox, alice's mail stays on the server; the rest goes to the inbox outside.
    ...(mailboxes ? [] : [`          alice: ${INBOX}`]),
    `          '*': ${INBOX}`,
    '',
  ].join('\n');
}

/** Every file Mailwright or chasquid keeps on a server, hashed, and whether chasquid is installed. */
const STATE_SCRIPT = `find /etc/chasquid /etc/dovecot /var/lib/mailwright /var/backups/mailwright /var/mail -type f -exec sha256sum {} + 2>/dev/null | sort
dpkg-query -W -f='\${Status}\\n' chasquid 2>&1`;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

const both = (s: CliRun) => `${s.stdout}\n${s.stderr}`;

describe(
  'backup and restore onto a new server (the built CLI, two Debian 13 VPSes)',
  { skip: !A || !B ? 'no backup sandboxes (MAILWRIGHT_BACKUP_SANDBOX_A/_B)' : false, timeout: 30 * 60_000 },
  () => {
    let work: string;
    let connA: RemoteConnection;
    let connB: RemoteConnection;
    let dns: TestDns;
    const receivers: TestReceiver[] = [];
    let archive: string;
    let dkimRecords: Array<{ name: string; strings: string[] }> = [];
    const stateOfB = async () => (await connB.exec(shellScript(STATE_SCRIPT), { check: false })).stdout;
    const hostB = (): HostConfig => ({ ...desiredHost(B!, { name: DOMAIN }, MAIL_HOST), name: 'mail' });

    before(async () => {
      work = mkdtempSync(join(tmpdir(), 'mw-backup-'));
      writeFileSync(
        join(work, 'known_hosts'),
        readFileSync(A!.knownHostsFile, 'utf8') + readFileSync(B!.knownHostsFile, 'utf8'),
      );
      writeFileSync(join(work, 'mailwright.yaml'), yamlFor(A!));
      connA = connect(A!);
      connB = connect(B!);
      // B's names (mx.receiver.test, the DKIM records) are answered by a knot on its network.
      dns = await startTestDns(B!, { mailHost: MAIL_HOST });
      for (const address of [B!.hostIpv4, B!.hostIpv6])
        receivers.push(
          await startTestReceiver({ host: address, port: 25, banner: 'mx.receiver.test ESMTP' }),
        );
      await dns.setTxt(RECEIVER_ZONE, [`v=spf1 ip4:${B!.hostIpv4} ip6:${B!.hostIpv6} -all`]);
    });

    after(async () => {
      connA?.close();
      connB?.close();
      await Promise.all(receivers.map((r) => r.close()));
      await dns?.stop();
    });

    it('provisions A and backs it up into one encrypted file (0600), the mail size shown', async () => {
      const applied = await cli(work, ['apply', '--yes']);
      assert.equal(applied.code, 0, both(applied));
      const keys = await installedDkimKeys(connA, 'native-dkim', DOMAIN);
      assert.ok(keys.length > 0, 'A has DKIM keys');
      dkimRecords = dkimRecordsFor(DOMAIN, keys);
      // The records published for A: B is checked against them, unchanged.
      for (const r of dkimRecords) await dns.setTxt(r.name, r.strings);

      archive = join(work, 'a.age');
      const made = await cli(work, ['backup', '--out', archive, '--passphrase-stdin'], `${PASSPHRASE}\n`);
      assert.equal(made.code, 0, both(made));
      assert.match(made.stderr, /Mail on the server: .*not included \(add --with-mail/);
      assert.equal(statSync(archive).mode & 0o777, 0o600);
      const bytes = readFileSync(archive);
      assert.match(bytes.subarray(0, 40).toString('latin1'), /^age-encryption\.org\/v1\n/);
      assert.ok(!bytes.includes('PRIVATE KEY'), 'no key in clear');
      // Nothing of the backup stays on A.
      const left = await connA.exec(
        shellScript('find /tmp /var/tmp /root -newer /etc/chasquid/chasquid.conf -name "*.tar*"'),
        { check: false },
      );
      assert.equal(left.stdout.trim(), '');
    });

    it('refuses a wrong passphrase, a cut-off, a changed and a re-encrypted tampered archive, and another mail host; B unchanged', async () => {
      writeFileSync(join(work, 'mailwright.yaml'), yamlFor(B!));
      const beforeState = await stateOfB();
      const whole = readFileSync(archive);
      const refused = async (file: string, pattern: RegExp, passphrase = PASSPHRASE) => {
        const run = await cli(work, ['restore', file, '--yes', '--passphrase-stdin'], `${passphrase}\n`);
        assert.equal(run.code, 1, both(run));
        assert.match(run.stderr, pattern);
        assert.doesNotMatch(run.stdout, /Restore plan for/, 'refused before any plan');
        assert.equal(await stateOfB(), beforeState, `B unchanged after ${file}`);
      };
      await refused(archive, /passphrase does not open/, 'not the passphrase');

      const cut = join(work, 'cut.age');
      writeFileSync(cut, whole.subarray(0, whole.length - 1000));
      await refused(cut, /damaged or incomplete/);

      const flipped = join(work, 'flipped.age');
      const changed = Buffer.from(whole);
      changed[Math.floor(changed.length / 2)]! ^= 0x20;
      writeFileSync(flipped, changed);
      await refused(flipped, /damaged/);

      // Someone with the passphrase changes a DKIM key and encrypts the archive again: the manifest says no.
      const plain = await readAll(
        Readable.fromWeb(
          (await decryptStream(
            Readable.toWeb(Readable.from([whole])) as ReadableStream<Uint8Array>,
            PASSPHRASE,
            'a.age',
          )) as NodeReadableStream,
        ),
      );
      const at = plain.indexOf('-----BEGIN PRIVATE KEY-----\n') + 40;
      assert.ok(at > 40, 'the archive holds a key');
      plain[at] = plain[at] === 0x41 ? 0x42 : 0x41;
      const tampered = join(work, 'tampered.age');
      const cipher = await encryptStream(
        Readable.toWeb(Readable.from([plain])) as ReadableStream<Uint8Array>,
        PASSPHRASE,
        10,
      );
      writeFileSync(tampered, await readAll(Readable.fromWeb(cipher as NodeReadableStream)));
      await refused(tampered, /does not match its manifest[^]*does not match its sha256 checksum/);

      writeFileSync(join(work, 'mailwright.yaml'), yamlFor(B!, 'smtp2.example.test'));
      const other = await cli(work, ['restore', archive, '--yes', '--passphrase-stdin'], `${PASSPHRASE}\n`);
      assert.equal(other.code, 1, both(other));
      assert.match(
        other.stderr,
        /backup is of mail host smtp\.example\.test, but host "mail" in mailwright\.yaml has mailHost smtp2\.example\.test/,
      );
      assert.equal(await stateOfB(), beforeState, 'B unchanged after the mismatch');
    });

    it('restores onto B: the plan names keys and users, the DNS changes are the addresses only', async () => {
      writeFileSync(join(work, 'mailwright.yaml'), yamlFor(B!));
      const run = await cli(work, ['restore', archive, '--yes', '--passphrase-stdin'], `${PASSPHRASE}\n`);
      assert.equal(run.code, 0, both(run));
      assert.match(run.stdout, /Restore plan for mail/);
      assert.match(run.stdout, /DKIM keys kept: example\.test \(/);
      assert.match(run.stdout, /Mail users kept with their passwords: alice@example\.test/);
      assert.match(
        run.stderr,
        /DNS: only these records change with the new server's addresses: .*A smtp\.example\.test \([\d.]+ → [\d.]+\)/,
      );
      assert.doesNotMatch(run.stderr, /_domainkey/);
      const again = await cli(work, ['plan', '--detailed-exitcode']);
      assert.equal(again.code, 0, `nothing left to do on B:\n${both(again)}`);
      const keysA = (await installedDkimKeys(connA, 'native-dkim', DOMAIN)).map((k) => [
        k.selector,
        k.publicKey,
      ]);
      const keysB = (await installedDkimKeys(connB, 'native-dkim', DOMAIN)).map((k) => [
        k.selector,
        k.publicKey,
      ]);
      assert.deepEqual(keysB, keysA, "B signs with A's keys");
    });

    it('the old password logs in on B (235)', async () => {
      const result = await verifyUserPassword({
        host: hostB(),
        address: ADDRESS,
        password: PASSWORD,
        server: B!.ipv4,
      });
      assert.equal(result.accepted, true, result.message);
      assert.match(result.reply ?? '', /^235\b/);
    });

    it("a message from B verifies against A's unchanged DKIM record", { timeout: 3 * 60_000 }, async () => {
      const subject = `restored-${randomUUID()}`;
      const sent = await sendTestMail({
        host: B!.ipv4,
        port: 587,
        secure: false,
        starttls: true,
        user: ADDRESS,
        password: PASSWORD,
        from: ADDRESS,
        to: `bob@${DOMAIN}`,
        subject,
        text: 'restored\n',
        servername: MAIL_HOST,
        tlsRejectUnauthorized: false,
        timeoutMs: 30_000,
      });
      assert.match(sent.response, /^250\b/, sent.response);
      const deadline = Date.now() + 120_000;
      let message;
      while (!(message = receivers.flatMap((r) => r.messages).find((m) => m.raw.includes(subject)))) {
        assert.ok(Date.now() < deadline, `no message "${subject}" within 120 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const verdict = await verifyDkim(message.raw, { resolver: { servers: [`${B!.hostIpv4}:53`] } });
      const ours = verdict.signatures.filter((s) => s.domain === DOMAIN);
      assert.ok(ours.length > 0, JSON.stringify(verdict.signatures));
      for (const s of ours) {
        assert.equal(s.result, 'pass', `${s.selector}: ${s.reason ?? ''}`);
        assert.ok(
          dkimRecords.some((r) => r.name === `${s.selector}._domainkey.${DOMAIN}`),
          `A's selector ${s.selector}`,
        );
      }
    });

    it(
      'with mailboxes, a --with-mail backup brings the mail back on B',
      { timeout: 20 * 60_000 },
      async () => {
        writeFileSync(join(work, 'mailwright.yaml'), yamlFor(A!, MAIL_HOST, true));
        const applied = await cli(work, ['apply', '--yes']);
        assert.equal(applied.code, 0, both(applied));
        const subject = `kept-${randomUUID()}`;
        const sent = await sendTestMail({
          host: A!.ipv4,
          port: 587,
          secure: false,
          starttls: true,
          user: ADDRESS,
          password: PASSWORD,
          from: ADDRESS,
          to: ADDRESS,
          subject,
          text: 'in the mailbox\n',
          servername: MAIL_HOST,
          tlsRejectUnauthorized: false,
          timeoutMs: 30_000,
        });
        assert.match(sent.response, /^250\b/, sent.response);
        const maildir = `/var/mail/vhosts/${DOMAIN}/alice/Maildir`;
        // The message files (new/ and cur/) with their content hashes and owner.
        const messages = async (conn: RemoteConnection) =>
          (
            await conn.exec(
              shellScript(
                'cd "$1" 2>/dev/null || exit 0; for f in new/* cur/*; do [ -f "$f" ] && echo "$(stat -c %U:%G "$f") $(sha256sum < "$f")"; done | sort',
                [maildir],
              ),
              { check: false },
            )
          ).stdout.trim();
        const deadline = Date.now() + 60_000;
        while (!(await messages(connA))) {
          assert.ok(Date.now() < deadline, 'the message reached the mailbox on A');
          await new Promise((r) => setTimeout(r, 500));
        }
        const onA = await messages(connA);

        const withMail = join(work, 'mail.age');
        const made = await cli(
          work,
          ['backup', '--with-mail', '--out', withMail, '--passphrase-stdin'],
          `${PASSPHRASE}\n`,
        );
        assert.equal(made.code, 0, both(made));
        assert.match(made.stderr, /Mail on the server: .*, included\./);

        writeFileSync(join(work, 'mailwright.yaml'), yamlFor(B!, MAIL_HOST, true));
        const run = await cli(work, ['restore', withMail, '--yes', '--passphrase-stdin'], `${PASSPHRASE}\n`);
        assert.equal(run.code, 0, both(run));
        assert.match(run.stdout, /Restore the mail of the backup: \d+ file\(s\)/);
        assert.equal(await messages(connB), onA, 'the same messages, owned by the mail user, on B');
        assert.match(onA, /^vmail:vmail /);
        const login = await verifyUserPassword({
          host: hostB(),
          address: ADDRESS,
          password: PASSWORD,
          server: B!.ipv4,
        });
        assert.equal(login.accepted, true, login.message);
      },
    );
  },
);
