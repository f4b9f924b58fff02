import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  readdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import {
  backupMismatch,
  BackupCryptoError,
  BackupFormatError,
  decryptStream,
  encryptStream,
  openBackup,
  startArchive,
  summarizeBackup,
  type BackupManifest,
} from '../../src/core/backup';
import { TarReader, tarFile, tarHeader, TAR_END, type TarEntry } from '../../src/core/backup/tar';
import { ChasquidUsers } from '../../src/core/chasquid/users';
import { dnsChangesOnMove } from '../../src/core/dns/move';
import { testDomain, testHost } from './config-fixture';

// A low scrypt work factor keeps the unit tests fast; the format is the same.
const LOG_N = 10;
const PASS = 'correct horse battery staple';
const host = testHost({
  name: 'a',
  mailHost: 'smtp.example.com',
  domains: [testDomain({ name: 'example.com', users: ['alice'] })],
});
const server = { os: 'Debian GNU/Linux 13 (trixie)', addresses: { ipv4: ['198.51.100.2'], ipv6: [] } };
const YAML = 'hosts:\n  - name: a\n';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let dir: string;
let root: string;
let usersFile: string;
const longName = `${'d'.repeat(60)}/${'e'.repeat(70)}.pem`;

/** GNU tar's output for `paths` under `root`, as the server's backup command makes it. */
function serverTar(paths: string[]): Readable {
  const child = spawn('tar', ['--format=pax', '-c', '-f', '-', '-C', root, '--', ...paths], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return child.stdout;
}

async function makeArchive(
  out: string,
  paths = ['etc/chasquid'],
  passphrase = PASS,
): Promise<BackupManifest> {
  const archive = await startArchive({
    host,
    server,
    config: Buffer.from(YAML),
    passphrase,
    out,
    withMail: false,
    scryptLogN: LOG_N,
  });
  await pipeline(serverTar(paths), archive.sink).catch(async (e) => {
    await archive.discard(e as Error);
    throw e;
  });
  return (await archive.done).manifest;
}

async function plaintextOf(file: string): Promise<Buffer> {
  const plain = await decryptStream(
    Readable.toWeb(Readable.from(readFileSync(file))) as ReadableStream<Uint8Array>,
    PASS,
    file,
  );
  const chunks: Buffer[] = [];
  for await (const c of Readable.fromWeb(plain as import('node:stream/web').ReadableStream))
    chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function encryptTo(file: string, plain: Buffer): Promise<void> {
  const cipher = await encryptStream(
    Readable.toWeb(Readable.from([plain])) as ReadableStream<Uint8Array>,
    PASS,
    LOG_N,
  );
  const chunks: Buffer[] = [];
  for await (const c of Readable.fromWeb(cipher as import('node:stream/web').ReadableStream))
    chunks.push(Buffer.from(c as Uint8Array));
  writeFileSync(file, Buffer.concat(chunks));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-backup-'));
  root = join(dir, 'root');
  const domain = join(root, 'etc/chasquid/domains/example.com');
  mkdirSync(domain, { recursive: true });
  mkdirSync(join(root, 'etc/chasquid/certs/smtp.example.com'), { recursive: true });
  mkdirSync(join(root, 'etc/chasquid', longName, '..'), { recursive: true });
  const users = ChasquidUsers.empty();
  await users.addOrReplaceUser('alice', 'old password', { logN: 4, r: 8, p: 1, keyLen: 32 });
  usersFile = join(domain, 'users');
  writeFileSync(usersFile, users.print());
  writeFileSync(join(domain, 'aliases'), 'alice: alice\n');
  writeFileSync(join(domain, 'dkim:20260101a.pem'), 'RSA KEY\n');
  chmodSync(join(domain, 'dkim:20260101a.pem'), 0o640);
  writeFileSync(join(root, 'etc/chasquid/certs/smtp.example.com/fullchain.pem'), 'CERT\n');
  writeFileSync(join(root, 'etc/chasquid/certs/smtp.example.com/privkey.pem'), 'KEY\n');
  writeFileSync(join(root, 'etc/chasquid', longName), 'long\n');
  writeFileSync(join(root, 'etc/chasquid/chasquid.conf'), 'hostname: "smtp.example.com"\n');
  mkdirSync(join(root, 'var/mail/vhosts/example.com/alice/Maildir/cur'), { recursive: true });
  writeFileSync(
    join(root, 'var/mail/vhosts/example.com/alice/Maildir/cur/1.eml'),
    'Subject: kept\r\n\r\nhello\r\n',
  );
  mkdirSync(join(root, 'etc/other'), { recursive: true });
  writeFileSync(join(root, 'etc/other/secret'), 'no\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('backup archive', () => {
  it('holds every file with its checksum, mode and owner, then the yaml and the manifest; written 0600', async () => {
    const out = join(dir, 'a.age');
    const manifest = await makeArchive(out);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.part')),
      [],
      'no temporary file left',
    );
    const key = manifest.files.find((f) => f.path === '/etc/chasquid/domains/example.com/dkim:20260101a.pem');
    assert.equal(key?.sha256, sha('RSA KEY\n'));
    assert.equal(key?.mode, '0640');
    assert.ok(
      manifest.files.some((f) => f.path === `/etc/chasquid/${longName}`),
      'a path longer than ustar holds',
    );
    assert.equal(manifest.config.sha256, sha(YAML));
    assert.deepEqual(manifest.host, { name: 'a', mailHost: 'smtp.example.com', domains: ['example.com'] });

    const opened = await openBackup(out, PASS);
    assert.equal(opened.config, YAML);
    const users = opened.files.find((f) => f.path === '/etc/chasquid/domains/example.com/users');
    assert.deepEqual(users?.content, readFileSync(usersFile));
    const summary = summarizeBackup(opened);
    assert.deepEqual(summary.dkim, [{ domain: 'example.com', selectors: ['20260101a'] }]);
    assert.deepEqual(summary.users, ['alice@example.com']);
    assert.deepEqual(summary.certificates, ['smtp.example.com']);
    // The archive is not readable without the passphrase: no file content in clear.
    assert.ok(!readFileSync(out).includes('RSA KEY'));
  });

  it('keeps mail apart: counted when opened, read again as a tar of its own', async () => {
    const out = join(dir, 'mail.age');
    const manifest = await makeArchive(out, ['etc/chasquid', 'var/mail/vhosts']);
    assert.ok(manifest.files.some((f) => f.path === '/var/mail/vhosts/example.com/alice/Maildir/cur/1.eml'));
    const opened = await openBackup(out, PASS);
    assert.equal(opened.mail.files, 1);
    assert.ok(!opened.files.some((f) => f.path.startsWith('/var/mail/')), 'mail is not held in memory');
    const tar = join(dir, 'mail.tar');
    await pipeline(await opened.readMail(), createWriteStream(tar));
    const target = join(dir, 'extracted');
    mkdirSync(target);
    const listed = await new Promise<string>((done, fail) => {
      const child = spawn('tar', ['-x', '-v', '-f', tar, '-C', target]);
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('close', (code) => (code === 0 ? done(text) : fail(new Error(`tar exited ${code}`))));
    });
    assert.ok(
      listed
        .split('\n')
        .filter(Boolean)
        .every((l) => l.startsWith('var/mail/vhosts')),
      listed,
    );
    assert.equal(
      readFileSync(join(target, 'var/mail/vhosts/example.com/alice/Maildir/cur/1.eml'), 'utf8'),
      'Subject: kept\r\n\r\nhello\r\n',
    );
  });

  it('refuses a wrong passphrase', async () => {
    const out = join(dir, 'wrong.age');
    await makeArchive(out);
    await assert.rejects(
      openBackup(out, 'not it'),
      (e: Error) => e instanceof BackupCryptoError && /passphrase does not open/.test(e.message),
    );
  });

  it('refuses a truncated archive', async () => {
    const out = join(dir, 'cut.age');
    await makeArchive(out);
    const whole = readFileSync(out);
    writeFileSync(out, whole.subarray(0, whole.length - 200));
    await assert.rejects(
      openBackup(out, PASS),
      (e: Error) => e instanceof BackupCryptoError && /damaged or incomplete/.test(e.message),
    );
  });

  it('refuses a changed byte (the age MAC)', async () => {
    const out = join(dir, 'flip.age');
    await makeArchive(out);
    const bytes = readFileSync(out);
    bytes[bytes.length - 300]! ^= 0x01;
    writeFileSync(out, bytes);
    await assert.rejects(
      openBackup(out, PASS),
      (e: Error) => e instanceof BackupCryptoError && /damaged/.test(e.message),
    );
  });

  it('refuses a file that does not match its checksum, naming it, even when re-encrypted with the passphrase', async () => {
    const out = join(dir, 'tampered.age');
    await makeArchive(out);
    const plain = await plaintextOf(out);
    const at = plain.indexOf('RSA KEY');
    assert.ok(at > 0);
    plain[at] = 'X'.charCodeAt(0);
    await encryptTo(out, plain);
    await assert.rejects(
      openBackup(out, PASS),
      (e: Error) =>
        e instanceof BackupFormatError &&
        /dkim:20260101a\.pem does not match its sha256 checksum/.test(e.message),
    );
  });

  it('refuses a plaintext cut before its manifest', async () => {
    const out = join(dir, 'short.age');
    await makeArchive(out);
    const plain = await plaintextOf(out);
    await encryptTo(out, plain.subarray(0, 4096));
    await assert.rejects(
      openBackup(out, PASS),
      (e: Error) => e instanceof BackupFormatError && /truncated/.test(e.message),
    );
  });

  it('refuses an archive holding a path a backup never holds', async () => {
    const out = join(dir, 'other.age');
    await assert.rejects(
      makeArchive(out, ['etc/chasquid', 'etc/other']),
      /\/etc\/other.*a backup does not hold/,
    );
    assert.throws(() => statSync(out));
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.part')),
      [],
    );
  });

  it('says which of mail host and domains differ from the target host', () => {
    const manifest = {
      host: { name: 'a', mailHost: 'smtp.example.com', domains: ['example.com'] },
    } as BackupManifest;
    assert.deepEqual(backupMismatch(manifest, host), []);
    const other = testHost({
      name: 'b',
      mailHost: 'mx.example.org',
      domains: [testDomain({ name: 'example.org' })],
    });
    const problems = backupMismatch(manifest, other);
    assert.equal(problems.length, 3);
    assert.match(problems[0]!, /mail host smtp\.example\.com.*"b".*mx\.example\.org/);
    assert.match(problems[1]!, /serves example\.com/);
    assert.match(problems[2]!, /serves example\.org/);
  });
});

describe('tar', () => {
  it('reads back what it writes, long paths included, and stops at the end blocks', () => {
    const meta = { mode: 0o640, uname: 'root', gname: 'chasquid', mtime: 1_700_000_000 };
    const long = `etc/chasquid/${'x'.repeat(150)}/file`;
    const archive = Buffer.concat([
      tarHeader({ path: 'etc/chasquid', type: 'directory', size: 0, ...meta }),
      tarFile({ path: long, ...meta }, Buffer.from('hello')),
      tarFile({ path: 'etc/chasquid/b', ...meta }, Buffer.alloc(1000, 1)),
      TAR_END,
      Buffer.from('trailing bytes are ignored'),
    ]);
    const seen: TarEntry[] = [];
    let data = 0;
    const reader = new TarReader({ end: (e) => seen.push(e), data: (c) => (data += c.length) });
    for (let i = 0; i < archive.length; i += 100) reader.push(archive.subarray(i, i + 100));
    reader.finish();
    assert.deepEqual(
      seen.map((e) => [e.path, e.type, e.size, e.gname]),
      [
        ['etc/chasquid', 'directory', 0, 'chasquid'],
        [long, 'file', 5, 'chasquid'],
        ['etc/chasquid/b', 'file', 1000, 'chasquid'],
      ],
    );
    assert.equal(data, 1005);
    const cut = new TarReader({});
    cut.push(archive.subarray(0, 1536));
    assert.throws(() => cut.finish(), /truncated/);
  });

  it('refuses a damaged header', () => {
    const block = tarFile(
      { path: 'etc/chasquid/a', mode: 0o600, uname: 'root', gname: 'root', mtime: 1 },
      Buffer.from('x'),
    );
    block[10] = 0x41;
    assert.throws(() => new TarReader({}).push(block), /checksum is wrong/);
  });
});

describe('DNS after a move', () => {
  it('names the address records that change, and nothing else', () => {
    const domain = host.domains[0]!;
    const changes = dnsChangesOnMove(host, domain, server.addresses, { ipv4: ['198.51.100.9'], ipv6: [] });
    const types = [...new Set(changes.map((c) => c.type))].sort();
    assert.ok(
      changes.some((c) => c.type === 'A' && c.from.includes('198.51.100.2') && c.to.includes('198.51.100.9')),
    );
    assert.ok(
      types.every((t) => ['A', 'AAAA', 'PTR', 'TXT'].includes(t)),
      types.join(','),
    );
    assert.ok(!changes.some((c) => c.type === 'MX' || /_domainkey|_dmarc/.test(c.name)));
    assert.deepEqual(dnsChangesOnMove(host, domain, server.addresses, server.addresses), []);
  });
});
