// Received headers as real servers write them: who handed the message to whom, from which
// address, and whether TLS was used (version and cipher when the header says).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { looksLikeMessage } from '../../src/core/analyze';
import { parseReceived, tlsVersionName } from '../../src/core/analyze/received';

describe('parseReceived', () => {
  it('reads Postfix: rDNS name, address, "using TLSv1.3 with cipher"', () => {
    const hop = parseReceived(
      'from mail.example.org (mail.example.org [192.0.2.1]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256) (No client certificate requested) by mx.example.com (Postfix) with ESMTPS id 4Xyz for <bob@example.com>; Sat, 28 Nov 2026 06:00:00 +0000 (UTC)',
      1,
    );
    assert.equal(hop.from, 'mail.example.org');
    assert.equal(hop.ip, '192.0.2.1');
    assert.equal(hop.family, 'IPv4');
    assert.equal(hop.by, 'mx.example.com');
    assert.equal(hop.protocol, 'ESMTPS');
    assert.equal(hop.tls, true);
    assert.equal(hop.tlsVersion, 'TLS 1.3');
    assert.equal(hop.cipher, 'TLS_AES_256_GCM_SHA384');
    assert.equal(hop.date, 'Sat, 28 Nov 2026 06:00:00 +0000 (UTC)');
    assert.equal(hop.local, false);
  });

  it('reads chasquid: an IPv6 literal, and "plain text!" as no TLS', () => {
    const hop = parseReceived(
      'from client.example.net ([IPv6:2001:db8::25]) by mail.example.com (chasquid) with ESMTP (over SMTP, plain text!, envelope from "bob@example.net") ; Sat, 28 Nov 2026 06:00:00 +0000',
      1,
    );
    assert.equal(hop.ip, '2001:db8::25');
    assert.equal(hop.family, 'IPv6');
    assert.equal(hop.tls, false);
    assert.equal(hop.envelopeFrom, 'bob@example.net');
  });

  it('reads Exim "(TLS1.3) tls <cipher>" and its envelope-from', () => {
    const hop = parseReceived(
      'from [198.51.100.4] (helo=client.example.net) by mx.example.com with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <bob@example.net>) id 1abc; Sat, 28 Nov 2026 06:00:00 +0000',
      1,
    );
    assert.equal(hop.ip, '198.51.100.4');
    assert.equal(hop.tlsVersion, 'TLS 1.3');
    assert.equal(hop.cipher, 'TLS_AES_256_GCM_SHA384');
    assert.equal(hop.envelopeFrom, 'bob@example.net');
  });

  it('reads Microsoft "(version=TLS1_2, cipher=…)" and a bare address in the comment', () => {
    const hop = parseReceived(
      'from EX1.example.com (10.1.2.3) by EX2.example.com (10.1.2.4) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.1; Sat, 28 Nov 2026 06:00:00 +0000',
      1,
    );
    assert.equal(hop.ip, '10.1.2.3');
    assert.equal(hop.tlsVersion, 'TLS 1.2');
    assert.equal(hop.cipher, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
  });

  it('treats a hand-off without a client, or from loopback, as local', () => {
    assert.equal(
      parseReceived('by 10.86.92.7 with SMTP id p7mr; Mon, 12 May 2008 22:08:22 -0700', 1).local,
      true,
    );
    const lmtp = parseReceived(
      'from mail.example.com (localhost [127.0.0.1]) by mail.example.com with LMTP; x',
      1,
    );
    assert.equal(lmtp.local, true);
    assert.equal(lmtp.ip, '127.0.0.1');
  });

  it('says nothing about TLS when the header does not', () => {
    assert.equal(parseReceived('from a.example (a.example [192.0.2.9]) by b.example; x', 1).tls, undefined);
  });

  it('names TLS versions one way', () => {
    assert.equal(tlsVersionName('TLS1_3'), 'TLS 1.3');
    assert.equal(tlsVersionName('TLSv1.2'), 'TLS 1.2');
    assert.equal(tlsVersionName('TLS-1.3'), 'TLS 1.3');
    assert.equal(tlsVersionName('SSLv3'), 'SSL 3');
  });
});

describe('looksLikeMessage', () => {
  it('knows a raw message from other text', () => {
    assert.equal(looksLikeMessage('Received: from a by b; x\r\nFrom: a@b.test\r\n\r\nhi'), true);
    assert.equal(looksLikeMessage('From a@b.test Sat Nov 28 06:00:00 2026\nFrom: a@b.test\n\nhi'), true);
    assert.equal(looksLikeMessage('const x = 1;\nexport default x;\n'), false);
    assert.equal(looksLikeMessage('# Title\n\nFrom: nobody\n'), false);
  });
});
