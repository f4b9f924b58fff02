import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ConfigFileError,
  formatIssue,
  formatIssues,
  loadConfig,
  parseConfig,
  type ConfigIssue,
} from '../../src/core/config';

const fixturePath = (name: string) => join(__dirname, 'fixtures', 'config', name);

/** A valid one-host file; `replace` swaps one line fragment to inject a mistake. */
function sample(replace: Record<string, string> = {}): string {
  let text = [
    '# Mailwright desired state',
    'version: 1',
    'hosts:',
    '  - name: sandbox',
    '    ssh: root@mail.example.com:22',
    '    mailHost: mail.example.com',
    '    domains:',
    '      - name: example.com',
    '        users: [alice, bob]',
    '        aliases:',
    "          '*': you@example.net",
    '          postmaster: alice',
    '',
  ].join('\n');
  for (const [from, to] of Object.entries(replace)) {
    assert.ok(text.includes(from), `sample() has no "${from}"`);
    text = text.replace(from, to);
  }
  return text;
}

/** 1-based line and column of the first `needle` in `text`. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const offset = text.indexOf(needle);
  assert.ok(offset >= 0, `"${needle}" not in text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

function onlyIssue(text: string, severity: ConfigIssue['severity'] = 'error'): ConfigIssue {
  const issues = parseConfig(text).issues.filter((issue) => issue.severity === severity);
  assert.equal(issues.length, 1, `expected one ${severity}, got:\n${formatIssues(issues)}`);
  return issues[0] as ConfigIssue;
}

describe('loading mailwright.yaml', () => {
  it('loads the full example with every key, typed and with defaults filled in', async () => {
    const loaded = await loadConfig(fixturePath('valid.yaml'));
    assert.deepEqual(loaded.issues, []);
    const config = loaded.config;
    assert.ok(config);
    assert.equal(config.version, 1);
    assert.deepEqual(config.git, { remote: 'origin' });
    const [sandbox, v6] = config.hosts;
    assert.deepEqual(sandbox?.ssh, { user: 'root', host: '198.51.100.2', port: 22 });
    assert.equal(sandbox?.identityFile, '~/.ssh/id_ed25519', 'kept as written; ~ is expanded at use time');
    assert.equal(sandbox?.auth, 'key');
    assert.equal(sandbox?.mailHost, 'smtp.example.test');
    assert.deepEqual(sandbox?.domains[0], {
      name: 'example.test',
      users: ['alice'],
      aliases: { '*': ['you@gmail.com'], postmaster: ['alice'] },
      mailboxes: false,
      dkim: { algorithms: ['rsa2048'], selector: 'auto' },
      dmarc: { p: 'quarantine', rua: ['mailto:rua@example.test'], ruf: ['mailto:ruf@example.test'], fo: '1' },
      spf: { include: ['_spf.google.com'] },
    });
    assert.deepEqual(v6?.ssh, { user: 'admin', host: 'fd00:5eed::2', port: 2222 });
    assert.equal(v6?.auth, undefined);
    assert.deepEqual(v6?.domains[0]?.aliases, {
      team: ['bob', 'carol'],
      sales: ['bob', 'partner@example.net'],
    });
    assert.deepEqual(v6?.domains[0]?.dkim, { algorithms: ['rsa2048'], selector: 'auto' });
    assert.equal(v6?.domains[0]?.dmarc, undefined);
  });

  it('fills in user root and port 22, and accepts a file without hosts', () => {
    const config = parseConfig(sample({ 'root@mail.example.com:22': 'mail.example.com' })).config;
    assert.deepEqual(config?.hosts[0]?.ssh, { user: 'root', host: 'mail.example.com', port: 22 });
    assert.deepEqual(parseConfig('version: 1\n').config, { version: 1, hosts: [], git: {} });
  });

  it('keeps auth only when written, and warns when auth makes identityFile unused', () => {
    const withKey = sample({ '    mailHost:': '    identityFile: ~/.ssh/id_ed25519\n    mailHost:' });
    assert.equal(parseConfig(withKey).config?.hosts[0]?.auth, undefined);
    const keyAlone = sample({ '    mailHost:': '    auth: key\n    mailHost:' });
    assert.deepEqual(
      parseConfig(keyAlone).issues.filter((i) => i.severity === 'error'),
      [],
      'auth: key without identityFile is allowed: the SSH configuration may name the keys',
    );
    assert.equal(parseConfig(keyAlone).config?.hosts[0]?.auth, 'key');
    const withAgent = sample({
      '    mailHost:': '    identityFile: ~/.ssh/id_ed25519\n    auth: agent\n    mailHost:',
    });
    assert.equal(parseConfig(withAgent).config?.hosts[0]?.auth, 'agent');
    const warning = onlyIssue(withAgent, 'warning');
    assert.equal(warning.path, 'hosts[0].identityFile');
    assert.match(warning.hint, /set auth: key/);
  });

  it('reads fo: 1 (a YAML number) as the text "1"', () => {
    const text = sample({
      '          postmaster: alice\n': '          postmaster: alice\n        dmarc: { p: none, fo: 1 }\n',
    });
    assert.equal(parseConfig(text).config?.hosts[0]?.domains[0]?.dmarc?.fo, '1');
  });

  it('throws only for I/O problems, with the path in the message', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'mw-config-')), 'mailwright.yaml');
    await assert.rejects(loadConfig(missing), (error: unknown) => {
      assert.ok(error instanceof ConfigFileError);
      assert.equal(error.code, 'ENOENT');
      assert.ok(error.message.includes(missing));
      return true;
    });
  });

  it('never throws on bad input, whatever it is', () => {
    for (const text of [
      '',
      ':',
      '- a',
      '[',
      'version: [1',
      'hosts: 3',
      'version: 1\nhosts: [null, 1, [], {}]',
      '\t',
    ]) {
      const loaded = parseConfig(text);
      assert.equal(loaded.config, undefined, JSON.stringify(text));
      assert.ok(loaded.issues.length > 0);
    }
  });
});

describe('errors point at the line, column and path, and say how to fix it', () => {
  it('formats an invalid SSH target like a compiler message', () => {
    const text = sample({ 'root@mail.example.com:22': 'root@@x' });
    const issue = onlyIssue(text);
    assert.deepEqual(
      { line: issue.line, column: issue.column, path: issue.path },
      { line: 5, column: 10, path: 'hosts[0].ssh' },
    );
    assert.deepEqual({ endLine: issue.endLine, endColumn: issue.endColumn }, { endLine: 5, endColumn: 17 });
    assert.equal(
      formatIssue(issue),
      'mailwright.yaml:5:10: hosts[0].ssh: "root@@x" is not a valid SSH target (it contains more than one "@"). ' +
        'Expected [user@]host[:port], e.g. root@mail.example.com:22',
    );
  });

  const cases: Array<{
    name: string;
    replace: Record<string, string>;
    at: string;
    path: string;
    hint: RegExp;
  }> = [
    {
      name: 'bad port',
      replace: { 'root@mail.example.com:22': 'root@mail.example.com:70000' },
      at: 'root@mail.example.com:70000',
      path: 'hosts[0].ssh',
      hint: /root@mail\.example\.com:22/,
    },
    {
      name: 'host name with uppercase',
      replace: { 'name: sandbox': 'name: Sand_Box' },
      at: 'Sand_Box',
      path: 'hosts[0].name',
      hint: /name: sand-box/,
    },
    {
      name: 'invalid domain name',
      replace: { 'name: example.com': 'name: exa$mple.com' },
      at: 'exa$mple.com',
      path: 'hosts[0].domains[0].name',
      hint: /example\.com/,
    },
    {
      name: 'single-label mail host',
      replace: { 'mailHost: mail.example.com': 'mailHost: localhost' },
      at: 'localhost',
      path: 'hosts[0].mailHost',
      hint: /mail\.example\.com/,
    },
    {
      name: 'user written as an address',
      replace: { '[alice, bob]': '[alice, bob@example.com]' },
      at: 'bob@example.com',
      path: 'hosts[0].domains[0].users[1]',
      hint: /Write bob, not bob@example\.com/,
    },
    {
      name: 'alias to an unknown local user',
      replace: { 'postmaster: alice': 'postmaster: carol' },
      at: 'carol',
      path: 'hosts[0].domains[0].aliases.postmaster',
      hint: /users: \[carol\]/,
    },
    {
      name: 'invalid alias address',
      replace: { 'you@example.net': 'you@@example.net' },
      at: 'you@@example.net',
      path: 'hosts[0].domains[0].aliases["*"]',
      hint: /you@example\.com/,
    },
    {
      name: 'alias target that chasquid would run as a command',
      replace: { "'*': you@example.net": `'*': "|/tmp/run@sink.test"` },
      at: '"|/tmp/run@sink.test"',
      path: 'hosts[0].domains[0].aliases["*"]',
      hint: /addresses or users, e\.g\. '\*': alice or you@example\.com/,
    },
    {
      name: 'misspelled enum value',
      replace: { '    mailHost:': '    auth: keys\n    mailHost:' },
      at: 'keys',
      path: 'hosts[0].auth',
      hint: /Did you mean "key"\?/,
    },
    {
      name: 'missing required key, reported at the host',
      replace: { '    mailHost: mail.example.com\n': '' },
      at: 'name: sandbox',
      path: 'hosts[0]',
      hint: /mailHost: mail\.example\.com/,
    },
    {
      name: 'unsupported version',
      replace: { 'version: 1': 'version: 2' },
      at: '2',
      path: 'version',
      hint: /version: 1/,
    },
    {
      name: 'list expected',
      replace: { '[alice, bob]': 'alice' },
      at: 'alice\n',
      path: 'hosts[0].domains[0].users',
      hint: /\[alice, bob\]/,
    },
    {
      name: 'public key as identity file',
      replace: { '    mailHost:': '    identityFile: ~/.ssh/id_ed25519.pub\n    mailHost:' },
      at: '~/.ssh/id_ed25519.pub',
      path: 'hosts[0].identityFile',
      hint: /identityFile: ~\/\.ssh\/id_ed25519$/,
    },
    {
      name: 'empty identity file',
      replace: { '    mailHost:': "    identityFile: ''\n    mailHost:" },
      at: "''",
      path: 'hosts[0].identityFile',
      hint: /~\/\.ssh\/id_ed25519/,
    },
    {
      name: 'DKIM algorithm',
      replace: {
        '          postmaster: alice\n':
          '          postmaster: alice\n        dkim: { algorithms: [rsa1024] }\n',
      },
      at: 'rsa1024',
      path: 'hosts[0].domains[0].dkim.algorithms[0]',
      hint: /rsa2048, rsa3072, rsa4096, ed25519/,
    },
    {
      name: 'DMARC report address without mailto:',
      replace: {
        '          postmaster: alice\n':
          '          postmaster: alice\n        dmarc: { p: none, rua: d@example.com }\n',
      },
      at: 'd@example.com',
      path: 'hosts[0].domains[0].dmarc.rua',
      hint: /Write mailto:d@example\.com/,
    },
  ];
  for (const { name, replace, at, path, hint } of cases) {
    it(name, () => {
      const text = sample(replace);
      const issue = onlyIssue(text);
      assert.deepEqual({ line: issue.line, column: issue.column }, positionOf(text, at), formatIssue(issue));
      assert.equal(issue.path, path);
      assert.equal(issue.file, 'mailwright.yaml');
      assert.match(issue.hint, hint);
      assert.ok(issue.message.length > 0);
    });
  }

  it('reports duplicates at the second entry, saying where the first is', () => {
    const hosts = sample() + sample().split('hosts:\n')[1];
    const host = onlyIssue(hosts);
    assert.equal(host.path, 'hosts[1].name');
    assert.equal(host.line, 13);
    assert.match(host.message, /host "sandbox" is listed twice \(first at line 4, column 11\)/);

    const domains = sample({ '    domains:\n': '    domains:\n      - name: EXAMPLE.com\n' });
    const domain = onlyIssue(domains);
    assert.equal(domain.path, 'hosts[0].domains[1].name');
    assert.match(domain.message, /domain "example\.com" is listed twice/);

    const users = onlyIssue(sample({ '[alice, bob]': '[alice, bob, Alice]' }));
    assert.equal(users.path, 'hosts[0].domains[0].users[2]');
    assert.equal(users.column, positionOf(sample({ '[alice, bob]': '[alice, bob, Alice]' }), 'Alice').column);
  });

  it('reports an unknown key with a "did you mean" suggestion, and not also the missing key', () => {
    const text = sample({ 'mailHost:': 'mailhost:' });
    const issue = onlyIssue(text);
    assert.equal(issue.path, 'hosts[0].mailhost');
    assert.deepEqual({ line: issue.line, column: issue.column }, positionOf(text, 'mailhost'));
    assert.equal(issue.message, 'unknown key "mailhost".');
    assert.match(
      issue.hint,
      /^Did you mean "mailHost"\? Allowed keys in hosts\[0\]: name, ssh, identityFile/,
    );
  });

  it('lists the allowed keys when no key is close', () => {
    const issue = onlyIssue(sample({ 'hosts:': 'dns: knot\nhosts:' }));
    assert.equal(issue.path, 'dns');
    assert.equal(issue.hint, 'Allowed keys: version, hosts, git.');
  });

  it('reports every problem of a file at once, in file order', () => {
    const text = readFileSync(fixturePath('many-errors.yaml'), 'utf8');
    const { issues, config } = parseConfig(text, 'many-errors.yaml');
    assert.equal(config, undefined);
    const paths = issues.filter((issue) => issue.severity === 'error').map((issue) => issue.path);
    assert.deepEqual(paths, [
      'hosts[0].name',
      'hosts[0].ssh',
      'hosts[0].mailhost',
      'hosts[0].domains[0].users[1]',
      'hosts[0].domains[0].aliases.abuse',
      'hosts[1].ssh',
      'hosts[1].domains[0].dkim.selector',
      'git.branch',
    ]);
    const lines = formatIssues(issues).split('\n');
    assert.equal(lines.length, issues.length);
    assert.ok(lines.every((line) => /^many-errors\.yaml:\d+:\d+: /.test(line)));
  });
});

describe('normalization warnings', () => {
  it('lowercases domains, users and alias names, with a warning saying what to write', () => {
    const text = sample({ 'name: example.com': 'name: Example.COM', '[alice, bob]': '[Alice, bob]' });
    const { config, issues } = parseConfig(text);
    assert.equal(config?.hosts[0]?.domains[0]?.name, 'example.com');
    assert.deepEqual(config?.hosts[0]?.domains[0]?.users, ['alice', 'bob']);
    assert.deepEqual(
      issues.map((issue) => [issue.severity, issue.path, issue.hint]),
      [
        ['warning', 'hosts[0].domains[0].name', 'Write example.com to silence this warning.'],
        ['warning', 'hosts[0].domains[0].users[0]', 'Write alice to silence this warning.'],
      ],
    );
    assert.match(
      formatIssue(issues[0] as ConfigIssue),
      /^mailwright\.yaml:8:15: warning: hosts\[0\]\.domains\[0\]\.name: /,
    );
  });

  it('converts an IDN to punycode and names the A-label in the warning', () => {
    const text = sample({ 'name: example.com': 'name: bücher.example' });
    const { config } = parseConfig(text);
    assert.equal(config?.hosts[0]?.domains[0]?.name, 'xn--bcher-kva.example');
    const warning = onlyIssue(text, 'warning');
    assert.equal(warning.path, 'hosts[0].domains[0].name');
    assert.match(warning.message, /A-label "xn--bcher-kva\.example"/);
    assert.equal(warning.hint, 'Write xn--bcher-kva.example to silence this warning.');
  });

  it('normalizes the domain of alias targets and mail host too', () => {
    const text = sample({
      'you@example.net': 'You@Example.NET',
      'mailHost: mail.example.com': 'mailHost: MAIL.example.com',
    });
    const { config, issues } = parseConfig(text);
    assert.deepEqual(
      config?.hosts[0]?.domains[0]?.aliases['*'],
      ['You@example.net'],
      'remote local parts keep their case',
    );
    assert.equal(config?.hosts[0]?.mailHost, 'mail.example.com');
    assert.equal(issues.filter((issue) => issue.severity === 'warning').length, 2);
  });

  it('serves a forward-only domain from two hosts that agree on it, each with its own selector', () => {
    const second = sample()
      .split('hosts:\n')[1]!
      .replace('name: sandbox', 'name: other')
      .replace('mail.example.com\n    domains', 'mx2.example.com\n    domains')
      .replace('users: [alice, bob]', 'users: [bob, alice]\n        dkim: { selector: other }');
    const { config, issues } = parseConfig(sample() + second);
    assert.deepEqual(issues, []);
    assert.deepEqual(
      config?.hosts.map((h) => h.domains[0]?.name),
      ['example.com', 'example.com'],
    );
  });

  it('refuses a shared domain whose hosts disagree, naming the field and the other host', () => {
    const second = (change: (text: string) => string) =>
      change(sample().split('hosts:\n')[1]!.replace('name: sandbox', 'name: other'));
    const bothAuto = onlyIssue(sample() + second((t) => t));
    assert.equal(bothAuto.path, 'hosts[1].domains[0].dkim.selector');
    assert.match(bothAuto.message, /same selector on hosts "sandbox" and "other"/);
    assert.match(bothAuto.hint, /selector: other/);

    const ownSelector = (t: string) =>
      t.replace('users: [alice, bob]', 'users: [alice, bob]\n        dkim: { selector: b }');
    const users = onlyIssue(
      sample() + second((t) => ownSelector(t).replace('users: [alice, bob]', 'users: [alice]')),
    );
    assert.equal(users.path, 'hosts[1].domains[0].users');
    assert.equal(users.line, 18);
    assert.match(users.message, /other users here than on host "sandbox"/);

    const mailboxes = onlyIssue(
      sample() +
        second((t) =>
          ownSelector(t).replace('users: [alice, bob]', 'users: [alice, bob]\n        mailboxes: true'),
        ),
    );
    assert.equal(mailboxes.path, 'hosts[1].domains[0].mailboxes');
    assert.match(mailboxes.message, /part of it would never reach the mailbox/);
  });
});

describe('YAML syntax errors', () => {
  it('reports them with their line and column, and no schema noise', () => {
    const text = sample({ '    mailHost': '   mailHost' });
    const issue = onlyIssue(text);
    assert.equal(issue.path, '');
    assert.match(issue.message, /^YAML syntax error: /);
    assert.match(issue.hint, /indentation/);
    assert.equal(issue.line, 6);
  });

  it('names a repeated key', () => {
    const issue = onlyIssue(
      sample({ 'mailHost: mail.example.com': 'mailHost: a.example.com\n    mailHost: b.example.com' }),
    );
    assert.equal(issue.line, 7);
    assert.equal(issue.column, 5);
    assert.match(issue.message, /the key "mailHost" appears twice/);
  });

  it('explains that the catch-all key must be quoted', () => {
    const text = sample({ "'*': you@example.net": '*: you@example.net' });
    const issue = onlyIssue(text);
    assert.deepEqual({ line: issue.line, column: issue.column }, { line: 11, column: 11 });
    assert.equal(issue.hint, "Quote it: '*': you@example.com");
  });

  it('says what to do with tabs and an empty file', () => {
    assert.match(onlyIssue('version: 1\nhosts:\n\t- name: a\n').hint, /spaces/);
    const empty = onlyIssue('# nothing yet\n');
    assert.deepEqual([empty.line, empty.column, empty.message], [1, 1, 'the file is empty.']);
  });
});
