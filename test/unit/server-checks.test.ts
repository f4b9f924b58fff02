import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  alertsFor,
  nextCheckState,
  parseCheckState,
  type Alert,
  type CheckState,
} from '../../src/core/checks/alerts';
import { postWebhook, webhookRequest } from '../../src/core/checks/notify';
import {
  certificateChecks,
  checkExitCode,
  CHECK_EXIT,
  dnsChecks,
  factChecks,
  queueChecks,
  QUEUE_FAIL_SECONDS,
  QUEUE_WARN_SECONDS,
  serviceChecks,
  storageChecks,
  type ServerCheckReport,
} from '../../src/core/checks/server';
import type { Check } from '../../src/core/checks';
import type { QueueItem, QueueListing } from '../../src/core/queue';
import type { HostConfig } from '../../src/core/config';
import { parseFacts, parseStorage, type Facts } from '../../src/core/facts';
import { keyed, TEST_KEY } from './facts-report';

const NOW = new Date('2026-12-07T06:00:00Z');
const DAY = 86_400_000;

const base = parseFacts(
  keyed(readFileSync(join(__dirname, 'fixtures', 'facts', 'debian12-container-root.txt'), 'utf8')),
  TEST_KEY,
  5,
);

function host(mailboxes = false): HostConfig {
  return {
    name: 'vps',
    ssh: { user: 'root', host: '198.51.100.2', port: 22 },
    mailHost: 'smtp.example.com',
    domains: [
      { name: 'example.com', mailboxes, users: [], aliases: [] } as unknown as HostConfig['domains'][number],
    ],
  };
}

function facts(over: Partial<Facts> = {}, daysLeft = 60): Facts {
  return {
    ...base,
    chasquid: { installed: true, version: '1.15-1', active: 'active', enabled: 'enabled' },
    dovecot: { installed: true, active: 'active' },
    listening: [25, 465, 587, 993].map((port) => ({ address: '0.0.0.0', port })),
    chasquidState: {
      domains: {},
      managed: {},
      certs: {
        'smtp.example.com': {
          notAfter: new Date(NOW.getTime() + daysLeft * DAY + 3600_000).toISOString(),
          subject: 'CN=smtp.example.com',
        },
      },
    },
    storage: parseStorage(
      [
        'disk /var/lib/chasquid /dev/sda1 1000000 100000 900000 10% /',
        'inodes /var/lib/chasquid /dev/sda1 10000 1000 9000 10% /',
        'disk /var/mail /dev/sdb1 1000000 960000 40000 96% /var/mail',
        'inodes /var/mail /dev/sdb1 10000 100 9900 1% /var/mail',
      ].join('\n'),
    ),
    ...over,
  };
}

const statusOf = (checks: Check[], id: string) => checks.find((c) => c.id === id)?.status;

describe('server checks', () => {
  it('parses df lines of the storage section', () => {
    const [chasquid, mail] = facts().storage!;
    assert.deepEqual(chasquid, {
      path: '/var/lib/chasquid',
      mount: '/',
      totalBytes: 1_024_000_000,
      freeBytes: 921_600_000,
      inodesTotal: 10000,
      inodesFree: 9000,
    });
    assert.equal(mail?.mount, '/var/mail');
  });

  it('judges the certificate by days left and its name', () => {
    assert.equal(certificateChecks(host(), facts({}, 60), NOW)[0]?.status, 'pass');
    assert.equal(certificateChecks(host(), facts({}, 20), NOW)[0]?.status, 'warn');
    const soon = certificateChecks(host(), facts({}, 3), NOW)[0]!;
    assert.equal(soon.status, 'fail');
    assert.match(soon.fix!, /mailwright renew/);
    const wrong = facts();
    wrong.chasquidState!.certs['smtp.example.com']!.subject = 'CN=other.example.net';
    const named = certificateChecks(host(), wrong, NOW)[0]!;
    assert.equal(named.status, 'fail');
    assert.match(named.fix!, /other\.example\.net, not smtp\.example\.com/);
    assert.equal(certificateChecks(host(), facts({ chasquidState: undefined }), NOW)[0]?.status, 'skip');
  });

  it('fails a stopped service and a port nobody listens on; Dovecot only with mailboxes', () => {
    assert.deepEqual(
      serviceChecks(host(), facts()).map((c) => c.id),
      ['service:chasquid'],
    );
    const stopped = serviceChecks(host(true), facts({ chasquid: { installed: true, active: 'inactive' } }));
    assert.equal(statusOf(stopped, 'service:chasquid'), 'fail');
    assert.match(stopped[0]!.fix!, /journalctl -u chasquid/);
    assert.equal(statusOf(stopped, 'service:dovecot'), 'pass');
    const deaf = serviceChecks(host(), facts({ listening: [{ address: '0.0.0.0', port: 25 }] }));
    assert.equal(deaf[0]?.status, 'fail');
    assert.match(deaf[0]!.fix!, /port 465, 587/);
  });

  it('warns and fails on little free space or few inodes; /var/mail only with mailboxes', () => {
    assert.deepEqual(
      storageChecks(host(), facts()).map((c) => [c.id, c.status]),
      [['storage:/var/lib/chasquid', 'pass']],
    );
    const withMail = storageChecks(host(true), facts());
    assert.equal(statusOf(withMail, 'storage:/var/mail'), 'fail');
    const inodes = facts({
      storage: parseStorage(
        'disk /var/lib/chasquid x 1000 0 1000 0% /\ninodes /var/lib/chasquid x 1000 900 100 90% /',
      ),
    });
    const low = storageChecks(host(), inodes)[0]!;
    assert.equal(low.status, 'warn');
    assert.match(low.fix!, /inodes/);
    assert.equal(storageChecks(host(), facts({ storage: [] }))[0]?.status, 'fail');
  });

  it('turns each DNS finding into a check with its fix', () => {
    const checks = dnsChecks({
      domain: 'example.com',
      host: 'vps',
      mailHost: 'smtp.example.com',
      checkedAt: NOW.toISOString(),
      durationMs: 1,
      findings: [
        {
          id: 'mx',
          kind: 'mx',
          name: 'example.com',
          type: 'MX',
          status: 'ok',
          severity: 'info',
          found: ['10 smtp.example.com'],
          notes: [],
        },
        {
          id: 'spf',
          kind: 'spf',
          name: 'example.com',
          type: 'TXT',
          status: 'missing',
          severity: 'error',
          found: [],
          expected: 'v=spf1 mx -all',
          fix: 'Publish it.',
          notes: [],
        },
        {
          id: 'mta-sts',
          kind: 'mta-sts',
          name: '_mta-sts.example.com',
          type: 'TXT',
          status: 'missing',
          severity: 'warning',
          found: [],
          fix: 'Add it.',
          notes: [],
        },
      ],
    });
    assert.deepEqual(
      checks.map((c) => [c.id, c.status, c.fix]),
      [
        ['dns:example.com:mx', 'pass', undefined],
        ['dns:example.com:spf', 'fail', 'Publish it.'],
        ['dns:example.com:mta-sts', 'warn', 'Add it.'],
      ],
    );
  });

  it('judges the queue by its oldest message, and says when it could not be read', () => {
    const item = (id: string, ageSeconds: number, lastError: string | null = null): QueueItem => ({
      id,
      from: 'alice@example.test',
      to: ['bob@elsewhere.test'],
      recipients: [],
      createdAt: NOW.toISOString(),
      ageSeconds,
      storedBytes: 100,
      lastAttemptAt: null,
      attempts: 1,
      nextTryAt: null,
      lastError,
    });
    const listing = (items: QueueItem[]): QueueListing => ({
      readAt: NOW.toISOString(),
      chasquidState: 'active',
      present: true,
      items,
      unreadable: [],
    });
    assert.deepEqual(queueChecks(undefined), [], 'no chasquid, no queue check');
    assert.equal(queueChecks(listing([]))[0]!.status, 'pass');
    assert.equal(queueChecks(listing([item('a', QUEUE_WARN_SECONDS - 1)]))[0]!.status, 'pass');
    const late = queueChecks(
      listing([item('a', 60), item('b', QUEUE_WARN_SECONDS + 1, '451 try later')]),
    )[0]!;
    assert.equal(late.status, 'warn');
    assert.match(late.evidence.join('\n'), /2 message\(s\) queued.*\n.*451 try later/);
    assert.match(late.fix ?? '', /mailwright queue/);
    assert.equal(queueChecks(listing([item('c', QUEUE_FAIL_SECONDS + 1)]))[0]!.status, 'fail');
    const unread = queueChecks(new Error('permission denied'))[0]!;
    assert.equal(unread.status, 'warn');
    assert.match(unread.evidence[0]!, /permission denied/);
  });

  it('exits 0, 1 on a failure, 2 on warnings only', () => {
    assert.equal(checkExitCode(factChecks(host(), facts(), NOW)), CHECK_EXIT.ok);
    assert.equal(checkExitCode(factChecks(host(), facts({}, 20), NOW)), CHECK_EXIT.warnings);
    assert.equal(checkExitCode(factChecks(host(true), facts({}, 20), NOW)), CHECK_EXIT.failed);
  });
});

function report(checks: Array<[string, Check['status']]>, at: string): ServerCheckReport {
  return {
    host: 'vps',
    mailHost: 'smtp.example.com',
    checkedAt: at,
    durationMs: 1,
    ranOn: 'server',
    checks: checks.map(([id, status]) => ({
      id,
      title: id,
      status,
      evidence: [],
      ...(status !== 'pass' && { fix: 'do it' }),
    })),
  };
}

/** One run: the alerts owed, all delivered unless `deliver` says no. */
function run(state: CheckState, r: ServerCheckReport, deliver = true) {
  const alerts = alertsFor(state, r);
  return {
    alerts: alerts.map((a) => `${a.kind} ${a.check.id} ${a.check.status}`),
    state: nextCheckState(state, r, deliver ? alerts : []),
  };
}

describe('alerts', () => {
  it('alerts once per new problem, never again while it lasts, once when it clears', () => {
    let state = parseCheckState(undefined);
    let step = run(
      state,
      report(
        [
          ['a', 'pass'],
          ['b', 'fail'],
        ],
        't1',
      ),
    );
    assert.deepEqual(step.alerts, ['problem b fail']);
    state = step.state;
    step = run(
      state,
      report(
        [
          ['a', 'pass'],
          ['b', 'fail'],
        ],
        't2',
      ),
    );
    assert.deepEqual(step.alerts, []);
    state = step.state;
    step = run(
      state,
      report(
        [
          ['a', 'pass'],
          ['b', 'pass'],
        ],
        't3',
      ),
    );
    assert.deepEqual(step.alerts, ['resolved b pass']);
    state = step.state;
    assert.deepEqual(state.open, {});
    assert.deepEqual(
      run(
        state,
        report(
          [
            ['a', 'pass'],
            ['b', 'pass'],
          ],
          't4',
        ),
      ).alerts,
      [],
    );
  });

  it('alerts again when a warning becomes a failure, not when a failure becomes a warning', () => {
    let state = run(parseCheckState(undefined), report([['a', 'warn']], 't1')).state;
    let step = run(state, report([['a', 'fail']], 't2'));
    assert.deepEqual(step.alerts, ['problem a fail']);
    state = step.state;
    step = run(state, report([['a', 'warn']], 't3'));
    assert.deepEqual(step.alerts, []);
    assert.equal(step.state.open.a?.status, 'warn');
    assert.deepEqual(run(step.state, report([['a', 'fail']], 't4')).alerts, ['problem a fail']);
  });

  it('keeps an undelivered alert owed, and resolves a check that no longer runs', () => {
    const state = parseCheckState(undefined);
    const lost = run(state, report([['a', 'fail']], 't1'), false);
    assert.deepEqual(lost.state.open, {});
    assert.deepEqual(run(lost.state, report([['a', 'fail']], 't2')).alerts, ['problem a fail']);
    const open = run(state, report([['a', 'fail']], 't1')).state;
    assert.deepEqual(run(open, report([], 't2')).alerts, ['resolved a skip']);
    // A skipped check (not readable this time) neither alerts nor resolves.
    assert.deepEqual(run(open, report([['a', 'skip']], 't2')).alerts, []);
  });

  it('reads a damaged state file as empty', () => {
    assert.deepEqual(parseCheckState('{not json'), { version: 1, open: {} });
    assert.deepEqual(parseCheckState('{"version":2}'), { version: 1, open: {} });
  });
});

describe('alert webhooks', () => {
  const alert: Alert = {
    kind: 'problem',
    host: 'vps',
    mailHost: 'smtp.example.com',
    at: 't1',
    check: {
      id: 'service:chasquid',
      title: 'chasquid running',
      status: 'fail',
      evidence: ['chasquid: failed'],
      fix: 'Restart it.',
    },
  };

  it('shapes the body for generic, ntfy and Slack-compatible endpoints', () => {
    const generic = JSON.parse(webhookRequest('generic', 'https://hooks.example/a?token=s3', alert).body);
    assert.equal(generic.event, 'problem');
    assert.equal(generic.check.id, 'service:chasquid');
    assert.equal(generic.summary, 'vps: FAIL chasquid running');
    const ntfy = webhookRequest('ntfy', 'https://ntfy.example/base/mytopic?auth=tk', alert);
    assert.equal(ntfy.url, 'https://ntfy.example/base/?auth=tk');
    const body = JSON.parse(ntfy.body);
    assert.equal(body.topic, 'mytopic');
    assert.equal(body.priority, 5);
    assert.match(body.message, /Fix: Restart it\./);
    const slack = JSON.parse(
      webhookRequest('slack', 'https://hooks.slack.example/T/B/X', {
        ...alert,
        kind: 'resolved',
        since: 't0',
      }).body,
    );
    assert.match(slack.text, /^vps: resolved: chasquid running/);
  });

  it('posts to a real HTTP endpoint and names only its host when it fails', async () => {
    const received: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(`${req.method} ${req.url} ${body}`);
        res.statusCode = req.url?.includes('broken') ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      await postWebhook(webhookRequest('generic', `http://127.0.0.1:${port}/hook/secret-token`, alert));
      assert.equal(received.length, 1);
      assert.match(received[0]!, /^POST \/hook\/secret-token \{"source":"mailwright"/);
      await assert.rejects(
        postWebhook(webhookRequest('generic', `http://127.0.0.1:${port}/broken/secret-token`, alert)),
        (e: Error) => /HTTP 500/.test(e.message) && !e.message.includes('secret-token'),
      );
    } finally {
      server.close();
    }
  });
});
