// DKIM verification with mailauth and a resolver we control: signed here with a fresh key,
// checked against the matching TXT record (pass) and against another key (fail).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { dkimSign } from 'mailauth/lib/dkim/sign';
import { splitTxt } from '../../src/core/dkim';
import { sendTestMail, verifyDkim } from '../../src/core/smtp';
import { startTestReceiver } from '../../src/core/smtp/test-receiver';

const DOMAIN = 'example.test';
const SELECTOR = 'mw1';
const RECORD_NAME = `${SELECTOR}._domainkey.${DOMAIN}`;

function rsaKey() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const txt = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), txt };
}

const MESSAGE = [
  `From: Bob <bob@${DOMAIN}>`,
  'To: someone@example.org',
  'Subject: DKIM test',
  'Date: Sat, 28 Nov 2026 06:00:00 +0000',
  `Message-ID: <dkim-test@${DOMAIN}>`,
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Signed by the test.',
  '',
].join('\r\n');

async function signed(pem: string, message = MESSAGE): Promise<string> {
  const result = await dkimSign(message, {
    signatureData: [{ signingDomain: DOMAIN, selector: SELECTOR, privateKey: pem, algorithm: 'rsa-sha256' }],
  } as Parameters<typeof dkimSign>[1]);
  assert.deepEqual(result.errors, []);
  return result.signatures + message;
}

describe('verifyDkim', () => {
  const key = rsaKey();

  it('passes when the TXT record holds the signing key', async () => {
    const r = await verifyDkim(await signed(key.pem), { resolver: { [RECORD_NAME]: key.txt } });
    assert.equal(r.signatures.length, 1);
    const [sig] = r.signatures;
    assert.equal(sig?.domain, DOMAIN);
    assert.equal(sig?.selector, SELECTOR);
    assert.equal(sig?.result, 'pass');
    assert.equal(sig?.pass, true);
    assert.equal(sig?.reason, undefined);
    assert.match(r.headers, /dkim=pass/);
  });

  it('passes when the record is published split into <=255-byte strings, as DNS carries it', async () => {
    const strings = splitTxt(key.txt);
    assert.ok(strings.length > 1, 'an RSA-2048 record needs more than one string');
    const r = await verifyDkim(await signed(key.pem), { resolver: { [RECORD_NAME]: strings } });
    assert.equal(r.signatures[0]?.result, 'pass');
  });

  it('fails with a reason when the published key is another one', async () => {
    const other = rsaKey();
    const r = await verifyDkim(await signed(key.pem), { resolver: { [RECORD_NAME]: other.txt } });
    assert.equal(r.signatures[0]?.pass, false);
    assert.equal(r.signatures[0]?.result, 'fail');
    assert.ok(r.signatures[0]?.reason, 'a reason is given');
  });

  it('does not pass when the record is missing or the body was changed', async () => {
    const missing = await verifyDkim(await signed(key.pem), { resolver: {} });
    assert.equal(missing.signatures[0]?.pass, false);
    const tampered = (await signed(key.pem)).replace('Signed by the test.', 'Changed on the way.');
    const r = await verifyDkim(tampered, { resolver: { [RECORD_NAME]: key.txt } });
    assert.equal(r.signatures[0]?.result, 'neutral');
    assert.match(r.signatures[0]?.reason ?? '', /body hash/i);
  });

  it('accepts a resolver function and verifies a message delivered through the test receiver', async () => {
    const receiver = await startTestReceiver();
    try {
      await sendTestMail({
        host: '127.0.0.1',
        port: receiver.port,
        starttls: true,
        tlsRejectUnauthorized: false,
        from: `bob@${DOMAIN}`,
        to: 'someone@example.org',
        raw: await signed(key.pem),
      });
      const got = await receiver.waitFor((m) => m.raw.includes('dkim-test@'));
      const asked: string[] = [];
      const r = await verifyDkim(got.raw, {
        resolver: async (name, type) => {
          asked.push(`${type} ${name}`);
          if (name === RECORD_NAME && type === 'TXT') return [[key.txt]];
          throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
        },
      });
      assert.equal(r.signatures[0]?.pass, true, JSON.stringify(r.signatures));
      assert.ok(asked.includes(`TXT ${RECORD_NAME}`));
    } finally {
      await receiver.close();
    }
  });
});
