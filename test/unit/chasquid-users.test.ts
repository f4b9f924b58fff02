import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CHASQUID_SCRYPT_PARAMS,
  ChasquidUsers,
  hashPassword,
  isAtLeast,
  normalizeUserName,
  verifyPassword,
} from '../../src/core/chasquid';
import { findChasquidUtils, NO_CHASQUID_UTIL, runUtil, tempConfigDir } from './chasquid-util-binaries';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures/chasquid', name));

describe('chasquid users: files written by chasquid-util', () => {
  it('1.11: parses and verifies, including a password with quote and backslash', async () => {
    const db = ChasquidUsers.parse(fixture('users-by-chasquid-util-1.11'));
    assert.deepEqual(db.validate({ version: '1.11' }), []);
    assert.deepEqual(db.names(), ['alice', 'bob']);
    const alice = db.get('alice');
    assert.equal(alice?.scheme, 'scrypt');
    if (alice?.scheme === 'scrypt') {
      assert.deepEqual(
        { logN: alice.logN, r: alice.r, p: alice.p, keyLen: alice.keyLen },
        CHASQUID_SCRYPT_PARAMS,
      );
      assert.equal(alice.salt.length, 16);
      assert.equal(alice.encrypted.length, 32);
    }
    assert.equal(await db.verifyPassword('alice', 'correct horse'), true);
    assert.equal(
      await db.verifyPassword('ALICE', 'correct horse'),
      true,
      'names are normalized like chasquid',
    );
    assert.equal(await db.verifyPassword('alice', 'correct horse '), false);
    assert.equal(await db.verifyPassword('bob', 'quote"back\\slash'), true);
    assert.equal(await db.verifyPassword('nobody', 'x'), false);
  });

  it('1.15: receive-only users, UTF-8 names and raw UTF-8 inside escaped bytes', async () => {
    const db = ChasquidUsers.parse(fixture('users-by-chasquid-util-1.15'));
    assert.deepEqual(db.validate({ version: '1.15' }), []);
    assert.deepEqual(db.names(), ['carol', 'dave', 'josé']);
    assert.equal(await db.verifyPassword('carol', 'pässwörd'), true);
    assert.equal(await db.verifyPassword('José', 'p'), true);
    assert.deepEqual(db.get('dave'), { scheme: 'denied' });
    assert.equal(await db.verifyPassword('dave', ''), false);
    const [d] = db.validate({ version: '1.11' });
    assert.equal(d?.code, 'receive-only-unsupported');
    assert.equal(d?.line, 14);
  });

  it('print() writes what it read (same entries, same bytes of salt and hash)', async () => {
    for (const name of ['users-by-chasquid-util-1.11', 'users-by-chasquid-util-1.15']) {
      const db = ChasquidUsers.parse(fixture(name));
      const again = ChasquidUsers.parse(db.print());
      assert.deepEqual(again.validate(), []);
      assert.equal(again.print(), db.print());
      for (const n of db.names()) assert.deepEqual(again.get(n), db.get(n));
    }
    // chasquid-util's own layout and order; only the escaping of salt bytes may differ.
    const shape = (t: string) => t.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    for (const name of ['users-by-chasquid-util-1.11', 'users-by-chasquid-util-1.15']) {
      const original = fixture(name).toString('utf8');
      assert.equal(shape(ChasquidUsers.parse(original).print()), shape(original));
    }
  });
});

describe('chasquid users: editing', () => {
  it('adds, replaces and removes users; the output is 7-bit clean but for names', async () => {
    const db = ChasquidUsers.empty();
    await db.addOrReplaceUser('Zoë', 'first');
    await db.addOrReplaceUser('zoë', 'second');
    db.addReceiveOnlyUser('noreply');
    assert.deepEqual(db.names(), ['noreply', 'zoë']);
    assert.equal(await db.verifyPassword('zoë', 'first'), false);
    assert.equal(await db.verifyPassword('zoë', 'second'), true);
    const text = db.print();
    assert.match(text, /^users: \{\n {2}key: "noreply"\n {2}value: \{\n {4}denied: \{\}\n {2}\}\n\}\n/);
    assert.match(text, /logN: 14\n {6}r: 8\n {6}p: 1\n {6}keyLen: 32\n {6}salt: "/);
    assert.ok(!/\P{ASCII}/u.test(text.replace('zoë', '')));
    assert.equal(await ChasquidUsers.parse(text).verifyPassword('ZOË', 'second'), true);
    assert.equal(db.removeUser('Noreply'), true);
    assert.equal(db.removeUser('noreply'), false);
    assert.deepEqual(db.names(), ['zoë']);
  });

  it('rejects names chasquid cannot store', async () => {
    const db = ChasquidUsers.empty();
    await assert.rejects(db.addOrReplaceUser('a b', 'pw'), /whitespace/);
    await assert.rejects(db.addOrReplaceUser('a@example.com', 'pw'), /without "@domain"/);
    await assert.rejects(db.addOrReplaceUser('', 'pw'), /empty/);
    assert.equal(normalizeUserName('ＡＢＣ'), 'abc');
  });

  it('never puts the password in an error message', async () => {
    const secret = 'Tr0ub4dor&3-secret';
    const db = ChasquidUsers.empty();
    const attempts: Promise<unknown>[] = [
      db.addOrReplaceUser('bad user', secret),
      db.addOrReplaceUser('ok', secret, { logN: 40, r: 8, p: 1, keyLen: 32 }),
      hashPassword(secret, { logN: 14, r: 0, p: 1, keyLen: 32 }),
      verifyPassword(
        { logN: 99, r: 8, p: 1, keyLen: 32, salt: new Uint8Array(16), encrypted: new Uint8Array(32) },
        secret,
      ),
    ];
    for (const a of attempts) {
      await assert.rejects(
        a,
        (e: Error) => !String(e.message).includes(secret) && !String(e.stack).includes(secret),
      );
    }
    await assert.rejects(hashPassword(''), /empty/);
  });

  it('hashes with fresh salt and chasquid parameters by default', async () => {
    const a = await hashPassword('same');
    const b = await hashPassword('same');
    assert.notDeepEqual(a.salt, b.salt);
    assert.equal(a.salt.length, 16);
    assert.equal(a.encrypted.length, 32);
    assert.equal(await verifyPassword(a, 'same'), true);
    assert.equal(await verifyPassword(a, 'Same'), false);
    const fast = await hashPassword('x', { logN: 4, r: 1, p: 1, keyLen: 16 });
    assert.equal(fast.encrypted.length, 16);
    assert.equal(await verifyPassword(fast, 'x'), true);
  });
});

describe('chasquid users: problems are reported with positions', () => {
  it('reports unknown fields, bad types and syntax', () => {
    const text =
      'users: {\n  key: "a"\n  value: { scrypt: { logN: "14" salt: 5 } }\n}\n' +
      'users { key: "b" value { bcrypt {} } }\nuser: {}\nusers: { key: "c\n';
    const got = ChasquidUsers.parse(text)
      .validate()
      .map((d) => `${d.line}:${d.column} ${d.severity} ${d.code}`);
    assert.deepEqual(got, [
      '3:28 error wrong-type',
      '3:39 error wrong-type',
      '5:1 warning missing-scheme',
      '5:26 error unknown-field',
      '6:1 error unknown-field',
      '7:15 error syntax',
    ]);
  });

  it('accepts every layout Go writes or reads (list syntax, < >, no colons)', async () => {
    const one = ChasquidUsers.empty();
    await one.addOrReplaceUser('x', 'pw', { logN: 4, r: 8, p: 1, keyLen: 32 });
    const salt = /salt: ("[^\n]*")/.exec(one.print())?.[1];
    const enc = /encrypted: ("[^\n]*")/.exec(one.print())?.[1];
    const alt = `users: [{key: 'x', value < scrypt { logN: 4; r: 8; p: 1; keyLen: 32; salt: ${salt}; encrypted: ${enc} } >}]`;
    const db = ChasquidUsers.parse(alt);
    assert.deepEqual(db.validate(), []);
    assert.equal(await db.verifyPassword('x', 'pw'), true);
  });

  it('flags invalid UTF-8 files and names that can never log in', () => {
    assert.equal(ChasquidUsers.parse(new Uint8Array([0x75, 0xff])).validate()[0]?.code, 'invalid-utf8');
    const d = ChasquidUsers.parse('users: { key: "Bob" value: { denied: {} } }\n').validate();
    assert.deepEqual(
      d.map((x) => x.code),
      ['unnormalized-name'],
    );
  });
});

describe('chasquid users: interop with the real chasquid-util', () => {
  const utils = findChasquidUtils();
  const skip = utils.length === 0 && NO_CHASQUID_UTIL;

  it('accepts a users file written by our code', { skip }, async () => {
    for (const util of utils) {
      const dir = tempConfigDir();
      try {
        const db = ChasquidUsers.empty();
        await db.addOrReplaceUser('ana', 'plain-ascii');
        await db.addOrReplaceUser('Zoé', 'päss "w\\" 0rd');
        const receiveOnly = util.version !== undefined && isAtLeast(util.version, '1.13');
        if (receiveOnly) db.addReceiveOnlyUser('noreply');
        mkdirSync(join(dir, 'domains/example.org'), { recursive: true });
        writeFileSync(join(dir, 'domains/example.org/users'), db.print());
        const auth = (user: string, pw: string) =>
          runUtil(util, dir, ['authenticate', user, `--password=${pw}`]);
        assert.equal(runUtil(util, dir, ['check-userdb', 'example.org']).code, 0);
        assert.match(auth('ana@example.org', 'plain-ascii').output, /Authentication succeeded/, util.path);
        assert.match(auth('zoé@example.org', 'päss "w\\" 0rd').output, /Authentication succeeded/, util.path);
        assert.match(auth('ZOÉ@example.org', 'päss "w\\" 0rd').output, /Authentication succeeded/, util.path);
        assert.match(auth('ana@example.org', 'wrong').output, /Authentication failed/, util.path);
        if (receiveOnly) assert.match(auth('noreply@example.org', 'x').output, /Authentication failed/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('reads and verifies a users file chasquid-util just wrote', { skip }, async () => {
    for (const util of utils) {
      const dir = tempConfigDir();
      try {
        mkdirSync(join(dir, 'domains/example.org'), { recursive: true });
        const pw = 'q"\\ ü\t€😀';
        const r = runUtil(util, dir, ['user-add', 'Mixed.Case@example.org', `--password=${pw}`]);
        assert.equal(r.code, 0, r.output);
        const db = ChasquidUsers.parse(readFileSync(join(dir, 'domains/example.org/users')));
        assert.deepEqual(db.validate(), []);
        assert.deepEqual(db.names(), ['mixed.case']);
        assert.equal(await db.verifyPassword('mixed.case', pw), true);
        assert.equal(await db.verifyPassword('mixed.case', pw.slice(1)), false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
