// The "verified" stage of a test mail on messages signed here (RSA and Ed25519), with the keys,
// SPF and DMARC in an in-memory DNS: each signature apart with its algorithm, the hand-off to the
// MX read from the receiver's record or, without one (IMAP), from its Received header, and the
// judgement of a forward (rewritten sender, no ARC seal).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { dkimSign } from 'mailauth/lib/dkim/sign';
import type { Check } from '../../src/core/checks';
import { verifyDelivered, type Verification } from '../../src/core/mailtest';
import { MemoryDns } from './memory-dns';

const DOMAIN = 'example.test';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');

const dns = new MemoryDns({
  [`r1._domainkey.${DOMAIN}`]: {
    TXT: [`v=DKIM1; k=rsa; p=${rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`],
  },
  [`e1._domainkey.${DOMAIN}`]: {
    TXT: [
      `v=DKIM1; k=ed25519; p=${ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64')}`,
    ],
  },
  [DOMAIN]: { TXT: ['v=spf1 ip4:198.51.100.2 ip6:2001:db8:5eed::1 -all'] },
  [`_dmarc.${DOMAIN}`]: { TXT: ['v=DMARC1; p=quarantine'] },
});

async function signed(from = `alice@${DOMAIN}`): Promise<string> {
  const msg = [
    `From: ${from}`,
    'To: someone@inbox.test',
    'Subject: t',
    'Message-ID: <t@example.test>',
    '',
    'x',
    '',
  ].join('\r\n');
  const result = await dkimSign(msg, {
    signatureData: [
      { signingDomain: DOMAIN, selector: 'r1', privateKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), algorithm: 'rsa-sha256' },
      { signingDomain: DOMAIN, selector: 'e1', privateKey: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), algorithm: 'ed25519-sha256' },
    ],
  } as Parameters<typeof dkimSign>[1]); // prettier-ignore
  return result.signatures + msg;
}

const received = (ip: string, tls = true) =>
  `Received: from smtp.example.test (smtp.example.test [${ip}])\r\n        by mx.inbox.test with ${tls ? 'ESMTPS' : 'ESMTP'} id 1${tls ? ' (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384)' : ''};\r\n        Sun, 6 Dec 2026 20:00:00 +0000\r\n`;

const byId = (v: Verification, id: string): Check => {
  const c = v.checks.find((x) => x.id === id);
  assert.ok(c, `no ${id} in ${v.checks.map((x) => x.id).join(', ')}`);
  return c;
};

describe('verifyDelivered', () => {
  it('judges each DKIM signature apart, named by its algorithm, and the hop from the receiver’s record', async () => {
    const v = await verifyDelivered(
      {
        raw: Buffer.from(received('2001:db8:5eed::1') + (await signed())),
        envelopeFrom: `alice@${DOMAIN}`,
        remoteAddress: '2001:db8:5eed::1',
        tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
      },
      { resolver: dns },
    );
    assert.deepEqual(
      v.checks.filter((c) => c.id.startsWith('dkim:')).map((c) => [c.id, c.title, c.status]),
      [
        ['dkim:rsa:r1', 'DKIM RSA signature (d=example.test, s=r1)', 'pass'],
        ['dkim:ed25519:e1', 'DKIM Ed25519 signature (d=example.test, s=e1)', 'pass'],
      ],
    );
    assert.equal(byId(v, 'spf').status, 'pass');
    assert.equal(byId(v, 'dmarc').status, 'pass');
    assert.equal(byId(v, 'mx:tls').status, 'pass');
    assert.match(byId(v, 'mx:tls').evidence.join(' '), /TLS 1\.3 .*receiver's record/);
    assert.equal(byId(v, 'mx:ipv6').status, 'pass');
  });

  it('without the receiver’s record (a copy read over IMAP) reads the hop from its Received header', async () => {
    const v = await verifyDelivered(
      { raw: Buffer.from(received('198.51.100.2', false) + (await signed())) },
      { resolver: dns },
    );
    const tls = byId(v, 'mx:tls');
    assert.equal(tls.status, 'fail');
    assert.match(tls.evidence[0] ?? '', /plain text .*Received header/);
    const v6 = byId(v, 'mx:ipv6');
    assert.equal(v6.status, 'warn');
    assert.match(v6.evidence[0] ?? '', /over IPv4 from 198\.51\.100\.2/);
    assert.ok(v6.fix);
  });

  it('a forward: the rewritten sender passes, the kept one fails, and the missing ARC seal is a warning', async () => {
    const raw = Buffer.from(received('198.51.100.2') + (await signed('sender@inbox.test')));
    const forward = { originalSender: 'sender@inbox.test', domain: DOMAIN };
    const rewritten = await verifyDelivered(
      {
        raw,
        envelopeFrom: `nobody+fwd_from=sender=inbox.test@${DOMAIN}`,
        remoteAddress: '198.51.100.2',
        tls: null,
      },
      { resolver: dns, forward },
    );
    assert.equal(byId(rewritten, 'forward:srs').status, 'pass');
    assert.equal(byId(rewritten, 'spf').status, 'pass');
    const arc = rewritten.checks.filter((c) => c.id === 'arc');
    assert.equal(arc.length, 1, 'one ARC check');
    assert.equal(arc[0]!.status, 'warn');
    assert.equal(byId(rewritten, 'mx:tls').status, 'fail'); // the receiver recorded no TLS
    const kept = await verifyDelivered(
      { raw, envelopeFrom: 'sender@inbox.test', remoteAddress: '198.51.100.2' },
      { resolver: dns, forward },
    );
    assert.equal(byId(kept, 'forward:srs').status, 'fail');
  });
});
