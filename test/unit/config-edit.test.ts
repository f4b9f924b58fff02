import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  addDomain,
  addHost,
  addUser,
  ConfigEditError,
  ConfigFileError,
  configToText,
  defaultConfigText,
  formatIssues,
  loadConfig,
  parseConfig,
  removeAlias,
  removeDomain,
  removeHost,
  normalizeUserAddress,
  removeUser,
  saveConfig,
  setAlias,
  userRemovalText,
} from '../../src/core/config';

const commentedText = readFileSync(join(__dirname, 'fixtures', 'config', 'commented.yaml'), 'utf8');
const commentsOf = (text: string) => text.split('\n').flatMap((line) => /#.*$/.exec(line)?.[0] ?? []);
const tempDir = () => mkdtempSync(join(tmpdir(), 'mw-config-'));

function commentedDocument() {
  const loaded = parseConfig(commentedText);
  assert.equal(loaded.issues.length, 0, formatIssues(loaded.issues));
  return loaded.document;
}

describe('editing mailwright.yaml in place', () => {
  it('keeps every comment, blank line and the key order', () => {
    const document = commentedDocument();
    addUser(document, 'prod', 'example.com', 'carol');
    setAlias(document, 'prod', 'example.com', 'postmaster', 'bob');
    removeAlias(document, 'prod', 'example.com', 'abuse');
    const text = configToText(document);

    assert.deepEqual(commentsOf(text), commentsOf(commentedText));
    assert.equal(
      text,
      commentedText
        .replace('users: [alice, bob] # people', 'users: [alice, bob, carol] # people')
        .replace('postmaster: alice # RFC 2142', 'postmaster: bob # RFC 2142')
        .replace('          abuse: alice\n', ''),
    );
  });

  it('adds hosts and domains in schema order and in the file style, and the result validates', () => {
    const document = commentedDocument();
    addDomain(document, 'prod', { name: 'Example.ORG', users: ['dave'], aliases: { '*': 'dave' } });
    addHost(document, {
      name: 'backup',
      ssh: { user: 'root', host: 'fd00::2', port: 22 },
      mailHost: 'mx2.example.com',
      identityFile: '~/.ssh/id_ed25519',
      domains: [{ name: 'example.net', users: ['erin'], dkim: { algorithms: ['ed25519', 'rsa2048'] } }],
    });
    setAlias(document, 'prod', 'example.com', '*', ['alice', 'you@example.net']);
    const text = configToText(document);

    assert.ok(
      text.includes(
        [
          '      - name: example.org',
          '        users: [dave]',
          '        aliases:',
          "          '*': dave",
          '  - name: backup',
          '    ssh: root@[fd00::2]:22',
          '    identityFile: ~/.ssh/id_ed25519',
          '    mailHost: mx2.example.com',
          '    domains:',
          '      - name: example.net',
          '        users: [erin]',
          '        dkim:',
          '          algorithms: [ed25519, rsa2048]',
          '',
          'git:',
        ].join('\n'),
      ),
      text,
    );
    assert.ok(text.includes("          '*': [alice, you@example.net]\n"));
    assert.deepEqual(commentsOf(text), commentsOf(commentedText));
    const reloaded = parseConfig(text);
    assert.deepEqual(reloaded.issues, []);
    assert.deepEqual(
      reloaded.config?.hosts.map((host) => host.name),
      ['prod', 'backup'],
    );
  });

  it('starts hosts in an empty file or an empty flow list', () => {
    for (const start of ['', 'version: 1\n', 'version: 1\nhosts: []\n', 'version: 1\nhosts:\n']) {
      const { document } = parseConfig(start);
      addHost(document, { name: 'a', ssh: 'mail.example.com', mailHost: 'mail.example.com' });
      const text = configToText(document);
      assert.equal(
        text,
        'version: 1\nhosts:\n  - name: a\n    ssh: mail.example.com\n    mailHost: mail.example.com\n',
      );
    }
  });

  it('creates users and aliases where they belong when the domain has none', () => {
    const { document } = parseConfig(
      'version: 1\nhosts:\n  - name: a\n    ssh: a.example.com\n    mailHost: a.example.com\n    domains:\n      - name: example.com\n        dkim: { selector: auto }\n',
    );
    setAlias(document, 'a', 'example.com', 'postmaster', 'alice');
    addUser(document, 'a', 'example.com', 'alice');
    assert.ok(
      configToText(document).endsWith(
        '      - name: example.com\n        users: [alice]\n        aliases:\n          postmaster: alice\n        dkim: {selector: auto}\n',
      ),
    );
  });

  it('removes what exists and reports false for what does not', () => {
    const document = commentedDocument();
    assert.deepEqual(removeUser(document, 'prod', 'example.com', 'BOB'), { aliases: [] });
    assert.equal(removeUser(document, 'prod', 'example.com', 'bob'), undefined);
    assert.equal(removeAlias(document, 'prod', 'example.com', 'nobody'), false);
    assert.equal(removeDomain(document, 'prod', 'example.org'), false);
    assert.equal(removeDomain(document, 'prod', 'EXAMPLE.com'), true);
    assert.equal(removeHost(document, 'staging'), false);
    assert.equal(removeHost(document, 'prod'), true);
    assert.deepEqual(parseConfig(configToText(document)).config?.hosts, []);
  });

  it('refuses duplicates, unknown targets and invalid names with a clear ConfigEditError', () => {
    const document = commentedDocument();
    const refuses = (edit: () => void, message: RegExp) =>
      assert.throws(
        edit,
        (error: unknown) => error instanceof ConfigEditError && message.test(error.message),
      );
    refuses(
      () => addHost(document, { name: 'prod', ssh: 'a.example.com', mailHost: 'a.example.com' }),
      /exists already/,
    );
    refuses(
      () => addHost(document, { name: 'Prod!', ssh: 'a.example.com', mailHost: 'a.example.com' }),
      /not a valid host name/,
    );
    refuses(
      () => addHost(document, { name: 'x', ssh: 'root@@a', mailHost: 'a.example.com' }),
      /not a valid SSH target/,
    );
    refuses(() => addDomain(document, 'prod', { name: 'example.COM' }), /has domain example\.com already/);
    refuses(() => addDomain(document, 'staging', { name: 'example.net' }), /no host named "staging"/);
    refuses(() => addUser(document, 'prod', 'example.net', 'carol'), /has no domain "example\.net"/);
    refuses(() => addUser(document, 'prod', 'example.com', 'Alice'), /User "alice" exists already/);
    refuses(() => addUser(document, 'prod', 'example.com', 'carol@example.com'), /not a valid user name/);
    refuses(
      () => setAlias(document, 'prod', 'example.com', 'sales', 'bob,,alice'),
      /not a valid alias target/,
    );
    refuses(
      () => addUser(parseConfig('version: [1\n').document, 'prod', 'example.com', 'x'),
      /syntax errors/,
    );
    assert.equal(configToText(document), commentedText, 'a refused edit changes nothing');
  });
});

describe('saveConfig', () => {
  it('writes the edited document and leaves no temp file behind', async () => {
    const dir = tempDir();
    const path = join(dir, 'mailwright.yaml');
    writeFileSync(path, commentedText);
    chmodSync(path, 0o600);
    const loaded = await loadConfig(path);
    addUser(loaded.document, 'prod', 'example.com', 'carol');
    await saveConfig(path, loaded.document);

    assert.deepEqual(readdirSync(dir), ['mailwright.yaml']);
    assert.equal(statSync(path).mode & 0o777, 0o600, 'keeps the file mode');
    const saved = await loadConfig(path);
    assert.deepEqual(saved.config?.hosts[0]?.domains[0]?.users, ['alice', 'bob', 'carol']);
    assert.deepEqual(commentsOf(readFileSync(path, 'utf8')), commentsOf(commentedText));
  });

  it('never lets a reader see a half-written file', async () => {
    const dir = tempDir();
    const path = join(dir, 'mailwright.yaml');
    const small = parseConfig('version: 1\n').document;
    const large = parseConfig(
      commentedText.replace('users: [alice, bob]', `users: [alice, bob, ${'x'.repeat(60)}]`),
    );
    const variants = [configToText(small), configToText(large.document)];
    writeFileSync(path, variants[0] as string);
    const reads: Promise<string>[] = [];
    for (let i = 0; i < 40; i++) {
      reads.push(readFile(path, 'utf8'));
      await saveConfig(path, i % 2 === 0 ? large.document : small);
    }
    for (const text of await Promise.all(reads)) assert.ok(variants.includes(text));
  });

  it('replaces the target of a symlink, not the link', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'mailwright.yaml'), 'version: 1\n');
    symlinkSync(join(dir, 'real', 'mailwright.yaml'), join(dir, 'mailwright.yaml'));
    const { document } = parseConfig('version: 1\n');
    addHost(document, { name: 'a', ssh: 'a.example.com', mailHost: 'a.example.com' });
    await saveConfig(join(dir, 'mailwright.yaml'), document);
    assert.ok(statSync(join(dir, 'mailwright.yaml')).isFile());
    assert.ok(readFileSync(join(dir, 'real', 'mailwright.yaml'), 'utf8').includes('name: a'));
  });

  it('reports a failed write with the path and cleans up its temp file', async () => {
    const dir = tempDir();
    const path = join(dir, 'mailwright.yaml');
    mkdirSync(path); // A directory where the file should be: the final rename fails.
    writeFileSync(join(path, 'keep'), '');
    await assert.rejects(saveConfig(path, parseConfig('version: 1\n').document), (error: unknown) => {
      assert.ok(error instanceof ConfigFileError);
      assert.ok(error.message.includes(path));
      return true;
    });
    assert.deepEqual(readdirSync(dir), ['mailwright.yaml']);
  });
});

describe('defaultConfigText', () => {
  it('is a commented starter file that loads without issues', () => {
    const text = defaultConfigText();
    assert.ok(text.startsWith('# Mailwright desired state'));
    assert.ok(commentsOf(text).length >= 8);
    const { config, issues } = parseConfig(text);
    assert.deepEqual(issues, []);
    assert.equal(config?.hosts[0]?.mailHost, 'mail.example.com');
    assert.deepEqual(config?.hosts[0]?.domains[0]?.aliases, { postmaster: ['alice'], abuse: ['alice'] });
  });

  it('uses the given values, normalized', () => {
    const text = defaultConfigText({
      hostName: 'prod',
      domain: 'Bücher.example',
      ssh: 'admin@[fd00::2]',
      identityFile: '~/keys/my key',
      user: 'postmaster',
    });
    const { config, issues } = parseConfig(text);
    assert.deepEqual(issues, [], formatIssues(issues));
    const host = config?.hosts[0];
    assert.equal(host?.name, 'prod');
    assert.deepEqual(host?.ssh, { user: 'admin', host: 'fd00::2', port: 22 });
    assert.equal(host?.identityFile, '~/keys/my key');
    assert.equal(host?.mailHost, 'mail.xn--bcher-kva.example');
    assert.deepEqual(host?.domains[0]?.aliases, { abuse: ['postmaster'] });
    assert.throws(() => defaultConfigText({ domain: 'localhost' }), ConfigEditError);
  });

  it('removing a user takes it out of the aliases that forward to it, so the yaml stays valid', () => {
    const document = commentedDocument();
    setAlias(document, 'prod', 'example.com', 'info', ['ALICE', 'bob', 'alice@example.com', 'x@else.test']);
    setAlias(document, 'prod', 'example.com', '*', 'alice@example.com');
    const removal = removeUser(document, 'prod', 'example.com', 'Alice');
    assert.deepEqual(removal, {
      aliases: [
        { alias: 'postmaster', remaining: [] },
        { alias: 'abuse', remaining: [] },
        { alias: 'info', remaining: ['bob', 'x@else.test'] },
        { alias: '*', remaining: [] },
      ],
    });
    const reloaded = parseConfig(configToText(document));
    assert.deepEqual(
      reloaded.issues.filter((i) => i.severity === 'error'),
      [],
    );
    assert.deepEqual(reloaded.config?.hosts[0]?.domains[0]?.aliases, { info: ['bob', 'x@else.test'] });
    assert.equal(
      userRemovalText('alice', 'example.com', removal!),
      'alice@example.com is no longer an alias target in mailwright.yaml: postmaster@example.com was removed (it forwarded only to alice); abuse@example.com was removed (it forwarded only to alice); info@example.com now forwards to bob, x@else.test; the catch-all of example.com was removed (it forwarded only to alice).',
    );
    assert.ok(configToText(document).includes('# people'), 'comments kept');
  });

  it("removing a user removes the user's own sending limits too, keeping the others", () => {
    const text = commentedText.replace(
      /( *)users: \[alice, bob\] # people\n/,
      '$1users: [alice, bob] # people\n$1limits: { messagesPerHour: 10, users: { alice: { messagesPerHour: 50 }, bob: { messagesPerDay: 5 } } }\n',
    );
    assert.notEqual(text, commentedText);
    const document = parseConfig(text).document;
    removeUser(document, 'prod', 'example.com', 'ALICE');
    const reloaded = parseConfig(configToText(document));
    assert.deepEqual(
      reloaded.issues.filter((i) => i.severity === 'error'),
      [],
    );
    assert.deepEqual(reloaded.config?.hosts[0]?.domains[0]?.limits, {
      messagesPerHour: 10,
      users: { bob: { messagesPerDay: 5 } },
    });
  });
});

describe('the address of a mail user', () => {
  it('is a yaml user name at a domain name, normalized; anything else is refused', () => {
    const ok = normalizeUserAddress('Alice@Example.COM');
    assert.ok(ok.ok);
    assert.equal(ok.value, 'alice@example.com');
    assert.deepEqual([ok.user, ok.domain], ['alice', 'example.com']);
    for (const bad of [
      'x|touch${IFS}/tmp/pwn8@example.test',
      "o'brien@example.test",
      'a b@example.test',
      'alice@',
      'alice',
      '@example.test',
      'alice@example',
      'alice@exa$mple.test',
    ]) {
      const check = normalizeUserAddress(bad);
      assert.equal(check.ok, false, bad);
    }
    const piped = normalizeUserAddress('x|y@example.test');
    assert.ok(!piped.ok && /user name is invalid: it contains "\|"/.test(piped.reason));
  });
});
