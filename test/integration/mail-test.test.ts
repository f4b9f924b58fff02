// The test mail end to end with real components: a VPS provisioned by plan/apply (forward-only:
// every address ends outside), SPF/DKIM/DMARC published in a real authoritative DNS (knot), and
// the recipient's MX as a second host in its own network namespace (scripts/inbox) that records
// how each message reached it. runMailTest submits on 465, finds the copy there and judges it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HostConfig } from '../../src/core/config';
import type { Check } from '../../src/core/checks';
import { installedDkimKeys } from '../../src/core/dkim';
import { resolverLookup } from '../../src/core/dns/lookup';
import { expectedRecords } from '../../src/core/dns/expected';
import { gatherFacts } from '../../src/core/facts';
import { runMailTest, type MailTestReport } from '../../src/core/mailtest';
import { applyPlan, chasquidPathOf, planHost, type ApplyEvent } from '../../src/core/plan';
import { userPasswordKey } from '../../src/core/plan/actions/domains';
import { MemorySecretStore, type RemoteConnection } from '../../src/core/remote';
import { startTestDns, INBOX_ZONE, type TestDns } from './dns-fixture';
import { inboxFetcher, startInbox, stopInbox, type InboxHost } from './inbox-fixture';
import { connect, desiredHost, sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';

const DOMAIN = 'example.test';
const MAIL_HOST = 'smtp.example.test';
const USER = 'alice';
const ADDRESS = `${USER}@${DOMAIN}`;
// Fixed: applying again keeps an existing user's password, so a rerun must use the same one.
const PASSWORD = 'mail-test: correct horse battery staple';

/** Its own VPSes (MAILWRIGHT_MAILTEST_SANDBOX_13/12): it provisions a desired state of its own. */
const instances = sandboxes('mailtest');

function hostFor(instance: SandboxInstance): HostConfig {
  return desiredHost(
    instance,
    {
      name: DOMAIN,
      users: [USER],
      aliases: {
        postmaster: [USER],
        [USER]: [`someone@${INBOX_ZONE}`],
        '*': [`catchall@${INBOX_ZONE}`],
      },
      dkim: { algorithms: ['rsa2048', 'ed25519'], selector: 'auto' },
    },
    MAIL_HOST,
  );
}

const byId = (report: MailTestReport, id: string): Check => {
  const c = report.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id} in ${report.checks.map((x) => x.id).join(', ')}`);
  return c;
};

const summary = (report: MailTestReport) =>
  [
    ...report.stages.map((s) => `${s.name}: ${s.status} ${s.ms ?? '-'} ms ${s.detail}`),
    ...report.checks.map((c) => `${c.status} ${c.id} ${c.title} | ${c.evidence.join(' | ')}`),
  ].join('\n');

describe(
  'test mail: sent → delivered to a second host → verified (sandbox VPS + knot + inbox host)',
  { skip: instances.length === 0 && skipReason },
  () => {
    for (const instance of instances) {
      describe(`${instance.suite} (${instance.ipv4})`, { timeout: 20 * 60_000 }, () => {
        const host = hostFor(instance);
        const secrets = new MemorySecretStore();
        let conn: RemoteConnection | undefined;
        let dns: TestDns | undefined;
        let inbox: InboxHost | undefined;
        let dkimKeyTypes: string[] = [];

        const mailTest = (
          to: string,
          extra: Partial<Parameters<typeof runMailTest>[0]> = {},
        ): Promise<MailTestReport> =>
          runMailTest({
            submission: {
              host: instance.ipv4,
              port: 465,
              secure: true,
              user: ADDRESS,
              password: PASSWORD,
              from: ADDRESS,
              to,
              servername: MAIL_HOST,
              // The bootstrap certificate is self-signed until ACME replaces it: reported, not fatal.
              tlsRejectUnauthorized: false,
              timeoutMs: 30_000,
            },
            fetchDelivered: inboxFetcher(inbox!),
            deliveryTimeoutMs: 90_000,
            resolver: resolverLookup([`${instance.hostIpv4}:53`], { timeoutMs: 2000 }),
            ...extra,
          });

        /** Points mx.inbox.test at the inbox's current addresses (no AAAA when it has no IPv6). */
        /**
         * Points mx.inbox.test at the inbox's current addresses (no AAAA when it has no IPv6), and
         * adds the VPS's IPv6 on that link to the mail host's AAAA records, as its provider would
         * (SPF's mx mechanism then covers it).
         */
        const publishInbox = async (box: InboxHost) => {
          await dns!.update(INBOX_ZONE, [
            `update delete mx.${INBOX_ZONE}. A`,
            `update delete mx.${INBOX_ZONE}. AAAA`,
            `update add mx.${INBOX_ZONE}. 5 A ${box.ipv4}`,
            ...(box.ipv6 ? [`update add mx.${INBOX_ZONE}. 5 AAAA ${box.ipv6}`] : []),
          ]);
          if (box.vpsIpv6) await dns!.update(DOMAIN, [`update add ${MAIL_HOST}. 5 AAAA ${box.vpsIpv6}`]);
        };

        before(async () => {
          inbox = await startInbox(instance, { ipv6: true });
          dns = await startTestDns(instance, {
            mailHost: MAIL_HOST,
            inbox: { ipv4: inbox.ipv4, ipv6: inbox.ipv6 },
          });
          await publishInbox(inbox);
          conn = connect(instance);
          await conn.connect();
          await secrets.set(userPasswordKey(USER, DOMAIN), PASSWORD);
        });

        after(async () => {
          conn?.close();
          await dns?.stop();
          if (inbox) await stopInbox(inbox);
        });

        it(
          'provisions the domain and publishes its SPF, DKIM and DMARC records',
          { timeout: 15 * 60_000 },
          async () => {
            const plan = planHost(host, await gatherFacts(conn!));
            const events: ApplyEvent[] = [];
            const result = await applyPlan(plan, {
              conn: conn!,
              host,
              secrets,
              regather: () => gatherFacts(conn!),
              driftDecisions: Object.fromEntries(
                plan.actions.flatMap((a) => (a.drift ? [[a.drift.path, 'overwrite' as const]] : [])),
              ),
              onEvent: (e) => events.push(e),
            });
            const output = events.flatMap((e) =>
              'line' in e ? [e.line] : 'message' in e ? [e.message] : [],
            );
            assert.ok(
              result.ok,
              `apply failed: ${JSON.stringify(result.failed)}\n${output.slice(-40).join('\n')}`,
            );
            const facts = await gatherFacts(conn!);
            const path = chasquidPathOf(facts);
            assert.ok(path && path !== 'unsupported', `chasquid path ${String(path)}`);
            const keys = await installedDkimKeys(conn!, path, DOMAIN);
            dkimKeyTypes = keys.map((k) => k.keyType).sort();
            // chasquid 1.14+ signs with every key (RSA and Ed25519); 1.11's post-data hook with one RSA key.
            assert.deepEqual(dkimKeyTypes, instance.suite === 'trixie' ? ['ed25519', 'rsa'] : ['rsa']);
            const records = expectedRecords({
              host,
              domain: host.domains[0]!,
              addresses: { ipv4: [instance.ipv4], ipv6: [instance.ipv6] },
              dkimKeys: keys,
            }).filter((r) => r.type === 'TXT' && ['spf', 'spf-include', 'dkim', 'dmarc'].includes(r.kind));
            for (const r of records) await dns!.setTxt(r.name, r.strings ?? [r.value]);
            assert.ok(records.some((r) => r.kind === 'dmarc'));
          },
        );

        it(
          '465 → delivered over IPv6 with TLS → SPF, each DKIM signature and DMARC pass',
          { timeout: 3 * 60_000 },
          async (t) => {
            const report = await mailTest(`someone@${INBOX_ZONE}`);
            t.diagnostic(summary(report));
            assert.deepEqual(
              report.stages.map((s) => s.name),
              ['sent', 'delivered', 'verified'],
            );
            for (const id of ['submit:tls', 'submit:auth', 'delivered', 'spf', 'dmarc', 'mx:tls', 'mx:ipv6'])
              assert.equal(byId(report, id).status, 'pass', `${id}\n${summary(report)}`);
            // Self-signed until ACME: reported as a warning with the reason.
            const cert = byId(report, 'submit:certificate');
            assert.equal(cert.status, 'warn');
            assert.match(cert.evidence.join('\n'), /not trusted/);
            const dkim = report.checks.filter((c) => c.id.startsWith('dkim:'));
            assert.deepEqual(
              dkim.map((c) => c.id.split(':')[1]).sort(),
              dkimKeyTypes,
              'one DKIM check per signature, by algorithm',
            );
            for (const c of dkim) {
              assert.equal(c.status, 'pass', `${c.title}\n${c.evidence.join('\n')}`);
              assert.match(c.title, /^DKIM (RSA|Ed25519) signature \(d=example\.test, s=/);
            }
            assert.match(byId(report, 'dmarc').evidence.join('\n'), /aligned via (DKIM|SPF)/);
            assert.equal(report.delivered?.remoteAddress, inbox!.vpsIpv6);
            assert.match(byId(report, 'mx:ipv6').evidence[0] ?? '', /^delivered from 2001:db8:/);
            // chasquid's reply to DATA names no queue id: said so, and the Message-ID is the handle.
            const queue = byId(report, 'submit:queue-id');
            assert.equal(queue.status, 'skip');
            assert.match(queue.evidence.join('\n'), /Message-ID/);
            assert.ok(report.submission?.tls, 'the submission TLS is reported');
            const timings = report.submission!.timings;
            assert.ok(timings.connectMs >= 0 && timings.tlsMs !== undefined && timings.authMs !== undefined);
            // No secret in the transcript, nor anywhere in the report.
            const text = JSON.stringify(report);
            for (const secret of [
              PASSWORD,
              Buffer.from(PASSWORD).toString('base64'),
              Buffer.from(`\0${ADDRESS}\0${PASSWORD}`).toString('base64'),
            ])
              assert.ok(!text.includes(secret), 'the password never reaches the report');
            assert.ok(report.submission!.transcript.some((l) => /AUTH PLAIN/.test(l)));
            assert.notEqual(report.status, 'fail', summary(report));
          },
        );

        it(
          'without an IPv6 route to the MX: delivered over IPv4, a warning',
          { timeout: 3 * 60_000 },
          async (t) => {
            await stopInbox(inbox!);
            inbox = await startInbox(instance, { ipv6: false });
            await publishInbox(inbox);
            const report = await mailTest(`someone@${INBOX_ZONE}`);
            t.diagnostic(summary(report));
            assert.equal(byId(report, 'mx:tls').status, 'pass');
            const v6 = byId(report, 'mx:ipv6');
            assert.equal(v6.status, 'warn');
            assert.match(v6.evidence[0] ?? '', /over IPv4/);
            assert.equal(report.delivered?.remoteAddress, instance.ipv4);
            assert.equal(byId(report, 'spf').status, 'pass');
            assert.equal(byId(report, 'dmarc').status, 'pass');
          },
        );

        it(
          'a catch-all forward of outside mail arrives with an SRS sender; the report warns about ARC',
          { timeout: 3 * 60_000 },
          async (t) => {
            const original = `sender@${INBOX_ZONE}`;
            // The outside sender's domain vouches for its server (this machine, the sandbox's
            // peer): the server forwards only mail whose sender passes SPF.
            await dns!.setTxt(INBOX_ZONE, [`v=spf1 ip4:${instance.hostIpv4} ip6:${instance.hostIpv6} -all`]);
            // As another server would: port 25, no AUTH, to an address only the catch-all covers.
            const report = await mailTest(`nobody@${DOMAIN}`, {
              submission: {
                host: instance.ipv4,
                port: 25,
                from: original,
                to: `nobody@${DOMAIN}`,
                servername: MAIL_HOST,
                tlsRejectUnauthorized: false,
                timeoutMs: 30_000,
              },
              forward: { originalSender: original, domain: DOMAIN },
            });
            t.diagnostic(summary(report));
            assert.equal(byId(report, 'delivered').status, 'pass');
            assert.deepEqual(report.delivered?.envelopeTo, [`catchall@${INBOX_ZONE}`]);
            const srs = byId(report, 'forward:srs');
            assert.equal(srs.status, 'pass', srs.evidence.join('\n'));
            assert.match(
              report.delivered?.envelopeFrom ?? '',
              /\+fwd_from=sender=inbox\.test@example\.test$/,
            );
            assert.equal(byId(report, 'spf').status, 'pass', 'SPF is judged for the forwarder');
            assert.equal(byId(report, 'arc').status, 'warn');
            assert.equal(byId(report, 'submit:auth').status, 'skip');
          },
        );
      });
    }
  },
);
