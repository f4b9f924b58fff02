import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KnownHosts, knownHostsName, patternsMatch } from '../../src/core/remote/known-hosts';
import { keyTypeOf, sha256Fingerprint } from '../../src/core/remote/fingerprint';

function ed25519Blob(): Buffer {
  // SSH wire format: string "ssh-ed25519", string <32-byte key>
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const type = Buffer.from('ssh-ed25519');
  const len = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return Buffer.concat([len(type.length), type, len(raw.length), raw]);
}

const dir = () => mkdtempSync(join(tmpdir(), 'mw-kh-'));

describe('known hosts', () => {
  it('names non-22 ports in brackets, as OpenSSH does', () => {
    assert.equal(knownHostsName('198.51.100.2', 22), '198.51.100.2');
    assert.equal(knownHostsName('198.51.100.2', 2222), '[198.51.100.2]:2222');
    assert.equal(knownHostsName('fd00:5eed::2', 2222), '[fd00:5eed::2]:2222');
  });

  it('matches patterns, negations and hashed names', () => {
    assert.ok(patternsMatch('mail.example.com,198.51.100.2', '198.51.100.2'));
    assert.ok(patternsMatch('*.example.com', 'mail.example.com'));
    assert.ok(!patternsMatch('*.example.com,!mail.example.com', 'mail.example.com'));
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('mail.example.com').digest('base64');
    assert.ok(patternsMatch(`|1|${salt.toString('base64')}|${hash}`, 'mail.example.com'));
    assert.ok(!patternsMatch(`|1|${salt.toString('base64')}|${hash}`, 'other.example.com'));
  });

  it('knows an unknown, a trusted, a changed and a revoked key apart', async () => {
    const d = dir();
    const userFile = join(d, 'known_hosts');
    const managed = join(d, 'mw', 'known_hosts');
    const key = ed25519Blob();
    const other = ed25519Blob();
    const kh = new KnownHosts([userFile], managed);

    assert.equal((await kh.verify('198.51.100.2', 22, key)).kind, 'unknown');
    await kh.trust('198.51.100.2', 22, key);
    assert.match(readFileSync(managed, 'utf8'), /^198\.51\.100\.2 ssh-ed25519 /);
    assert.equal((await kh.verify('198.51.100.2', 22, key)).kind, 'trusted');
    // Same address on another port is another host.
    assert.equal((await kh.verify('198.51.100.2', 2222, key)).kind, 'unknown');

    const changed = await kh.verify('198.51.100.2', 22, other);
    assert.equal(changed.kind, 'changed');
    if (changed.kind === 'changed')
      assert.equal(sha256Fingerprint(changed.known[0]!.key), sha256Fingerprint(key));

    writeFileSync(userFile, `@revoked * ssh-ed25519 ${other.toString('base64')}\n`);
    assert.equal((await kh.verify('198.51.100.9', 22, other)).kind, 'revoked');
  });

  it('reads the key type from the blob and prints OpenSSH fingerprints', () => {
    const key = ed25519Blob();
    assert.equal(keyTypeOf(key), 'ssh-ed25519');
    assert.match(sha256Fingerprint(key), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
