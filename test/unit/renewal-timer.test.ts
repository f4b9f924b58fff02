// Planning the unattended renewal (acme.renewOn: server) from facts built in code, the facts
// section it reads, and the consent a stored DNS credential needs.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  RENEW_CA_PATH,
  RENEW_DNS_CREDENTIAL_PATH,
  RENEW_PROGRAM_PATH,
  RENEW_SERVICE_PATH,
  RENEW_SETTINGS_PATH,
  RENEW_TIMER_PATH,
} from '../../src/core/acme/server-paths';
import type { AcmeConfig, HostConfig } from '../../src/core/config';
import { parseRenewal, type Facts, type RenewalFacts } from '../../src/core/facts';
import {
  applyPlan,
  ConsentNeededError,
  consentsMissing,
  sha256,
  type PlanContext,
} from '../../src/core/plan';
import {
  planRenewalTimer,
  renewalSettings,
  RENEW_SERVICE,
  RENEW_TIMER,
} from '../../src/core/plan/actions/renewal-timer';
import type { RemoteConnection } from '../../src/core/remote';

const PROGRAM = 'console.log("renew")\n';

function hostWith(acme: Partial<AcmeConfig> | undefined, dns = false): HostConfig {
  return {
    name: 'vps',
    ssh: { user: 'root', host: '198.51.100.14', port: 22 },
    auth: 'key',
    identityFile: '~/.ssh/id_ed25519',
    mailHost: 'smtp.example.test',
    domains: [
      {
        name: 'example.test',
        users: ['alice'],
        aliases: { '*': ['me@gmail.com'] },
        mailboxes: false,
        dkim: { algorithms: ['rsa2048'], selector: 'auto' },
        spf: { include: [] },
        ...(dns && {
          dns: {
            provider: 'rfc2136',
            server: '192.0.2.1:53',
            keyName: 'acme',
            algorithm: 'hmac-sha256',
            ttl: 60,
          },
        }),
      },
    ],
    ...(acme && {
      acme: { ca: 'https://ca.test/dir', challenge: 'http-01', renewBeforeDays: 30, ...acme } as AcmeConfig,
    }),
  } as HostConfig;
}

function ctx(
  host: HostConfig,
  renewal: RenewalFacts | undefined,
  managed: Record<string, string> = {},
): PlanContext {
  const facts = {
    systemd: true,
    hasApt: true,
    confFiles: {},
    chasquidState: { domains: {}, certs: {}, managed },
    renewal,
  } as unknown as Facts;
  return { host, facts, now: new Date('2026-12-01T00:00:00Z') };
}

/** The renewal as a finished apply leaves it for `host`. */
function installed(host: HostConfig): RenewalFacts {
  return {
    node: '20.19.2',
    timerEnabled: 'enabled',
    timerActive: 'active',
    files: {
      [RENEW_PROGRAM_PATH]: sha256(PROGRAM),
      [RENEW_SETTINGS_PATH]: sha256(renewalSettings(host)),
      [RENEW_SERVICE_PATH]: sha256(RENEW_SERVICE),
      [RENEW_TIMER_PATH]: sha256(RENEW_TIMER),
    },
  };
}

const ids = (c: PlanContext) => planRenewalTimer(c).actions.map((a) => a.id);

describe('renewal on the server: planning', () => {
  before(() => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-renew-'));
    process.env.MAILWRIGHT_RENEW_PROGRAM = join(dir, 'renew.js');
    writeFileSync(process.env.MAILWRIGHT_RENEW_PROGRAM, PROGRAM);
  });

  it('without acme: nothing; renewOn client (the default): a note, no action', () => {
    assert.deepEqual(planRenewalTimer(ctx(hostWith(undefined), { files: {} })), { actions: [], notes: [] });
    const client = planRenewalTimer(ctx(hostWith({}), { node: '20.19.2', files: {} }));
    assert.deepEqual(client.actions, []);
    assert.match(client.notes[0]!, /acme\.renewOn: server/);
  });

  it('a fresh server: Node.js from apt, the program, settings, units, and the timer last', () => {
    const host = hostWith({ renewOn: 'server' });
    assert.deepEqual(ids(ctx(host, { nodeCandidate: '20.19.2+dfsg-1', files: {} })), [
      'renewal:nodejs',
      'renewal:program',
      'renewal:settings',
      'renewal:service',
      'renewal:timer',
      'renewal:enable',
    ]);
  });

  it('a server where all is in place: no action; a changed program is replaced', () => {
    const host = hostWith({ renewOn: 'server' });
    assert.deepEqual(ids(ctx(host, installed(host))), []);
    const old = installed(host);
    old.files[RENEW_PROGRAM_PATH] = sha256('an older version');
    assert.deepEqual(ids(ctx(host, old)), ['renewal:program', 'renewal:enable']);
  });

  it('a hand-edited unit shows up as drift', () => {
    const host = hostWith({ renewOn: 'server' });
    const facts = installed(host);
    facts.files[RENEW_TIMER_PATH] = sha256('edited');
    const plan = planRenewalTimer(ctx(host, facts, { [RENEW_TIMER_PATH]: sha256(RENEW_TIMER) }));
    assert.equal(plan.actions[0]?.drift?.path, RENEW_TIMER_PATH);
  });

  it('Node.js older than 18 (Ubuntu 22.04 has 12.22): renewal stays on the client, with a note', () => {
    const host = hostWith({ renewOn: 'server' });
    const plan = planRenewalTimer(ctx(host, { nodeCandidate: '12.22.9~dfsg-1ubuntu3', files: {} }));
    assert.deepEqual(plan.actions, []);
    assert.match(plan.notes[0]!, /12\.22\.9.*18 or newer.*mailwright renew/);
    assert.deepEqual(ids(ctx(host, { node: '18.19.0', files: {} })).slice(0, 1), ['renewal:program']);
  });

  it('the settings name no SSH detail and point at the CA root on the server', () => {
    const host = hostWith({ renewOn: 'server', caCertificate: '~/pebble.pem' });
    const settings = JSON.parse(renewalSettings(host)) as { host: HostConfig };
    assert.equal(settings.host.identityFile, undefined);
    assert.equal(settings.host.ssh.host, 'localhost');
    assert.equal(settings.host.acme?.caCertificate, RENEW_CA_PATH);
    assert.equal(settings.host.mailHost, 'smtp.example.test');
  });

  it('dns-01 stores the credential once, only with consent; back to client removes it', () => {
    const host = hostWith({ renewOn: 'server', challenge: 'dns-01' }, true);
    const plan = planRenewalTimer(ctx(host, installed(host)));
    const store = plan.actions.find((a) => a.id === 'renewal:dns-credential');
    assert.ok(store);
    assert.match(store.title, /on the server.*root only, 0600/);
    assert.match(store.consent!, /TSIG key allowed to update only the _acme-challenge names/);
    const stored = { [RENEW_DNS_CREDENTIAL_PATH]: 'hash' };
    assert.deepEqual(ids(ctx(host, installed(host), stored)), []);
    const back = hostWith({ renewOn: 'client', challenge: 'dns-01' }, true);
    assert.deepEqual(ids(ctx(back, installed(host), stored)), ['renewal:stop']);
    assert.match(
      planRenewalTimer(ctx(back, installed(host), stored)).actions[0]!.title,
      /delete the DNS credential/,
    );
  });

  it('applyPlan refuses a step that needs consent before changing anything', async () => {
    const host = hostWith({ renewOn: 'server', challenge: 'dns-01' }, true);
    const actions = planRenewalTimer(ctx(host, installed(host))).actions;
    const plan = { host: 'vps', facts: ctx(host, undefined).facts, actions, notes: [] };
    assert.deepEqual(
      consentsMissing(plan).map((c) => c.id),
      ['renewal:dns-credential'],
    );
    const noConnection = {} as RemoteConnection; // any use of it would throw
    await assert.rejects(
      applyPlan(plan, { conn: noConnection, host, secrets: undefined!, regather: async () => plan.facts }),
      (e: Error) => e instanceof ConsentNeededError && /explicit consent/.test(e.message),
    );
    assert.deepEqual(consentsMissing(plan, ['renewal:dns-credential']), []);
  });
});

describe('renewal facts', () => {
  it('reads Node.js, the apt candidate, the timer and the file hashes', () => {
    const hash = 'a'.repeat(64);
    assert.deepEqual(
      parseRenewal(
        `node v20.19.2\ntimer-enabled enabled\ntimer-active active\n${hash}  ${RENEW_PROGRAM_PATH}\n`,
      ),
      {
        node: '20.19.2',
        timerEnabled: 'enabled',
        timerActive: 'active',
        files: { [RENEW_PROGRAM_PATH]: hash },
      },
    );
    assert.deepEqual(parseRenewal('node \ncandidate (none)\ntimer-enabled \ntimer-active inactive\n'), {
      files: {},
      node: undefined,
      nodeCandidate: undefined,
      timerEnabled: undefined,
      timerActive: 'inactive',
    });
    assert.equal(
      parseRenewal('node \ncandidate 18.19.0+dfsg-6~deb12u2\n').nodeCandidate,
      '18.19.0+dfsg-6~deb12u2',
    );
  });
});
