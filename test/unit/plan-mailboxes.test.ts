// Mailboxes: dovecot.conf per major version, and what the plan decides for domains with
// mailboxes (Dovecot, the mail store, chasquid's delivery agent, where users live).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DomainConfig, HostConfig } from '../../src/core/config';
import {
  AUTH_CLIENT_SOCKET,
  AUTH_USERDB_SOCKET,
  DOVECOT_CONF_PATH,
  DOVECOT_RELOAD,
  LMTP_SOCKET,
  dovecotConf,
  dovecotMajor,
} from '../../src/core/dovecot';
import type { Facts } from '../../src/core/facts';
import { planHost, sha256, type ApplyContext, type PlanContext } from '../../src/core/plan';
import { CHASQUID_CONF_PATH, desiredConf } from '../../src/core/plan/actions/conf';
import { planDomains } from '../../src/core/plan/actions/domains';
import {
  desiredDovecotConf,
  planDovecot,
  planMailboxStore,
  reloadDovecotForCertificate,
} from '../../src/core/plan/actions/mailboxes';

const MAIL_HOST = 'smtp.example.test';
const CERT = {
  certFile: `/etc/chasquid/certs/${MAIL_HOST}/fullchain.pem`,
  keyFile: `/etc/chasquid/certs/${MAIL_HOST}/privkey.pem`,
};

function domain(over: Partial<DomainConfig> = {}): DomainConfig {
  return {
    name: 'example.test',
    users: ['alice', 'bob'],
    aliases: { postmaster: ['alice'] },
    mailboxes: true,
    dkim: { algorithms: ['rsa2048'], selector: 'auto' },
    spf: { include: [] },
    ...over,
  };
}

function hostWith(...domains: DomainConfig[]): HostConfig {
  return {
    name: 'vps',
    ssh: { user: 'root', host: '198.51.100.14', port: 22 },
    auth: 'key',
    mailHost: MAIL_HOST,
    domains,
  };
}

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

/** Dovecot installed and configured by Mailwright, with the given users. */
function withDovecot(facts: Facts, version: string, users: string[]): Facts {
  const conf = desiredDovecotConf(hostWith(domain()), version) ?? '# an older Dovecot\n';
  return {
    ...facts,
    listening: [...facts.listening, { address: '::', port: 993 }],
    confFiles: { ...facts.confFiles, [DOVECOT_CONF_PATH]: sha256(conf) },
    chasquidState: {
      ...facts.chasquidState!,
      managed: { ...facts.chasquidState!.managed, [DOVECOT_CONF_PATH]: sha256(conf) },
    },
    dovecot: {
      installed: true,
      version,
      active: 'active',
      enabled: 'enabled',
      storeUser: 'vmail:999',
      storeDir: 'vmail:vmail 750',
      conf,
      users,
    },
  };
}

const ctxOf = (facts: Facts, host: HostConfig): PlanContext => ({ host, facts, now: new Date('2026-01-01') });

describe('dovecot.conf generators', () => {
  it('reads the major version from dpkg and plain versions', () => {
    assert.equal(dovecotMajor('1:2.4.1+dfsg1-6+deb13u7'), '2.4');
    assert.equal(dovecotMajor('1:2.3.19.1+dfsg1-2.1+deb12u7'), '2.3');
    assert.equal(dovecotMajor('2.3.16'), '2.3');
    assert.equal(dovecotMajor('1:2.2.33.2-1'), undefined);
    assert.equal(dovecotMajor('3.0.0'), undefined);
  });

  it('2.4: version settings first, 2.4 names, no 2.3 settings', () => {
    const conf = dovecotConf('2.4', CERT);
    const settings = conf.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(settings.slice(0, 2), [
      'dovecot_config_version = 2.4.0',
      'dovecot_storage_version = 2.4.0',
    ]);
    assert.match(conf, new RegExp(`^ssl_server_cert_file = ${CERT.certFile}$`, 'm'));
    assert.match(conf, new RegExp(`^ssl_server_key_file = ${CERT.keyFile}$`, 'm'));
    assert.match(conf, /^auth_allow_cleartext = no$/m);
    assert.match(
      conf,
      /^passdb passwd-file \{\n {2}passwd_file_path = \/etc\/dovecot\/mailwright-users\n {2}default_password_scheme = SHA512-CRYPT\n\}$/m,
    );
    assert.match(conf, /^mail_home = \/var\/mail\/vhosts\/%\{user \| domain\}\/%\{user \| username\}$/m);
    for (const old of ['ssl_cert', 'ssl_key', 'disable_plaintext_auth', 'mail_location', '%d', '%n'])
      assert.ok(!conf.includes(old), `no ${old} in 2.4`);
    assert.doesNotMatch(conf, /^\s*driver =/m);
  });

  it('2.3: the 2.3 names, certificate read with <, no 2.4 settings', () => {
    const conf = dovecotConf('2.3', CERT);
    assert.match(conf, new RegExp(`^ssl_cert = <${CERT.certFile}$`, 'm'));
    assert.match(conf, new RegExp(`^ssl_key = <${CERT.keyFile}$`, 'm'));
    assert.match(conf, /^disable_plaintext_auth = yes$/m);
    assert.match(conf, /^mail_location = maildir:~\/Maildir$/m);
    assert.match(conf, /^ {2}args = scheme=SHA512-CRYPT \/etc\/dovecot\/mailwright-users$/m);
    for (const newer of [
      'dovecot_config_version',
      'ssl_server_',
      'auth_allow_cleartext',
      'mail_driver',
      'passwd_file_path',
    ])
      assert.ok(!conf.includes(newer), `no ${newer} in 2.3`);
  });

  for (const major of ['2.3', '2.4'] as const) {
    it(`${major}: IMAPS only on 993, TLS required, LMTP and auth sockets for chasquid`, () => {
      const conf = dovecotConf(major, CERT);
      assert.match(conf, /^ssl = required$/m);
      assert.match(conf, /^protocols = imap lmtp$/m);
      assert.match(conf, /inet_listener imap \{\n {4}port = 0\n {2}\}/);
      assert.match(conf, /inet_listener imaps \{\n {4}port = 993\n {4}ssl = yes\n {2}\}/);
      for (const socket of [LMTP_SOCKET, AUTH_USERDB_SOCKET, AUTH_CLIENT_SOCKET]) {
        const name = socket.split('/').pop()!;
        assert.match(
          conf,
          new RegExp(`unix_listener ${name} \\{\\n    mode = 06[06]0\\n    user = chasquid\\n  \\}`),
        );
      }
      assert.ok(!/pop3|submission/.test(conf));
      // Braces balance (doveconf on the sandboxes is the real check).
      assert.equal(conf.split('{').length, conf.split('}').length);
    });
  }

  it('refuses a certificate path that would need quoting', () => {
    assert.throws(
      () => dovecotConf('2.4', { ...CERT, certFile: '/etc/x y/cert.pem' }),
      /plain absolute path/,
    );
  });
});

describe('planning mailboxes', () => {
  it('plans nothing of Dovecot for forward-only domains, and chasquid.conf keeps no delivery agent', () => {
    const host = hostWith(domain({ mailboxes: false, aliases: { '*': ['me@elsewhere.test'] } }));
    assert.deepEqual(
      [...planMailboxStore(ctxOf(freshFacts(), host)), ...planDovecot(ctxOf(freshFacts(), host))],
      [],
    );
    const conf = desiredConf('hostname: "x.test"\n', MAIL_HOST, true, false);
    assert.ok(!conf.content.includes('mda-lmtp'));
  });

  it('a fresh server: Dovecot before chasquid.conf, dovecot.conf after the certificate, chasquid last', () => {
    const plan = planHost(hostWith(domain()), freshFacts());
    const ids = plan.actions.map((a) => a.id);
    const at = (id: string) => {
      const i = ids.indexOf(id);
      assert.ok(i >= 0, `${id} in ${ids.join(', ')}`);
      return i;
    };
    assert.ok(at('install:chasquid') < at('install:dovecot'));
    assert.ok(at('install:dovecot') < at('mailboxes:store'));
    assert.ok(at('mailboxes:store') < at('conf:chasquid.conf'));
    assert.ok(at('users:example.test') < at('mailboxes:dovecot.conf'));
    assert.ok(at(`certificate:${MAIL_HOST}`) < at('mailboxes:dovecot.conf'));
    assert.ok(at('mailboxes:dovecot.conf') < at('service:dovecot'));
    assert.ok(at('service:dovecot') < at('service:chasquid'));
    assert.equal(plan.actions[at('install:dovecot')]!.refreshesFacts, true);
    assert.match(
      plan.actions[at('users:example.test')]!.reason,
      /alice, bob in mailwright.yaml but not on the server: adding/,
    );
  });

  it('chasquid.conf delivers through mda-lmtp and authenticates through Dovecot, and forgets both without mailboxes', () => {
    const stock = '# chasquid\nhostname: "smtp.example.test"\n';
    const on = desiredConf(stock, MAIL_HOST, true, true);
    assert.match(on.content, /^mail_delivery_agent_bin: "\/usr\/bin\/mda-lmtp"$/m);
    assert.match(on.content, /--addr/);
    assert.match(on.content, /"\/run\/dovecot\/lmtp"/);
    assert.match(on.content, /^dovecot_auth: true$/m);
    assert.match(on.content, /^dovecot_userdb_path: "\/run\/dovecot\/auth-chasquid-userdb"$/m);
    assert.match(on.content, /^dovecot_client_path: "\/run\/dovecot\/auth-chasquid-client"$/m);
    assert.ok(on.changes.some((c) => /mail_delivery_agent_bin is not set/.test(c)));
    assert.deepEqual(desiredConf(on.content, MAIL_HOST, true, true).changes, [], 'stable');
    const off = desiredConf(on.content, MAIL_HOST, true, false);
    assert.equal(off.content, stock);
  });

  for (const [os, version, major] of [
    ['Debian 13', '1:2.4.1+dfsg1-6+deb13u7', '2.4'],
    ['Debian 12', '1:2.3.19.1+dfsg1-2.1+deb12u7', '2.3'],
    ['Ubuntu 22.04', '1:2.3.16+dfsg1-3ubuntu2', '2.3'],
  ] as const) {
    it(`${os}: the installed Dovecot's major decides the syntax; nothing to do once written`, () => {
      const host = hostWith(domain());
      const desired = desiredDovecotConf(host, version)!;
      assert.equal(desired, dovecotConf(major, CERT));
      const facts = withDovecot(freshFacts(), version, ['alice@example.test', 'bob@example.test']);
      assert.deepEqual(
        planDovecot(ctxOf(facts, host)).map((a) => a.id),
        [],
      );
      assert.deepEqual(
        planMailboxStore(ctxOf(facts, host)).map((a) => a.id),
        [],
      );
    });
  }

  it("the distribution's dovecot.conf is replaced, saying so", () => {
    const host = hostWith(domain());
    const facts = withDovecot(freshFacts(), '1:2.4.1', []);
    facts.confFiles![DOVECOT_CONF_PATH] = sha256('debian');
    delete facts.chasquidState!.managed[DOVECOT_CONF_PATH];
    facts.dovecot.conf = 'debian';
    const actions = planDovecot(ctxOf(facts, host));
    assert.deepEqual(
      actions.map((a) => a.id),
      ['mailboxes:dovecot.conf', 'service:dovecot'],
    );
    assert.match(actions[0]!.reason, /distribution's/);
    assert.equal(actions[0]!.drift, undefined, 'not a hand edit of ours');
  });

  it('an unsupported Dovecot fails with the reason instead of writing a file it would refuse', async () => {
    const facts = withDovecot(freshFacts(), '1:2.2.33', []);
    const [conf] = planDovecot(ctxOf(facts, hostWith(domain())));
    assert.match(conf!.reason, /neither 2\.3 nor 2\.4/);
    await assert.rejects(conf!.apply({} as never), /neither 2\.3 nor 2\.4/);
  });

  it('a stopped or disabled Dovecot, or nothing on 993, gets the service action', () => {
    const facts = withDovecot(freshFacts(), '1:2.4.1', []);
    facts.dovecot.active = 'failed';
    facts.listening = facts.listening.filter((l) => l.port !== 993);
    const [service] = planDovecot(ctxOf(facts, hostWith(domain())));
    assert.equal(service!.id, 'service:dovecot');
    assert.match(service!.reason, /dovecot is failed, must be active; nothing listens on port 993/);
  });

  it('a mail store folder with the wrong owner or mode is put right', () => {
    const facts = withDovecot(freshFacts(), '1:2.4.1', []);
    facts.dovecot.storeDir = 'root:mail 2775';
    const [store] = planMailboxStore(ctxOf(facts, hostWith(domain())));
    assert.match(store!.reason, /\/var\/mail\/vhosts is root:mail 2775, must be vmail:vmail 750/);
  });

  it('users moving from forward-only to mailboxes need their password again', () => {
    const facts = withDovecot(freshFacts(), '1:2.4.1', ['bob@example.test']);
    facts.chasquidState!.domains['example.test'] = { files: ['users'], users: ['alice'] };
    const [users] = planDomains(ctxOf(facts, hostWith(domain()))).filter(
      (a) => a.id === 'users:example.test',
    );
    assert.match(
      users!.reason,
      /alice get a mailbox: Dovecot's mailbox users cannot read the password kept in chasquid's users file, so it is asked again/,
    );
  });

  it('and back: users of a domain that loses its mailboxes go to chasquid again, leaving Dovecot', () => {
    const facts = withDovecot(freshFacts(), '1:2.4.1', [
      'alice@example.test',
      'bob@example.test',
      'carol@other.test',
    ]);
    const host = hostWith(domain({ mailboxes: false, aliases: { '*': ['me@elsewhere.test'] } }));
    const [users] = planDomains(ctxOf(facts, host)).filter((a) => a.id === 'users:example.test');
    assert.match(users!.reason, /alice, bob lose their mailbox/);
    assert.ok(!users!.reason.includes('carol'), "another domain's users are not touched");
  });

  it('a mailbox domain whose users are all in Dovecot plans no user change', () => {
    const facts = withDovecot(freshFacts(), '1:2.4.1', ['alice@example.test', 'bob@example.test']);
    facts.chasquidState!.domains['example.test'] = { files: [], users: [] };
    assert.deepEqual(
      planDomains(ctxOf(facts, hostWith(domain()))).filter((a) => a.id.startsWith('users:')),
      [],
    );
  });

  it('chasquid.conf is planned with the delivery agent on a server that has chasquid', () => {
    const facts = freshFacts();
    facts.chasquid = { installed: true, version: '1.15.0-1+b4', active: 'active', enabled: 'enabled' };
    facts.chasquidState!.conf = 'hostname: "smtp.example.test"\n';
    facts.confFiles![CHASQUID_CONF_PATH] = sha256(facts.chasquidState!.conf);
    const plan = planHost(hostWith(domain()), facts);
    const conf = plan.actions.find((a) => a.id === 'conf:chasquid.conf');
    assert.match(
      conf!.reason,
      /mail_delivery_agent_bin is not set, must be "\/usr\/bin\/mda-lmtp" \(mailboxes\)/,
    );
  });

  it('a new certificate reloads Dovecot on a host with mailboxes, and only there', async () => {
    for (const [mailboxes, expected] of [
      [true, [DOVECOT_RELOAD]],
      [false, []],
    ] as const) {
      const ran: string[] = [];
      const ctx = {
        host: hostWith(domain({ mailboxes, aliases: { '*': ['me@elsewhere.test'] } })),
        log: () => undefined,
        run: (line: string) => {
          ran.push(line);
          return Promise.resolve({ stdout: '', stderr: '', exitCode: 0 });
        },
      } as unknown as ApplyContext;
      await reloadDovecotForCertificate(ctx);
      assert.deepEqual(ran, expected);
    }
  });
});
