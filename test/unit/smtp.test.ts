// Client-side SMTP checks against a real SMTP server on 127.0.0.1 (the test receiver).
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { probeSmtp, sendTestMail, SmtpProbeError, SmtpSendError } from '../../src/core/smtp';
import { startTestReceiver, type TestReceiver } from '../../src/core/smtp/test-receiver';

const PASSWORD = 'correct horse battery staple';
const LOOPBACK = '127.0.0.1';

/** A raw TCP server answering every connection with `onConnect` (for broken servers). */
async function rawServer(
  onConnect: (s: import('node:net').Socket) => void,
): Promise<{ port: number; server: Server }> {
  const server = createServer(onConnect);
  await new Promise<void>((r) => server.listen(0, LOOPBACK, r));
  return { port: (server.address() as AddressInfo).port, server };
}

describe('SMTP client checks (local test receiver)', () => {
  let open: TestReceiver;
  let withAuth: TestReceiver;
  let implicitTls: TestReceiver;
  before(async () => {
    open = await startTestReceiver();
    withAuth = await startTestReceiver({ users: { 'bob@example.test': PASSWORD } });
    implicitTls = await startTestReceiver({ secure: true });
  });
  after(async () => Promise.all([open.close(), withAuth.close(), implicitTls.close()]));

  it('probes banner, EHLO, STARTTLS and the self-signed certificate without throwing', async () => {
    const r = await probeSmtp({
      host: LOOPBACK,
      port: withAuth.port,
      mode: 'starttls',
      servername: 'mail.example.test',
    });
    assert.match(r.banner, /^220 .*Mailwright test receiver/);
    assert.equal(r.starttlsOffered, true);
    assert.ok(r.capabilitiesBeforeTls?.includes('STARTTLS'));
    assert.ok(r.authMechanisms.includes('PLAIN'), `AUTH after TLS: ${r.authMechanisms}`);
    assert.match(r.tls.protocol ?? '', /^TLSv1\.[23]$/);
    assert.equal(r.tls.authorized, false);
    assert.match(r.tls.authorizationError ?? '', /SELF_SIGNED|self[- ]signed|unable to verify/i);
    assert.match(r.tls.certificate?.fingerprint256 ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.ok(r.tls.certificate?.serialNumber);
    assert.ok(!Number.isNaN(Date.parse(r.tls.certificate?.notAfter ?? '')));
  });

  it('probes implicit TLS (port 465 style)', async () => {
    const r = await probeSmtp({ host: LOOPBACK, port: implicitTls.port, mode: 'tls', timeoutMs: 5000 });
    assert.match(r.banner, /^220 /);
    assert.equal(r.capabilitiesBeforeTls, undefined);
    assert.ok(r.tls.certificate?.subjectCN !== undefined || r.tls.certificate?.subjectAltNames.length);
  });

  it('says clearly when the port is closed, silent, not SMTP, or without STARTTLS', async () => {
    const closed = await rawServer(() => undefined);
    const closedPort = closed.port;
    await new Promise((r) => closed.server.close(r));
    await assert.rejects(
      probeSmtp({ host: LOOPBACK, port: closedPort, mode: 'starttls' }),
      (e: SmtpProbeError) => {
        assert.equal(e.kind, 'refused');
        assert.match(e.message, /Connection refused by 127\.0\.0\.1:\d+/);
        return true;
      },
    );

    const silent = await rawServer(() => undefined);
    await assert.rejects(probeSmtp({ host: LOOPBACK, port: silent.port, mode: 'starttls', timeoutMs: 300 }), {
      kind: 'timeout',
      message: /No answer from 127\.0\.0\.1:\d+ within/,
    });

    const rude = await rawServer((s) => s.end('554 5.3.2 go away\r\n'));
    await assert.rejects(probeSmtp({ host: LOOPBACK, port: rude.port, mode: 'starttls', timeoutMs: 2000 }), {
      kind: 'no-greeting',
      message: /did not greet with 220: got "554 5.3.2 go away"/,
    });

    const plain = await rawServer((s) => {
      s.write('220 plain ESMTP\r\n');
      s.on('data', (d) => {
        if (/^EHLO/i.test(d.toString())) s.write('250-plain\r\n250 PIPELINING\r\n');
      });
    });
    await assert.rejects(probeSmtp({ host: LOOPBACK, port: plain.port, mode: 'starttls', timeoutMs: 2000 }), {
      kind: 'no-starttls',
      message: /does not offer STARTTLS/,
    });
    for (const s of [silent, rude, plain]) s.server.close();
  });

  it('sends a test mail and the receiver gets it', async () => {
    const r = await sendTestMail({
      host: LOOPBACK,
      port: open.port,
      starttls: true,
      tlsRejectUnauthorized: false,
      from: 'me@example.test',
      to: 'you@example.org',
      subject: 'hello from the test',
      text: 'body',
    });
    assert.deepEqual(r.accepted, ['you@example.org']);
    assert.deepEqual(r.rejected, []);
    assert.match(r.response, /^250 /);
    assert.match(r.messageId, /@/);
    assert.ok(
      r.transcript.some((l) => l.startsWith('C: STARTTLS')),
      'transcript recorded',
    );
    assert.ok(r.transcript.some((l) => /^S: 250 OK: received/.test(l)));
    const got = await open.waitFor((m) => m.raw.toString().includes('hello from the test'), 5000);
    assert.deepEqual(got.to, ['you@example.org']);
    assert.equal(got.secure, true);
  });

  it('authenticates, and reports a wrong password as an auth failure (535) without leaking it', async () => {
    const ok = await sendTestMail({
      host: LOOPBACK,
      port: withAuth.port,
      starttls: true,
      tlsRejectUnauthorized: false,
      user: 'bob@example.test',
      password: PASSWORD,
      from: 'bob@example.test',
      to: 'you@example.org',
      subject: 'authenticated',
    });
    assert.equal(ok.accepted.length, 1);
    const got = await withAuth.waitFor((m) => m.raw.toString().includes('authenticated'));
    assert.equal(got.user, 'bob@example.test');
    const leaks = (text: string) =>
      [PASSWORD, Buffer.from(`\0bob@example.test\0${PASSWORD}`).toString('base64')].some((s) =>
        text.includes(s),
      );
    assert.equal(leaks(ok.transcript.join('\n')), false);

    await assert.rejects(
      sendTestMail({
        host: LOOPBACK,
        port: withAuth.port,
        starttls: true,
        tlsRejectUnauthorized: false,
        user: 'bob@example.test',
        password: 'wrong password',
        from: 'bob@example.test',
        to: 'you@example.org',
      }),
      (e: SmtpSendError) => {
        assert.equal(e.kind, 'auth');
        assert.equal(e.responseCode, 535);
        assert.match(e.message, /rejected the user name or password/);
        assert.ok(
          !e.message.includes('wrong password') && !e.transcript.join('\n').includes('wrong password'),
        );
        return true;
      },
    );
  });

  it('reports a refused connection as a connection error', async () => {
    const closed = await rawServer(() => undefined);
    const port = closed.port;
    await new Promise((r) => closed.server.close(r));
    await assert.rejects(
      sendTestMail({ host: LOOPBACK, port, from: 'a@example.test', to: 'b@example.test', timeoutMs: 3000 }),
      { kind: 'connection' },
    );
  });
});
