import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestReceiver } from '../../src/core/smtp/test-receiver';
import { checkDnsbl, dnsblQueryName } from '../../src/core/dns/dnsbl';
import { issuedCertificate } from './certificates';
import { MemoryDns } from './memory-dns';
import {
  checkInbound,
  classifyProbe,
  judgeOutbound,
  SELF_SIGNED_FIX,
  type OutboundResult,
} from '../../src/core/dns/reachability';
import { formatDnsReport } from '../../src/core/dns/domain-check';

describe('DNSBL', () => {
  it('asks reversed IPv4 octets and reversed IPv6 nibbles under the list zone', () => {
    assert.equal(dnsblQueryName('198.51.100.7', 'zen.spamhaus.org'), '7.100.51.198.zen.spamhaus.org');
    assert.equal(
      dnsblQueryName('2001:db8::1', 'zen.spamhaus.org'),
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org',
    );
    assert.throws(() => dnsblQueryName('not-an-ip', 'zen.spamhaus.org'), /not an IPv4 or IPv6 address/);
  });

  it('reads the return codes: listed, not listed, refused via a public resolver, unexpected, timeout', async () => {
    const findings = await checkDnsbl({
      ipv4: ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'],
      domain: 'example.com',
      lookup: new MemoryDns({
        '1.2.0.192.zen.spamhaus.org': { A: ['127.0.0.3'] },
        '2.2.0.192.zen.spamhaus.org': { A: ['127.255.255.254'] },
        '3.2.0.192.zen.spamhaus.org': { A: ['192.0.2.80'] },
        '4.2.0.192.zen.spamhaus.org': { A: 'timeout' },
        'example.com.dbl.spamhaus.org': { A: ['127.0.1.4'] },
      }),
    });
    assert.deepEqual(
      findings.map((f) => `${f.name} ${f.status} ${f.severity}`),
      [
        '192.0.2.1 wrong error',
        '192.0.2.2 not-checkable warning',
        '192.0.2.3 not-checkable warning',
        '192.0.2.4 not-checkable warning',
        '192.0.2.5 ok info',
        'example.com wrong error',
      ],
    );
    assert.ok(findings[0]?.notes[0]?.includes('CSS'));
    assert.match(findings[0]?.fix ?? '', /https:\/\/check\.spamhaus\.org\//);
    assert.match(findings[1]?.fix ?? '', /^use your own resolver, not a public one/);
    assert.ok(findings[1]?.notes[0]?.startsWith('unknown, not listed'));
    assert.ok(findings[5]?.notes[0]?.includes('phishing'));
  });
});

describe('outbound port 25', () => {
  it('classifies the probe: greeting, timeout before and after connecting, refused, name not resolved', () => {
    assert.deepEqual(classifyProbe(0, 'connected greeting 220 mx.example.net ESMTP'), {
      outcome: 'connected',
      detail: '220 mx.example.net ESMTP',
    });
    assert.equal(classifyProbe(0, 'connected greeting 554 go away').outcome, 'no-greeting');
    assert.equal(classifyProbe(124, '').outcome, 'timeout');
    assert.equal(classifyProbe(124, 'connected').outcome, 'no-greeting');
    assert.equal(
      classifyProbe(
        1,
        'probe: line 1: connect: Connection refused probe: line 1: /dev/tcp/x/25: Connection refused',
      ).outcome,
      'refused',
    );
    assert.equal(
      classifyProbe(1, 'probe: line 1: mx.nowhere: Name or service not known').outcome,
      'no-address',
    );
  });

  it('one greeting is enough; silence on every MX says the provider blocks port 25', () => {
    const base = { id: 'reach:outbound-25', kind: 'reachability' as const, name: 'outbound' };
    const result = (host: string, outcome: OutboundResult['outcome']): OutboundResult => ({
      host,
      port: 25,
      outcome,
      detail: outcome,
    });
    assert.equal(judgeOutbound(base, [result('a', 'timeout'), result('b', 'connected')]).status, 'ok');
    const blocked = judgeOutbound(base, [result('a', 'timeout'), result('b', 'timeout')]);
    assert.equal(blocked.status, 'wrong');
    assert.equal(
      blocked.fix,
      'outbound port 25 looks blocked by your VPS provider — most providers block it by default; ask them to open it (Contabo, Hetzner …) or choose another provider',
    );
    const refused = judgeOutbound(base, [result('a', 'refused'), result('b', 'timeout')]);
    assert.equal(refused.status, 'wrong');
    assert.doesNotMatch(refused.fix ?? '', /VPS provider — most/);
  });
});

describe('inbound ports: the certificate served', () => {
  const NAME = 'smtp.example.test';

  it('a self-signed certificate is its own status, with the way to a trusted one; a CA unknown here is wrong', async () => {
    const selfSigned = await startTestReceiver({ tlsName: NAME });
    const issued = issuedCertificate(NAME);
    const byCa = await startTestReceiver({ key: issued.key, cert: issued.cert });
    try {
      const [own] = await checkInbound('127.0.0.1', [selfSigned.port], { servername: NAME, timeoutMs: 5000 });
      assert.equal(own?.status, 'self-signed');
      assert.equal(own?.severity, 'warning');
      assert.equal(own?.fix, SELF_SIGNED_FIX);
      assert.match(
        own?.fix ?? '',
        /^self-signed certificate \(mail is accepted; clients and other servers will not trust it\): get a trusted certificate/,
      );

      const [untrusted] = await checkInbound('127.0.0.1', [byCa.port], { servername: NAME, timeoutMs: 5000 });
      assert.equal(untrusted?.status, 'wrong');
      // Said in plain words: which of the certificate's problems, not Node's verification code.
      assert.match(untrusted?.fix ?? '', /CA is unknown|not publicly trusted/, untrusted?.fix);
      assert.doesNotMatch(untrusted?.fix ?? '', /UNABLE_TO|SELF_SIGNED_CERT/, untrusted?.fix);
      assert.match(untrusted?.fix ?? '', /issue a certificate for the mail host/);

      const [trusted] = await checkInbound('127.0.0.1', [byCa.port], {
        servername: NAME,
        ca: issued.ca,
        timeoutMs: 5000,
      });
      assert.equal(trusted?.status, 'ok');

      // The command line's table says what it is, not WRONG.
      const table = formatDnsReport({
        domain: 'example.test',
        host: 'vps',
        mailHost: NAME,
        checkedAt: new Date(0).toISOString(),
        durationMs: 1,
        findings: [own!],
      });
      assert.match(table, /SELF-SIGNED/);
      assert.doesNotMatch(table, /WRONG/);
      assert.match(table, /get a trusted certificate/);
    } finally {
      await Promise.all([selfSigned.close(), byCa.close()]);
    }
  });
});
