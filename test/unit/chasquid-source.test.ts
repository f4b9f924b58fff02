// Which chasquid a server gets (the distribution's or the pinned Debian 13 package), from facts
// of real systems: Ubuntu 22.04 and 24.04 fixtures in the facts script's output format.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  compareDebianVersions,
  decideChasquidSource,
  PINNED_CHASQUID,
  pinnedDebFor,
  pinnedDebUrl,
  type ChasquidSourceFacts,
} from '../../src/core/chasquid';
import { parseConfig, type ChasquidSource, type HostConfig } from '../../src/core/config';
import { parseAptPolicy, parseFacts, type Facts } from '../../src/core/facts';
import { planHost, UnplannableError } from '../../src/core/plan';
import { planIpv6 } from '../../src/core/plan/actions/ipv6';
import { keyed, TEST_KEY } from './facts-report';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', 'facts', name), 'utf8');
const jammy = () => parseFacts(keyed(fixture('ubuntu2204-cloud-sudo.txt')), TEST_KEY, 5);
const nobleArm = () => parseFacts(keyed(fixture('ubuntu2404-arm64-chasquid-removed.txt')), TEST_KEY, 5);

function hostWith(chasquid?: ChasquidSource): HostConfig {
  return {
    name: 'vps',
    ssh: { user: 'ubuntu', host: '203.0.113.45', port: 22 },
    auth: 'agent',
    mailHost: 'smtp.example.test',
    ...(chasquid && { chasquid }),
    domains: [
      {
        name: 'example.test',
        users: [],
        aliases: { '*': ['me@gmail.com'] },
        mailboxes: false,
        dkim: { algorithms: ['rsa2048'], selector: 'auto' },
        spf: { include: [] },
      },
    ],
  };
}

function refusal(host: HostConfig, facts: Facts): string {
  try {
    planHost(host, facts, new Date('2026-12-01'));
  } catch (e) {
    assert.ok(e instanceof UnplannableError, String(e));
    return e.message;
  }
  assert.fail('the plan was not refused');
}

const installAction = (host: HostConfig, facts: Facts) =>
  planHost(host, facts, new Date('2026-12-01')).actions.find((a) => a.id === 'install:chasquid');

describe('the pinned chasquid package', () => {
  it('is one version with a sha256 per architecture, on Debian’s archive', () => {
    assert.match(PINNED_CHASQUID.version, /^\d+\.\d+\.\d+-\S+$/);
    for (const deb of PINNED_CHASQUID.debs) {
      assert.match(deb.sha256, /^[0-9a-f]{64}$/);
      assert.equal(deb.filename, `pool/main/c/chasquid/chasquid_${PINNED_CHASQUID.version}_${deb.arch}.deb`);
      assert.ok(pinnedDebUrl(deb).startsWith('http://deb.debian.org/debian/pool/'));
    }
    assert.equal(pinnedDebFor('amd64')?.sha256.slice(0, 8), '8c9307e2');
    assert.equal(pinnedDebFor('arm64')?.sha256.slice(0, 8), 'd13da56d');
    assert.equal(pinnedDebFor('armhf'), undefined);
    assert.equal(pinnedDebFor(''), undefined);
  });

  it('orders dpkg versions like dpkg --compare-versions', () => {
    const ordered = [
      '1.8-1',
      '1.8-1ubuntu0.3',
      '1.11-2+b2',
      '1.13-1ubuntu0.3',
      '1.15.0~rc1-1',
      '1.15.0-1',
      '1.15.0-1+b4',
      '1.15.0-1+b10',
      '1.15.1-1',
      '1:0.1-1',
    ];
    for (let i = 0; i + 1 < ordered.length; i++) {
      assert.ok(compareDebianVersions(ordered[i]!, ordered[i + 1]!) < 0, `${ordered[i]} < ${ordered[i + 1]}`);
      assert.ok(compareDebianVersions(ordered[i + 1]!, ordered[i]!) > 0, `${ordered[i + 1]} > ${ordered[i]}`);
    }
    assert.equal(compareDebianVersions('1.15.0-1+b4', '1.15.0-1+b4'), 0);
    assert.equal(compareDebianVersions('1.10', '1.010'), 0);
  });
});

describe('reading apt-cache policy', () => {
  it('tells what the distribution offers apart from a package installed from a file', () => {
    const afterPinned = `chasquid:
  Installed: 1.15.0-1+b4
  Candidate: 1.15.0-1+b4
  Version table:
 *** 1.15.0-1+b4 100
        100 /var/lib/dpkg/status
     1.11-2+b2 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
`;
    assert.deepEqual(parseAptPolicy(afterPinned), {
      installed: '1.15.0-1+b4',
      candidate: '1.15.0-1+b4',
      offered: '1.11-2+b2',
      installedFrom: 'file',
    });
    const fromDebian = `chasquid:
  Installed: 1.11-2+b2
  Candidate: 1.11-2+b2
  Version table:
 *** 1.11-2+b2 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
        100 /var/lib/dpkg/status
`;
    assert.equal(parseAptPolicy(fromDebian).installedFrom, 'archive');
    const emptyLists = 'chasquid:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n';
    assert.deepEqual(parseAptPolicy(emptyLists), {
      installed: undefined,
      candidate: undefined,
      offered: undefined,
    });
    assert.deepEqual(parseAptPolicy(''), { installed: undefined, candidate: undefined, offered: undefined });
  });
});

describe('Ubuntu facts', () => {
  it('reads Ubuntu 22.04: supported, amd64, chasquid 1.8 offered, not installed', () => {
    const f = jammy();
    assert.equal(f.os.id, 'ubuntu');
    assert.equal(f.os.versionId, '22.04');
    assert.equal(f.os.codename, 'jammy');
    assert.equal(f.os.supported, true);
    assert.equal(f.packageArch, 'amd64');
    assert.equal(f.sudo, 'nopasswd');
    assert.deepEqual(f.ipv6.netplanFiles, ['/etc/netplan/50-cloud-init.yaml']);
    assert.deepEqual(f.chasquid, {
      installed: false,
      version: undefined,
      offered: '1.8-1ubuntu0.3',
      binary: undefined,
      active: 'inactive',
      enabled: undefined,
    });
  });

  it('reads Ubuntu 24.04 on arm64 where chasquid was removed: its leftover configuration is not an install', () => {
    const f = nobleArm();
    assert.equal(f.os.versionId, '24.04');
    assert.equal(f.os.supported, true);
    assert.equal(f.arch, 'aarch64');
    assert.equal(f.packageArch, 'arm64');
    assert.deepEqual(f.addresses.ipv6, ['2001:db8:c0de:1::1']);
    assert.equal(f.chasquid.installed, false, 'dpkg says "deinstall ok config-files"');
    assert.equal(f.chasquid.version, undefined);
    assert.equal(f.chasquid.offered, '1.13-1ubuntu0.3');
    assert.ok(
      f.chasquidState?.conf?.includes('chasquid configuration'),
      'the kept chasquid.conf is still read',
    );
  });

  it('counts an installed (or held) package, and falls back to uname for the architecture', () => {
    const installed = parseFacts(
      keyed('@@mw:chasquid-pkg\nhold ok installed|1.15.0-1+b4\n@@mw:uname\n6.1\naarch64\n@@mw:end\n'),
      TEST_KEY,
      1,
    );
    assert.equal(installed.chasquid.installed, true);
    assert.equal(installed.chasquid.version, '1.15.0-1+b4');
    assert.equal(installed.packageArch, 'arm64');
    const halfInstalled = parseFacts(
      keyed('@@mw:chasquid-pkg\ninstall ok unpacked|1.15.0-1+b4\n@@mw:end\n'),
      TEST_KEY,
      1,
    );
    assert.equal(halfInstalled.chasquid.installed, false);
  });
});

describe('choosing the chasquid package', () => {
  const base: ChasquidSourceFacts = { candidate: 'unknown', arch: 'amd64', system: 'Test OS' };
  const kind = (setting: ChasquidSource, f: Partial<ChasquidSourceFacts>) =>
    decideChasquidSource(setting, { ...base, ...f }).kind;

  it('auto: the distribution’s chasquid when it signs DKIM itself, else the pinned package', () => {
    assert.equal(kind('auto', { candidate: '1.15.0-1+b4' }), 'distribution');
    assert.equal(kind('auto', { candidate: '1.11-2+b2' }), 'pinned');
    assert.equal(
      kind('auto', { candidate: '1.13-1ubuntu0.3', arch: 'armhf' }),
      'distribution',
      'legacy without a pinned build',
    );
    assert.equal(kind('auto', { candidate: '1.8-1ubuntu0.3', arch: 'armhf' }), 'refused');
    assert.equal(kind('auto', { candidate: 'unknown' }), 'after-update');
    assert.equal(kind('auto', { candidate: 'none' }), 'pinned');
    assert.equal(kind('auto', { installed: '1.15.0-1+b4' }), 'keep');
    assert.equal(kind('auto', { installed: '1.11-2+b2', arch: 'armhf' }), 'keep');
  });

  it('auto on an installed chasquid: a working one stays, one too old or an earlier pin is replaced', () => {
    assert.equal(
      kind('auto', { installed: '1.11-2+b2', installedFrom: 'archive' }),
      'keep',
      'its DKIM hook keeps working',
    );
    assert.equal(kind('auto', { installed: '1.8-1ubuntu0.3', installedFrom: 'archive' }), 'pinned');
    assert.equal(kind('auto', { installed: '1.15.0-1+b3', installedFrom: 'file' }), 'pinned', 'a pin bump');
    assert.equal(
      kind('auto', { installed: '1.15.0-1+b3', installedFrom: 'archive' }),
      'keep',
      "the distribution's own",
    );
    assert.equal(kind('auto', { installed: PINNED_CHASQUID.version, installedFrom: 'file' }), 'keep');
  });

  it('distribution: what the distribution offers, refused below 1.10', () => {
    assert.equal(kind('distribution', { candidate: '1.11-2+b2' }), 'distribution');
    assert.equal(kind('distribution', { candidate: '1.8-1ubuntu0.3' }), 'refused');
    assert.equal(kind('distribution', { candidate: 'none' }), 'refused');
    assert.equal(kind('distribution', { candidate: 'unknown' }), 'after-update');
    assert.equal(kind('distribution', { installed: '1.11-2+b2' }), 'keep');
  });

  it('debian: always the pinned package, upgraded when the pin is newer, refused where it is not built', () => {
    assert.equal(kind('debian', { candidate: '1.15.0-1+b4' }), 'pinned');
    assert.equal(kind('debian', { installed: PINNED_CHASQUID.version }), 'keep');
    assert.equal(
      kind('debian', { installed: '1.15.0-1+b5' }),
      'keep',
      'a newer chasquid is never downgraded',
    );
    const bump = decideChasquidSource('debian', { ...base, installed: '1.15.0-1+b3' });
    assert.equal(bump.kind === 'pinned' && bump.upgradeFrom, '1.15.0-1+b3');
    assert.equal(kind('debian', { arch: 'ppc64el' }), 'refused');
  });
});

describe('the plan on Ubuntu', () => {
  it('22.04 + auto installs the pinned package', () => {
    const action = installAction(hostWith(), jammy());
    assert.equal(
      action?.title,
      `Install chasquid ${PINNED_CHASQUID.version} (Debian 13's package, sha256-pinned)`,
    );
    assert.match(
      action!.reason,
      /Ubuntu 22\.04\.5 LTS offers chasquid 1\.8-1ubuntu0\.3, which has no built-in DKIM/,
    );
  });

  it('24.04 + auto installs the pinned package (arm64 build)', () => {
    const action = installAction(hostWith('auto'), nobleArm());
    assert.equal(
      action?.title,
      `Install chasquid ${PINNED_CHASQUID.version} (Debian 13's package, sha256-pinned)`,
    );
    assert.match(action!.reason, /offers chasquid 1\.13-1ubuntu0\.3/);
  });

  it('24.04 + distribution installs Ubuntu’s 1.13, which signs DKIM through the legacy hook', () => {
    const action = installAction(hostWith('distribution'), nobleArm());
    assert.equal(action?.title, 'Install chasquid from the distribution packages');
    assert.match(action!.reason, /offers 1\.13-1ubuntu0\.3/);
    const installed = nobleArm();
    installed.chasquid = {
      installed: true,
      version: '1.13-1ubuntu0.3',
      active: 'active',
      enabled: 'enabled',
    };
    const plan = planHost(hostWith('distribution'), installed, new Date('2026-12-01'));
    assert.ok(
      plan.notes.some((n) => /legacy post-data hook with python3-dkim/.test(n)),
      plan.notes.join('\n'),
    );
    assert.equal(
      plan.actions.find((a) => a.id === 'install:chasquid'),
      undefined,
    );
  });

  it('22.04 + distribution is refused before any change, naming the version and the fix', () => {
    const facts = jammy();
    // The first action a plan would take changes the server (IPv6 in netplan): the refusal comes first.
    facts.addresses.ipv6 = [];
    facts.ipv6.disabledBySysctl = true;
    const ipv6 = planIpv6({ host: hostWith('distribution'), facts, now: new Date() });
    assert.ok(ipv6.length > 0, 'planIpv6 alone would change netplan');
    const message = refusal(hostWith('distribution'), facts);
    assert.match(message, /nothing is changed/);
    assert.match(message, /Ubuntu 22\.04\.5 LTS offers chasquid 1\.8-1ubuntu0\.3, which is too old/);
    assert.match(message, /set chasquid: debian/);
  });

  it('an installed 1.8 is upgraded by auto and refused by distribution, with the fix', () => {
    const facts = jammy();
    facts.chasquid = {
      installed: true,
      version: '1.8-1ubuntu0.3',
      offered: '1.8-1ubuntu0.3',
      active: 'active',
    };
    assert.match(
      installAction(hostWith(), facts)!.title,
      /^Upgrade chasquid 1\.8-1ubuntu0\.3 → 1\.15\.0-1\+b4/,
    );
    assert.match(refusal(hostWith('distribution'), facts), /too old.*Or set chasquid: debian/s);
  });

  it('refuses an unsupported system, and an architecture the pinned package is not built for', () => {
    const focal = jammy();
    focal.os = { ...focal.os, versionId: '20.04', prettyName: 'Ubuntu 20.04.6 LTS', supported: false };
    const message = refusal(hostWith(), focal);
    assert.match(message, /runs Ubuntu 20\.04\.6 LTS, which Mailwright does not provision/);
    assert.match(message, /Debian 12\/13 or Ubuntu 22\.04\/24\.04/);

    const riscv = jammy();
    riscv.packageArch = 'riscv64';
    assert.match(
      refusal(hostWith('debian'), riscv),
      /pins Debian 13's chasquid 1\.15\.0-1\+b4 for amd64 or arm64 only, and this server is riscv64.*chasquid: distribution/,
    );
    assert.match(refusal(hostWith('auto'), riscv), /too old.*install the server with Debian 13/);
  });

  it('a pin bump upgrades a server that has the previous pinned package', () => {
    const facts = jammy();
    facts.chasquid = {
      installed: true,
      version: '1.15.0-1+b3',
      offered: '1.8-1ubuntu0.3',
      installedFrom: 'file',
      active: 'active',
      enabled: 'enabled',
    };
    for (const setting of ['auto', 'debian'] as const) {
      const action = installAction(hostWith(setting), facts);
      assert.equal(
        action?.title,
        `Upgrade chasquid 1.15.0-1+b3 → ${PINNED_CHASQUID.version} (Debian 13's package, sha256-pinned)`,
      );
      const plan = planHost(hostWith(setting), facts, new Date('2026-12-01'));
      assert.ok(
        plan.actions.some((a) => a.kind === 'service'),
        'chasquid is restarted after the upgrade',
      );
    }
  });

  it('a Debian 12 server already on 1.11 keeps it under auto; chasquid: debian upgrades it and says what DKIM needs', () => {
    const facts = jammy();
    facts.os = { ...facts.os, id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' };
    facts.chasquid = {
      installed: true,
      version: '1.11-2+b2',
      offered: '1.11-2+b2',
      installedFrom: 'archive',
      active: 'active',
      enabled: 'enabled',
    };
    const kept = planHost(hostWith(), facts, new Date('2026-12-01'));
    assert.equal(
      kept.actions.find((a) => a.id === 'install:chasquid'),
      undefined,
    );
    assert.ok(
      kept.notes.some((n) => /chasquid: debian would install the pinned Debian 13 package/.test(n)),
      kept.notes.join('\n'),
    );
    const upgraded = planHost(hostWith('debian'), facts, new Date('2026-12-01'));
    assert.match(
      upgraded.actions.find((a) => a.id === 'install:chasquid')!.title,
      /^Upgrade chasquid 1\.11-2\+b2 → /,
    );
    assert.ok(
      upgraded.notes.some((n) =>
        /RSA key moves to domains\/<domain>\/dkim:<selector>\.pem under the same selector/.test(n),
      ),
      upgraded.notes.join('\n'),
    );
    // The hook's files are there: the DKIM step of the same run says it keeps the key.
    const withHook = structuredClone(facts);
    withHook.confFiles = {
      ...withHook.confFiles,
      '/etc/chasquid/certs/example.test/dkim_privkey.pem': 'a'.repeat(64),
    };
    withHook.chasquidState = {
      ...(withHook.chasquidState ?? { certs: {}, managed: {} }),
      domains: { 'example.test': { files: ['aliases', 'dkim_selector'], users: [] } },
    };
    const switched = planHost(hostWith('debian'), withHook, new Date('2026-12-01'));
    const ids = switched.actions.map((a) => a.id);
    const dkim = switched.actions.find((a) => a.id === 'dkim:example.test');
    assert.ok(ids.indexOf('install:chasquid') < ids.indexOf('dkim:example.test'), ids.join(', '));
    assert.match(
      dkim?.title ?? '',
      /^Move the post-data hook's DKIM key of example\.test into chasquid's own layout/,
    );
    assert.match(dkim?.reason ?? '', /the DNS record already published stays valid/);
  });
});

describe('the chasquid key in mailwright.yaml', () => {
  const yaml = (value: string) =>
    `version: 1\nhosts:\n  - name: vps\n    ssh: root@203.0.113.45\n    mailHost: smtp.example.test\n    chasquid: ${value}\n`;

  it('reads auto, distribution and debian; absent means auto', () => {
    assert.equal(parseConfig(yaml('debian')).config?.hosts[0]?.chasquid, 'debian');
    assert.equal(parseConfig(yaml('distribution')).config?.hosts[0]?.chasquid, 'distribution');
    const absent = parseConfig(
      'version: 1\nhosts:\n  - name: vps\n    ssh: root@h\n    mailHost: smtp.example.test\n',
    );
    assert.equal(absent.config?.hosts[0]?.chasquid, undefined);
  });

  it('reports a misspelled value at its position with the allowed values', () => {
    const { config, issues } = parseConfig(yaml('debain'));
    assert.equal(config, undefined);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.path, 'hosts[0].chasquid');
    assert.equal(issues[0]!.line, 6);
    assert.equal(issues[0]!.column, 15);
    assert.match(issues[0]!.hint, /Did you mean "debian"\? Use one of: auto, distribution, debian\./);
  });
});
