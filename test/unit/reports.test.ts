import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import {
  collectReports,
  decodeReport,
  encodingOf,
  ownerDomain,
  parseDmarcAggregate,
  parseReport,
  rate,
  readReport,
  ReportError,
  summariseReports,
  type DmarcAggregateReport,
  type TlsReport,
} from '../../src/core/reports';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/reports', name), 'utf8');
const bytes = (text: string) => new TextEncoder().encode(text);
const OURS = ['example.test'];

// As the large receivers send them: Google zips its XML, Microsoft and Yahoo gzip it, TLS
// reports come gzip'd.
const google = zipSync({
  'google.com!example.test!1796428800!1796515199.xml': bytes(fixture('google-aggregate.xml')),
});
const microsoft = gzipSync(fixture('microsoft-aggregate.xml'));
const yahoo = gzipSync(fixture('yahoo-aggregate.xml'));
const googleTls = gzipSync(fixture('google-tls.json'));
const microsoftTls = gzipSync(fixture('microsoft-tls.json'));

function refused(fn: () => unknown, problem: string, text: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ReportError, `a ReportError, got ${String(e)}`);
    assert.equal(e.problem, problem);
    assert.match(e.message, text);
    return true;
  });
}

describe('received reports: decoding', () => {
  it('recognises plain, gzip and zip by their bytes, not by a file name', () => {
    assert.equal(encodingOf(google), 'zip');
    assert.equal(encodingOf(microsoft), 'gzip');
    assert.equal(encodingOf(bytes('<feedback/>')), 'plain');
    assert.equal(decodeReport(google), fixture('google-aggregate.xml'));
    assert.equal(decodeReport(microsoft), fixture('microsoft-aggregate.xml'));
  });

  it('refuses a gzip bomb before it is inflated whole', () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    assert.ok(bomb.length < 200_000, 'a small file');
    const started = performance.now();
    refused(() => decodeReport(bomb), 'too-large', /once inflated is larger than 20 MB/);
    assert.ok(performance.now() - started < 2000);
  });

  it('refuses a zip bomb, and a zip of many files', () => {
    const bomb = zipSync({ 'r.xml': new Uint8Array(64 * 1024 * 1024) }, { level: 9 });
    assert.ok(bomb.length < 200_000);
    refused(() => decodeReport(bomb), 'too-large', /once inflated/);
    const many = zipSync(
      Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`r${i}.xml`, bytes('<a/>')])),
    );
    refused(() => decodeReport(many), 'unreadable', /more than 4 files/);
  });

  it('refuses a 100 MB report without reading it', () => {
    const huge = new Uint8Array(100 * 1024 * 1024);
    refused(() => decodeReport(huge), 'too-large', /The report is larger than 10 MB/);
  });

  it('refuses damaged archives and text that is not UTF-8', () => {
    refused(
      () => decodeReport(microsoft.subarray(0, microsoft.length - 20)),
      'unreadable',
      /gzip data .* damaged/,
    );
    refused(() => decodeReport(new Uint8Array([0x3c, 0xff, 0xfe, 0x3e])), 'unreadable', /not UTF-8/);
  });
});

describe('received reports: DMARC aggregate', () => {
  it('reads the shape Google, Microsoft and Yahoo send', () => {
    const g = readReport(google, OURS) as DmarcAggregateReport;
    assert.equal(g.kind, 'dmarc');
    assert.equal(g.org, 'google.com');
    assert.equal(g.reportId, '0420177366312451781', 'digits keep their leading zero');
    assert.equal(g.begin.toISOString(), '2026-12-05T00:00:00.000Z');
    assert.equal(g.records.length, 2);
    assert.deepEqual(g.records[0]!.dkimResults, [
      { domain: 'example.test', selector: 'mw2026a', result: 'pass' },
    ]);
    const m = readReport(microsoft, OURS) as DmarcAggregateReport;
    assert.equal(m.records[0]!.sourceIp, '2001:db8:25::25');
    assert.equal(m.records[0]!.dkimResults.length, 2);
    assert.equal(m.records[0]!.envelopeFrom, 'lists.example.test');
    assert.deepEqual(m.records[1]!.reasons, ['local_policy: arc=pass']);
    const y = readReport(yahoo, OURS) as DmarcAggregateReport;
    assert.equal(y.domain, 'mail.example.test');
    assert.equal(y.policy.adkim, 's');
  });

  it('refuses entity expansion and external entities before parsing', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><feedback><report_metadata><org_name>&lol3;</org_name></report_metadata></feedback>`;
    refused(() => parseDmarcAggregate(laughs), 'invalid', /DOCTYPE or entities/);
    const external = `<?xml version="1.0"?><!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]><feedback>&x;</feedback>`;
    refused(() => parseDmarcAggregate(external), 'invalid', /DOCTYPE/);
  });

  it('names the field that is wrong', () => {
    const xml = fixture('google-aggregate.xml');
    refused(
      () => parseDmarcAggregate(xml.replace('203.0.113.77', '203.0.113.777')),
      'invalid',
      /record\[1\]\.row\.source_ip is not an IP address/,
    );
    refused(
      () => parseDmarcAggregate(xml.replace('<count>3</count>', '<count>-3</count>')),
      'invalid',
      /record\[1\]\.row\.count is not a count/,
    );
    refused(
      () => parseDmarcAggregate(xml.replace(/<policy_published>[^]*<\/policy_published>/, '')),
      'invalid',
      /policy_published is missing/,
    );
    refused(
      () => parseDmarcAggregate('<feedback><report_metadata>'),
      'invalid',
      /not well-formed XML|is missing/,
    );
    refused(() => parseReport('hello'), 'invalid', /neither a DMARC aggregate report/);
  });

  it('sets aside a report about a domain that is not ours', () => {
    const theirs = gzipSync(fixture('google-aggregate.xml').replace(/example\.test/g, 'elsewhere.invalid'));
    refused(
      () => readReport(theirs, OURS),
      'foreign',
      /about elsewhere\.invalid, which is not a domain of this server/,
    );
    // A look-alike is not a subdomain.
    const alike = gzipSync(
      fixture('google-aggregate.xml').replace(/<domain>example\.test</, '<domain>badexample.test<'),
    );
    refused(() => readReport(alike, OURS), 'foreign', /badexample\.test/);
  });
});

describe('received reports: TLS-RPT', () => {
  it('reads the shape Google and Microsoft send', () => {
    const g = readReport(googleTls, OURS) as TlsReport;
    assert.equal(g.policies[0]!.policyType, 'no-policy-found');
    const m = readReport(microsoftTls, OURS) as TlsReport;
    assert.equal(m.policies[0]!.failed, 5);
    assert.equal(m.policies[0]!.failures[0]!.resultType, 'tlsa-invalid');
  });

  it('names the field that is wrong', () => {
    const json = fixture('microsoft-tls.json');
    refused(
      () => parseReport(json.replace('"failed-session-count": 4', '"failed-session-count": "4"')),
      'invalid',
      /failure-details\[0\]\.failed-session-count is not a count/,
    );
    refused(
      () => parseReport(json.replace('"2026-12-05T00:00:00Z"', '"yesterday"')),
      'invalid',
      /start-datetime is not a date-time/,
    );
    refused(() => parseReport('{"organization-name": 1'), 'invalid', /not JSON/);
  });
});

describe('received reports: the summary', () => {
  const { reports, setAside } = collectReports(
    [
      { name: 'google.zip', bytes: google },
      { name: 'bomb.xml.gz', bytes: gzipSync(Buffer.alloc(40 * 1024 * 1024)) },
      { name: 'microsoft.xml.gz', bytes: microsoft },
      { name: 'again.zip', bytes: google },
      {
        name: 'theirs.xml',
        bytes: bytes(fixture('yahoo-aggregate.xml').replace(/mail\.example\.test/g, 'x.invalid')),
      },
      { name: 'yahoo.xml.gz', bytes: yahoo },
      { name: 'google-tls.json.gz', bytes: googleTls },
      { name: 'microsoft-tls.json.gz', bytes: microsoftTls },
    ],
    OURS,
  );
  const [summary] = summariseReports(reports, ownerDomain(OURS));

  it('sets the bad ones aside with their reason and reads the others', () => {
    assert.deepEqual(
      setAside.map((s) => [s.name, s.problem]),
      [
        ['bomb.xml.gz', 'too-large'],
        ['theirs.xml', 'foreign'],
      ],
    );
    assert.equal(reports.length, 6, "the second copy of Google's report is read, and counted once below");
  });

  it('counts messages and passes per mechanism, a subdomain with its parent, a report sent twice once', () => {
    assert.ok(summary);
    assert.equal(summary.domain, 'example.test');
    assert.equal(summary.dmarcReports, 3);
    assert.equal(summary.tlsReports, 2);
    assert.deepEqual(summary.reporters, {
      'google.com': 1,
      'Enterprise Outlook': 1,
      Yahoo: 1,
      'Google Inc.': 1,
      'Microsoft Corporation': 1,
    });
    assert.equal(summary.messages, 12 + 3 + 4 + 1 + 2);
    assert.equal(summary.dmarcPass, 12 + 4 + 1 + 2);
    assert.equal(summary.dkimAligned, 12 + 4 + 2);
    assert.equal(summary.spfAligned, 12 + 1 + 2);
    assert.equal(rate(summary.dmarcPass, summary.messages), 86.4);
  });

  it('lists failing sources first, and TLS failures by type', () => {
    assert.deepEqual(
      summary!.sources.map((s) => [s.ip, s.messages, s.messages - s.dmarcPass]),
      [
        ['203.0.113.77', 3, 3],
        ['198.51.100.25', 14, 0],
        ['2001:db8:25::25', 4, 0],
        ['192.0.2.140', 1, 0],
      ],
    );
    assert.deepEqual(summary!.sources[0]!.dispositions, { quarantine: 3 });
    assert.deepEqual(summary!.tls, {
      successful: 58,
      failed: 5,
      failures: [
        {
          resultType: 'tlsa-invalid',
          sessions: 4,
          mxHosts: ['smtp.example.test'],
          sendingIps: ['2603:10a6:20b::1'],
        },
        {
          resultType: 'certificate-expired',
          sessions: 1,
          mxHosts: ['smtp.example.test'],
          sendingIps: ['40.107.22.1'],
        },
      ],
    });
  });
});
