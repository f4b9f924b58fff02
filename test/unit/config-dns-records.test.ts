import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIssues, parseConfig, type ConfigIssue, type DomainConfig } from '../../src/core/config';

/** One host, one domain; `domainExtra` are YAML lines added under the domain. */
function sample(domainExtra: string[] = []): string {
  return [
    'version: 1',
    'hosts:',
    '  - name: sandbox',
    '    ssh: root@mail.example.com',
    '    mailHost: smtp.example.com',
    '    domains:',
    '      - name: example.com',
    '        users: [alice]',
    ...domainExtra.map((line) => `        ${line}`),
    '',
  ].join('\n');
}

function domainOf(text: string): DomainConfig | undefined {
  const { config, issues } = parseConfig(text);
  assert.deepEqual(issues, [], formatIssues(issues));
  return config?.hosts[0]?.domains[0];
}

function onlyError(text: string): ConfigIssue {
  const found = parseConfig(text).issues.filter((issue) => issue.severity === 'error');
  assert.equal(found.length, 1, `expected one error, got:\n${formatIssues(found)}`);
  return found[0] as ConfigIssue;
}

describe('mailwright.yaml: spf.form', () => {
  it('is absent unless written (callers default to split), and reads split and simple', () => {
    assert.deepEqual(domainOf(sample())?.spf, { include: [] });
    assert.deepEqual(domainOf(sample(['spf: { form: simple }']))?.spf, { include: [], form: 'simple' });
    assert.deepEqual(domainOf(sample(['spf: { include: [_spf.google.com], form: split }']))?.spf, {
      include: ['_spf.google.com'],
      form: 'split',
    });
  });

  it('refuses another form at its position, suggesting the closest', () => {
    const issue = onlyError(sample(['spf:', '  form: simpel']));
    assert.equal(issue.path, 'hosts[0].domains[0].spf.form');
    assert.deepEqual([issue.line, issue.column], [10, 17]);
    assert.match(issue.hint, /Did you mean "simple"\?/);
    assert.match(issue.hint, /split, simple/);
  });

  it('reports a bad include and a bad form together', () => {
    const issues = parseConfig(sample(['spf: { include: ["bad domain"], form: x }'])).issues;
    assert.deepEqual(
      issues.map((i) => i.path),
      ['hosts[0].domains[0].spf.include[0]', 'hosts[0].domains[0].spf.form'],
    );
  });
});

describe('mailwright.yaml: dmarc adkim, aspf, pct', () => {
  it('reads them and leaves them out when not written', () => {
    assert.deepEqual(domainOf(sample(['dmarc: { p: reject }']))?.dmarc, { p: 'reject', rua: [], ruf: [] });
    assert.deepEqual(domainOf(sample(['dmarc: { p: quarantine, adkim: s, aspf: r, pct: 0 }']))?.dmarc, {
      p: 'quarantine',
      rua: [],
      ruf: [],
      adkim: 's',
      aspf: 'r',
      pct: 0,
    });
    assert.equal(domainOf(sample(['dmarc: { p: none, pct: 100 }']))?.dmarc?.pct, 100);
  });

  it('refuses other alignment values with the allowed ones', () => {
    const issue = onlyError(sample(['dmarc:', '  p: none', '  adkim: strict']));
    assert.equal(issue.path, 'hosts[0].domains[0].dmarc.adkim');
    assert.equal(issue.line, 11);
    assert.match(issue.hint, /Use one of: r, s/);
    assert.equal(onlyError(sample(['dmarc: { p: none, aspf: x }'])).path, 'hosts[0].domains[0].dmarc.aspf');
  });

  it('refuses a pct outside 0-100 or not a whole number', () => {
    for (const pct of ['101', '-1', '50.5', 'half']) {
      const issue = onlyError(sample([`dmarc: { p: none, pct: ${pct} }`]));
      assert.equal(issue.path, 'hosts[0].domains[0].dmarc.pct', pct);
      assert.match(issue.message, /whole number from 0 to 100/, pct);
      assert.match(issue.hint, /pct: 100/);
    }
  });
});
