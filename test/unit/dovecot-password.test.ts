// SHA512-CRYPT made in Node, checked against OpenSSL's (`openssl passwd -6`), and the
// passwd-file of the mailbox users.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  MAILBOX_HASH_ROUNDS,
  MailboxUsers,
  mailboxPasswordHash,
  randomSalt,
  sha512Crypt,
  usersOfDomain,
} from '../../src/core/dovecot';

/** OpenSSL's crypt; the password goes through stdin, as Mailwright would want of any tool. */
function openssl(password: string, salt: string, rounds?: number): string {
  const r = spawnSync(
    'openssl',
    ['passwd', '-6', '-salt', rounds ? `rounds=${rounds}$${salt}` : salt, '-stdin'],
    {
      input: `${password}\n`,
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('sha512Crypt', () => {
  const cases: Array<[password: string, salt: string, rounds?: number]> = [
    ['pw', 'abcdefgh'],
    ['pw', 'abcdefgh', 10_000],
    ['correct horse battery staple', 'saltsaltsaltsalt', 1000],
    ['p', 'x'],
    ['pässwörd ✉ with unicode', './09AZaz', 5000],
    ['a'.repeat(100), 'Q', 20_000],
    ['quote " and \\ backslash $6$', 'shortsalt', MAILBOX_HASH_ROUNDS],
  ];
  for (const [password, salt, rounds] of cases) {
    it(
      `matches openssl passwd -6 (salt ${salt}, rounds ${rounds ?? 'default'}, ${password.length} chars)`,
      {
        skip: !hasOpenssl && 'openssl is not installed',
      },
      () => {
        assert.equal(sha512Crypt(password, salt, rounds), openssl(password, salt, rounds));
      },
    );
  }

  it('matches the published test vectors of the scheme', () => {
    assert.equal(
      sha512Crypt('Hello world!', 'saltstring'),
      '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
    );
    assert.equal(
      sha512Crypt('Hello world!', 'saltstringsaltst', 10_000),
      '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
    );
  });

  it('clamps rounds like crypt(3) and refuses salts it cannot write', () => {
    assert.match(sha512Crypt('pw', 'abc', 10), /^\$6\$rounds=1000\$abc\$/);
    assert.throws(() => sha512Crypt('pw', 'a$b'), /salt/);
    assert.throws(() => sha512Crypt('pw', 'x'.repeat(17)), /salt/);
  });

  it('hashes new passwords with a fresh salt and Dovecot’s scheme prefix', () => {
    const a = mailboxPasswordHash('secret-password');
    const b = mailboxPasswordHash('secret-password');
    assert.match(
      a,
      new RegExp(
        `^\\{SHA512-CRYPT\\}\\$6\\$rounds=${MAILBOX_HASH_ROUNDS}\\$[./0-9A-Za-z]{16}\\$[./0-9A-Za-z]{86}$`,
      ),
    );
    assert.notEqual(a, b);
    assert.ok(!a.includes('secret-password'));
    assert.match(randomSalt(), /^[./0-9A-Za-z]{16}$/);
    assert.throws(() => mailboxPasswordHash(''), /empty/);
  });
});

describe('MailboxUsers (passwd-file)', () => {
  it('adds, replaces and removes users of several domains, keeping other lines', () => {
    const db = MailboxUsers.parse('# kept comment\ncarol@other.test:{PLAIN}x::::::\n');
    db.setPassword('Alice', 'Example.Test', 'one password');
    db.setPassword('bob', 'example.test', 'two password');
    const first = db.print();
    db.setPassword('alice', 'example.test', 'three password');
    assert.deepEqual(db.logins(), ['carol@other.test', 'alice@example.test', 'bob@example.test']);
    assert.notEqual(db.print(), first, 'the new hash replaced the old one in place');
    assert.deepEqual(db.usersOf('example.test'), ['alice', 'bob']);
    assert.equal(db.remove('bob', 'example.test'), true);
    assert.equal(db.remove('bob', 'example.test'), false);
    const text = db.print();
    assert.match(
      text,
      /^# kept comment\ncarol@other\.test:\{PLAIN\}x::::::\nalice@example\.test:\{SHA512-CRYPT\}\$6\$[^:]+::::::\n$/,
    );
    assert.ok(!text.includes('password'));
  });

  it('starts a missing file with a header and reads names only', () => {
    const db = MailboxUsers.parse(null);
    assert.deepEqual(db.logins(), []);
    assert.match(db.print(), /^# .*Mailwright/);
    assert.deepEqual(usersOfDomain(['a@x.test', 'b@y.test', 'c@x.test'], 'x.test'), ['a', 'c']);
    assert.throws(() => db.setPassword('a:b', 'x.test', 'pw'), /not a mailbox login/);
  });
});
