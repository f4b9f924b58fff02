import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import {
  acmeSettings,
  formatIssues,
  parseConfig,
  setDomainDns,
  setHostAcme,
  ConfigEditError,
  type ConfigIssue,
} from '../../src/core/config';

/** One host, one domain; `domainExtra`/`hostExtra` are indented YAML lines added to each. */
function sample(domainExtra: string[] = [], hostExtra: string[] = []): string {
  return [
    'version: 1',
    'hosts:',
    '  - name: sandbox',
    '    ssh: root@mail.example.com',
    '    mailHost: smtp.example.com',
    ...hostExtra.map((line) => `    ${line}`),
    '    domains:',
    '      - name: example.com',
    '        users: [alice]',
    ...domainExtra.map((line) => `        ${line}`),
    '',
  ].join('\n');
}

function errors(text: string): ConfigIssue[] {
  return parseConfig(text).issues.filter((issue) => issue.severity === 'error');
}

function onlyError(text: string): ConfigIssue {
  const found = errors(text);
  assert.equal(found.length, 1, `expected one error, got:\n${formatIssues(found)}`);
  return found[0] as ConfigIssue;
}

describe('mailwright.yaml: domains[].dns', () => {
  it('reads an rfc2136 provider and fills in algorithm, zone and ttl', () => {
    const text = sample(['dns: { provider: rfc2136, server: 127.0.0.1:5353, keyName: mw-key }']);
    const { config, issues } = parseConfig(text);
    assert.deepEqual(issues, []);
    assert.deepEqual(config?.hosts[0]?.domains[0]?.dns, {
      provider: 'rfc2136',
      server: '127.0.0.1:5353',
      keyName: 'mw-key',
      algorithm: 'hmac-sha256',
      zone: 'example.com',
      ttl: 300,
    });
  });

  it('reads cloudflare, alidns and manual with a zone and ttl of their own', () => {
    for (const provider of ['cloudflare', 'alidns', 'manual']) {
      const text = sample(['dns:', `  provider: ${provider}`, '  zone: example.com', '  ttl: 60']);
      const dns = parseConfig(text).config?.hosts[0]?.domains[0]?.dns;
      assert.deepEqual(dns, { provider, algorithm: 'hmac-sha256', zone: 'example.com', ttl: 60 });
    }
  });

  it('rfc2136 needs server and keyName, reported at the dns mapping', () => {
    const issues = errors(sample(['dns: { provider: rfc2136 }']));
    assert.deepEqual(
      issues.map((i) => [i.path, i.message, i.line]),
      [
        ['hosts[0].domains[0].dns', 'provider rfc2136 needs "server".', 9],
        ['hosts[0].domains[0].dns', 'provider rfc2136 needs "keyName".', 9],
      ],
    );
    assert.match(issues[0]?.hint ?? '', /server: ns1\.example\.com:53/);
  });

  it('refuses a credential in the file and names the env var and secret storage', () => {
    const text = sample(['dns:', '  provider: cloudflare', '  apiToken: abc123']);
    const issue = onlyError(text);
    assert.equal(issue.path, 'hosts[0].domains[0].dns.apiToken');
    assert.deepEqual([issue.line, issue.column], [11, 11]);
    assert.match(issue.message, /looks like a credential/);
    assert.match(issue.hint, /MAILWRIGHT_DNS_SECRET_EXAMPLE_COM/);
    assert.match(issue.hint, /secret storage/);
    assert.ok(!issue.message.includes('abc123') && !issue.hint.includes('abc123'), 'never echo the secret');
    for (const key of ['secret', 'password', 'tsigSecret', 'accessKeySecret', 'key'])
      assert.match(onlyError(sample([`dns: { provider: manual, ${key}: x }`])).message, /credential/, key);
  });

  it('suggests the right key for a misspelled one', () => {
    const issue = onlyError(sample(['dns: { provder: manual }']));
    assert.equal(issue.message, 'unknown key "provder".');
    assert.match(issue.hint, /Did you mean "provider"\?/);
  });

  it('checks provider, server, algorithm, zone and ttl values', () => {
    const provider = onlyError(sample(['dns: { provider: cloudflair }']));
    assert.match(provider.hint, /Did you mean "cloudflare"\?/);
    const noPort = onlyError(sample(['dns: { provider: rfc2136, server: ns1.example.com, keyName: k }']));
    assert.match(noPort.hint, /server: ns1\.example\.com:53/);
    assert.equal(errors(sample(["dns: { provider: rfc2136, server: '[::1]:53', keyName: k }"])).length, 0);
    const algorithm = onlyError(
      sample(['dns: { provider: rfc2136, server: a:53, keyName: k, algorithm: md5 }']),
    );
    assert.equal(algorithm.path, 'hosts[0].domains[0].dns.algorithm');
    const zone = onlyError(sample(['dns: { provider: manual, zone: example.org }']));
    assert.match(zone.message, /does not contain the domain example\.com/);
    const ttl = onlyError(sample(['dns: { provider: manual, ttl: -5 }']));
    assert.match(ttl.message, /whole number from 1 to 86400/);
  });

  it('warns about rfc2136-only keys on another provider', () => {
    const issues = parseConfig(sample(['dns: { provider: manual, server: a:53 }'])).issues;
    assert.deepEqual(
      issues.map((i) => [i.severity, i.path]),
      [['warning', 'hosts[0].domains[0].dns.server']],
    );
  });
});

describe('mailwright.yaml: hosts[].acme', () => {
  it('defaults: letsencrypt, 30 days, http-01 without a DNS provider, dns-01 with one', () => {
    const plain = parseConfig(sample()).config?.hosts[0];
    assert.ok(plain);
    assert.equal(plain.acme, undefined);
    assert.deepEqual(acmeSettings(plain), { ca: 'letsencrypt', challenge: 'http-01', renewBeforeDays: 30 });
    const withDns = parseConfig(sample(['dns: { provider: manual }'], ['acme: { email: me@example.com }']));
    assert.deepEqual(withDns.config?.hosts[0]?.acme, {
      ca: 'letsencrypt',
      email: 'me@example.com',
      challenge: 'dns-01',
      renewBeforeDays: 30,
    });
  });

  it('reads a private CA with its root certificate', () => {
    const text = sample(
      [],
      [
        'acme:',
        '  ca: https://localhost:14000/dir',
        '  caCertificate: ./pebble.pem',
        '  renewBeforeDays: 10',
      ],
    );
    assert.deepEqual(parseConfig(text).config?.hosts[0]?.acme, {
      ca: 'https://localhost:14000/dir',
      challenge: 'http-01',
      renewBeforeDays: 10,
      caCertificate: './pebble.pem',
    });
  });

  it('rejects an unknown CA name, a plain-http directory, and bad days', () => {
    assert.match(onlyError(sample([], ['acme: { ca: letsencrypt-stagin }'])).hint, /letsencrypt-staging/);
    assert.match(onlyError(sample([], ['acme: { ca: http://ca.test/dir }'])).hint, /over https/);
    const days = onlyError(sample([], ['acme: { renewBeforeDays: 120 }']));
    assert.equal(days.path, 'hosts[0].acme.renewBeforeDays');
    assert.match(onlyError(sample([], ['acme: { email: not-an-address }'])).message, /email address/);
  });

  it('reads renewOn, and a wrong value names the choices', () => {
    const text = sample([], ['acme: { renewOn: server }']);
    assert.equal(parseConfig(text).config?.hosts[0]?.acme?.renewOn, 'server');
    assert.equal(
      parseConfig(sample([], ['acme: { ca: letsencrypt }'])).config?.hosts[0]?.acme?.renewOn,
      undefined,
    );
    const issue = onlyError(sample([], ['acme: { renewOn: servr }']));
    assert.equal(issue.path, 'hosts[0].acme.renewOn');
    assert.match(`${issue.message} ${issue.hint}`, /server/);
    assert.match(`${issue.message} ${issue.hint}`, /client/);
  });

  it('dns-01 without a DNS provider for the mail host domain is an error with a fix', () => {
    const issue = onlyError(sample([], ['acme: { challenge: dns-01 }']));
    assert.equal(issue.path, 'hosts[0].acme.challenge');
    assert.deepEqual([issue.line, issue.column], [6, 24]);
    assert.match(issue.hint, /dns: \{ provider: manual \}/);
  });
});

describe('editing dns and acme', () => {
  it('writes compact flow maps in schema order, keeps comments, and validates the result', () => {
    const document = parseDocument(sample().replace('users: [alice]', 'users: [alice] # people'));
    setDomainDns(document, 'sandbox', 'example.com', {
      provider: 'rfc2136',
      keyName: 'mw',
      server: '127.0.0.1:53',
    });
    setHostAcme(document, 'sandbox', { email: 'me@example.com', ca: 'letsencrypt-staging' });
    const text = document.toString();
    assert.match(text, /dns: \{ provider: rfc2136, server: 127\.0\.0\.1:53, keyName: mw \}/);
    assert.match(text, /acme: \{ ca: letsencrypt-staging, email: me@example\.com \}/);
    assert.match(text, /# people/);
    const host = parseConfig(text).config?.hosts[0];
    assert.equal(host?.acme?.challenge, 'dns-01');
    setDomainDns(document, 'sandbox', 'example.com', undefined);
    setHostAcme(document, 'sandbox', undefined);
    assert.doesNotMatch(document.toString(), /dns:|acme:/);
    assert.match(document.toString(), /# people/);
  });

  it('refuses invalid values', () => {
    const document = parseDocument(sample());
    assert.throws(
      () => setDomainDns(document, 'sandbox', 'example.com', { provider: 'rfc2136' }),
      ConfigEditError,
    );
    assert.throws(() => setHostAcme(document, 'sandbox', { ca: 'http://x' }), ConfigEditError);
    assert.throws(() => setHostAcme(document, 'nope', {}), ConfigEditError);
  });
});
