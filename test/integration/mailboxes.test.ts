// Mailboxes end to end on a real VPS: a domain with `mailboxes: true` provisioned by plan/apply
// gets Dovecot; mail submitted to chasquid on 465 is delivered over LMTP and read back over
// IMAPS 993; SMTP AUTH goes through Dovecot's auth socket; Dovecot accepts its configuration.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { HostConfig } from '../../src/core/config';
import { DOVECOT_CONF_PATH, IMAPS_PORT, MAILBOX_USERS_PATH } from '../../src/core/dovecot';
import { gatherFacts } from '../../src/core/facts';
import { fetchByHeader, ImapError, ImapSession, type ImapOptions } from '../../src/core/imap';
import { planHost } from '../../src/core/plan';
import { removeUser, setUserPassword, userPasswordKey } from '../../src/core/plan/actions/domains';
import { certificateNames } from '../../src/core/plan/actions/service-probe';
import { MemorySecretStore, shellCommand, shellScript, type RemoteConnection } from '../../src/core/remote';
import { SmtpSendError, sendTestMail, type SendTestMailResult } from '../../src/core/smtp';
import { connect, desiredHost, sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';
import { applyDesired } from './apply-fixture';

const DOMAIN = 'example.test';
const MAIL_HOST = 'smtp.example.test';
// Fixed, not random: a rerun against the same sandbox keeps the users (no silent resets).
const PASSWORDS: Record<string, string> = {
  alice: 'mailboxes test: correct horse battery',
  bob: 'mailboxes test: bob\'s "quoted" \\ secret',
};

/** Its own VPSes (MAILWRIGHT_MAILBOXES_SANDBOX_13/12): nobody else's desired state on them. */
const instances = sandboxes('mailboxes');

function hostFor(instance: SandboxInstance): HostConfig {
  return desiredHost(
    instance,
    { name: DOMAIN, users: ['alice', 'bob'], aliases: { postmaster: ['alice'] }, mailboxes: true },
    MAIL_HOST,
  );
}

function submit(
  instance: SandboxInstance,
  to: string,
  subject: string,
  password = PASSWORDS.alice!,
): Promise<SendTestMailResult> {
  return sendTestMail({
    host: instance.ipv4,
    port: 465,
    secure: true,
    user: `alice@${DOMAIN}`,
    password,
    from: `alice@${DOMAIN}`,
    to,
    subject,
    text: `Mailbox test ${subject}\n`,
    servername: MAIL_HOST,
    // The bootstrap certificate is self-signed until ACME replaces it.
    tlsRejectUnauthorized: false,
    timeoutMs: 30_000,
  });
}

/** The IMAPS login of a user of the test domain, as a mail program makes it. */
const imapLogin = (instance: SandboxInstance, user: string, password = PASSWORDS[user]!): ImapOptions => ({
  host: instance.ipv4,
  port: IMAPS_PORT,
  servername: MAIL_HOST,
  user: `${user}@${DOMAIN}`,
  password,
  // The bootstrap certificate is self-signed until ACME replaces it.
  rejectUnauthorized: false,
});

/** The message with `subject` in a user's INBOX, polled until it is there (delivery is asynchronous). */
async function waitForMessage(instance: SandboxInstance, user: string, subject: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await fetchByHeader(imapLogin(instance, user), 'Subject', subject);
    if (found) return found.toString('utf8');
    if (Date.now() > deadline) throw new Error(`no message "${subject}" in ${user}'s INBOX within 60 s`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** 'OK' when the server lets the user in over IMAPS, 'NO' when it refuses the password. */
async function imapLoginStatus(
  instance: SandboxInstance,
  user: string,
  password: string,
): Promise<'OK' | 'NO'> {
  const session = await ImapSession.open(imapLogin(instance, user, password));
  try {
    await session.login(`${user}@${DOMAIN}`, password);
    return 'OK';
  } catch (e) {
    if (e instanceof ImapError && e.kind === 'auth') return 'NO';
    throw e;
  } finally {
    await session.logout();
  }
}

describe(
  'mailboxes: Dovecot behind chasquid (sandbox VPS)',
  { skip: instances.length === 0 && skipReason },
  () => {
    for (const instance of instances) {
      describe(`${instance.suite} (${instance.ipv4})`, { timeout: 20 * 60_000 }, () => {
        const host = hostFor(instance);
        const secrets = new MemorySecretStore();
        let conn: RemoteConnection | undefined;

        before(async () => {
          conn = connect(instance);
          await conn.connect();
          for (const [user, password] of Object.entries(PASSWORDS))
            await secrets.set(userPasswordKey(user, DOMAIN), password);
        });

        after(() => conn?.close());

        /** Plan and apply a desired state (the sandbox's hand edits are overwritten). */
        const apply = (desired: HostConfig = host) => applyDesired(conn!, desired, secrets);

        it(
          'provisions a domain with mailboxes; a second plan is empty',
          { timeout: 15 * 60_000 },
          async () => {
            const { plan, result, output } = await apply();
            const ids = plan.actions.map((a) => a.id);
            // A rerun against the same sandbox finds Dovecot already there.
            if (!plan.facts.dovecot.installed)
              for (const id of [
                'install:dovecot',
                'mailboxes:dovecot.conf',
                'service:dovecot',
                `users:${DOMAIN}`,
              ])
                assert.ok(ids.includes(id), `${id} planned: ${ids.join(', ')}`);
            assert.ok(
              result.ok,
              `apply failed: ${JSON.stringify(result.failed)}\n${output.slice(-40).join('\n')}`,
            );
            for (const password of Object.values(PASSWORDS))
              assert.ok(!output.some((l) => l.includes(password)), 'no password reaches the log');

            const facts = await gatherFacts(conn!);
            assert.deepEqual([...(facts.dovecot.users ?? [])].sort(), [`alice@${DOMAIN}`, `bob@${DOMAIN}`]);
            assert.deepEqual(
              facts.chasquidState?.domains[DOMAIN]?.users,
              [],
              "chasquid's users file has none",
            );
            const again = planHost(host, facts);
            assert.deepEqual(
              again.actions.map((a) => `${a.id}: ${a.reason}`),
              [],
              'nothing left to do',
            );
          },
        );

        it('Dovecot accepts its configuration; the users file holds hashes only, root:dovecot 640', async () => {
          const r = await conn!.exec(shellCommand(['doveconf', '-n', '-c', DOVECOT_CONF_PATH]), {
            check: false,
          });
          assert.equal(r.exitCode, 0, r.stderr);
          const users = await conn!.exec(shellCommand(['cat', MAILBOX_USERS_PATH]));
          for (const password of Object.values(PASSWORDS)) assert.ok(!users.stdout.includes(password));
          assert.match(users.stdout, /^alice@example\.test:\{SHA512-CRYPT\}\$6\$rounds=\d+\$/m);
          const stat = await conn!.exec(shellCommand(['stat', '-c', '%U:%G %a', MAILBOX_USERS_PATH]));
          assert.equal(stat.stdout.trim(), 'root:dovecot 640');
        });

        it('mail to bob@ and postmaster@ (alias of alice) lands in their mailboxes, read over IMAPS', async () => {
          const toBob = `to-bob-${randomUUID()}`;
          const toPostmaster = `to-postmaster-${randomUUID()}`;
          for (const [to, subject] of [
            [`bob@${DOMAIN}`, toBob],
            [`postmaster@${DOMAIN}`, toPostmaster],
          ] as const) {
            const sent = await submit(instance, to, subject);
            assert.match(sent.response, /^250\b/, sent.response);
            assert.deepEqual(sent.accepted, [to]);
          }
          const bobs = await waitForMessage(instance, 'bob', toBob);
          assert.match(bobs, new RegExp(`Mailbox test ${toBob}`));
          const alices = await waitForMessage(instance, 'alice', toPostmaster);
          assert.match(alices, new RegExp(`Mailbox test ${toPostmaster}`));
          assert.match(alices, /^To: postmaster@example\.test/m);
        });

        it('IMAPS serves the mail host certificate and refuses a wrong password', async () => {
          const session = await ImapSession.open(imapLogin(instance, 'alice'));
          try {
            assert.ok(certificateNames(session.peerCertificate()).includes(MAIL_HOST));
          } finally {
            session.close();
          }
          assert.equal(await imapLoginStatus(instance, 'alice', `${PASSWORDS.alice}-wrong`), 'NO');
        });

        it('SMTP AUTH goes through Dovecot: right password accepted, wrong one 535', async () => {
          const sent = await submit(instance, `alice@${DOMAIN}`, `self-${randomUUID()}`);
          assert.match(sent.response, /^250\b/);
          await assert.rejects(
            submit(instance, `alice@${DOMAIN}`, 'wrong password', `${PASSWORDS.alice}-wrong`),
            (e: unknown) => e instanceof SmtpSendError && e.kind === 'auth' && e.responseCode === 535,
          );
        });

        it("user add|passwd|remove of a mailbox domain write Dovecot's file: IMAP and SMTP AUTH follow", async () => {
          const login = (password: string) => imapLoginStatus(instance, 'carol', password);
          const first = 'carol: first password';
          const second = 'carol: second password';
          await setUserPassword(conn!, DOMAIN, 'carol', first, 'dovecot');
          assert.equal(await login(first), 'OK');
          await setUserPassword(conn!, DOMAIN, 'carol', second, 'dovecot');
          assert.equal(await login(first), 'NO');
          assert.equal(await login(second), 'OK');
          const sent = await sendTestMail({
            host: instance.ipv4,
            port: 465,
            secure: true,
            user: `carol@${DOMAIN}`,
            password: second,
            from: `carol@${DOMAIN}`,
            to: `alice@${DOMAIN}`,
            subject: `from-carol-${randomUUID()}`,
            servername: MAIL_HOST,
            tlsRejectUnauthorized: false,
            timeoutMs: 30_000,
          });
          assert.match(sent.response, /^250\b/);
          assert.equal(await removeUser(conn!, DOMAIN, 'carol', 'dovecot'), true);
          assert.equal(await login(second), 'NO');
          const facts = await gatherFacts(conn!);
          assert.ok(!facts.dovecot.users?.includes(`carol@${DOMAIN}`));
        });

        it('an unknown recipient is refused with 550 at RCPT', async () => {
          await assert.rejects(
            submit(instance, `nobody@${DOMAIN}`, 'unknown'),
            (e: unknown) => e instanceof SmtpSendError && e.kind === 'recipient' && e.responseCode === 550,
          );
        });

        it(
          'a Dovecot that does not start gets its previous dovecot.conf back; the next apply converges',
          { timeout: 5 * 60_000 },
          async () => {
            const confText = async () => (await conn!.exec(shellCommand(['cat', DOVECOT_CONF_PATH]))).stdout;
            // A hand edit (drift, overwritten), and a Dovecot that cannot start (masked for this boot).
            const edited = `${await confText()}# edited by hand\n`;
            await conn!.exec(
              shellScript('printf %s "$1" > "$2"; systemctl stop dovecot; systemctl mask --runtime dovecot', [
                edited,
                DOVECOT_CONF_PATH,
              ]),
            );
            try {
              const { plan, result } = await apply();
              assert.ok(
                plan.actions.find((a) => a.id === 'mailboxes:dovecot.conf')?.drift,
                'the hand edit is drift',
              );
              assert.equal(result.ok, false);
              assert.equal(result.failed?.id, 'mailboxes:dovecot.conf');
              assert.match(
                result.failed!.message,
                /Dovecot does not start with the new \/etc\/dovecot\/dovecot\.conf/,
              );
              assert.match(result.failed!.message, /Put back \/etc\/dovecot\/dovecot\.conf/);
              assert.equal(await confText(), edited, 'the previous file is back');
            } finally {
              await conn!.exec(shellCommand(['systemctl', 'unmask', '--runtime', 'dovecot']), {
                check: false,
              });
            }
            const { result, output } = await apply();
            assert.ok(result.ok, `${JSON.stringify(result.failed)}\n${output.slice(-20).join('\n')}`);
            assert.doesNotMatch(await confText(), /edited by hand/);
            const again = planHost(host, await gatherFacts(conn!));
            assert.deepEqual(
              again.actions.map((a) => `${a.id}: ${a.reason}`),
              [],
            );
          },
        );

        it(
          'a domain moving to forward-only and back moves its users between chasquid and Dovecot',
          { timeout: 10 * 60_000 },
          async () => {
            const outside = desiredHost(
              instance,
              {
                name: DOMAIN,
                users: ['alice', 'bob'],
                aliases: {
                  postmaster: ['alice'],
                  alice: ['alice@elsewhere.test'],
                  bob: ['bob@elsewhere.test'],
                },
                mailboxes: false,
              },
              MAIL_HOST,
            );
            // From the mailboxes state whatever an interrupted earlier run left.
            assert.ok((await apply()).result.ok);
            const away = await apply(outside);
            assert.match(
              away.plan.actions.find((a) => a.id === `users:${DOMAIN}`)?.reason ?? '',
              /alice, bob lose their mailbox/,
            );
            assert.ok(
              away.result.ok,
              `${JSON.stringify(away.result.failed)}\n${away.output.slice(-20).join('\n')}`,
            );
            let facts = await gatherFacts(conn!);
            assert.deepEqual(facts.chasquidState?.domains[DOMAIN]?.users.sort(), ['alice', 'bob']);
            assert.deepEqual(facts.dovecot.users, []);
            assert.doesNotMatch(
              facts.chasquidState?.conf ?? '',
              /^(mail_delivery_agent_bin|dovecot_auth)\b/m,
            );
            // chasquid's own users file answers AUTH now.
            assert.match(
              (await submit(instance, `bob@${DOMAIN}`, `forward-only-${randomUUID()}`)).response,
              /^250\b/,
            );

            const back = await apply();
            assert.match(
              back.plan.actions.find((a) => a.id === `users:${DOMAIN}`)?.reason ?? '',
              /alice, bob get a mailbox: .* so it is asked again/,
            );
            assert.ok(
              back.result.ok,
              `${JSON.stringify(back.result.failed)}\n${back.output.slice(-20).join('\n')}`,
            );
            facts = await gatherFacts(conn!);
            assert.deepEqual(facts.chasquidState?.domains[DOMAIN]?.users, []);
            assert.deepEqual([...(facts.dovecot.users ?? [])].sort(), [`alice@${DOMAIN}`, `bob@${DOMAIN}`]);
            assert.deepEqual(
              planHost(host, facts).actions.map((a) => `${a.id}: ${a.reason}`),
              [],
            );
            const subject = `back-${randomUUID()}`;
            assert.match((await submit(instance, `bob@${DOMAIN}`, subject)).response, /^250\b/);
            assert.match(await waitForMessage(instance, 'bob', subject), new RegExp(subject));
          },
        );
      });
    }
  },
);
