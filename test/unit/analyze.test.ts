// Message analysis on messages signed here (fresh RSA and Ed25519 keys, mailauth's signer),
// with the keys, SPF and DMARC records served by an in-memory DNS: every verdict is known.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { dkimSign } from 'mailauth/lib/dkim/sign';
import { analyzeMessage, type MessageAnalysis } from '../../src/core/analyze';
import type { Check } from '../../src/core/checks';
import { MemoryDns } from './memory-dns';

const DOMAIN = 'example.test';

function rsaKey() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    txt: `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
  };
}

function ed25519Key() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // The record holds the raw 32-byte key (RFC 8463), the last bytes of the SPKI form.
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  return {
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    txt: `v=DKIM1; k=ed25519; p=${raw.toString('base64')}`,
  };
}

const RSA = rsaKey();
const ED = ed25519Key();
const OTHER_RSA = rsaKey();

function zone(): MemoryDns {
  return new MemoryDns({
    [`rsa1._domainkey.${DOMAIN}`]: { TXT: [RSA.txt] },
    [`ed1._domainkey.${DOMAIN}`]: { TXT: [ED.txt] },
    [`rsa2._domainkey.${DOMAIN}`]: { TXT: [OTHER_RSA.txt] },
    [`gone._domainkey.${DOMAIN}`]: { TXT: ['v=DKIM1; k=rsa; p='] },
    [DOMAIN]: { TXT: ['v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all'] },
    [`_dmarc.${DOMAIN}`]: { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@example.test'] },
    'other.test': { TXT: ['v=spf1 -all'] },
    '_dmarc.other.test': { TXT: ['v=DMARC1; p=quarantine'] },
    'forwarder.test': { TXT: ['v=spf1 ip4:198.51.100.7 -all'] },
  });
}

function message(from = `Alice <alice@${DOMAIN}>`, body = 'Signed by the test.'): string {
  return [
    `From: ${from}`,
    'To: bob@example.org',
    'Subject: =?utf-8?B?QW5hbHlzZSDinJM=?=',
    'Date: Sat, 28 Nov 2026 06:00:00 +0000',
    `Message-ID: <analyze-test@${DOMAIN}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');
}

type Signer = { selector: string; pem: string; algorithm: 'rsa-sha256' | 'ed25519-sha256'; domain?: string };

async function sign(msg: string, signers: Signer[]): Promise<string> {
  const result = await dkimSign(msg, {
    signatureData: signers.map((s) => ({
      signingDomain: s.domain ?? DOMAIN,
      selector: s.selector,
      privateKey: s.pem,
      algorithm: s.algorithm,
    })),
  } as Parameters<typeof dkimSign>[1]);
  assert.deepEqual(result.errors, []);
  return result.signatures + msg;
}

const RSA_SIGNER: Signer = { selector: 'rsa1', pem: RSA.pem, algorithm: 'rsa-sha256' };
const ED_SIGNER: Signer = { selector: 'ed1', pem: ED.pem, algorithm: 'ed25519-sha256' };

/** The headers the submission server (chasquid) and the final receiver (Gmail-like) add on top. */
const DELIVERED = [
  `Return-Path: <alice@${DOMAIN}>`,
  'Received: from mail.example.test (mail.example.test. [2001:db8::10])',
  '        by mx.example.org with ESMTPS id a1b2c3',
  '        for <bob@example.org>',
  '        (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);',
  '        Sat, 28 Nov 2026 06:00:02 -0800 (PST)',
  'Received: from laptop.example.test ([192.0.2.50])',
  '\tby mail.example.test (chasquid) with ESMTPSA',
  '\ttls TLS_AES_128_GCM_SHA256',
  `\t(over submission+TLS, TLS-1.3, envelope from "alice@${DOMAIN}")`,
  '\t; Sat, 28 Nov 2026 06:00:01 +0000',
].join('\r\n');

const deliver = (signed: string, top = DELIVERED) => `${top}\r\n${signed}`;

function check(a: MessageAnalysis, id: string): Check {
  const c = a.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id} among ${a.checks.map((x) => x.id).join(', ')}`);
  return c;
}

function hasEvidence(c: Check, pattern: RegExp): void {
  assert.ok(
    c.evidence.some((e) => pattern.test(e)),
    `${c.id}: no evidence matching ${pattern}:\n  ${c.evidence.join('\n  ')}`,
  );
}

describe('analyzeMessage', () => {
  it('passes a message signed with RSA and Ed25519, sent from an address SPF lists, over TLS', async () => {
    const raw = deliver(await sign(message(), [RSA_SIGNER, ED_SIGNER]));
    const a = await analyzeMessage(raw, { resolver: zone() });

    assert.equal(a.from, `alice@${DOMAIN}`);
    assert.equal(a.subject, 'Analyse ✓');
    assert.equal(a.messageId, `<analyze-test@${DOMAIN}>`);

    const spf = check(a, 'spf');
    assert.equal(spf.status, 'pass');
    hasEvidence(spf, /^spf=pass smtp\.mailfrom=alice@example\.test client-ip=2001:db8::10$/);
    hasEvidence(spf, /from the Received header of mx\.example\.org/);
    hasEvidence(spf, /Return-Path/);
    hasEvidence(spf, /^domain of alice@example\.test designates 2001:db8::10 as permitted sender$/);

    const rsa = check(a, 'dkim:1');
    assert.equal(rsa.status, 'pass');
    assert.equal(rsa.title, 'DKIM signature (d=example.test, s=rsa1)');
    hasEvidence(rsa, /a=rsa-sha256/);
    hasEvidence(rsa, /^body hash: matches$/);
    hasEvidence(rsa, /^key: found at rsa1\._domainkey\.example\.test \(RSA 2048 bits\)$/);
    hasEvidence(rsa, /^aligned with the From domain example\.test$/);
    const ed = check(a, 'dkim:2');
    assert.equal(ed.status, 'pass');
    hasEvidence(ed, /a=ed25519-sha256/);
    hasEvidence(ed, /\(Ed25519\)$/);

    const dmarc = check(a, 'dmarc');
    assert.equal(dmarc.status, 'pass');
    hasEvidence(dmarc, /aligned via DKIM \(d=example\.test\)/);
    hasEvidence(dmarc, /aligned via SPF \(example\.test\)/);
    hasEvidence(dmarc, /p=reject/);

    assert.equal(check(a, 'arc').status, 'skip');
    assert.ok(
      a.checks.every((c) => c.status !== 'fail' && c.status !== 'warn'),
      JSON.stringify(a.checks, null, 1),
    );
  });

  it('reads each hop: addresses and their family, TLS version and cipher, in the order the message travelled', async () => {
    const a = await analyzeMessage(deliver(await sign(message(), [RSA_SIGNER])), { resolver: zone() });
    assert.equal(a.hops.length, 2);
    const [submission, relay] = a.hops;
    assert.equal(submission?.from, 'laptop.example.test');
    assert.equal(submission?.by, 'mail.example.test');
    assert.equal(submission?.ip, '192.0.2.50');
    assert.equal(submission?.family, 'IPv4');
    assert.equal(submission?.tlsVersion, 'TLS 1.3');
    assert.equal(submission?.cipher, 'TLS_AES_128_GCM_SHA256');
    assert.equal(submission?.envelopeFrom, `alice@${DOMAIN}`);
    assert.equal(relay?.ip, '2001:db8::10');
    assert.equal(relay?.family, 'IPv6');
    assert.equal(relay?.cipher, 'TLS_AES_256_GCM_SHA384');
    const hop2 = check(a, 'hop:2');
    assert.equal(hop2.status, 'pass');
    assert.equal(hop2.title, 'Hop 2: mail.example.test → mx.example.org');
    hasEvidence(hop2, /\[2001:db8::10\] IPv6/);
    hasEvidence(hop2, /^TLS 1\.3 TLS_AES_256_GCM_SHA384$/);
    hasEvidence(check(a, 'hop:1'), /^TLS 1\.3 TLS_AES_128_GCM_SHA256$/);
  });

  it('tells a body changed after signing apart, and DMARC still passes through aligned SPF', async () => {
    const signed = await sign(message(), [RSA_SIGNER]);
    const a = await analyzeMessage(deliver(signed.replace('Signed by the test.', 'Changed on the way.')), {
      resolver: zone(),
    });
    const dkim = check(a, 'dkim:1');
    assert.equal(dkim.status, 'fail');
    hasEvidence(dkim, /^body hash: does not match \(the body changed after signing\)$/);
    assert.match(dkim.fix ?? '', /body changed after it was signed/);
    const dmarc = check(a, 'dmarc');
    assert.equal(dmarc.status, 'pass');
    hasEvidence(dmarc, /DKIM: no passing signature/);
    hasEvidence(dmarc, /aligned via SPF \(example\.test\)/);
  });

  it('tells a wrong selector (another key published under it), a missing key and a revoked key apart', async () => {
    const wrong = await analyzeMessage(
      await sign(message(), [{ selector: 'rsa2', pem: RSA.pem, algorithm: 'rsa-sha256' }]),
      { resolver: zone() },
    );
    const w = check(wrong, 'dkim:1');
    assert.equal(w.status, 'fail');
    hasEvidence(w, /^key: found at rsa2\._domainkey\.example\.test \(RSA 2048 bits\)$/);
    hasEvidence(w, /^signature: does not verify \(bad signature\)$/);
    assert.match(w.fix ?? '', /not the one that signed/);

    const missing = await analyzeMessage(
      await sign(message(), [{ selector: 'nokey', pem: RSA.pem, algorithm: 'rsa-sha256' }]),
      { resolver: zone() },
    );
    const m = check(missing, 'dkim:1');
    assert.equal(m.status, 'fail');
    hasEvidence(m, /^key: none at nokey\._domainkey\.example\.test$/);
    assert.match(m.fix ?? '', /No key is published for selector nokey/);
    // No DKIM pass and no SMTP facts: DMARC fails, judged on DKIM alone.
    const dmarc = check(missing, 'dmarc');
    assert.equal(dmarc.status, 'fail');
    hasEvidence(dmarc, /SPF: not judged/);

    const revoked = await analyzeMessage(
      await sign(message(), [{ selector: 'gone', pem: RSA.pem, algorithm: 'rsa-sha256' }]),
      { resolver: zone() },
    );
    const r = check(revoked, 'dkim:1');
    assert.equal(r.status, 'fail');
    hasEvidence(r, /^key: revoked at gone\._domainkey\.example\.test \(empty p=\)$/);
    assert.match(r.fix ?? '', /revoked/);
  });

  it('fails DMARC for a From domain the passing DKIM signature does not align with', async () => {
    const a = await analyzeMessage(await sign(message('Alice <alice@other.test>'), [RSA_SIGNER]), {
      resolver: zone(),
    });
    const dkim = check(a, 'dkim:1');
    assert.equal(dkim.status, 'pass');
    hasEvidence(dkim, /^not aligned with the From domain other\.test$/);
    const dmarc = check(a, 'dmarc');
    assert.equal(dmarc.status, 'fail');
    assert.equal(dmarc.title, 'DMARC (From domain other.test)');
    hasEvidence(dmarc, /^DKIM: passed for example\.test only, not aligned with other\.test$/);
    hasEvidence(dmarc, /policy: quarantine/);
    assert.match(dmarc.fix ?? '', /d=other\.test/);
    const spf = check(a, 'spf');
    assert.equal(spf.status, 'skip');
    hasEvidence(spf, /^not judged: the connecting IP .* and the envelope sender/);
  });

  it('warns about a forwarded message (SRS envelope) without ARC, whose SPF speaks for the forwarder', async () => {
    const signed = await sign(message(), [RSA_SIGNER]);
    const forwarded = [
      'Return-Path: <SRS0=HHH=TT=example.test=alice@forwarder.test>',
      'Received: from relay.forwarder.test (relay.forwarder.test [198.51.100.7])',
      '\tby mx.example.org (Postfix) with ESMTP id 4Xyz',
      '\tfor <bob@example.org>; Sat, 28 Nov 2026 06:00:05 +0000 (UTC)',
    ].join('\r\n');
    const a = await analyzeMessage(`${forwarded}\r\n${signed}`, { resolver: zone() });
    const spf = check(a, 'spf');
    assert.equal(spf.status, 'pass');
    hasEvidence(
      spf,
      /smtp\.mailfrom=SRS0=HHH=TT=example\.test=alice@forwarder\.test client-ip=198\.51\.100\.7/,
    );
    const dmarc = check(a, 'dmarc');
    assert.equal(dmarc.status, 'pass');
    hasEvidence(dmarc, /aligned via DKIM/);
    hasEvidence(dmarc, /SPF: no aligned pass/);
    const arc = check(a, 'arc');
    assert.equal(arc.status, 'warn');
    hasEvidence(arc, /rewritten by SRS/);
    assert.ok(arc.fix);
    const hop = check(a, 'hop:1');
    assert.equal(hop.status, 'warn');
    hasEvidence(hop, /\[198\.51\.100\.7\] IPv4/);
    hasEvidence(hop, /^no TLS/);
    assert.match(hop.fix ?? '', /STARTTLS/);
  });

  it('judges SPF from the SMTP facts given, and shows what the receiver wrote', async () => {
    const signed = await sign(message(), [RSA_SIGNER]);
    const withClaim = [
      'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=example.test;',
      ' dkim=pass header.d=example.test header.s=rsa1; dkim=fail header.d=example.test header.s=other;',
      ' dmarc=pass (p=REJECT) header.from=example.test',
      signed,
    ].join('\r\n');
    const a = await analyzeMessage(withClaim, {
      resolver: zone(),
      smtp: { ip: '203.0.113.9', helo: 'bad.example.net', mailFrom: `alice@${DOMAIN}` },
    });
    const spf = check(a, 'spf');
    assert.equal(spf.status, 'fail');
    hasEvidence(spf, /client-ip=203\.0\.113\.9/);
    hasEvidence(spf, /: given$/);
    hasEvidence(spf, /^the receiver mx\.example\.org wrote: spf=pass smtp\.mailfrom=example\.test$/);
    assert.match(spf.fix ?? '', /ip4:203\.0\.113\.9/);
    // DKIM still passes and aligns: DMARC passes. The receiver's verdicts stand beside each.
    const dkim = check(a, 'dkim:1');
    hasEvidence(
      dkim,
      /^the receiver mx\.example\.org wrote: dkim=pass header\.d=example\.test header\.s=rsa1$/,
    );
    assert.ok(
      !dkim.evidence.some((e) => /header\.s=other/.test(e)),
      "another selector's verdict is left out",
    );
    const dmarc = check(a, 'dmarc');
    assert.equal(dmarc.status, 'pass');
    hasEvidence(
      dmarc,
      /^the receiver mx\.example\.org wrote: dmarc=pass \(p=REJECT\) header\.from=example\.test$/,
    );
  });

  it("takes SPF's client from the first hop from outside, past the receiver's own relays on private addresses", async () => {
    const internal = [
      'Received: from relay1.mx.example.org (10.1.2.3) by store.mx.example.org (10.1.2.4) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.1; Sat, 28 Nov 2026 06:00:03 +0000',
      DELIVERED,
    ].join('\r\n');
    const a = await analyzeMessage(deliver(await sign(message(), [RSA_SIGNER]), internal), {
      resolver: zone(),
    });
    const spf = check(a, 'spf');
    assert.equal(spf.status, 'pass');
    hasEvidence(spf, /client-ip=2001:db8::10$/);
    assert.equal(a.hops.length, 3);
    assert.equal(a.hops[2]?.ip, '10.1.2.3');
    assert.equal(check(a, 'hop:3').status, 'pass');
  });

  it('says a message without any signature has none', async () => {
    const a = await analyzeMessage(message(), { resolver: zone() });
    const dkim = check(a, 'dkim');
    assert.equal(dkim.status, 'fail');
    hasEvidence(dkim, /no DKIM-Signature/);
    assert.equal(a.hops.length, 0);
  });

  it('stops when cancelled', async () => {
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(analyzeMessage(message(), { resolver: zone(), signal: abort.signal }));
  });
});
