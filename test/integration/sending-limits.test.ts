// Sending limits on a real server: a VPS provisioned with `limits:` by plan/apply, real SMTP AUTH,
// chasquid's post-data hook counting and refusing. With a limit of 3 messages per hour the 4th is
// refused with 451 and the limit's text, another user is unaffected, mail from outside is never
// counted, the count falls once its timestamps are an hour old (moved back on the server, as an
// hour of waiting would), and the messages that pass are still DKIM-signed and forwarded: on
// Debian 12 through the distribution's hook that Mailwright's hook runs after its checks.
// On Debian 13 the server also checks itself (`monitor:` with `mailTo` at the catch-all): its own
// check unit mails one alert for the episode, through its chasquid and the forward guard to the
// test's receiving server, and nothing at its next run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { decodeWords, firstHeader, parseHeaders } from '../../src/core/analyze/headers';
import {
  LIMITS_LOG_FILE,
  LIMITS_STATE_DIR,
  LIMITS_TABLE,
  SENDING_LIMIT_LOG_TAG,
} from '../../src/core/chasquid';
import { parseCheckState } from '../../src/core/checks/alerts';
import { CHECK_STATE_PATH, CHECK_UNIT } from '../../src/core/checks/server-paths';
import type { HostConfig } from '../../src/core/config';
import { dkimRecordsFor, installedDkimKeys } from '../../src/core/dkim';
import { gatherFacts } from '../../src/core/facts';
import { chasquidPathOf } from '../../src/core/plan';
import { userPasswordKey } from '../../src/core/plan/actions/domains';
import { MemorySecretStore, shellScript, type RemoteConnection } from '../../src/core/remote';
import { SmtpSendError, sendTestMail, verifyDkim, type SendTestMailResult } from '../../src/core/smtp';
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
const INBOX = 'inbox@receiver.test';
/** Where the server's checks mail their alerts: the catch-all forwards it to INBOX. */
const ALERTS_TO = `alerts@${DOMAIN}`;
const ROOT = resolve(__dirname, '../..');
const LIMIT = 3;
// Fixed, not random: applying again keeps a user's password, so a rerun must use the same ones.
const PASSWORDS: Record<string, string> = {
  alice: 'sending-limits test: alice counts her messages',
  bob: 'sending-limits test: bob sends on his own count',
};

/** Its own VPSes (MAILWRIGHT_LIMITS_SANDBOX_13/12): it provisions limits nobody else expects. */
const instances = sandboxes('limits');

function hostFor(instance: SandboxInstance, limits: boolean): HostConfig {
  const host = desiredHost(
    instance,
    { name: DOMAIN, users: ['alice', 'bob'], aliases: { alice: [INBOX], bob: [INBOX], '*': [INBOX] } },
    MAIL_HOST,
  );
  // On Debian 13 the server also checks itself and mails its alerts (Debian 12 runs the same program).
  const monitored =
    instance.suite === 'trixie' ? { ...host, monitor: { every: '1h', mailTo: ALERTS_TO } } : host;
  return limits ? { ...monitored, limits: { messagesPerHour: LIMIT } } : monitored;
}

/** The body of a received message as text (nodemailer writes quoted-printable or base64). */
function bodyText(raw: Buffer): string {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const body = end < 0 ? '' : text.slice(end).trim();
  const encoding = firstHeader(parseHeaders(raw), 'content-transfer-encoding')?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body, 'base64').toString('utf8');
  if (encoding !== 'quoted-printable') return Buffer.from(body, 'latin1').toString('utf8');
  const bytes = body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function submit(
  instance: SandboxInstance,
  user: string,
  to: string,
  subject: string,
): Promise<SendTestMailResult> {
  return sendTestMail({
    host: instance.ipv4,
    port: 587,
    starttls: true,
    user: `${user}@${DOMAIN}`,
    password: PASSWORDS[user]!,
    from: `${user}@${DOMAIN}`,
    to,
    subject,
    text: `Sending limits test ${subject}\n`,
    servername: MAIL_HOST,
    tlsRejectUnauthorized: false,
    timeoutMs: 60_000,
  });
}

// $1 the counts' folder, $2 the log: every timestamp moved back an hour, by chasquid under the
// hook's own lock, the way the hook rewrites the log.
const AN_HOUR_AGO = `runuser -u chasquid -- flock "$1/lock" sh -c 'awk "{ \\$1 -= 3600; print }" "$1" > "$1.new" && mv -f "$1.new" "$1"' sh "$1/$2"`;

function headerOf(raw: Buffer): string {
  const text = raw.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

describe('sending limits (sandbox VPS + knot)', { skip: instances.length === 0 && skipReason }, () => {
  for (const instance of instances) {
    describe(`${instance.suite} (${instance.ipv4})`, { timeout: 25 * 60_000 }, () => {
      const secrets = new MemorySecretStore();
      const receivers: TestReceiver[] = [];
      let conn: RemoteConnection | undefined;
      let dns: TestDns | undefined;
      let dkimNames: string[] = [];

      const received = () => receivers.flatMap((r) => r.messages);
      const waitForSubject = async (subject: string, timeoutMs: number): Promise<ReceivedMessage> => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const found = received().find((m) => headerOf(m.raw).includes(subject));
          if (found) return found;
          if (Date.now() > deadline)
            throw new Error(`no message "${subject}" at ${INBOX} within ${timeoutMs / 1000} s`);
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      const root = async (script: string, args: string[] = []) => {
        const r = await conn!.exec(shellScript(script, args), { check: false });
        assert.equal(r.exitCode, 0, `${script}\n${r.stdout}${r.stderr}`);
        return r.stdout;
      };
      const countedLogins = async () =>
        (await root('cat "$1" 2>/dev/null || true', [`${LIMITS_STATE_DIR}/${LIMITS_LOG_FILE}`]))
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split(' ')[1]);
      const provision = async (host: HostConfig) => (await provisionDesired(conn!, host, secrets)).plan;

      before(async () => {
        // The check program the plan installs with monitor:, built from this tree.
        const esbuild = await import('esbuild');
        const { checkBundleOptions, CHECK_BUNDLE_FILE } = (await import(
          resolve(ROOT, 'scripts/renew-bundle.mjs')
        )) as { checkBundleOptions: object; CHECK_BUNDLE_FILE: string };
        await esbuild.build({ ...checkBundleOptions, absWorkingDir: ROOT });
        process.env.MAILWRIGHT_CHECK_PROGRAM = resolve(ROOT, CHECK_BUNDLE_FILE);
        dns = await startTestDns(instance, { mailHost: MAIL_HOST });
        for (const address of [instance.hostIpv4, instance.hostIpv6]) {
          receivers.push(
            await startTestReceiver({ host: address, port: 25, banner: 'mx.receiver.test ESMTP' }),
          );
        }
        await dns.setTxt(RECEIVER_ZONE, [`v=spf1 ip4:${instance.hostIpv4} ip6:${instance.hostIpv6} -all`]);
        conn = connect(instance);
        await conn.connect();
        for (const [user, password] of Object.entries(PASSWORDS))
          await secrets.set(userPasswordKey(user, DOMAIN), password);
      });

      after(async () => {
        conn?.close();
        await Promise.all(receivers.map((r) => r.close()));
        await dns?.stop();
      });

      it(
        'provisions the limits as a plan action with its reason, and publishes DKIM',
        { timeout: 15 * 60_000 },
        async () => {
          const plan = await provision(hostFor(instance, true));
          const limits = plan.actions.find((a) => a.id === 'hooks:limits');
          assert.ok(limits, `no limits action in ${plan.actions.map((a) => a.id).join(', ')}`);
          assert.match(limits.reason, /sending limit/);
          const table = await root('cat /etc/chasquid/"$1"; stat -c "%U:%G %a" /etc/chasquid/"$1" "$2"', [
            LIMITS_TABLE,
            LIMITS_STATE_DIR,
          ]);
          assert.match(table, new RegExp(`^limit alice@example\\.test ${LIMIT} - - -$`, 'm'));
          assert.match(table, /^root:chasquid 640$/m);
          assert.match(table, /^chasquid:chasquid 700$/m, 'the counts are chasquid’s alone');
          await root('rm -f "$1"', [`${LIMITS_STATE_DIR}/${LIMITS_LOG_FILE}`]); // a rerun starts from 0

          const path = chasquidPathOf(await gatherFacts(conn!));
          assert.ok(path && path !== 'unsupported');
          const records = dkimRecordsFor(DOMAIN, await installedDkimKeys(conn!, path, DOMAIN));
          dkimNames = records.map((r) => r.name);
          for (const record of records) await dns!.setTxt(record.name, record.strings);
        },
      );

      it(`sends ${LIMIT} messages, refuses the ${LIMIT + 1}th with 451 and a clear text, and logs one alert line`, async () => {
        const alerts = async () =>
          (await root('journalctl -q --no-pager -o cat -t "$1"', [SENDING_LIMIT_LOG_TAG]))
            .split('\n')
            .filter(Boolean);
        const before = await alerts();
        for (let i = 1; i <= LIMIT; i++) {
          const sent = await submit(instance, 'alice', `friend@${DOMAIN}`, `limit-${i}-${randomUUID()}`);
          assert.match(sent.response, /^250\b/, `message ${i}: ${sent.response}`);
        }
        await assert.rejects(
          submit(instance, 'alice', `friend@${DOMAIN}`, `over-${randomUUID()}`),
          (e: unknown) => {
            assert.ok(e instanceof SmtpSendError, String(e));
            assert.equal(e.responseCode, 451, e.message);
            assert.match(
              e.message,
              new RegExp(
                `4\\.7\\.0 Sending limit of ${LIMIT} messages per hour reached for alice@example\\.test; try again after \\d\\d:\\d\\d UTC`,
              ),
            );
            return true;
          },
        );
        // journald stores the line a moment after the hook hands it over.
        let added: string[] = [];
        for (let tries = 0; tries < 25 && added.length === 0; tries++) {
          if (tries > 0) await new Promise((r) => setTimeout(r, 200));
          added = (await alerts()).slice(before.length);
        }
        assert.equal(added.length, 1, `one alert line: ${added.join(' | ')}`);
        assert.match(
          added[0]!,
          new RegExp(
            `^limit reached: user=alice@example\\.test limit=messagesPerHour max=${LIMIT} retry-after=\\d+$`,
          ),
        );
      });

      it('another user has his own count, and mail received from outside is never counted', async () => {
        const sent = await submit(instance, 'bob', `friend@${DOMAIN}`, `bob-${randomUUID()}`);
        assert.match(sent.response, /^250\b/, sent.response);
        const inbound = await sendTestMail({
          host: instance.ipv4,
          port: 25,
          from: 'sender@receiver.test',
          to: `alice@${DOMAIN}`,
          subject: `inbound-${randomUUID()}`,
          text: 'from outside\n',
          servername: MAIL_HOST,
          tlsRejectUnauthorized: false,
          timeoutMs: 30_000,
        });
        assert.match(inbound.response, /^250\b/, 'alice at her limit still receives');
        assert.deepEqual(await countedLogins(), [
          ...Array.from({ length: LIMIT }, () => `alice@${DOMAIN}`),
          `bob@${DOMAIN}`,
        ]);
      });

      it("mailwright limits shows who is at a limit, from the server's counts", async () => {
        const dir = mkdtempSync(join(tmpdir(), 'mw-limits-cli-'));
        const config = join(dir, 'mailwright.yaml');
        writeFileSync(
          config,
          [
            'version: 1',
            'hosts:',
            `  - name: ${instance.name}`,
            `    ssh: root@${instance.ipv4}:${instance.port}`,
            `    identityFile: ${instance.rootKey}`,
            `    mailHost: ${MAIL_HOST}`,
            `    limits: { messagesPerHour: ${LIMIT} }`,
            '    domains:',
            `      - name: ${DOMAIN}`,
            '        users: [alice, bob]',
            `        aliases: { alice: ${INBOX}, bob: ${INBOX}, '*': ${INBOX} }`,
            '',
          ].join('\n'),
        );
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [
            '--import',
            'tsx',
            'src/cli/bin.ts',
            'limits',
            '--json',
            '--config',
            config,
            '--known-hosts',
            instance.knownHostsFile,
          ],
          { env: { ...process.env, SSH_AUTH_SOCK: '' } },
        );
        const report = JSON.parse(stdout) as {
          installed: boolean;
          logins: Array<{ login: string; counts: Record<string, number>; reached: string[] }>;
        };
        assert.equal(report.installed, true);
        assert.deepEqual(
          report.logins.map((l) => [l.login, l.counts.messagesPerHour, l.reached]),
          [
            [`alice@${DOMAIN}`, LIMIT, ['messagesPerHour']],
            [`bob@${DOMAIN}`, 1, []],
          ],
        );
      });

      it(
        "the server's own check mails ONE alert for alice's episode, with the fix, and nothing at the next run",
        {
          skip: instance.suite !== 'trixie' && 'the checks are monitored on the Debian 13 VPS',
          timeout: 5 * 60_000,
        },
        async () => {
          const header = (m: ReceivedMessage, name: string) => firstHeader(parseHeaders(m.raw), name) ?? '';
          const subjectOf = (m: ReceivedMessage) => decodeWords(header(m, 'subject'));
          /** The alert mails of one run of the checks: each says when that run checked. */
          const mailsOf = (checkedAt: string) =>
            received().filter(
              (m) =>
                /^mailwright-check@/.test(header(m, 'from').replace(/^.*</, '')) &&
                bodyText(m.raw).includes(`checked at ${checkedAt}:`),
            );
          /** One run of the unit, as its timer starts it: the subjects it says it mailed, and its time. */
          const checkRun = async () => {
            const since = (await root('date +%s')).trim();
            const r = await conn!.exec(shellScript('systemctl start "$1.service"', [CHECK_UNIT]), {
              check: false,
              timeoutMs: 180_000,
            });
            const log = await root('journalctl -q --no-pager -o cat -u "$1" --since "@$2"', [
              CHECK_UNIT,
              since,
            ]);
            assert.equal(r.exitCode, 0, `the check unit failed:\n${log}${r.stderr}`);
            assert.doesNotMatch(log, /Alert not sent/, log);
            const told = [...log.matchAll(/^Alert sent \(mail to ([^)]*)\): (.*)$/gm)].map((m) => {
              assert.equal(m[1], ALERTS_TO);
              return m[2]!;
            });
            const state = parseCheckState(await root('cat "$1"', [CHECK_STATE_PATH]));
            assert.ok(state.lastRun, 'the run kept its results');
            return { told, checkedAt: state.lastRun.checkedAt, checks: state.lastRun.checks };
          };
          // The timer would run the same unit on its own (at enabling when the VPS booted more
          // than 5 min ago) and share its state: stopped while the test runs it, started again after.
          await root(
            `systemctl stop "$1.timer"
while [ "$(systemctl show -P ActiveState "$1.service")" = activating ]; do sleep 1; done
rm -f "$2"`,
            [CHECK_UNIT, CHECK_STATE_PATH],
          );
          try {
            const first = await checkRun();
            const episode = `${instance.name}: WARN alice@${DOMAIN} reached the limit of ${LIMIT} messages per hour`;
            assert.equal(
              first.told.filter((t) => t === episode).length,
              1,
              `one alert for the episode: ${first.told.join(' | ')}`,
            );
            assert.ok(!first.told.some((t) => t.includes(`bob@${DOMAIN}`)), 'bob reached no limit');
            assert.deepEqual(
              first.checks.filter((c) => c.id.startsWith('sending-limit')).map((c) => [c.id, c.status]),
              [[`sending-limit:alice@${DOMAIN}:messagesPerHour`, 'warn']],
            );

            // Each alert told arrives, through the server's chasquid, the forward guard and the
            // catch-all, exactly once.
            const deadline = Date.now() + 120_000;
            const arrived = () => new Set(mailsOf(first.checkedAt).map(subjectOf));
            while (!first.told.every((t) => arrived().has(t)) && Date.now() < deadline)
              await new Promise((r) => setTimeout(r, 500));
            await new Promise((r) => setTimeout(r, 3000));
            const mails = mailsOf(first.checkedAt);
            assert.deepEqual(
              mails.map(subjectOf).sort(),
              [...first.told].sort(),
              'one mail per alert, no other',
            );
            const mail = mails.find((m) => subjectOf(m) === episode)!;
            assert.deepEqual(mail.to, [INBOX]);
            const body = bodyText(mail.raw);
            assert.match(body, /\d+ message\(s\) refused from \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
            assert.match(
              body,
              new RegExp(
                `Fix: If alice@example\\.test did not send this much, .*mailwright user passwd alice@example\\.test`,
                's',
              ),
            );

            // The next run: the episode goes on, nothing new is told or mailed.
            const next = await checkRun();
            assert.deepEqual(next.told, []);
            assert.equal(
              next.checks.find((c) => c.id === `sending-limit:alice@${DOMAIN}:messagesPerHour`)?.status,
              'warn',
              'the episode is still going on',
            );
            await new Promise((r) => setTimeout(r, 5000));
            assert.deepEqual(mailsOf(next.checkedAt), []);
            assert.equal(mailsOf(first.checkedAt).length, mails.length, 'no mail twice');
          } finally {
            await root('systemctl start "$1.timer"', [CHECK_UNIT]);
          }
        },
      );

      it(
        'an hour later alice may send again, and her message is DKIM-signed and forwarded',
        { timeout: 3 * 60_000 },
        async () => {
          // An hour of waiting, on the server's own log.
          await root(AN_HOUR_AGO, [LIMITS_STATE_DIR, LIMITS_LOG_FILE]);
          const subject = `after-an-hour-${randomUUID()}`;
          const sent = await submit(instance, 'alice', `friend@${DOMAIN}`, subject);
          assert.match(sent.response, /^250\b/, sent.response);
          const message = await waitForSubject(subject, 120_000);
          assert.deepEqual(message.to, [INBOX], 'forwarded through the catch-all');
          const verdict = await verifyDkim(message.raw, {
            resolver: { servers: [`${instance.hostIpv4}:53`] },
          });
          const ours = verdict.signatures.filter((s) => s.domain === DOMAIN);
          assert.ok(ours.length > 0, `no ${DOMAIN} signature: ${JSON.stringify(verdict.signatures)}`);
          for (const s of ours) {
            assert.equal(s.result, 'pass', `${s.selector}: ${s.reason ?? ''}`);
            assert.ok(dkimNames.includes(`${s.selector}._domainkey.${DOMAIN}`));
          }
          if (instance.suite === 'bookworm') {
            const hooks = await root(
              'ls /etc/chasquid/hooks; grep -c dkimsign /etc/chasquid/hooks/post-data.distrib',
            );
            assert.match(
              hooks,
              /post-data\.distrib/,
              "Debian 12's DKIM hook is kept and runs after the limits",
            );
          }
        },
      );

      it(
        'limits off: the plan removes them and alice sends without a count',
        { timeout: 10 * 60_000 },
        async () => {
          const plan = await provision(hostFor(instance, false));
          assert.deepEqual(
            plan.actions.filter((a) => a.id.startsWith('hooks:')).map((a) => [a.id, a.title]),
            [['hooks:limits', 'Remove the sending limits']],
          );
          assert.equal(
            await root('[ -e /etc/chasquid/"$1" ] || [ -e "$2" ] && echo there || echo gone', [
              LIMITS_TABLE,
              LIMITS_STATE_DIR,
            ]),
            'gone\n',
          );
          for (let i = 0; i <= LIMIT; i++) {
            const sent = await submit(
              instance,
              'alice',
              `friend@${DOMAIN}`,
              `unlimited-${i}-${randomUUID()}`,
            );
            assert.match(sent.response, /^250\b/, sent.response);
          }
        },
      );
    });
  }
});
