// The whole mail path, end to end with real components: a VPS provisioned by plan/apply,
// real SMTP AUTH, chasquid's catch-all forwarding to a receiving server (the stand-in for
// gmail.com) found through MX lookups in a real authoritative DNS (knot), and the DKIM
// signature of the delivered message verified by mailauth against the published record.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { HostConfig } from '../../src/core/config';
import {
  dkimRecordsFor,
  dkimTxtRecord,
  generateDkimKey,
  installedDkimKeys,
  publicKeyOfPem,
  splitTxt,
} from '../../src/core/dkim';
import { chasquidPathOf } from '../../src/core/plan';
import { userPasswordKey } from '../../src/core/plan/actions/domains';
import { MemorySecretStore, shellScript, type RemoteConnection } from '../../src/core/remote';
import {
  SmtpSendError,
  sendTestMail,
  verifyDkim,
  verifyUserPassword,
  type SendTestMailResult,
} from '../../src/core/smtp';
import {
  startTestReceiver,
  type ReceivedMessage,
  type TestReceiver,
} from '../../src/core/smtp/test-receiver';
import { RECEIVER_ZONE, startTestDns, type TestDns } from './dns-fixture';
import { connect, desiredHost, sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';
import { provisionDesired } from './apply-fixture';

const DOMAIN = 'example.test';
const MAIL_HOST = 'smtp.example.test';
const USER = 'alice';
const ADDRESS = `${USER}@${DOMAIN}`;
const INBOX = 'inbox@receiver.test';
// Fixed, not random: applying again to a server that already has alice keeps her password
// (no silent resets), so a rerun against the same sandbox must use the same one.
const PASSWORD = 'mail-flow test: purple monkey dishwasher';

/**
 * This test provisions its own desired state (catch-all to receiver.test): scripts/test-integration
 * gives it its own VPSes (MAILWRIGHT_MAILFLOW_SANDBOX_13/12) so it never races provision.test.ts
 * on a shared server; run alone, it falls back to the shared variables.
 */
const instances = sandboxes('mailflow');

function hostFor(instance: SandboxInstance): HostConfig {
  return desiredHost(
    instance,
    { name: DOMAIN, users: [USER], aliases: { [USER]: [INBOX], '*': [INBOX] } },
    MAIL_HOST,
  );
}

/** Submission as alice; port 465 is TLS from the first byte, 587 must upgrade with STARTTLS. */
function submit(
  instance: SandboxInstance,
  port: 465 | 587,
  to: string,
  subject: string,
  password = PASSWORD,
): Promise<SendTestMailResult> {
  return sendTestMail({
    host: instance.ipv4,
    port,
    secure: port === 465,
    starttls: port === 587,
    user: ADDRESS,
    password,
    from: ADDRESS,
    to,
    subject,
    text: `Mail flow test ${subject}\n`,
    servername: MAIL_HOST,
    // The bootstrap certificate is self-signed until ACME replaces it.
    tlsRejectUnauthorized: false,
    timeoutMs: 30_000,
  });
}

function headerOf(raw: Buffer): string {
  const text = raw.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

describe(
  'mail flow: AUTH, catch-all forwarding, DKIM (sandbox VPS + knot)',
  { skip: instances.length === 0 && skipReason },
  () => {
    for (const instance of instances) {
      describe(`${instance.suite} (${instance.ipv4})`, { timeout: 20 * 60_000 }, () => {
        const host = hostFor(instance);
        const secrets = new MemorySecretStore();
        const receivers: TestReceiver[] = [];
        let conn: RemoteConnection | undefined;
        let dns: TestDns | undefined;
        let dkimNames: string[] = [];
        let dkimRecords: Array<{ name: string; strings: string[] }> = [];
        let delivered: ReceivedMessage | undefined;

        const received = () => receivers.flatMap((r) => r.messages);
        /** The receiver listens on both mx addresses: chasquid may pick either family. */
        // Polled across both receivers (not waitFor): no timer may outlive the test and hold the run open.
        const waitForSubject = async (subject: string, timeoutMs: number): Promise<ReceivedMessage> => {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const found = received().find((m) => headerOf(m.raw).includes(subject));
            if (found) return found;
            if (Date.now() > deadline) {
              throw new Error(
                `no message "${subject}" at ${INBOX} within ${timeoutMs / 1000} s; received: ${JSON.stringify(
                  received().map((m) => ({ from: m.from, to: m.to })),
                )}`,
              );
            }
            await new Promise((r) => setTimeout(r, 200));
          }
        };

        before(async () => {
          // DNS first: everything chasquid looks up from now on is answered by our knot.
          dns = await startTestDns(instance, { mailHost: MAIL_HOST });
          for (const address of [instance.hostIpv4, instance.hostIpv6]) {
            receivers.push(
              await startTestReceiver({ host: address, port: 25, banner: 'mx.receiver.test ESMTP' }),
            );
          }
          // The outside sender's domain vouches for the test machine's addresses, as gmail.com
          // does for its own: chasquid checks SPF on mail from outside.
          await dns.setTxt(RECEIVER_ZONE, [`v=spf1 ip4:${instance.hostIpv4} ip6:${instance.hostIpv6} -all`]);
          conn = connect(instance);
          await conn.connect();
          await secrets.set(userPasswordKey(USER, DOMAIN), PASSWORD);
        });

        after(async () => {
          conn?.close();
          await Promise.all(receivers.map((r) => r.close()));
          await dns?.stop();
        });

        it('the guest resolves the test zones through knot', async () => {
          const r = await conn!.exec(
            shellScript('getent ahostsv4 mx.receiver.test; getent ahostsv4 smtp.example.test'),
            {
              check: false,
            },
          );
          assert.match(
            r.stdout,
            new RegExp(`^${instance.hostIpv4.replace(/\./g, '\\.')}\\s`, 'm'),
            r.stdout + r.stderr,
          );
          assert.match(
            r.stdout,
            new RegExp(`^${instance.ipv4.replace(/\./g, '\\.')}\\s`, 'm'),
            r.stdout + r.stderr,
          );
          assert.deepEqual(await dns!.resolver().resolveMx('receiver.test'), [
            { exchange: 'mx.receiver.test', priority: 10 },
          ]);
        });

        it('provisions the desired state with plan/apply', { timeout: 15 * 60_000 }, async () => {
          const { output, again } = await provisionDesired(conn!, host, secrets);
          assert.ok(!output.some((l) => l.includes(PASSWORD)), 'the password never reaches the log');

          // Publish what the server signs with, read back from the server itself.
          const path = chasquidPathOf(again.facts);
          assert.ok(path && path !== 'unsupported', `chasquid path ${String(path)}`);
          const keys = await installedDkimKeys(conn!, path, DOMAIN);
          assert.ok(keys.length > 0, `no DKIM key installed for ${DOMAIN} (${path} path)`);
          dkimRecords = dkimRecordsFor(DOMAIN, keys);
          dkimNames = dkimRecords.map((r) => r.name);
          for (const record of dkimRecords) await dns!.setTxt(record.name, record.strings);
          for (const record of dkimRecords) {
            const found = (await dns!.resolver().resolveTxt(record.name)).map((strings) => strings.join(''));
            assert.deepEqual(found, [record.strings.join('')], `${record.name} published`);
          }
        });

        it('AUTH as alice works over 465 (TLS) and 587 (STARTTLS); a wrong password gets 535', async () => {
          for (const port of [465, 587] as const) {
            const sent = await submit(instance, port, ADDRESS, `auth-${port}-${randomUUID()}`);
            assert.match(sent.response, /^250\b/, `port ${port}: ${sent.response}`);
            assert.deepEqual(sent.accepted, [ADDRESS]);
            await assert.rejects(
              submit(instance, port, ADDRESS, 'wrong password', `${PASSWORD}-wrong`),
              (e: unknown) => e instanceof SmtpSendError && e.kind === 'auth' && e.responseCode === 535,
              `port ${port}: a wrong password must be refused with 535`,
            );
          }
        });

        it('user verify checks a password on 465 and 587 and changes nothing on the server', async () => {
          const usersFile = () =>
            conn!.exec(shellScript('sha256sum /etc/chasquid/domains/"$1"/users', [DOMAIN]));
          const before = (await usersFile()).stdout;
          for (const port of [465, 587] as const) {
            const right = await verifyUserPassword({ host, address: ADDRESS, password: PASSWORD, port });
            assert.equal(right.accepted, true, right.message);
            assert.match(right.reply ?? '', /^235\b/);
            const wrong = await verifyUserPassword({
              host,
              address: ADDRESS,
              password: `${PASSWORD}!`,
              port,
            });
            assert.equal(wrong.accepted, false);
            assert.match(wrong.message, /refused the password of alice@example\.test: the password is wrong/);
            assert.doesNotMatch(wrong.message, /purple monkey/, 'the password is never in a message');
          }
          const nobody = await verifyUserPassword({ host, address: `nobody@${DOMAIN}`, password: PASSWORD });
          assert.equal(nobody.accepted, false, 'verify never creates a user');
          assert.equal((await usersFile()).stdout, before, 'the users file is unchanged');
        });

        it(
          'a message to a non-user goes through the catch-all to the receiver, DKIM-signed',
          { timeout: 3 * 60_000 },
          async (t) => {
            assert.ok(dkimRecords.length > 0, 'provisioning published the DKIM records');
            const subject = `catch-all-${randomUUID()}`;
            const sent = await submit(instance, 587, `bob@${DOMAIN}`, subject);
            assert.match(sent.response, /^250\b/, sent.response);
            assert.deepEqual(sent.accepted, [`bob@${DOMAIN}`]);

            // chasquid's queue delivers within seconds; the legacy hook adds 1-4 s per message.
            const message = await waitForSubject(subject, 120_000);
            delivered = message;
            t.diagnostic(
              `envelope ${message.from} -> ${message.to.join(', ')} from ${message.remoteAddress}`,
            );
            assert.deepEqual(message.to, [INBOX], 'forwarded to the catch-all target');
            // Forwarding keeps a local sender or rewrites it into the forwarding domain (SRS-like):
            // either way the envelope sender belongs to example.test, so SPF there can pass.
            assert.match(
              message.from,
              new RegExp(`@${DOMAIN.replace('.', '\\.')}$`),
              `envelope from ${message.from}`,
            );
            assert.ok(
              [instance.ipv4, `::ffff:${instance.ipv4}`, instance.ipv6].includes(message.remoteAddress),
              `delivered by the VPS itself, not ${message.remoteAddress}`,
            );
            const header = headerOf(message.raw);
            assert.match(
              header,
              /^DKIM-Signature:[^]*?\bd=example\.test\b/im,
              `no DKIM-Signature for ${DOMAIN}:\n${header}`,
            );

            const verdict = await verifyDkim(message.raw, {
              resolver: { servers: [`${instance.hostIpv4}:53`] },
            });
            const ours = verdict.signatures.filter((s) => s.domain === DOMAIN);
            assert.ok(
              ours.length > 0,
              `mailauth found no ${DOMAIN} signature: ${JSON.stringify(verdict.signatures)}`,
            );
            for (const s of ours) {
              assert.equal(s.result, 'pass', `${s.selector}: ${s.reason ?? ''}\n${verdict.headers}`);
              assert.ok(
                dkimNames.includes(`${s.selector}._domainkey.${DOMAIN}`),
                `signed with a published selector (${s.selector})`,
              );
            }
          },
        );

        it('the same message fails DKIM once the DNS record holds another key', async () => {
          assert.ok(delivered, 'a delivered message from the previous test');
          const other = publicKeyOfPem(generateDkimKey('rsa2048').privateKeyPkcs8);
          try {
            for (const record of dkimRecords) {
              await dns!.setTxt(record.name, splitTxt(dkimTxtRecord(other.publicKey, other.keyType)));
            }
            const verdict = await verifyDkim(delivered.raw, {
              resolver: { servers: [`${instance.hostIpv4}:53`] },
            });
            const ours = verdict.signatures.filter((s) => s.domain === DOMAIN);
            assert.ok(ours.length > 0, 'the signature is still there');
            for (const s of ours)
              assert.notEqual(s.result, 'pass', `${s.selector} must not verify against a foreign key`);
          } finally {
            for (const record of dkimRecords) await dns!.setTxt(record.name, record.strings);
          }
        });

        it('mail from outside to the catch-all is forwarded with the sender rewritten into example.test', async (t) => {
          // What gmail.com would do: port 25, no AUTH. The original sender's domain cannot vouch
          // (SPF) for the VPS, so chasquid rewrites the envelope sender into its own domain.
          const subject = `inbound-${randomUUID()}`;
          const sent = await sendTestMail({
            host: instance.ipv4,
            port: 25,
            from: 'sender@receiver.test',
            to: `carol@${DOMAIN}`,
            subject,
            text: 'from outside\n',
            servername: MAIL_HOST,
            tlsRejectUnauthorized: false,
            timeoutMs: 30_000,
          });
          assert.match(sent.response, /^250\b/, sent.response);
          const message = await waitForSubject(subject, 120_000);
          t.diagnostic(`envelope ${message.from} -> ${message.to.join(', ')}`);
          assert.deepEqual(message.to, [INBOX]);
          assert.match(
            message.from,
            /\+fwd_from=sender=receiver\.test@example\.test$/,
            `envelope from ${message.from}`,
          );
        });

        it('an unverified sender is refused for a forwarded address while connected, so no bounce can go to a forged sender', async () => {
          // No SPF at all for this sender's domain: anyone could have written its name.
          const subject = `unverified-${randomUUID()}`;
          await assert.rejects(
            sendTestMail({
              host: instance.ipv4,
              port: 25,
              from: 'someone@unknown-sender.test',
              to: `carol@${DOMAIN}`,
              subject,
              text: 'spam, possibly\n',
              servername: MAIL_HOST,
              tlsRejectUnauthorized: false,
              timeoutMs: 30_000,
            }),
            (e: unknown) =>
              e instanceof SmtpSendError && (e.responseCode ?? 0) >= 500 && /5\.7\.1 .*SPF/.test(e.message),
            'refused with a permanent error that names SPF',
          );
          const hook = await conn!.exec(
            shellScript('head -c 200 /etc/chasquid/hooks/post-data; ls /etc/chasquid/hooks'),
          );
          assert.match(hook.stdout, /Written by Mailwright/);
          assert.match(hook.stdout, /post-data\.distrib/, "the distribution's hook is kept and still runs");
          await new Promise((r) => setTimeout(r, 3000));
          assert.equal(
            received().some((m) => headerOf(m.raw).includes(subject)),
            false,
            'nothing was forwarded',
          );
        });

        it('a message to alice herself is accepted', async () => {
          const sent = await submit(instance, 465, ADDRESS, `self-${randomUUID()}`);
          assert.match(sent.response, /^250\b/, sent.response);
          assert.deepEqual(sent.accepted, [ADDRESS]);
        });
      });
    }
  },
);
