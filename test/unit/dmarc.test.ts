import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DomainConfig } from '../../src/core/config';
import { dmarcRecordFor, parseDmarc } from '../../src/core/dns/dmarc';

const domain: DomainConfig = {
  name: 'example.com',
  users: [],
  aliases: {},
  mailboxes: false,
  dkim: { algorithms: ['rsa2048'], selector: 'auto' },
  spf: { include: [] },
};

describe('dmarcRecordFor', () => {
  it('without a dmarc section: the default quarantine with fo=1 and reports to postmaster@', () => {
    assert.equal(
      dmarcRecordFor(domain),
      'v=DMARC1; p=quarantine; fo=1; rua=mailto:postmaster@example.com; ruf=mailto:postmaster@example.com',
    );
  });

  it('from the config, tags in order, several addresses comma-separated', () => {
    const value = dmarcRecordFor({
      ...domain,
      dmarc: {
        p: 'none',
        rua: ['mailto:a@example.com', 'mailto:b@example.com'],
        ruf: ['mailto:f@example.com'],
        fo: '0:d',
        pct: 0,
        adkim: 'r',
      },
    });
    assert.equal(
      value,
      'v=DMARC1; p=none; adkim=r; pct=0; fo=0:d; rua=mailto:a@example.com,mailto:b@example.com; ruf=mailto:f@example.com',
    );
    assert.deepEqual(parseDmarc(value).problems, []);
  });
});

describe('parseDmarc', () => {
  it('explains the default record tag by tag in plain words', () => {
    const parsed = parseDmarc(
      'v=DMARC1; p=quarantine; fo=1; ruf=mailto:ruf@example.com; rua=mailto:rua@example.com',
      'example.com',
    );
    assert.equal(parsed.ok, true);
    assert.deepEqual(parsed.tags, {
      v: 'DMARC1',
      p: 'quarantine',
      fo: '1',
      ruf: 'mailto:ruf@example.com',
      rua: 'mailto:rua@example.com',
    });
    const meaning = Object.fromEntries(parsed.explanations.map((e) => [e.tag, e.meaning]));
    assert.match(meaning.p ?? '', /spam folder/);
    assert.match(meaning.fo ?? '', /either SPF or DKIM fails/);
    assert.match(meaning.rua ?? '', /daily aggregate reports .* rua@example\.com/);
    assert.match(meaning.ruf ?? '', /failure reports .* ruf@example\.com/);
    assert.deepEqual(parsed.notes, []);
  });

  it('explains each policy, each fo option, alignment, pct, sp, ri and rf', () => {
    const meanings = (text: string) =>
      parseDmarc(text)
        .explanations.map((e) => `${e.tag}: ${e.meaning}`)
        .join('\n');
    assert.match(meanings('v=DMARC1; p=none'), /p: policy: only monitor/);
    assert.match(meanings('v=DMARC1; p=reject'), /p: policy: mail that fails DMARC is refused/);
    const all = meanings(
      'v=DMARC1; p=reject; sp=none; adkim=s; aspf=r; pct=25; fo=0:1:d:s; ri=3600; rf=afrf; ruf=mailto:x@example.com',
    );
    assert.match(all, /sp: policy for subdomains: only monitor/);
    assert.match(all, /adkim: DKIM signing domain .* strict/);
    assert.match(all, /aspf: SPF .* relaxed/);
    assert.match(all, /pct: the policy applies to 25% of failing mail/);
    assert.match(
      all,
      /fo: .*both SPF and DKIM fail.*either SPF or DKIM fails.*DKIM signature fails.*SPF fails, aligned or not/,
    );
    assert.match(all, /ri: .*3600 seconds/);
    assert.match(all, /rf: .*afrf/);
  });

  it('syntax errors: v first and exact, p required and valid, bad values named with the fix', () => {
    const cases: Array<[string, RegExp]> = [
      ['p=none; v=DMARC1', /v=DMARC1 must be the first tag/],
      ['p=none', /does not start with v=DMARC1/],
      ['v=DMARC2; p=none', /v=DMARC2 is not a DMARC version/],
      ['v=DMARC1', /p tag \(policy\) is missing/],
      ['v=DMARC1; p=block', /p=block is not a policy: use none, quarantine or reject/],
      ['v=DMARC1; p=none; sp=maybe', /sp=maybe is not a policy/],
      ['v=DMARC1; p=none; adkim=x', /adkim=x is not an alignment mode: use r \(relaxed\) or s \(strict\)/],
      ['v=DMARC1; p=none; pct=101', /pct=101 is not a percentage/],
      ['v=DMARC1; p=none; fo=2', /fo=2 is not valid: use 0, 1, d or s/],
      ['v=DMARC1; p=none; rua=dmarc@example.com', /rua has "dmarc@example\.com", not a mailto: URI/],
      ['v=DMARC1; p=none; ruf=mailto:a@example.com,https://x', /ruf has "https:\/\/x"/],
      ['v=DMARC1; p=none; ri=soon', /ri=soon is not a number of seconds/],
      ['v=DMARC1; p=none; p=reject', /Tag p appears twice/],
      ['v=DMARC1; p=none; junk', /"junk" is not a tag=value pair/],
    ];
    for (const [text, expected] of cases) {
      const parsed = parseDmarc(text);
      assert.equal(parsed.ok, false, text);
      assert.match(parsed.problems.join('\n'), expected, text);
    }
  });

  it('unknown tags, fo without ruf and external report addresses are notes, not errors', () => {
    const parsed = parseDmarc(
      'v=DMARC1; p=none; fo=1; rua=mailto:reports@dmarc.example.net; foo=bar;',
      'example.com',
    );
    assert.equal(parsed.ok, true, parsed.problems.join('\n'));
    const notes = parsed.notes.join('\n');
    assert.match(notes, /Tag foo is not a DMARC tag/);
    assert.match(notes, /fo has no effect without ruf/);
    assert.match(notes, /example\.com\._report\._dmarc\.dmarc\.example\.net/);
    assert.doesNotMatch(
      parseDmarc('v=DMARC1; p=none; rua=mailto:d@mail.example.com', 'example.com').notes.join('\n'),
      /_report/,
    );
  });
});
