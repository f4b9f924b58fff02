// One rule for names: a user address given to the command line, typed into the editor's input
// boxes (the add-user box takes the user name, the add-server box the domain) and written in
// mailwright.yaml is accepted by all three or refused by all three, and comes out written the
// same: case, a final dot, IDN, "+", quotes, shell metacharacters, spaces and length limits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUserArgument } from '../../src/cli/users';
import { parseConfig } from '../../src/core/config';
import { addressKey, normalizeDomainName, normalizeLocalPart, normalizeName } from '../../src/core/names';

/** Each input, and the address every front end must make of it (undefined: refused by all). */
const TABLE: readonly [string, string | undefined][] = [
  ['alice@example.com', 'alice@example.com'],
  ['Alice@Example.COM', 'alice@example.com'],
  ['alice@example.com.', 'alice@example.com'],
  ['alice@Bücher.example', 'alice@xn--bcher-kva.example'],
  ['alice@xn--bcher-kva.example', 'alice@xn--bcher-kva.example'],
  ['alice+tag@example.com', 'alice+tag@example.com'],
  ['first.last@example.com', 'first.last@example.com'],
  ['  alice@example.com ', 'alice@example.com'],
  ['"alice"@example.com', undefined],
  ['ali ce@example.com', undefined],
  ['alice@exa mple.com', undefined],
  ['alice;reboot@example.com', undefined],
  ['a$(id)@example.com', undefined],
  ['a`id`@example.com', undefined],
  ['alice|cat@example.com', undefined],
  ["o'brien@example.com", undefined],
  ['ali\nce@example.com', undefined],
  ['ali\u001bce@example.com', undefined],
  ['.alice@example.com', undefined],
  ['alice..b@example.com', undefined],
  ['@example.com', undefined],
  ['alice@', undefined],
  ['alice@example', undefined],
  ['alice@exa_mple.com', undefined],
  ['alice@-example.com', undefined],
  ['alice@example..com', undefined],
  ['alice@1.2.3.4', undefined],
  [`${'a'.repeat(64)}@example.com`, `${'a'.repeat(64)}@example.com`],
  [`${'a'.repeat(65)}@example.com`, undefined],
  [`alice@${'b'.repeat(63)}.com`, `alice@${'b'.repeat(63)}.com`],
  [`alice@${'b'.repeat(64)}.com`, undefined],
  [`alice@${'abcdefghi.'.repeat(25)}com`, `alice@${'abcdefghi.'.repeat(25)}com`],
  [`alice@${'abcdefghi.'.repeat(26)}com`, undefined],
];

/** The command line: `mailwright user add <user@domain>`. */
function fromCli(input: string): string | undefined {
  try {
    const { user, domain } = parseUserArgument(input);
    return `${user}@${domain}`;
  } catch {
    return undefined;
  }
}

/** The editor: the add-user box's check of the user name, the add-server box's of the domain. */
function fromEditor(input: string): string | undefined {
  const at = input.lastIndexOf('@');
  const user = normalizeLocalPart(at === -1 ? input : input.slice(0, at));
  const domain = normalizeDomainName(at === -1 ? '' : input.slice(at + 1));
  return user.ok && domain.ok ? `${user.value}@${domain.value}` : undefined;
}

/** mailwright.yaml: the user in its domain's users, as the loader reads it. */
function fromYaml(input: string): string | undefined {
  const at = input.lastIndexOf('@');
  const yaml = [
    'version: 1',
    'hosts:',
    '  - name: vps',
    '    ssh: root@203.0.113.10',
    '    mailHost: mail.example.net',
    '    domains:',
    `      - name: ${JSON.stringify(at === -1 ? '' : input.slice(at + 1))}`,
    `        users: [${JSON.stringify(at === -1 ? input : input.slice(0, at))}]`,
    '',
  ].join('\n');
  const loaded = parseConfig(yaml);
  const domain = loaded.config?.hosts[0]?.domains[0];
  return domain ? `${domain.users[0]}@${domain.name}` : undefined;
}

describe('one name rule for the yaml, the command line and the editor', () => {
  for (const [input, expected] of TABLE) {
    it(`${JSON.stringify(input).slice(0, 60)} → ${expected ? JSON.stringify(expected).slice(0, 60) : 'refused'}`, () => {
      assert.deepEqual(
        { cli: fromCli(input), editor: fromEditor(input), yaml: fromYaml(input) },
        { cli: expected, editor: expected, yaml: expected },
      );
    });
  }

  it('says why, and warns about what it changed', () => {
    const trimmed = normalizeLocalPart(' Alice ');
    assert.ok(trimmed.ok);
    assert.deepEqual(
      trimmed.warnings.map((w) => w.message),
      [
        '" Alice " has spaces around it; Mailwright uses "Alice".',
        '"Alice" has uppercase letters; Mailwright uses "alice".',
      ],
    );
    const quoted = normalizeLocalPart('"alice"');
    assert.ok(!quoted.ok && /contains "\\""/.test(quoted.reason), JSON.stringify(quoted));
    assert.throws(() => parseUserArgument('alice'), /Give the user as user@domain.*\(it has no "@"\)/);
  });

  it('compares names as the rule writes them', () => {
    assert.equal(normalizeName('Mail.Example.COM.'), 'mail.example.com');
    assert.equal(addressKey('Alice@Example.COM.'), 'alice@example.com');
    assert.equal(addressKey('Bob'), 'bob');
    assert.equal(addressKey('*'), '*');
  });
});
