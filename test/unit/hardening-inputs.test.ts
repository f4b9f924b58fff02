// Hostile and wrong inputs that need no server: every field a user types into mailwright.yaml,
// an SSH target or a password prompt. Each case is either accepted (and normalized the way the
// server will see it) or refused with an error that names the field and shows the bad value
// without raw control characters. The cases that need a server (what arrives there, canary
// files, unchanged hashes) are in test/integration/hardening-inputs.test.ts.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  checkSshTarget,
  MAX_PASSWORD_BYTES,
  parseConfig,
  passwordProblem,
  type ConfigIssue,
  type LoadedConfig,
} from '../../src/core/config';
import { HardeningTally } from '../hardening-tally';

const tally = new HardeningTally('inputs-unit');
const inputCase = tally.inputCase.bind(tally);

/** A mailwright.yaml with one host and one domain; `domain` and `host` are YAML lines spliced in. */
function yamlWith(opts: {
  name?: string;
  users?: string;
  aliases?: string;
  mailHost?: string;
  ssh?: string;
}) {
  return [
    'version: 1',
    'hosts:',
    '  - name: vps',
    `    ssh: ${opts.ssh ?? 'root@mail.example.com:22'}`,
    `    mailHost: ${opts.mailHost ?? 'smtp.example.com'}`,
    '    domains:',
    `      - name: ${opts.name ?? 'example.com'}`,
    `        users: ${opts.users ?? '[alice]'}`,
    ...(opts.aliases ? ['        aliases:', ...opts.aliases.split('\n').map((l) => `          ${l}`)] : []),
    '',
  ].join('\n');
}

/** YAML double-quoted form of any text (JSON strings are valid YAML). */
const q = (text: string) => JSON.stringify(text);

const errorsOf = (loaded: LoadedConfig) => loaded.issues.filter((i) => i.severity === 'error');

/** The config is refused with an error at `path` whose message matches `reason`; printed safely. */
function assertRefused(text: string, path: string, reason: RegExp): ConfigIssue {
  const loaded = parseConfig(text);
  assert.equal(loaded.config, undefined, 'no config comes out of a refused file');
  const issue = errorsOf(loaded).find((i) => i.path === path);
  assert.ok(
    issue,
    `an error at ${path}; got ${JSON.stringify(loaded.issues.map((i) => [i.path, i.message]))}`,
  );
  assert.match(issue.message, reason);
  assert.ok(issue.line > 0, 'the error has a line number');
  return issue;
}

function accepted(text: string) {
  const loaded = parseConfig(text);
  assert.deepEqual(errorsOf(loaded), [], 'no errors');
  assert.ok(loaded.config);
  return { config: loaded.config, warnings: loaded.issues.filter((i) => i.severity === 'warning') };
}

const DOMAIN_PATH = 'hosts[0].domains[0].name';
const USER_PATH = 'hosts[0].domains[0].users[0]';

describe('hostile inputs: domain names', () => {
  inputCase('an IDN is used as its A-label, with a warning naming the field', () => {
    const { config, warnings } = accepted(yamlWith({ name: 'bücher.example' }));
    assert.equal(config.hosts[0]!.domains[0]!.name, 'xn--bcher-kva.example');
    assert.ok(
      warnings.some((w) => w.path === DOMAIN_PATH && /A-label "xn--bcher-kva\.example"/.test(w.message)),
    );
  });
  inputCase('a trailing dot is dropped, with a warning', () => {
    const { config, warnings } = accepted(yamlWith({ name: 'example.com.' }));
    assert.equal(config.hosts[0]!.domains[0]!.name, 'example.com');
    assert.ok(warnings.some((w) => w.path === DOMAIN_PATH && /ends with a dot/.test(w.message)));
  });
  inputCase('uppercase is lowercased, with a warning', () => {
    const { config } = accepted(yamlWith({ name: 'EXAMPLE.Com' }));
    assert.equal(config.hosts[0]!.domains[0]!.name, 'example.com');
  });
  inputCase('two dots in a row are refused', () => {
    assertRefused(yamlWith({ name: 'exa..mple.com' }), DOMAIN_PATH, /empty label/);
  });
  inputCase('a name longer than 253 characters is refused', () => {
    const long = `${Array.from({ length: 4 }, () => 'a'.repeat(63)).join('.')}.com`;
    assertRefused(yamlWith({ name: long }), DOMAIN_PATH, /the limit is 253/);
  });
  inputCase('a label longer than 63 characters is refused', () => {
    assertRefused(yamlWith({ name: `${'a'.repeat(64)}.com` }), DOMAIN_PATH, /the limit is 63/);
  });
  inputCase('a leading "-" (an option to a command) is refused', () => {
    assertRefused(yamlWith({ name: '-oProxyCommand.example.com' }), DOMAIN_PATH, /starts or ends with "-"/);
  });
  inputCase('shell metacharacters are refused: $(…)', () => {
    assertRefused(yamlWith({ name: q('$(touch /tmp/pwn).example.com') }), DOMAIN_PATH, /spaces/);
  });
  inputCase('shell metacharacters are refused: ; and backticks', () => {
    assertRefused(yamlWith({ name: q('example.com;reboot') }), DOMAIN_PATH, /contains ";"/);
    assertRefused(yamlWith({ name: q('`id`.example.com') }), DOMAIN_PATH, /contains "`"/);
  });
  inputCase('a newline in the mail host name is refused', () => {
    assertRefused(
      yamlWith({ mailHost: q('smtp.example.com\nhostname: evil') }),
      'hosts[0].mailHost',
      /not a valid|spaces/,
    );
  });
});

describe('hostile inputs: user names', () => {
  inputCase('"x|touch${IFS}/tmp/pwn" is refused: only a-z 0-9 . _ + -', () => {
    assertRefused(yamlWith({ users: `[${q('x|touch${IFS}/tmp/pwn')}]` }), USER_PATH, /contains "\|"/);
  });
  inputCase('a quote is refused', () => {
    assertRefused(yamlWith({ users: `[${q("o'brien")}]` }), USER_PATH, /contains "'"/);
  });
  inputCase('$() is refused', () => {
    assertRefused(yamlWith({ users: `[${q('$(id)')}]` }), USER_PATH, /contains "\$"/);
  });
  inputCase('a backtick is refused', () => {
    assertRefused(yamlWith({ users: `[${q('a`id`')}]` }), USER_PATH, /contains "`"/);
  });
  // How the CLI prints these (escaped) is checked on the built CLI in the integration suite.
  inputCase('a newline is refused', () => {
    assertRefused(yamlWith({ users: `[${q('a\nb')}]` }), USER_PATH, /contains/);
  });
  inputCase('a NUL is refused', () => {
    assertRefused(yamlWith({ users: `[${q('a\u0000b')}]` }), USER_PATH, /contains/);
  });
  inputCase('an ANSI escape is refused', () => {
    assertRefused(yamlWith({ users: `[${q('a\u001b[2Jb')}]` }), USER_PATH, /contains/);
  });
  inputCase('a non-ASCII name is refused (chasquid would accept it; mail programs vary)', () => {
    assertRefused(yamlWith({ users: `[${q('jörg')}]` }), USER_PATH, /contains "ö"/);
  });
  inputCase('"+" is accepted as it is', () => {
    assert.deepEqual(accepted(yamlWith({ users: '[alice+tag]' })).config.hosts[0]!.domains[0]!.users, [
      'alice+tag',
    ]);
  });
  inputCase('65 characters are refused: the limit of a local part is 64', () => {
    assertRefused(yamlWith({ users: `[${'a'.repeat(65)}]` }), USER_PATH, /the limit is 64/);
  });
  inputCase('uppercase is lowercased, with a warning', () => {
    const { config, warnings } = accepted(yamlWith({ users: '[Alice]' }));
    assert.deepEqual(config.hosts[0]!.domains[0]!.users, ['alice']);
    assert.ok(warnings.some((w) => w.path === USER_PATH));
  });
  inputCase('an address where a name belongs is refused with the fix', () => {
    assertRefused(yamlWith({ users: '[alice@example.com]' }), USER_PATH, /contains "@"/);
  });
});

describe('hostile inputs: passwords (the one policy)', () => {
  const ok = (password: string) => assert.equal(passwordProblem(password), undefined);
  inputCase('quotes are accepted', () => ok(`it's a "quoted" \\ password`));
  inputCase('$() is accepted (passwords never reach a shell)', () => ok('$(touch /tmp/pwn)xx'));
  inputCase('backticks are accepted', () => ok('`touch /tmp/pwn` secret'));
  inputCase('non-ASCII is accepted, counted in characters', () => ok('пароль-密码-contraseña'));
  inputCase(`${MAX_PASSWORD_BYTES} bytes are accepted, one more is refused`, () => {
    ok('x'.repeat(MAX_PASSWORD_BYTES));
    assert.match(passwordProblem('x'.repeat(MAX_PASSWORD_BYTES + 1))!, /bytes long/);
  });
  inputCase('11 characters are refused, saying the minimum', () => {
    assert.match(passwordProblem('elevenchars')!, /at least 12/);
  });
  inputCase('a newline, a tab, a NUL and an escape are refused', () => {
    for (const c of ['\n', '\t', '\u0000', '\u001b'])
      assert.match(passwordProblem(`correct horse${c}battery`)!, /control character/);
  });
  inputCase('spaces at either end are refused', () => {
    assert.match(passwordProblem(' correct horse battery ')!, /space/);
  });
});

describe('hostile inputs: aliases', () => {
  const aliasPath = (name: string) => `hosts[0].domains[0].aliases.${name}`;
  inputCase('a loop is refused', () => {
    assertRefused(yamlWith({ aliases: 'a: b\nb: a' }), aliasPath('a'), /circles/);
  });
  inputCase('an alias to itself is refused', () => {
    assertRefused(yamlWith({ aliases: 'alice: alice' }), aliasPath('alice'), /itself/);
  });
  inputCase('an empty alias is refused', () => {
    assertRefused(yamlWith({ aliases: "'*': []" }), 'hosts[0].domains[0].aliases["*"]', /no target/);
  });
  inputCase('a local target that is neither user nor alias is refused', () => {
    assertRefused(yamlWith({ aliases: 'alice: bob' }), aliasPath('alice'), /neither a user nor an alias/);
  });
  inputCase('a pipe target without "@" is refused', () => {
    assertRefused(yamlWith({ aliases: `alice: ${q('|/tmp/run')}` }), aliasPath('alice'), /starts with "\|"/);
  });
  inputCase('a pipe target with "@" ("|/tmp/run@sink.test": chasquid would run it) is refused', () => {
    assertRefused(
      yamlWith({ aliases: `alice: ${q('|/tmp/run@sink.test')}` }),
      aliasPath('alice'),
      /starts with "\|"/,
    );
  });
  inputCase('a target at an invalid domain is refused', () => {
    assertRefused(yamlWith({ aliases: 'alice: bob@-bad.test' }), aliasPath('alice'), /invalid/);
  });
  inputCase('a target at an outside domain is accepted as a forward', () => {
    const { config } = accepted(yamlWith({ aliases: 'alice: alice@elsewhere.test' }));
    assert.deepEqual(config.hosts[0]!.domains[0]!.aliases.alice, ['alice@elsewhere.test']);
  });
});

describe('hostile inputs: SSH targets', () => {
  const refusedTarget = (text: string, reason: RegExp) => {
    const r = checkSshTarget(text);
    assert.equal(r.ok, false, `${text} refused`);
    if (!r.ok) assert.match(r.reason, reason);
    // And in mailwright.yaml, at the field.
    assertRefused(yamlWith({ ssh: q(text) }), 'hosts[0].ssh', /not a valid SSH target/);
  };
  inputCase('user@host:port, host alone and [IPv6]:port are read', () => {
    for (const [text, target] of [
      ['deploy@mail.example.com:2222', { user: 'deploy', host: 'mail.example.com', port: 2222 }],
      ['mail.example.com', { user: 'root', host: 'mail.example.com', port: 22 }],
      ['root@[fd00:5eed::2]:22', { user: 'root', host: 'fd00:5eed::2', port: 22 }],
    ] as const)
      assert.deepEqual(checkSshTarget(text), { ok: true, target });
  });
  inputCase('-oProxyCommand=… as a host is refused', () => {
    refusedTarget('-oProxyCommand=touch${IFS}/tmp/pwn', /not a valid host name|starts or ends with "-"/);
  });
  inputCase('-oProxyCommand=… with spaces is refused', () => {
    refusedTarget('-oProxyCommand=touch /tmp/pwn', /spaces/);
  });
  inputCase('-oProxyCommand=… as the user is refused', () => {
    refusedTarget('-oProxyCommand=x@mail.example.com', /not a valid user name/);
  });
  inputCase('an IPv6 address without brackets is refused with the fix', () => {
    refusedTarget('root@fd00::2:22', /brackets/);
  });
  inputCase('an unclosed bracket is refused', () => {
    refusedTarget('root@[fd00::2:22', /never closed/);
  });
  inputCase('port 0 and 65536 are refused', () => {
    refusedTarget('root@mail.example.com:0', /outside 1-65535/);
    refusedTarget('root@mail.example.com:65536', /outside 1-65535/);
  });
  inputCase('a shell metacharacter in the user is refused', () => {
    refusedTarget('ro;ot@mail.example.com', /not a valid user name/);
  });
});

describe('hostile inputs: the yaml file itself', () => {
  inputCase('a duplicate key is refused with its line', () => {
    const loaded = parseConfig(yamlWith({ users: '[alice]\n        users: [bob]' }));
    assert.equal(loaded.config, undefined);
    const issue = errorsOf(loaded).find((i) => /"users" appears twice/.test(i.message));
    assert.ok(issue, JSON.stringify(loaded.issues));
    assert.equal(issue.line, 9);
  });
  inputCase('a wrong type is refused naming the field', () => {
    assertRefused(yamlWith({ users: '5' }), 'hosts[0].domains[0].users', /must be a list, not number 5/);
  });
  inputCase('an alias bomb (10^12 nodes if expanded) is read in well under a second', () => {
    let text = 'version: 1\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n';
    for (let i = 1; i <= 12; i++)
      text += `x${i}: &x${i} [${Array(10)
        .fill(`*x${i - 1}`)
        .join(', ')}]\n`;
    text += yamlWith({ users: '*x12' }).replace('version: 1\n', '');
    const started = Date.now();
    const loaded = parseConfig(text);
    assert.ok(Date.now() - started < 2_000, `${Date.now() - started} ms`);
    assert.equal(loaded.config, undefined);
    assert.ok(
      errorsOf(loaded).some((i) => i.path === 'x0'),
      'unknown keys named',
    );
    assert.ok(errorsOf(loaded).some((i) => i.path.startsWith('hosts[0].domains[0].users')));
  });
  inputCase('a 0.7 MB file (50 000 users) is read without failing', () => {
    const users = Array.from({ length: 50_000 }, (_, i) => `u${i}`);
    const { config } = accepted(yamlWith({ users: `[${users.join(', ')}]` }));
    assert.equal(config.hosts[0]!.domains[0]!.users.length, 50_000);
  });
  inputCase('text that is not YAML is refused with a line number', () => {
    const loaded = parseConfig('version: 1\nhosts: [\n  - {');
    assert.equal(loaded.config, undefined);
    assert.ok(errorsOf(loaded).length > 0 && errorsOf(loaded).every((i) => i.line > 0));
  });
});
