// Where mail for each address ends up, as chasquid resolves it, and what the plan and the
// validation refuse because of it (loops, mail accepted and then lost, report addresses refused).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mailFlowProblems, parseConfig, routeOf, type DomainConfig } from '../../src/core/config';
import { planHost, UnplannableError } from '../../src/core/plan';
import { testDomain, testHost } from './config-fixture';
import type { Facts } from '../../src/core/facts';

const domain = (overrides: Partial<DomainConfig>): DomainConfig =>
  testDomain({ name: 'example.test', users: [], aliases: {}, ...overrides });

describe('mail routes', () => {
  it('follow aliases before users, the catch-all only for unknown names, and other domains of the host', () => {
    const a = domain({
      users: ['alice', 'bob'],
      aliases: { bob: ['bob@other.test'], sales: ['bob', 'alice'], '*': ['alice'] },
    });
    const b = testDomain({ name: 'other.test', users: ['bob'], aliases: { bob: ['bob@gmail.com'] } });
    assert.deepEqual(routeOf([a, b], 'alice@example.test').ends, [
      { kind: 'local', address: 'alice@example.test', domain: 'example.test', user: 'alice' },
    ]);
    assert.deepEqual(routeOf([a, b], 'bob@example.test').ends, [
      { kind: 'outside', address: 'bob@gmail.com' },
    ]);
    assert.deepEqual(
      routeOf([a, b], 'sales@example.test').ends.map((e) => e.address),
      ['bob@gmail.com', 'alice@example.test'],
    );
    assert.deepEqual(
      routeOf([a, b], 'nobody@example.test').ends.map((e) => e.kind),
      ['local'],
    );
    assert.deepEqual(routeOf([b], 'nobody@other.test').ends, [
      { kind: 'unknown', address: 'nobody@other.test' },
    ]);
  });

  it('find loops, including an alias named like its user and loops through another domain', () => {
    assert.deepEqual(
      routeOf([domain({ users: ['alice'], aliases: { alice: ['alice'] } })], 'alice@example.test').loop,
      ['alice@example.test', 'alice@example.test'],
    );
    const a = domain({ aliases: { x: ['y@other.test'] } });
    const b = testDomain({ name: 'other.test', users: [], aliases: { y: ['x@example.test'] } });
    assert.deepEqual(routeOf([a, b], 'x@example.test').loop, [
      'x@example.test',
      'y@other.test',
      'x@example.test',
    ]);
  });

  it('give up after ten levels like chasquid', () => {
    const aliases: Record<string, string[]> = {};
    for (let i = 0; i < 11; i++) aliases[`a${i}`] = [`a${i + 1}`];
    aliases.a11 = ['me@gmail.com'];
    assert.ok(routeOf([domain({ aliases })], 'a0@example.test').tooDeep);
    assert.equal(routeOf([domain({ aliases })], 'a2@example.test').tooDeep, undefined);
  });
});

describe('mail-flow problems', () => {
  it('refuse a local user without mailboxes, naming the address, the role and both fixes', () => {
    const problems = mailFlowProblems([domain({ users: ['alice'], aliases: { postmaster: ['alice'] } })]);
    const lost = problems.filter((p) => p.kind === 'no-mailbox');
    assert.deepEqual(
      lost.map((p) => p.address),
      ['postmaster@example.test', 'alice@example.test'],
    );
    assert.match(
      lost[0]!.message,
      /postmaster@example\.test, postmaster .* lost \(through alice@example\.test\)/,
    );
    assert.match(lost[1]!.fix, /mailboxes: true/);
    assert.match(lost[1]!.fix, /alice: you@example\.net/);
  });

  it('accept the same users once the domain has mailboxes, and a forward-only domain', () => {
    assert.deepEqual(
      mailFlowProblems([domain({ users: ['alice'], aliases: { postmaster: ['alice'] }, mailboxes: true })]),
      [],
    );
    assert.deepEqual(
      mailFlowProblems([
        domain({ users: ['alice'], aliases: { alice: ['me@gmail.com'], postmaster: ['alice'] } }),
      ]),
      [],
    );
  });

  it('check the catch-all target, DMARC and TLS-RPT report addresses', () => {
    const catchAll = mailFlowProblems([
      domain({ users: ['alice'], aliases: { alice: ['a@gmail.com'], '*': ['bob'], bob: ['bob'] } }),
    ]);
    assert.ok(catchAll.some((p) => p.kind === 'loop'));
    const reports = mailFlowProblems([
      domain({
        users: ['alice'],
        aliases: { alice: ['a@gmail.com'], postmaster: ['alice'] },
        dmarc: { p: 'none', rua: ['mailto:dmarc@example.test'], ruf: [] },
      }),
    ]);
    assert.deepEqual(
      reports.map((p) => [p.kind, p.address]),
      [['rejected', 'dmarc@example.test']],
      'the DMARC address (also the TLS-RPT one) is refused by the server: a warning, not a refusal',
    );
  });

  it('make the planner refuse before looking at the server, and warn about refused report addresses', () => {
    const host = testHost({ domains: [domain({ users: ['alice'], aliases: {} })] });
    assert.throws(
      () => planHost(host, {} as Facts),
      (e: Error) =>
        e instanceof UnplannableError &&
        /alice@example\.test, a user, would be accepted and then lost/.test(e.message) &&
        /Fix: turn mailboxes on/.test(e.message),
    );
  });
});

describe('alias validation', () => {
  const yaml = (aliases: string, users = '[alice]') =>
    [
      'version: 1',
      'hosts:',
      '  - name: vps',
      '    ssh: root@198.51.100.2',
      '    mailHost: smtp.example.test',
      '    domains:',
      '      - name: example.test',
      `        users: ${users}`,
      `        aliases: ${aliases}`,
      '',
    ].join('\n');
  const errors = (text: string) =>
    parseConfig(text)
      .issues.filter((i) => i.severity === 'error')
      .map((i) => `${i.path}: ${i.message}`);

  it('refuse an empty catch-all and an empty alias', () => {
    assert.match(
      errors(yaml(`{ '*': [] }`)).join('\n'),
      /aliases\["\*"\]: has no target: .*any unknown name/,
    );
    assert.match(errors(yaml(`{ sales: [] }`)).join('\n'), /aliases\.sales: has no target/);
  });

  it('refuse loops between aliases and an alias named like its user', () => {
    assert.match(errors(yaml(`{ a: b, b: a }`)).join('\n'), /round in circles: a → b → a/);
    assert.match(errors(yaml(`{ alice: alice }`)).join('\n'), /looks aliases up before users/);
    assert.match(errors(yaml(`{ alice: bob, bob: alice }`)).join('\n'), /alice → bob → alice/);
    assert.deepEqual(errors(yaml(`{ alice: bob, bob: you@example.net }`)), []);
  });
});
