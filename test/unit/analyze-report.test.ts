// The Mail Report's data: an analysis becomes a report the webview accepts, a test mail's run
// (stages, transcript) fits the same shape, and anything malformed is refused on both sides.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeMessage } from '../../src/core/analyze';
import { ENGLISH } from '../../src/panels/l10n';
import {
  isMailReportHostMessage,
  isMailReportView,
  isMailReportWebviewMessage,
  type MailReportView,
} from '../../src/panels/mail-report/messages';
import { analysisView, checksSummary } from '../../src/panels/mail-report/view';
import { MemoryDns } from './memory-dns';

const MESSAGE = [
  'Received: from mail.example.test (mail.example.test [192.0.2.10]) by mx.example.org with ESMTP; Sat, 28 Nov 2026 06:00:02 +0000',
  'From: Alice <alice@example.test>',
  'Subject: hello',
  'Message-ID: <m1@example.test>',
  '',
  'body',
  '',
].join('\r\n');

describe('mail report', () => {
  it('shows an analysis: facts, every check, the path, a summary and "Analyze again"', async () => {
    const analysis = await analyzeMessage(MESSAGE, { resolver: new MemoryDns() });
    const view = analysisView(analysis, 'mail/hello.eml', ENGLISH, new Date('2026-11-28T06:00:00Z'));
    assert.ok(isMailReportView(view));
    assert.equal(view.kind, 'analysis');
    assert.deepEqual(view.facts.slice(0, 3), [
      { label: 'Source', value: 'mail/hello.eml' },
      { label: 'From', value: 'alice@example.test' },
      { label: 'Subject', value: 'hello' },
    ]);
    assert.equal(view.checks, analysis.checks);
    assert.equal(view.hops?.[0]?.ip, '192.0.2.10');
    // SPF: no envelope sender (skip), DKIM: none (fail), DMARC: no record (warn), ARC: skip, hop: plain (warn).
    assert.equal(view.summary, '0 passed, 2 warning(s), 1 failed, 2 not judged');
    assert.deepEqual(view.actions, [{ id: 'analyze-again', label: 'Analyze again' }]);
    assert.ok(isMailReportHostMessage({ type: 'state', state: view }));
  });

  it('fits a test mail run: stages with durations and the SMTP transcript', () => {
    const run: MailReportView = {
      version: 1,
      kind: 'test-mail',
      title: 'Test mail to bob@example.org',
      summary: checksSummary([{ status: 'pass' }, { status: 'warn' }], ENGLISH),
      facts: [{ label: 'Server', value: 'smtp.example.test' }],
      stages: [
        { id: 'sent', label: 'Sent', status: 'pass', durationMs: 812, detail: '250 2.0.0 queued' },
        { id: 'delivered', label: 'Delivered', status: 'running' },
        { id: 'verified', label: 'Verified', status: 'pending' },
      ],
      checks: [],
      transcript: ['S: 220 smtp.example.test ESMTP', 'C: EHLO mailwright'],
      createdAt: new Date(0).toISOString(),
      running: true,
    };
    assert.equal(run.summary, '1 passed, 1 warning(s), 0 failed, 0 not judged');
    assert.ok(isMailReportView(run));
  });

  it('refuses malformed reports and messages', () => {
    const base = {
      version: 1,
      kind: 'analysis',
      title: 't',
      summary: 's',
      facts: [],
      checks: [],
      createdAt: '',
    };
    assert.ok(isMailReportView(base));
    assert.equal(isMailReportView({ ...base, version: 2 }), false);
    assert.equal(
      isMailReportView({ ...base, checks: [{ id: 'x', title: 'x', status: 'ok', evidence: [] }] }),
      false,
    );
    assert.equal(isMailReportView({ ...base, stages: [{ id: 's', label: 'S', status: 'done' }] }), false);
    assert.equal(isMailReportView({ ...base, transcript: [1] }), false);
    assert.ok(isMailReportWebviewMessage({ type: 'copy', requestId: 1, text: 'x', what: 'y' }));
    assert.equal(
      isMailReportWebviewMessage({ type: 'copy', requestId: 1, text: 'x'.repeat(300_000), what: 'y' }),
      false,
    );
    assert.equal(isMailReportWebviewMessage({ type: 'action', requestId: 1.5, id: 'a' }), false);
    assert.equal(isMailReportWebviewMessage({ type: 'eval', code: '' }), false);
  });
});
