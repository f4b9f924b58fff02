// The test mail's stages and checks against a real SMTP server on 127.0.0.1 (the test receiver):
// what the submission reports (TLS, certificate, AUTH, queue id, timings), how "delivered" waits
// and fails, and that no secret reaches the report.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DnsLookup } from '../../src/core/dns/model';
import { runMailTest, TEST_TOKEN_HEADER, type FetchDelivered } from '../../src/core/mailtest';
import { queueIdOf, sendTestMail, SmtpSendError } from '../../src/core/smtp/send';
import { startTestReceiver, type TestReceiver } from '../../src/core/smtp/test-receiver';

const PASSWORD = 'mailtest unit: tr0ub4dor&3';
const USER = 'bob@example.test';
const NAME = 'mx.example.test';

/** A DNS that knows nothing: SPF/DKIM/DMARC have nothing to find, quickly. */
const emptyDns: DnsLookup = { query: async () => ({ status: 'nxdomain', values: [] }) };

function certificate(name: string): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'mw-mailtest-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2',
      '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`,
    ], { stdio: 'ignore' }); // prettier-ignore
    return { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fromReceiver =
  (r: TestReceiver): FetchDelivered =>
  async (token) => {
    const m = r.messages.find((x) => x.raw.toString('latin1').includes(`${TEST_TOKEN_HEADER}: ${token}`));
    return (
      m && {
        raw: m.raw,
        envelopeFrom: m.from,
        envelopeTo: m.to,
        remoteAddress: m.remoteAddress,
        tls: m.tls ?? null,
      }
    );
  };

describe('test mail (local test receiver)', () => {
  const tls = certificate(NAME);
  let implicit: TestReceiver;
  before(async () => {
    implicit = await startTestReceiver({ secure: true, users: { [USER]: PASSWORD }, ...tls });
  });
  after(() => implicit.close());

  const submission = (over: Partial<Parameters<typeof sendTestMail>[0]> & { to?: string } = {}) => ({
    host: '127.0.0.1',
    port: implicit.port,
    secure: true,
    user: USER,
    password: PASSWORD,
    from: USER,
    to: 'you@example.org',
    servername: NAME,
    tlsRejectUnauthorized: false,
    ...over,
  });

  it('reports the TLS, an untrusted certificate with the reason, and each step’s time', async () => {
    const r = await sendTestMail(submission());
    assert.match(r.tls?.version ?? '', /^TLSv1\.[23]$/);
    assert.ok(r.tls?.cipher);
    assert.equal(r.tls?.certificate.valid, false);
    assert.match(r.tls?.certificate.chainError ?? '', /SELF_SIGNED/);
    assert.equal(r.tls?.certificate.nameError, undefined);
    assert.equal(r.tls?.certificate.subject, NAME);
    for (const k of ['connectMs', 'tlsMs', 'authMs', 'dataMs', 'totalMs'] as const)
      assert.equal(typeof r.timings[k], 'number', k);
  });

  it('trusts the certificate under a given CA, and tells a name mismatch apart', async () => {
    const ok = await sendTestMail(submission({ ca: tls.cert, tlsRejectUnauthorized: true }));
    assert.equal(ok.tls?.certificate.valid, true);
    const other = await sendTestMail(submission({ ca: tls.cert, servername: 'other.example.test' }));
    assert.equal(other.tls?.certificate.valid, false);
    assert.equal(other.tls?.certificate.chainError, undefined);
    assert.match(other.tls?.certificate.nameError ?? '', /other\.example\.test/);
  });

  it('stops before AUTH when the certificate must be valid and is not', async () => {
    const before = implicit.messages.length;
    await assert.rejects(sendTestMail(submission({ tlsRejectUnauthorized: true })), (e: SmtpSendError) => {
      assert.equal(e.kind, 'tls');
      assert.ok(!e.transcript.some((l) => /^C: AUTH/.test(l)), 'no AUTH was sent');
      return true;
    });
    assert.equal(implicit.messages.length, before);
  });

  it('reads the queue id from the usual final replies', () => {
    assert.equal(queueIdOf('250 2.0.0 Ok: queued as 4XyZ12abc'), '4XyZ12abc');
    assert.equal(queueIdOf('250 2.0.0 OK id=1a2b3c-0001'), '1a2b3c-0001');
    assert.equal(queueIdOf('250 OK: received by the test receiver'), undefined);
  });

  it('runs sent → delivered → verified and keeps the password out of the report', async () => {
    const report = await runMailTest({
      submission: submission(),
      fetchDelivered: fromReceiver(implicit),
      deliveryTimeoutMs: 5000,
      resolver: emptyDns,
    });
    assert.deepEqual(
      report.stages.map((s) => [s.name, typeof s.ms]),
      [
        ['sent', 'number'],
        ['delivered', 'number'],
        ['verified', 'number'],
      ],
    );
    const status = (id: string) => report.checks.find((c) => c.id === id)?.status;
    assert.equal(status('submit:tls'), 'pass');
    assert.equal(status('submit:certificate'), 'warn');
    assert.equal(status('submit:auth'), 'pass');
    assert.equal(status('submit:queue-id'), 'skip'); // the test receiver names none
    assert.equal(status('delivered'), 'pass');
    assert.equal(status('mx:tls'), 'pass'); // from the receiver's record of the hand-off
    assert.equal(status('mx:ipv6'), 'warn'); // 127.0.0.1
    assert.equal(status('dkim'), 'fail'); // unsigned
    assert.equal(report.status, 'fail');
    const text = JSON.stringify(report);
    for (const secret of [PASSWORD, Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64')])
      assert.ok(!text.includes(secret));
    assert.ok(report.submission?.transcript.some((l) => l.startsWith('C: AUTH PLAIN')));
  });

  it('fails "delivered" clearly when nothing arrives in time, and skips what follows', async () => {
    const report = await runMailTest({
      submission: submission(),
      fetchDelivered: async () => undefined,
      deliveryTimeoutMs: 300,
      pollIntervalMs: 50,
      resolver: emptyDns,
    });
    const delivered = report.checks.find((c) => c.id === 'delivered');
    assert.equal(delivered?.status, 'fail');
    assert.match(delivered?.evidence[0] ?? '', /nothing .* arrived within 0\.3 s/);
    assert.ok(delivered?.fix);
    assert.deepEqual(
      report.stages.map((s) => `${s.name}:${s.status}`),
      ['sent:warn', 'delivered:fail', 'verified:skip'],
    );
  });

  it('a wrong password fails AUTH; nothing else is judged', async () => {
    const report = await runMailTest({ submission: submission({ password: 'not the password' }) });
    assert.deepEqual(
      report.checks.map((c) => `${c.id}:${c.status}`),
      ['submit:auth:fail'],
    );
    assert.deepEqual(
      report.stages.map((s) => s.status),
      ['fail', 'skip', 'skip'],
    );
    assert.ok(!JSON.stringify(report).includes('not the password'));
  });
});
