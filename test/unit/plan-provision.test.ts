// Planning install, conf, domains, certificate and service from facts built in code.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostConfig } from '../../src/core/config';
import type { Facts } from '../../src/core/facts';
import { sha256, type PlanContext } from '../../src/core/plan';
import { planCertificate } from '../../src/core/plan/actions/certificate';
import { CHASQUID_CONF_PATH, desiredConf, planConf } from '../../src/core/plan/actions/conf';
import {
  aliasesPath,
  aliasWarnings,
  desiredAliases,
  planDomains,
  userPasswordEnvName,
} from '../../src/core/plan/actions/domains';
import { packagesFor, planInstall } from '../../src/core/plan/actions/install';
import { planService } from '../../src/core/plan/actions/service';
import { withRunning } from '../../src/core/plan/running';
import { certificateNames } from '../../src/core/plan/actions/service-probe';

const MAIL_HOST = 'smtp.example.test';
const STOCK_CONF =
  '# chasquid configuration\n\n# Default hostname.\n#hostname: "mx.example.com"\n\n#smtp_address: "systemd"\n';

const host: HostConfig = {
  name: 'vps',
  ssh: { user: 'root', host: '198.51.100.14', port: 22 },
  auth: 'key',
  mailHost: MAIL_HOST,
  domains: [
    {
      name: 'example.test',
      users: ['alice'],
      aliases: { '*': ['me@gmail.com'] },
      mailboxes: false,
      dkim: { algorithms: ['rsa2048'], selector: 'auto' },
      spf: { include: [] },
    },
  ],
};

function freshFacts(): Facts {
  return {
    gatheredAt: '2026-01-01T00:00:00Z',
    durationMs: 5,
    login: { user: 'root', uid: 0, groups: ['root'] },
    system: { state: 'ready' },
    os: { id: 'debian', versionId: '13', prettyName: 'Debian 13', codename: 'trixie', supported: true },
    kernel: '6.1',
    arch: 'x86_64',
    packageArch: 'amd64',
    systemd: true,
    hostname: 'vps',
    fqdn: 'vps',
    addresses: { ipv4: ['198.51.100.14'], ipv6: [] },
    ipv6: { disabledBySysctl: false, netplanFiles: [] },
    listening: [{ address: '0.0.0.0', port: 22 }],
    hasApt: true,
    chasquid: { installed: false },
    resources: { diskFreeBytes: 1e10, diskTotalBytes: 2e10, memTotalBytes: 1e9, memAvailableBytes: 5e8 },
    sudo: 'root',
    confFiles: {},
    chasquidState: { domains: {}, certs: {}, managed: {} },
    chasquidUnits: {},
    dovecot: { installed: false },
  };
}

/** The server as Mailwright leaves it after a successful apply. */
function provisionedFacts(): Facts {
  const conf = desiredConf(STOCK_CONF, MAIL_HOST, true).content;
  const aliases = desiredAliases(host.domains[0]!);
  const certDir = `/etc/chasquid/certs/${MAIL_HOST}`;
  const files = {
    [CHASQUID_CONF_PATH]: sha256(conf),
    [aliasesPath('example.test')]: sha256(aliases),
    '/etc/chasquid/domains/example.test/users': 'aaa',
    '/etc/chasquid/domains/example.test/dkim:mw20260101.pem': 'ddd',
    [`${certDir}/fullchain.pem`]: 'bbb',
    [`${certDir}/privkey.pem`]: 'ccc',
  };
  return {
    ...freshFacts(),
    listening: [25, 465, 587, 22].map((port) => ({ address: '::', port })),
    chasquid: { installed: true, version: '1.15.0-1+b4', active: 'active', enabled: 'enabled' },
    confFiles: files,
    chasquidState: {
      conf,
      domains: {
        'example.test': { files: ['aliases', 'dkim:mw20260101.pem', 'users'], users: ['alice'], aliases },
      },
      certs: { [MAIL_HOST]: { notAfter: '2027-01-01T00:00:00Z', subject: `CN=${MAIL_HOST}` } },
      // What it wrote, and what chasquid was restarted with.
      managed: withRunning(
        {
          [CHASQUID_CONF_PATH]: files[CHASQUID_CONF_PATH]!,
          [aliasesPath('example.test')]: files[aliasesPath('example.test')]!,
        },
        files,
      ),
    },
  };
}

const ctxOf = (facts: Facts, h: HostConfig = host): PlanContext => ({
  host: h,
  facts,
  chasquidPath: facts.chasquid.installed ? 'native-dkim' : undefined,
  now: new Date('2026-01-01'),
});

const planAll = (ctx: PlanContext) =>
  [planInstall, planConf, planDomains, planCertificate, planService].flatMap((p) => p(ctx));

describe('provisioning planners', () => {
  it('plan everything for a fresh server, in order, service last', () => {
    const actions = planAll(ctxOf(freshFacts()));
    assert.deepEqual(
      actions.map((a) => a.id),
      [
        'install:chasquid',
        'conf:chasquid.conf',
        'domain:example.test',
        'users:example.test',
        'aliases:example.test',
        `certificate:${MAIL_HOST}`,
        'service:chasquid',
      ],
    );
    assert.equal(actions[0]!.refreshesFacts, true);
    assert.match(actions[1]!.reason, /will be set to hostname "smtp\.example\.test" after install/);
    assert.match(actions[3]!.reason, /alice in mailwright.yaml but not on the server/);
    assert.match(actions[5]!.title, /self-signed until ACME/);
  });

  it('plan nothing for a provisioned server', () => {
    assert.deepEqual(
      planAll(ctxOf(provisionedFacts())).map((a) => `${a.id}: ${a.reason}`),
      [],
    );
  });

  it('name both hostnames when chasquid.conf has the wrong one', () => {
    const facts = provisionedFacts();
    const conf = STOCK_CONF + 'hostname: "vps.provider.net"\n';
    facts.chasquidState!.conf = conf;
    facts.confFiles![CHASQUID_CONF_PATH] = sha256(conf);
    delete facts.chasquidState!.managed[CHASQUID_CONF_PATH];
    const [action, ...rest] = planConf(ctxOf(facts));
    assert.equal(rest.length, 0);
    assert.match(action!.reason, /hostname is "vps\.provider\.net", must be "smtp\.example\.test"/);
    assert.equal(action!.drift, undefined, 'never written by Mailwright: not drift');
    assert.equal(planService(ctxOf(facts)).length, 1, 'the change needs a restart');
  });

  it('keep the rest of chasquid.conf and systemd sockets; replace an address that misses the port', () => {
    const { content, changes } = desiredConf(
      '# mine\nmax_data_size_mb: 10\nsmtp_address: "127.0.0.1:2525"\n',
      MAIL_HOST,
      true,
    );
    assert.match(content, /^# mine\nmax_data_size_mb: 10\n/);
    assert.match(content, /smtp_address: "systemd"/);
    assert.match(content, /hostname: "smtp\.example\.test"/);
    assert.ok(changes.some((c) => c.includes('smtp_address is "127.0.0.1:2525", must serve port 25')));
    assert.deepEqual(desiredConf(content, MAIL_HOST, true).changes, []);
  });

  it('show a hand-edited aliases file as drift with a diff', () => {
    const facts = provisionedFacts();
    const edited = desiredAliases(host.domains[0]!) + 'bob: bob@elsewhere.test\n';
    facts.chasquidState!.domains['example.test']!.aliases = edited;
    facts.confFiles![aliasesPath('example.test')] = sha256(edited);
    const actions = planDomains(ctxOf(facts));
    assert.equal(actions.length, 1);
    assert.match(actions[0]!.reason, /edited on the server since Mailwright wrote it/);
    assert.match(actions[0]!.drift!.diff, /^-bob: bob@elsewhere\.test$/m);
  });

  it('remove server users that are not in the yaml, saying so', () => {
    const facts = provisionedFacts();
    facts.chasquidState!.domains['example.test']!.users = ['alice', 'mallory'];
    const [action] = planDomains(ctxOf(facts));
    assert.match(action!.reason, /mallory on the server but not in mailwright.yaml: removing/);
  });

  it('write aliases with full addresses and the catch-all last, and warn about forwarding without ARC', () => {
    const domain = {
      ...host.domains[0]!,
      users: ['alice', 'bob'],
      aliases: { postmaster: ['alice'], alice: ['me@gmail.com'] },
    };
    const lines = desiredAliases({ ...domain, aliases: { ...domain.aliases, '*': ['me@gmail.com'] } })
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines, ['alice: me@gmail.com', 'postmaster: alice@example.test', '*: me@gmail.com']);
    const warnings = aliasWarnings(domain).join(' ');
    assert.match(warnings, /SRS.*ARC/);
  });

  it('plan the service when chasquid is stopped or a mail port is closed', () => {
    const stopped = provisionedFacts();
    stopped.chasquid.active = 'failed';
    assert.match(planService(ctxOf(stopped))[0]!.reason, /chasquid is failed, must be active/);
    const closed = provisionedFacts();
    closed.listening = closed.listening.filter((l) => l.port !== 465);
    assert.match(planService(ctxOf(closed))[0]!.reason, /nothing listens on port 465/);
  });

  it('choose packages per path', () => {
    assert.ok(packagesFor('legacy').includes('python3-dkim'));
    assert.ok(!packagesFor('native-dkim').includes('python3-dkim'));
  });

  it('name the environment variable for a missing user password', () => {
    assert.equal(userPasswordEnvName('alice', 'example.test'), 'MAILWRIGHT_USER_PASSWORD_ALICE_EXAMPLE_TEST');
  });

  it('read certificate names from SAN and CN', () => {
    const names = certificateNames({
      subject: { CN: 'Smtp.Example.Test' },
      subjectaltname: 'DNS:smtp.example.test, IP Address:1.2.3.4',
    } as never);
    assert.deepEqual(names, ['smtp.example.test', 'smtp.example.test']);
  });
});
