// The dashboard's pure parts: folding apply events into the view, bounded output, the
// state after a reload, and the validation of messages from either side.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testDomain, testHost } from './config-fixture';
import { expectedRecords } from '../../src/core/dns/expected';
import {
  isHostMessage,
  isSavedWebviewState,
  isWebviewMessage,
  type DashboardState,
} from '../../src/panels/dashboard/messages';
import {
  MAX_OUTPUT_LINES,
  applyingState,
  formatDuration,
  nextSteps,
  reduceEvent,
  restoredState,
  runEndNotice,
} from '../../src/panels/dashboard/state';
import { ENGLISH } from '../../src/panels/l10n';

function planned(): DashboardState {
  const action = (id: string) => ({
    id,
    title: id,
    reason: 'why',
    status: 'pending' as const,
    output: [],
    dropped: 0,
  });
  return {
    version: 1,
    hostName: 'sandbox',
    target: 'root@198.51.100.2:22',
    phase: 'planned',
    actions: [action('install'), action('conf'), action('service')],
    notes: [],
  };
}

describe('dashboard state', () => {
  it('follows a run: running, output, done, failed with hint, then a rerun from the failed step', () => {
    let s = applyingState(planned(), ENGLISH);
    s = reduceEvent(
      s,
      { type: 'action-start', id: 'install', title: 'install', index: 0, total: 3 },
      ENGLISH,
    );
    s = reduceEvent(s, { type: 'output', id: 'install', line: 'Setting up chasquid' }, ENGLISH);
    s = reduceEvent(s, { type: 'action-done', id: 'install', changedFiles: [] }, ENGLISH);
    s = reduceEvent(s, { type: 'action-start', id: 'conf', title: 'conf', index: 1, total: 3 }, ENGLISH);
    s = reduceEvent(
      s,
      {
        type: 'action-failed',
        id: 'conf',
        message: 'boom',
        hint: 'fix it',
        restored: ['/a'],
      },
      ENGLISH,
    );
    s = reduceEvent(s, { type: 'run-failed', failedAction: 'conf', message: 'boom' }, ENGLISH);
    assert.equal(s.phase, 'failed');
    assert.equal(s.progress, 'Stopped at a failed step');
    assert.deepEqual(
      s.actions.map((a) => a.status),
      ['done', 'failed', 'pending'],
    );
    assert.deepEqual(s.actions[1]?.error, { message: 'boom', hint: 'fix it', restored: ['/a'] });
    assert.deepEqual(s.actions[0]?.output, ['Setting up chasquid']);

    const rerun = applyingState(s, ENGLISH, 'conf');
    assert.equal(rerun.phase, 'applying');
    assert.deepEqual(
      rerun.actions.map((a) => a.status),
      ['done', 'pending', 'pending'],
    );
    assert.equal(rerun.actions[1]?.error, undefined);
  });

  it('keeps only the last lines of a chatty action and counts the rest', () => {
    let s = applyingState(planned(), ENGLISH);
    for (let i = 0; i < MAX_OUTPUT_LINES + 50; i++)
      s = reduceEvent(s, { type: 'output', id: 'install', line: `l${i}` }, ENGLISH);
    const a = s.actions[0]!;
    assert.equal(a.output.length, MAX_OUTPUT_LINES);
    assert.equal(a.dropped, 50);
    assert.equal(a.output.at(-1), `l${MAX_OUTPUT_LINES + 49}`);
  });

  it('after a reload a run is marked interrupted, and a finished one is kept as it was', () => {
    let s = applyingState(planned(), ENGLISH);
    s = reduceEvent(
      s,
      { type: 'action-start', id: 'install', title: 'install', index: 0, total: 3 },
      ENGLISH,
    );
    const restored = restoredState(s, ENGLISH);
    assert.equal(restored.phase, 'interrupted');
    assert.match(restored.progress ?? '', /reloaded/);
    assert.equal(restored.actions[0]?.status, 'pending');
    const done = { ...s, phase: 'done' as const };
    assert.equal(restoredState(done, ENGLISH), done);
  });

  it('next steps: the zone records with their values, and reverse DNS once per address', () => {
    const host = testHost({
      ssh: { user: 'root', host: '198.51.100.2', port: 22 },
      mailHost: 'smtp.example.test',
    });
    const domain = (name: string) => testDomain({ name, users: [] });
    const addresses = { ipv4: ['198.51.100.2'], ipv6: ['fd00::2'] };
    // Two domains on one server: their PTRs are the same two, listed once.
    const records = ['example.test', 'example.org'].flatMap((d) =>
      expectedRecords({ host, domain: domain(d), addresses, dkimKeys: [] }),
    );
    const next = nextSteps(records, ENGLISH);
    assert.deepEqual(
      next.dns.find((r) => r.type === 'MX' && r.name === 'example.org'),
      { type: 'MX', name: 'example.org', value: '10 smtp.example.test' },
    );
    const dmarc = next.dns.find((r) => r.name === '_dmarc.example.test');
    assert.match(dmarc?.value ?? '', /^v=DMARC1; p=quarantine/);
    assert.equal(next.dns.find((r) => r.name === '_mta-sts.example.test')?.note, 'recommended');
    assert.ok(!next.dns.some((r) => r.type === 'PTR'), 'PTR is not a zone record');
    assert.deepEqual(next.reverseDns, [
      { address: '198.51.100.2', name: 'smtp.example.test' },
      { address: 'fd00::2', name: 'smtp.example.test' },
    ]);
  });
});

describe('the end of a run', () => {
  it('says how long it took as people say it', () => {
    assert.equal(formatDuration(12_400, ENGLISH), '12 s');
    assert.equal(formatDuration(72_000, ENGLISH), '1 min 12 s');
    assert.equal(formatDuration(3_900_000, ENGLISH), '1 h 5 min');
  });

  it('notifies success with the mail host and time, a failure with its step, and nothing mid-run', () => {
    const done = { ...planned(), phase: 'done' as const };
    assert.deepEqual(runEndNotice(done, 'smtp.example.test', 72_000, ENGLISH), {
      severity: 'info',
      message: 'Provisioned smtp.example.test in 1 min 12 s.',
    });
    let failed = applyingState(planned(), ENGLISH);
    failed = reduceEvent(
      failed,
      { type: 'action-failed', id: 'conf', message: 'chasquid.conf does not parse', restored: [] },
      ENGLISH,
    );
    failed = reduceEvent(failed, { type: 'run-failed', failedAction: 'conf', message: 'x' }, ENGLISH);
    assert.deepEqual(runEndNotice(failed, 'smtp.example.test', 5_000, ENGLISH), {
      severity: 'error',
      message: 'Provisioning smtp.example.test failed at step "conf": chasquid.conf does not parse',
    });
    assert.equal(runEndNotice(applyingState(planned(), ENGLISH), 'smtp.example.test', 1, ENGLISH), undefined);
    assert.equal(
      runEndNotice({ ...planned(), phase: 'cancelled' }, 'smtp.example.test', 1, ENGLISH)?.severity,
      'warning',
    );
  });
});

describe('dashboard messages', () => {
  it('accepts the webview commands and refuses malformed ones', () => {
    assert.ok(isWebviewMessage({ type: 'ready' }));
    assert.ok(isWebviewMessage({ type: 'apply', requestId: 1, decisions: { '/etc/x': 'keep' } }));
    assert.ok(isWebviewMessage({ type: 'rerun', requestId: 2, from: 'conf', decisions: {} }));
    assert.ok(!isWebviewMessage({ type: 'apply', requestId: 1, decisions: { '/etc/x': 'delete' } }));
    assert.ok(!isWebviewMessage({ type: 'rerun', requestId: 2, decisions: {} }));
    assert.ok(!isWebviewMessage({ type: 'cancel', requestId: '1' }));
    assert.ok(!isWebviewMessage({ type: 'exec', command: 'rm -rf /' }));
    assert.ok(
      isWebviewMessage({ type: 'copy', requestId: 4, text: 'v=DMARC1; p=quarantine', what: 'value' }),
    );
    assert.ok(!isWebviewMessage({ type: 'copy', requestId: 4, text: 'x'.repeat(100_000), what: 'value' }));
    assert.ok(!isWebviewMessage({ type: 'copy', requestId: 4, text: 'x' }));
    assert.ok(!isWebviewMessage(null));
  });

  it('accepts a state or a reply from the host, and a saved state only when it is whole', () => {
    const state = planned();
    assert.ok(isHostMessage({ type: 'state', state }));
    assert.ok(isHostMessage({ type: 'reply', requestId: 3, ok: false, error: 'no' }));
    assert.ok(!isHostMessage({ type: 'state', state: { ...state, phase: 'exploded' } }));
    assert.ok(isSavedWebviewState({ state, decisions: {} }));
    assert.ok(!isSavedWebviewState({ state: { ...state, version: 2 }, decisions: {} }));
    assert.ok(!isSavedWebviewState(undefined));
  });
});
