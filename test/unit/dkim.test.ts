import assert from 'node:assert/strict';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  sign,
  verify,
} from 'node:crypto';
import { describe, it } from 'node:test';
import type { DomainConfig } from '../../src/core/config';
import {
  autoSelectorBase,
  decideLegacyDkim,
  decideNativeDkim,
  dkimRecordsFor,
  dkimTxtRecord,
  generateDkimKey,
  parseDkimRecord,
  publicKeyOfPem,
  splitTxt,
  txtZoneText,
} from '../../src/core/dkim';
import type { Facts } from '../../src/core/facts';

const NOW = new Date('2026-11-28T10:00:00Z');
const LATER = new Date('2027-03-01T10:00:00Z');

function domain(dkim: Partial<DomainConfig['dkim']> = {}): DomainConfig {
  return {
    name: 'example.test',
    users: [],
    aliases: {},
    mailboxes: false,
    dkim: { algorithms: ['rsa2048'], selector: 'auto', ...dkim },
    spf: { include: [] },
  };
}

function facts(files: string[] = [], confFiles: Record<string, string> = {}): Facts {
  return {
    confFiles,
    chasquidState: { domains: { 'example.test': { files, users: [] } }, certs: {}, managed: {} },
  } as unknown as Facts;
}

describe('splitTxt', () => {
  it('keeps short values whole and splits long ones at 255 bytes', () => {
    assert.deepEqual(splitTxt('v=DKIM1; k=ed25519; p=abc'), ['v=DKIM1; k=ed25519; p=abc']);
    const long = 'x'.repeat(600);
    const parts = splitTxt(long);
    assert.deepEqual(
      parts.map((p) => p.length),
      [255, 255, 90],
    );
    assert.equal(parts.join(''), long);
    assert.deepEqual(splitTxt(''), ['']);
  });

  it('counts bytes, not characters, and never cuts a character', () => {
    const value = 'é'.repeat(200); // 400 bytes
    const parts = splitTxt(value);
    for (const p of parts) assert.ok(Buffer.byteLength(p) <= 255);
    assert.equal(parts.join(''), value);
    assert.equal(parts[0]!.length, 127);
  });

  it('writes zone-file text with quotes escaped', () => {
    assert.equal(txtZoneText(['a"b', 'c\\d']), '"a\\"b" "c\\\\d"');
  });
});

describe('DKIM keys and records', () => {
  for (const algorithm of ['rsa2048', 'rsa3072', 'ed25519'] as const) {
    it(`${algorithm}: the record's public key is the private key's`, () => {
      const pair = generateDkimKey(algorithm);
      assert.match(pair.privateKeyPkcs8, /^-----BEGIN PRIVATE KEY-----/);
      const record = dkimTxtRecord(pair.publicKey, pair.keyType);
      const strings = splitTxt(record);
      for (const s of strings) assert.ok(Buffer.byteLength(s) <= 255);
      const parsed = parseDkimRecord(strings.join(''));
      assert.equal(parsed.tags.v, 'DKIM1');
      assert.equal(parsed.keyType, algorithm === 'ed25519' ? 'ed25519' : 'rsa');
      assert.equal(parsed.publicKey, publicKeyOfPem(pair.privateKeyPkcs8).publicKey);

      // A signature made with the private key verifies with the key rebuilt from DNS.
      const data = Buffer.from('DKIM-Signature test');
      const priv = createPrivateKey(pair.privateKeyPkcs8);
      if (algorithm === 'ed25519') {
        const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');
        const pub = createPublicKey({
          key: Buffer.concat([spkiPrefix, Buffer.from(parsed.publicKey, 'base64')]),
          format: 'der',
          type: 'spki',
        });
        assert.ok(verify(null, data, pub, sign(null, data, priv)));
      } else {
        const pub = createPublicKey({
          key: Buffer.from(parsed.publicKey, 'base64'),
          format: 'der',
          type: 'spki',
        });
        assert.equal(pub.asymmetricKeyDetails?.modulusLength, Number(algorithm.slice(3)));
        const sig = createSign('sha256').update(data).sign(priv);
        assert.ok(createVerify('sha256').update(data).verify(pub, sig));
      }
    });
  }

  it('RSA keys also come as PKCS#1 for the legacy hook, with the same public key', () => {
    const pair = generateDkimKey('rsa2048');
    assert.match(pair.privateKeyPkcs1!, /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.equal(publicKeyOfPem(pair.privateKeyPkcs1!).publicKey, pair.publicKey);
    assert.equal(generateDkimKey('ed25519').privateKeyPkcs1, undefined);
  });

  it('names records <selector>._domainkey.<domain>', () => {
    const [record] = dkimRecordsFor('example.test', [
      { selector: 'mw20261128', keyType: 'ed25519', publicKey: 'AAAA' },
    ]);
    assert.deepEqual(record, {
      name: 'mw20261128._domainkey.example.test',
      type: 'TXT',
      value: 'v=DKIM1; k=ed25519; p=AAAA',
      strings: ['v=DKIM1; k=ed25519; p=AAAA'],
    });
  });
});

describe('selectors (native path)', () => {
  it('auto: one date-based selector for one algorithm', () => {
    assert.equal(autoSelectorBase(NOW), 'mw20261128');
    const d = decideNativeDkim(domain(), facts(), NOW);
    assert.deepEqual(
      d.create.map((k) => [k.selector, k.algorithm, k.file, k.format]),
      [['mw20261128', 'rsa2048', '/etc/chasquid/domains/example.test/dkim:mw20261128.pem', 'pkcs8']],
    );
  });

  it('auto: r / e suffixes when RSA and Ed25519 both sign', () => {
    const d = decideNativeDkim(domain({ algorithms: ['rsa2048', 'ed25519'] }), facts(), NOW);
    assert.deepEqual(
      d.create.map((k) => k.selector),
      ['mw20261128r', 'mw20261128e'],
    );
  });

  it('reuses existing keys on a later date instead of rotating', () => {
    const files = ['users', 'dkim:mw20261128r.pem', 'dkim:mw20261128e.pem'];
    const d = decideNativeDkim(domain({ algorithms: ['rsa2048', 'ed25519'] }), facts(files), LATER);
    assert.deepEqual(d.create, []);
    assert.deepEqual(d.reused, ['mw20261128r', 'mw20261128e']);
  });

  it('adding Ed25519 later keeps the RSA key and adds only the Ed25519 one', () => {
    const d = decideNativeDkim(
      domain({ algorithms: ['rsa2048', 'ed25519'] }),
      facts(['dkim:mw20261128.pem']),
      LATER,
    );
    assert.deepEqual(d.reused, ['mw20261128']);
    assert.deepEqual(
      d.create.map((k) => k.selector),
      ['mw20270301e'],
    );
  });

  it("counts a key made by chasquid-util (not our naming) as the domain's RSA key", () => {
    const d = decideNativeDkim(domain(), facts(['dkim:20250101.pem']), LATER);
    assert.deepEqual(d.create, []);
    assert.deepEqual(d.reused, ['20250101']);
  });

  it('explicit selector: created when its file is missing, kept when present', () => {
    assert.deepEqual(
      decideNativeDkim(domain({ selector: 'mail' }), facts(['dkim:mw20261128.pem']), NOW).create.map(
        (k) => k.selector,
      ),
      ['mail'],
    );
    assert.deepEqual(
      decideNativeDkim(domain({ selector: 'mail' }), facts(['dkim:mail.pem']), NOW).create,
      [],
    );
  });
});

describe('selectors (legacy path)', () => {
  const keyPath = '/etc/chasquid/certs/example.test/dkim_privkey.pem';
  const selectorPath = '/etc/chasquid/domains/example.test/dkim_selector';

  it('writes a selector file and a PKCS#1 key under certs/<domain>', () => {
    const d = decideLegacyDkim(domain(), facts(), NOW);
    assert.deepEqual(d.selectorFile, { path: selectorPath, content: 'mw20261128\n' });
    assert.deepEqual(
      d.create.map((k) => [k.selector, k.file, k.format]),
      [['mw20261128', keyPath, 'pkcs1']],
    );
    assert.deepEqual(d.notes, []);
  });

  it('skips Ed25519 and says so', () => {
    const d = decideLegacyDkim(domain({ algorithms: ['rsa2048', 'ed25519'] }), facts(), NOW);
    assert.equal(d.create.length, 1);
    assert.equal(d.create[0]!.algorithm, 'rsa2048');
    assert.match(d.notes[0]!, /Ed25519 is skipped/);
    const only = decideLegacyDkim(domain({ algorithms: ['ed25519'] }), facts(), NOW);
    assert.equal(only.create[0]!.algorithm, 'rsa2048');
    assert.match(only.notes[0]!, /RSA-2048 key is used instead/);
  });

  it('keeps an existing selector and key', () => {
    const d = decideLegacyDkim(
      domain(),
      facts(['dkim_selector'], { [keyPath]: 'aa', [selectorPath]: 'bb' }),
      LATER,
    );
    assert.equal(d.selectorFile, undefined);
    assert.deepEqual(d.create, []);
  });

  it('rewrites the selector file when an explicit selector differs', () => {
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const kept = decideLegacyDkim(
      domain({ selector: 'mail' }),
      facts(['dkim_selector'], { [keyPath]: 'aa', [selectorPath]: sha('mail\n') }),
      NOW,
    );
    assert.equal(kept.selectorFile, undefined);
    const changed = decideLegacyDkim(
      domain({ selector: 'mail2' }),
      facts(['dkim_selector'], { [keyPath]: 'aa', [selectorPath]: sha('mail\n') }),
      NOW,
    );
    assert.deepEqual(changed.selectorFile, { path: selectorPath, content: 'mail2\n' });
    assert.deepEqual(changed.create, []);
  });
});

describe('switching from the post-data hook to chasquid signing itself', () => {
  const LEGACY_KEY = '/etc/chasquid/certs/example.test/dkim_privkey.pem';
  const SELECTOR = '/etc/chasquid/domains/example.test/dkim_selector';
  const legacyFacts = (files: string[] = []) =>
    facts(['dkim_selector', 'users', ...files], { [LEGACY_KEY]: 'a'.repeat(64) });

  it("moves the hook's RSA key to chasquid's layout under its selector and removes the hook's files", () => {
    const d = decideNativeDkim(domain({ algorithms: ['rsa2048', 'ed25519'] }), legacyFacts(), LATER);
    assert.deepEqual(d.legacy?.files, [SELECTOR, LEGACY_KEY]);
    const importAs = d.legacy?.importAs;
    assert.ok(importAs, 'the key can be kept');
    assert.equal(importAs.replaces.algorithm, 'rsa2048', 'instead of a new RSA key');
    // The hook's selector was the date of its key (auto), or any name made by hand: both stay RSA.
    assert.equal(importAs.accepts('mw20261128'), true);
    assert.equal(importAs.accepts('mail'), true);
    assert.equal(importAs.accepts('mw20261128e'), false, 'an Ed25519 name');
    assert.equal(importAs.accepts('../x'), false);
    assert.equal(importAs.accepts(''), false);
    // Ed25519 is new either way.
    assert.deepEqual(
      d.create.map((k) => k.algorithm),
      ['rsa2048', 'ed25519'],
    );
  });

  it('an explicit selector keeps the key only under that very name', () => {
    const one = decideNativeDkim(domain({ selector: 'mx2' }), legacyFacts(), LATER);
    assert.equal(one.legacy?.importAs?.accepts('mx2'), true);
    assert.equal(one.legacy?.importAs?.accepts('mw20261128'), false);
    // With two algorithms the RSA key's selector has a suffix the hook's never had.
    const two = decideNativeDkim(
      domain({ selector: 'mx2', algorithms: ['rsa2048', 'ed25519'] }),
      legacyFacts(),
      LATER,
    );
    assert.equal(two.legacy?.importAs?.accepts('mx2'), false);
    assert.equal(two.legacy?.importAs?.accepts('mx2r'), true);
  });

  it("a domain that already has chasquid's RSA key only loses the hook's files; none left: nothing to do", () => {
    const d = decideNativeDkim(domain(), legacyFacts(['dkim:mw20261128.pem']), LATER);
    assert.deepEqual(d.create, []);
    assert.ok(d.legacy);
    assert.equal(d.legacy.importAs, undefined, 'nothing to import into');
    const after = decideNativeDkim(domain(), facts(['dkim:mw20261128.pem']), LATER);
    assert.equal(after.legacy, undefined);
    assert.deepEqual(after.create, []);
  });
});
