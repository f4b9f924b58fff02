// Planning the server's own checks (hosts[].monitor) from facts built in code: the files, the
// timer, Node.js once with the renewal's, the webhook address only with consent, and removal.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  CHECK_PROGRAM_PATH,
  CHECK_SERVICE_PATH,
  CHECK_SETTINGS_PATH,
  CHECK_TIMER_PATH,
  CHECK_WEBHOOK_PATH,
} from '../../src/core/checks/server-paths';
import { hasSendingLimits, type HostConfig, type MonitorConfig } from '../../src/core/config';
import type { Facts, RenewalFacts } from '../../src/core/facts';
import { consentsMissing, sha256, type PlanContext } from '../../src/core/plan';
import {
  CHECK_SERVICE,
  checkSettings,
  checkTimer,
  planCheckTimer,
} from '../../src/core/plan/actions/check-timer';
import { planRenewalTimer } from '../../src/core/plan/actions/renewal-timer';

const PROGRAM = 'console.log("check")\n';

function hostWith(monitor: MonitorConfig | undefined, renewOn?: 'server', ca?: string): HostConfig {
  return {
    name: 'vps',
    ssh: { user: 'root', host: '198.51.100.14', port: 22 },
    auth: 'key',
    mailHost: 'smtp.example.test',
    domains: [
      {
        name: 'example.test',
        users: ['alice'],
        aliases: {},
        mailboxes: true,
        dkim: { algorithms: ['rsa2048'], selector: 'auto' },
        spf: { include: [] },
      },
    ],
    ...(renewOn && {
      acme: {
        ca: 'https://ca.test/dir',
        challenge: 'http-01',
        renewBeforeDays: 30,
        renewOn,
        ...(ca && { caCertificate: ca }),
      },
    }),
    ...(monitor && { monitor }),
  } as HostConfig;
}

function ctx(
  host: HostConfig,
  checkTimerFacts: RenewalFacts,
  node?: string,
  managed: Record<string, string> = {},
): PlanContext {
  const facts = {
    systemd: true,
    hasApt: true,
    confFiles: {},
    chasquidState: { domains: {}, certs: {}, managed },
    renewal: node ? { node, files: {} } : { nodeCandidate: '20.19.2+dfsg-1', files: {} },
    checkTimer: checkTimerFacts,
  } as unknown as Facts;
  return { host, facts, now: new Date('2026-12-01T00:00:00Z') };
}

function installed(host: HostConfig): RenewalFacts {
  return {
    timerEnabled: 'enabled',
    timerActive: 'active',
    files: {
      [CHECK_PROGRAM_PATH]: sha256(PROGRAM),
      [CHECK_SETTINGS_PATH]: sha256(checkSettings(host)),
      [CHECK_SERVICE_PATH]: sha256(CHECK_SERVICE),
      [CHECK_TIMER_PATH]: sha256(checkTimer(60)),
    },
  };
}

const ids = (c: PlanContext) => planCheckTimer(c).actions.map((a) => a.id);

describe('server checks timer: planning', () => {
  before(() => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-check-'));
    process.env.MAILWRIGHT_CHECK_PROGRAM = join(dir, 'check.js');
    writeFileSync(process.env.MAILWRIGHT_CHECK_PROGRAM, PROGRAM);
    process.env.MAILWRIGHT_RENEW_PROGRAM = join(dir, 'renew.js');
    writeFileSync(process.env.MAILWRIGHT_RENEW_PROGRAM, 'console.log("renew")\n');
  });

  it('without monitor: nothing', () => {
    assert.deepEqual(planCheckTimer(ctx(hostWith(undefined), { files: {} })), { actions: [], notes: [] });
  });

  it('a fresh server: Node.js, the program, settings, units, the timer last; Node.js once with the renewal', () => {
    const host = hostWith({ every: '1h' });
    assert.deepEqual(ids(ctx(host, { files: {} })), [
      'check:nodejs',
      'check:program',
      'check:settings',
      'check:service',
      'check:timer',
      'check:enable',
    ]);
    const both = hostWith({ every: '1h' }, 'server');
    const c = ctx(both, { files: {} });
    const renewal = planRenewalTimer(c).actions;
    assert.ok(renewal.some((a) => a.id === 'renewal:nodejs'));
    assert.ok(!planCheckTimer(c, renewal).actions.some((a) => a.id.endsWith(':nodejs')));
  });

  it('all in place: no action; a new interval rewrites the timer; settings hold no SSH details or local paths', () => {
    const host = hostWith({ every: '1h' });
    assert.deepEqual(ids(ctx(host, installed(host), '20.19.2')), []);
    const faster = hostWith({ every: '15m' });
    const facts = installed(faster);
    assert.deepEqual(ids(ctx(faster, facts, '20.19.2')), ['check:timer', 'check:enable']);
    assert.match(checkTimer(15), /OnUnitActiveSec=15min/);
    const settings = JSON.parse(checkSettings(hostWith({ every: '1h' }, 'server', '/home/me/ca.pem'))) as {
      host: HostConfig;
    };
    assert.equal(settings.host.ssh.host, 'localhost');
    assert.equal(settings.host.acme?.caCertificate, undefined);
    assert.equal(settings.host.acme?.renewBeforeDays, 30);
    // The host's sending limits reach the server: its checks read their refusals only with limits.
    const limited = JSON.parse(checkSettings({ ...host, limits: { messagesPerHour: 3 } })) as {
      host: HostConfig;
    };
    assert.deepEqual(limited.host.limits, { messagesPerHour: 3 });
    assert.ok(hasSendingLimits(limited.host));
  });

  it('the webhook address is stored once, only with consent; removing it deletes it', () => {
    const host = hostWith({ every: '1h', webhook: 'ntfy' });
    const c = ctx(host, installed(host), '20.19.2');
    const plan = { host: 'vps', facts: c.facts, actions: planCheckTimer(c).actions, notes: [] };
    assert.deepEqual(
      plan.actions.map((a) => a.id),
      ['check:webhook', 'check:enable'],
    );
    assert.deepEqual(
      consentsMissing(plan).map((x) => x.id),
      ['check:webhook'],
    );
    const stored = { [CHECK_WEBHOOK_PATH]: sha256('x') };
    const after = ctx(host, installed(host), '20.19.2', stored);
    assert.deepEqual(ids(after), []);
    const noHook = hostWith({ every: '1h' });
    assert.deepEqual(ids(ctx(noHook, installed(noHook), '20.19.2', stored)), ['check:stop', 'check:enable']);
    const gone = planCheckTimer(ctx(hostWith(undefined), installed(host), '20.19.2', stored)).actions;
    assert.deepEqual(
      gone.map((a) => a.id),
      ['check:stop'],
    );
    assert.match(gone[0]!.title, /Stop the server checks timer and delete the alert webhook address/);
  });

  it('an old Node.js: a note, no action', () => {
    const host = hostWith({ every: '1h' });
    const plan = planCheckTimer(ctx(host, { files: {} }, '12.22.9'));
    assert.deepEqual(plan.actions, []);
    assert.match(plan.notes[0]!, /12\.22\.9.*the server checks needs 18/);
  });
});
