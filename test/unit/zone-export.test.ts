import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExpectedRecord } from '../../src/core/dns/model';
import { quoteTxtString, zoneFileSnippet } from '../../src/core/dns/zone-export';

function record(
  partial: Partial<ExpectedRecord> & Pick<ExpectedRecord, 'id' | 'name' | 'type' | 'value'>,
): ExpectedRecord {
  return {
    kind: 'spf',
    required: true,
    publishedAt: 'zone',
    purpose: `purpose of ${partial.id}`,
    ...partial,
  };
}

describe('zoneFileSnippet', () => {
  it('writes absolute names, the TTL, MX/PTR targets with a final dot, and a comment per record', () => {
    const text = zoneFileSnippet(
      [
        record({ id: 'mx', kind: 'mx', name: 'example.com', type: 'MX', value: '10 smtp.example.com' }),
        record({
          id: 'caa',
          kind: 'caa',
          name: 'example.com',
          type: 'CAA',
          value: '0 issue "letsencrypt.org"',
          required: false,
          ttl: 60,
        }),
        record({
          id: 'ptr:198.51.100.7',
          kind: 'ptr',
          name: '7.100.51.198.in-addr.arpa',
          type: 'PTR',
          value: 'smtp.example.com',
          publishedAt: 'reverse',
        }),
      ],
      { origin: 'example.com' },
    );
    const lines = text.split('\n');
    assert.ok(lines.includes('; purpose of mx'));
    assert.ok(lines.includes('example.com.\t3600\tIN\tMX\t10 smtp.example.com.'), text);
    assert.ok(lines.includes('; recommended: purpose of caa'));
    assert.ok(lines.includes('example.com.\t60\tIN\tCAA\t0 issue "letsencrypt.org"'), "the record's own TTL");
    const reverseAt = lines.findIndex((l) => /VPS provider's/.test(l));
    assert.ok(
      reverseAt > lines.findIndex((l) => l.includes('CAA')),
      'PTR in its own section, after the zone',
    );
    assert.ok(
      lines.includes('; 7.100.51.198.in-addr.arpa.\t3600\tIN\tPTR\tsmtp.example.com.'),
      'PTR commented out',
    );
    assert.match(
      zoneFileSnippet([record({ id: 'mx', name: 'example.com', type: 'MX', value: '10 a.example.com' })], {
        ttl: 300,
      }),
      /\t300\tIN\tMX/,
    );
  });

  it("a record's details (the MTA-STS policy) follow its line as a commented block", () => {
    const text = zoneFileSnippet([
      record({
        id: 'mta-sts',
        kind: 'mta-sts',
        name: '_mta-sts.example.com',
        type: 'TXT',
        value: 'v=STSv1; id=1',
        required: false,
        details: ['serve this policy:', 'version: STSv1'],
      }),
      record({ id: 'mx', kind: 'mx', name: 'example.com', type: 'MX', value: '10 smtp.example.com' }),
    ]);
    const lines = text.split('\n');
    const at = lines.indexOf('_mta-sts.example.com.\t3600\tIN\tTXT\t"v=STSv1; id=1"');
    assert.ok(at > 0, text);
    assert.deepEqual(lines.slice(at + 1, at + 3), [';   serve this policy:', ';   version: STSv1']);
    assert.equal(lines[at + 3], '', 'the next record starts after a blank line, without details');
  });

  it('quotes TXT as <=255-byte strings with quotes, backslashes and non-ASCII escaped', () => {
    const long = 'v=DKIM1; k=rsa; p=' + 'B'.repeat(600);
    const text = zoneFileSnippet([
      record({ id: 'dkim:s', kind: 'dkim', name: 's._domainkey.example.com', type: 'TXT', value: long }),
    ]);
    const line = text.split('\n').find((l) => l.startsWith('s._domainkey.example.com.'));
    assert.ok(line);
    const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
    assert.equal(strings.length, 3);
    assert.ok(strings.every((s) => s.length <= 255));
    assert.equal(strings.join(''), long);
    assert.equal(quoteTxtString('say "hi" \\ bye'), '"say \\"hi\\" \\\\ bye"');
    assert.equal(quoteTxtString('café\t'), '"caf\\195\\169\\009"');
    const given = zoneFileSnippet([
      record({ id: 't', name: 'x.example.com', type: 'TXT', value: 'ab', strings: ['a', 'b'] }),
    ]);
    assert.match(given, /TXT\t"a" "b"$/m, 'published strings are kept as split');
  });

  it('comments out records outside the origin, naming the zone', () => {
    const text = zoneFileSnippet(
      [
        record({
          id: 'a:198.51.100.7',
          kind: 'a',
          name: 'smtp.mail-host.net',
          type: 'A',
          value: '198.51.100.7',
        }),
        record({ id: 'mx', kind: 'mx', name: 'example.com', type: 'MX', value: '10 smtp.mail-host.net' }),
      ],
      { origin: 'example.com' },
    );
    assert.match(text, /^example\.com\.\t3600\tIN\tMX\t10 smtp\.mail-host\.net\.$/m);
    assert.match(text, /outside example\.com/);
    assert.match(text, /^; smtp\.mail-host\.net\.\t3600\tIN\tA\t198\.51\.100\.7$/m);
  });
});
