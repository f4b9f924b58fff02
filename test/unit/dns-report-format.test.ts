// The terminal table of `mailwright dns check`: one row per finding with status, type, name
// and found/expected, the fix and the notes under the row, long keys shortened, a summary line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDnsReport, requiredRecordsOk } from '../../src/core/dns/domain-check';
import type { DnsReport, Finding } from '../../src/core/dns/model';

const ok: Finding = {
  id: 'mx',
  kind: 'mx',
  name: 'example.com',
  type: 'MX',
  status: 'ok',
  severity: 'info',
  expected: '10 smtp.example.com',
  found: ['10 smtp.example.com'],
  notes: [],
};
const wrongDmarc: Finding = {
  id: 'dmarc',
  kind: 'dmarc',
  name: '_dmarc.example.com',
  type: 'TXT',
  status: 'wrong',
  severity: 'error',
  expected: 'v=DMARC1; p=quarantine; fo=1',
  found: ['v=DMARC1; p=maybe'],
  fix: 'Replace the TXT record at _dmarc.example.com with the expected value.',
  notes: ['p=maybe: p must be none, quarantine or reject.'],
};
const longKey = 'v=DKIM1; k=rsa; p=' + 'A'.repeat(380);
const missingDkim: Finding = {
  id: 'dkim:mw1',
  kind: 'dkim',
  name: 'mw1._domainkey.example.com',
  type: 'TXT',
  status: 'missing',
  severity: 'error',
  expected: longKey,
  found: [],
  fix: 'Publish the TXT record.',
  notes: [],
};
const warnCaa: Finding = {
  ...ok,
  id: 'caa',
  kind: 'caa',
  type: 'CAA',
  status: 'missing',
  severity: 'warning',
  found: [],
};

function report(findings: Finding[]): DnsReport {
  return {
    domain: 'example.com',
    host: 'vps',
    mailHost: 'smtp.example.com',
    checkedAt: '2026-11-28T00:00:00.000Z',
    durationMs: 42,
    findings,
  };
}

describe('formatDnsReport', () => {
  it('prints a row per finding with found and expected when they differ, then the fix and notes under it', () => {
    const text = formatDnsReport(report([ok, wrongDmarc]));
    const lines = text.split('\n');
    const mxRow = lines.find((l) => l.startsWith('ok'));
    assert.ok(mxRow, text);
    assert.match(mxRow, /MX\s+example\.com\s+10 smtp\.example\.com$/);
    const dmarcIndex = lines.findIndex((l) => l.startsWith('WRONG'));
    assert.match(
      lines[dmarcIndex]!,
      /TXT\s+_dmarc\.example\.com\s+v=DMARC1; p=maybe {2}≠ {2}expected v=DMARC1; p=quarantine; fo=1/,
    );
    assert.match(lines[dmarcIndex + 1]!, /^\s+fix: Replace the TXT record/);
    assert.match(lines[dmarcIndex + 2]!, /^\s+- p=maybe: p must be/);
    assert.match(text, /1 problem\(s\) to fix/);
  });

  it('shortens long values in the table and says (none) when nothing was found', () => {
    const text = formatDnsReport(report([missingDkim]));
    const row = text.split('\n').find((l) => l.startsWith('MISSING'))!;
    assert.match(row, /\(none\)/);
    assert.ok(!row.includes(longKey), 'the whole key is not in the row');
    assert.match(row, /…A{20}$/);
  });

  it('colors only when asked', () => {
    assert.ok(!formatDnsReport(report([ok, wrongDmarc])).includes('\u001b['));
    assert.ok(formatDnsReport(report([ok, wrongDmarc]), { color: true }).includes('\u001b[31mWRONG'));
  });

  it('a warning alone still means every required record is right', () => {
    assert.equal(requiredRecordsOk(report([ok, warnCaa])), true);
    assert.match(formatDnsReport(report([ok, warnCaa])), /Every required record is right \(1 warning\(s\)\)/);
    assert.equal(requiredRecordsOk(report([ok, wrongDmarc])), false);
  });
});
