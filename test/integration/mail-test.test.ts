// The test mail end to end with real components: a VPS provisioned by plan/apply (forward-only:
// every address ends outside), SPF/DKIM/DMARC published in a real authoritative DNS (knot), and
// the recipient's MX as a second host in its own network namespace (scripts/inbox) that records
// how each message reached it. runMailTest submits on 465, finds the copy there and judges it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Check } from '../../src/core/checks';
import { runMailTest, type MailTestReport } from '../../src/core/mailtest';
import { INBOX_ZONE } from './dns-fixture';
import {
  ADDRESS,
  DOMAIN,
  MAIL_HOST,
  PASSWORD,
  provisionMailTestHost,
  startMailTestBed,
  type MailTestBed,
} from './mail-test-bed';
import { sandboxes, skipReason } from './sandbox-instances';

/**
 * Its own VPSes (MAILWRIGHT_SENDTEST_SANDBOX_13/12, from scripts/test-integration): it provisions a
 * desired state of its own, and alice's password differs from mail-flow's (apply never resets one).
 */
const instances = sandboxes('sendtest');

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
        let bed: MailTestBed | undefined;
        let dkimKeyTypes: string[] = [];
        const mailTest = (to: string, extra?: Parameters<MailTestBed['options']>[1]) =>
          runMailTest(bed!.options(to, extra));

        before(async () => {
          bed = await startMailTestBed(instance);
        });

        after(async () => {
          await bed?.close();
        });

        it(
          'provisions the domain and publishes its SPF, DKIM and DMARC records',
          { timeout: 15 * 60_000 },
          async () => {
            dkimKeyTypes = await provisionMailTestHost(bed!);
            // chasquid 1.14+ signs with every key (RSA and Ed25519); 1.11's post-data hook with one RSA key.
            assert.deepEqual(dkimKeyTypes, instance.suite === 'trixie' ? ['ed25519', 'rsa'] : ['rsa']);
            const dmarc = await bed!.dns.resolver().resolveTxt(`_dmarc.${DOMAIN}`);
            assert.match(dmarc.flat().join(''), /^v=DMARC1;/);
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
            assert.equal(report.delivered?.remoteAddress, bed!.inbox.vpsIpv6);
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
            await bed!.restartInbox({ ipv6: false });
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
            await bed!.dns.setTxt(INBOX_ZONE, [
              `v=spf1 ip4:${instance.hostIpv4} ip6:${instance.hostIpv6} -all`,
            ]);
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
