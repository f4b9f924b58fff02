// The DNS Records tree rows and panel, their pure parts: findings to rows, the summary line,
// the icon of each status, the panel's phases and the validation of messages from either side.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DnsReport, ExpectedRecord, Finding } from '../../src/core/dns/model';
import {
  isDnsHostMessage,
  isDnsPanelState,
  isDnsWebviewMessage,
  MAX_COPY_LENGTH,
  noProviderHelp,
} from '../../src/panels/dns/messages';
import { dnsInputs, entryRows, keptReport, panelState, writesOf } from '../../src/panels/dns/panel-state';
import { testDomain, testHost } from './config-fixture';
import { ENGLISH } from '../../src/panels/l10n';
import { dnsCheckSettings, DnsSettingError } from '../../src/vscode/dns/settings';
import {
  iconFor,
  needsFix,
  reportRows,
  rowLabel,
  summarize,
  tooltipLines,
  uncheckedRows,
} from '../../src/panels/dns/rows';

const expected: ExpectedRecord[] = [
  {
    id: 'mx',
    kind: 'mx',
    name: 'example.test',
    type: 'MX',
    value: '10 smtp.example.test',
    required: true,
    publishedAt: 'zone',
    purpose: 'Tells other servers where to deliver mail for example.test.',
  },
  {
    id: 'dmarc',
    kind: 'dmarc',
    name: '_dmarc.example.test',
    type: 'TXT',
    value: 'v=DMARC1; p=quarantine; fo=1',
    required: true,
    publishedAt: 'zone',
    purpose: 'Tells receivers what to do with mail that fails SPF and DKIM.',
  },
  {
    id: 'ptr:198.51.100.2',
    kind: 'ptr',
    name: '2.100.51.198.in-addr.arpa',
    type: 'PTR',
    value: 'smtp.example.test',
    required: true,
    publishedAt: 'reverse',
    purpose: 'Reverse DNS: receivers check that the address names the mail host.',
  },
  {
    id: 'mta-sts',
    kind: 'mta-sts',
    name: '_mta-sts.example.test',
    type: 'TXT',
    value: 'v=STSv1; id=1',
    required: false,
    publishedAt: 'zone',
    purpose: 'Asks senders to insist on TLS.',
  },
];

function finding(f: Partial<Finding> & Pick<Finding, 'id' | 'status' | 'severity'>): Finding {
  return { kind: 'mx', name: 'example.test', found: [], notes: [], ...f };
}

const report: DnsReport = {
  domain: 'example.test',
  host: 'sandbox',
  mailHost: 'smtp.example.test',
  checkedAt: '2026-06-01T10:00:00.000Z',
  durationMs: 42,
  findings: [
    finding({ id: 'mx', type: 'MX', status: 'ok', severity: 'info', found: ['10 smtp.example.test'] }),
    finding({
      id: 'dmarc',
      kind: 'dmarc',
      name: '_dmarc.example.test',
      type: 'TXT',
      status: 'wrong',
      severity: 'error',
      expected: 'v=DMARC1; p=quarantine; fo=1',
      found: ['v=DMARC1; p=nonsense'],
      fix: 'Replace the TXT record at _dmarc.example.test.',
      notes: ['p=nonsense: not a policy (none, quarantine or reject).'],
    }),
    finding({
      id: 'ptr:198.51.100.2',
      kind: 'ptr',
      type: 'PTR',
      name: '2.100.51.198.in-addr.arpa',
      status: 'not-checkable',
      severity: 'warning',
      notes: ['No server answered.'],
    }),
    finding({ id: 'mta-sts', kind: 'mta-sts', type: 'TXT', status: 'missing', severity: 'warning' }),
    finding({
      id: 'extra:mx:old',
      type: 'MX',
      status: 'extra',
      severity: 'warning',
      found: ['20 old.example.test'],
    }),
  ],
};

describe('DNS rows', () => {
  it('shows the expected records unchecked before a check, recommended ones as warnings', () => {
    const rows = uncheckedRows(expected);
    assert.deepEqual(
      rows.map((r) => [r.id, r.status, r.severity, r.expected]),
      [
        ['mx', 'unchecked', 'error', '10 smtp.example.test'],
        ['dmarc', 'unchecked', 'error', 'v=DMARC1; p=quarantine; fo=1'],
        ['ptr:198.51.100.2', 'unchecked', 'error', 'smtp.example.test'],
        ['mta-sts', 'unchecked', 'warning', 'v=STSv1; id=1'],
      ],
    );
    assert.equal(summarize(rows, ENGLISH), '4 records, not checked');
    // A record's details (the MTA-STS policy to serve) are shown before any check too.
    const withDetails = uncheckedRows([{ ...expected[3]!, details: ['version: STSv1', 'mode: testing'] }]);
    assert.deepEqual(withDetails[0]!.notes, [expected[3]!.purpose, 'version: STSv1', 'mode: testing']);
    assert.deepEqual(iconFor(rows[0]!), { icon: 'circle-large-outline' });
    assert.equal(
      tooltipLines(rows[0]!, ENGLISH).some((l) => l.startsWith('Found:')),
      false,
      'nothing found yet',
    );
  });

  it("turns findings into rows with the expected record's purpose and where it is set", () => {
    const rows = reportRows(report, expected);
    assert.equal(rows.length, 5);
    const dmarc = rows.find((r) => r.id === 'dmarc')!;
    assert.deepEqual(dmarc.notes, [
      'Tells receivers what to do with mail that fails SPF and DKIM.',
      'p=nonsense: not a policy (none, quarantine or reject).',
    ]);
    assert.equal(rows.find((r) => r.id === 'ptr:198.51.100.2')!.publishedAt, 'reverse');
    assert.equal(rows.find((r) => r.id === 'extra:mx:old')!.publishedAt, undefined);
  });

  it('summarizes as ok / to fix / warnings / not checkable', () => {
    assert.equal(summarize(reportRows(report), ENGLISH), '1 ok, 1 to fix, 2 warnings, 1 not checkable');
    const allOk = reportRows({ ...report, findings: [report.findings[0]!] });
    assert.equal(summarize(allOk, ENGLISH), '1 ok');
    assert.equal(summarize([], ENGLISH), 'no records');
  });

  it('gives each status its icon: pass, error, warning, question', () => {
    const icons = Object.fromEntries(reportRows(report).map((r) => [r.id, iconFor(r).icon]));
    assert.deepEqual(icons, {
      mx: 'pass',
      dmarc: 'error',
      'ptr:198.51.100.2': 'question',
      'mta-sts': 'warning',
      'extra:mx:old': 'warning',
    });
    assert.equal(needsFix({ status: 'missing', severity: 'error' }), 'error');
    assert.equal(needsFix({ status: 'not-checkable', severity: 'error' }), undefined);
  });

  it('labels rows by kind, with the selector or address', () => {
    assert.equal(
      rowLabel({ id: 'dkim:mw2026', kind: 'dkim', type: 'TXT', name: 'x' }, ENGLISH),
      'DKIM mw2026 (TXT)',
    );
    assert.equal(
      rowLabel({ id: 'ptr:198.51.100.2', kind: 'ptr', type: 'PTR', name: 'x' }, ENGLISH),
      'Reverse DNS 198.51.100.2',
    );
    assert.equal(
      rowLabel({ id: 'a:198.51.100.2', kind: 'a', type: 'A', name: 'x' }, ENGLISH),
      'A 198.51.100.2',
    );
    // A DANE key rollover's two TLSA rows say which key each is.
    assert.deepEqual(
      ['tlsa', 'tlsa:next', 'tlsa:previous'].map((id) =>
        rowLabel({ id, kind: 'tlsa', type: 'TLSA', name: 'x' }, ENGLISH),
      ),
      ['DANE (TLSA)', 'DANE (TLSA), next key', 'DANE (TLSA), previous key'],
    );
    assert.equal(rowLabel({ id: 'spf', kind: 'spf', type: 'TXT', name: 'x' }, ENGLISH), 'SPF (TXT)');
  });

  it('puts found, expected, fix and explanations in the tooltip', () => {
    const dmarc = reportRows(report, expected).find((r) => r.id === 'dmarc')!;
    const lines = tooltipLines(dmarc, ENGLISH);
    assert.equal(lines[0], 'DMARC (TXT) — _dmarc.example.test: wrong');
    assert.ok(lines.includes('Found: v=DMARC1; p=nonsense'));
    assert.ok(lines.includes('Expected: v=DMARC1; p=quarantine; fo=1'));
    assert.ok(lines.includes('Fix: Replace the TXT record at _dmarc.example.test.'));
    assert.ok(lines.includes('p=nonsense: not a policy (none, quarantine or reject).'));
    const ptr = reportRows(report, expected).find((r) => r.id === 'ptr:198.51.100.2')!;
    assert.ok(tooltipLines(ptr, ENGLISH).some((l) => /reverse-DNS page/.test(l)));
  });
});

describe('DNS panel state', () => {
  const id = { hostName: 'sandbox', domain: 'example.test', mailHost: 'smtp.example.test' };

  it('moves from loading to unchecked to checking to checked', () => {
    assert.equal(panelState(id, undefined, ENGLISH).phase, 'loading');
    assert.equal(panelState(id, { expected }, ENGLISH).phase, 'unchecked');
    assert.equal(panelState(id, { expected, checking: true }, ENGLISH).phase, 'checking');
    const checked = panelState(id, { expected, report }, ENGLISH);
    assert.equal(checked.phase, 'checked');
    assert.equal(checked.summary, '1 ok, 1 to fix, 2 warnings, 1 not checkable');
    assert.equal(checked.durationMs, 42);
    assert.ok(isDnsPanelState(checked), 'the state the host sends passes the webview’s validation');
  });

  it('shows a failed check as an error, and the publish step over the check', () => {
    const failed = panelState(id, { expected, checkError: 'no route to the resolver' }, ENGLISH);
    assert.equal(failed.phase, 'error');
    assert.equal(failed.error, 'no route to the resolver');
    assert.equal(failed.rows.length, 4, 'the expected records stay as instructions');
    const change = {
      op: 'create',
      type: 'TXT',
      name: '_dmarc.example.test',
      from: [],
      to: ['v=DMARC1; p=none'],
    };
    const keep = { op: 'keep', type: 'MX', name: 'example.test', from: ['10 smtp.example.test'], to: [] };
    const planned = panelState({ ...id, provider: 'rfc2136' }, { expected, report }, ENGLISH, {
      phase: 'planned',
      changes: [change, keep],
      notes: ['PTR records are set at the VPS provider.'],
    });
    assert.equal(planned.phase, 'planned');
    assert.deepEqual(planned.publish?.changes, [change, keep]);
    assert.deepEqual(writesOf(planned.publish!.changes), [change]);
    assert.ok(isDnsPanelState(planned));
  });

  it('explains how to add a provider when there is none', () => {
    assert.match(noProviderHelp('example.test', ENGLISH), /example\.test has no dns: provider/);
    assert.match(noProviderHelp('example.test', ENGLISH), /dns: \{ provider: cloudflare \}/);
  });
});

describe('DNS results kept', () => {
  it('keeps the findings of records mailwright.yaml did not change, with their time', () => {
    const changed = expected.map((r) => (r.id === 'dmarc' ? { ...r, value: 'v=DMARC1; p=reject' } : r));
    const kept = keptReport(report, expected, changed)!;
    assert.equal(kept.checkedAt, report.checkedAt);
    assert.deepEqual(
      kept.findings.map((f) => f.id),
      ['mx', 'ptr:198.51.100.2', 'mta-sts', 'extra:mx:old'],
    );
    // The changed record is a row again, not checked, with its new value.
    const rows = entryRows({ expected: changed, report: kept });
    const dmarc = rows.find((r) => r.id === 'dmarc')!;
    assert.equal(dmarc.status, 'unchecked');
    assert.equal(dmarc.expected, 'v=DMARC1; p=reject');
    assert.equal(rows.find((r) => r.id === 'mx')!.status, 'ok');
    // Nothing changed: everything stays as checked.
    assert.deepEqual(keptReport(report, expected, expected)!.findings, report.findings);
    // A dropped record's finding goes; a new one is not checked.
    const fewer = keptReport(
      report,
      expected,
      expected.filter((r) => r.id !== 'mta-sts'),
    )!;
    assert.ok(!fewer.findings.some((f) => f.id === 'mta-sts'));
  });

  it('tells the configuration changes that make other records from those that do not', () => {
    const domain = testDomain();
    const host = testHost({ domains: [domain] });
    const before = dnsInputs(host, domain, [host]);
    const withAlias = {
      ...domain,
      aliases: { ...domain.aliases, sales: ['alice'] },
      users: [...domain.users, 'bob'],
    };
    assert.equal(
      dnsInputs({ ...host, domains: [withAlias] }, withAlias, [host]),
      before,
      'users and aliases',
    );
    const otherDomain = testDomain({ name: 'other.test' });
    assert.equal(
      dnsInputs({ ...host, domains: [domain, otherDomain] }, domain, [host]),
      before,
      'another domain',
    );
    const dmarc = { ...domain, dmarc: { p: 'reject' as const, rua: [], ruf: [] } };
    assert.notEqual(dnsInputs(host, dmarc, [host]), before, 'DMARC');
    assert.notEqual(dnsInputs({ ...host, mailHost: 'mx.example.test' }, domain, [host]), before, 'mail host');
    const peer = testHost({ name: 'second', mailHost: 'smtp2.example.test', domains: [domain] });
    assert.notEqual(dnsInputs(host, domain, [host, peer]), before, 'another host serving the domain');
  });
});

describe('DNS panel messages', () => {
  it('accepts the commands the webview sends and nothing else', () => {
    for (const type of ['check', 'exportZone', 'planPublish', 'applyPublish', 'cancelPublish'])
      assert.ok(isDnsWebviewMessage({ type, requestId: 1 }), type);
    assert.ok(isDnsWebviewMessage({ type: 'ready' }));
    assert.ok(isDnsWebviewMessage({ type: 'copy', requestId: 2, text: 'v=spf1 mx ~all', what: 'value' }));
    assert.equal(isDnsWebviewMessage({ type: 'check' }), false, 'no requestId');
    assert.equal(isDnsWebviewMessage({ type: 'copy', requestId: 2, text: 7, what: 'value' }), false);
    assert.equal(
      isDnsWebviewMessage({ type: 'copy', requestId: 2, text: 'x'.repeat(MAX_COPY_LENGTH + 1), what: 'v' }),
      false,
      'a copy larger than any record is refused',
    );
    assert.equal(isDnsWebviewMessage({ type: 'publishEverything', requestId: 3 }), false);
    assert.equal(isDnsWebviewMessage(null), false);
  });

  it('rejects a state with an unknown status or phase', () => {
    const good = panelState(
      { hostName: 'h', domain: 'example.test', mailHost: 'smtp.example.test' },
      { expected, report },
      ENGLISH,
    );
    assert.ok(isDnsHostMessage({ type: 'state', state: good }));
    assert.equal(isDnsPanelState({ ...good, phase: 'exploded' }), false);
    assert.equal(isDnsPanelState({ ...good, rows: [{ ...good.rows[0]!, status: 'fine' }] }), false);
    assert.equal(isDnsPanelState({ ...good, version: 2 }), false);
    assert.ok(isDnsHostMessage({ type: 'reply', requestId: 4, ok: false, error: 'no provider' }));
    assert.equal(isDnsHostMessage({ type: 'reply', requestId: 'x', ok: true }), false);
  });
});

describe('dnsCheckSettings', () => {
  const reader =
    (values: Record<string, unknown>) =>
    (key: string): unknown =>
      values[key];

  it('nothing set (or the defaults): no options, so the core uses its own defaults', () => {
    assert.deepEqual(dnsCheckSettings(reader({})), {});
    assert.deepEqual(
      dnsCheckSettings(
        reader({
          'dns.resolvers': [],
          'dns.authoritative': [' '],
          'dns.outboundProbeDomain': '',
          'dns.blocklists': true,
        }),
      ),
      {},
    );
  });

  it('every setting becomes its check option: servers trimmed, probe domain normalized, blocklists off', () => {
    assert.deepEqual(
      dnsCheckSettings(
        reader({
          'dns.resolvers': [' 9.9.9.9 ', '', '1.1.1.1:53'],
          'dns.authoritative': ['192.0.2.53:5300'],
          'dns.outboundProbeDomain': ' Outlook.COM. ',
          'dns.blocklists': false,
        }),
      ),
      {
        resolvers: ['9.9.9.9', '1.1.1.1:53'],
        authoritative: ['192.0.2.53:5300'],
        outboundProbeDomain: 'outlook.com',
        dnsbl: false,
      },
    );
  });

  it('a probe domain that is not a domain name is refused, naming the setting and the fix', () => {
    assert.throws(
      () => dnsCheckSettings(reader({ 'dns.outboundProbeDomain': 'gmail com' })),
      (error: unknown) =>
        error instanceof DnsSettingError &&
        error.setting === 'mailwright.dns.outboundProbeDomain' &&
        error.value === 'gmail com' &&
        /is not a domain name: set a domain .* such as gmail\.com, or clear it for the default\.$/.test(
          error.message,
        ),
    );
    assert.throws(
      () => dnsCheckSettings(reader({ 'dns.outboundProbeDomain': 'https://gmail.com' })),
      DnsSettingError,
    );
  });
});
