// Brute-force protection: the fail2ban filter against chasquid's own log lines (captured from
// Debian 12's chasquid 1.11 and Debian 13's 1.15 on sandboxes), the jail file, the blocked list
// read back from nftables, the yaml keys and the plan.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  blockedAddress,
  FAIL_REGEX,
  FILTER_CONF,
  FILTER_PATH,
  JAIL_PATH,
  jailConf,
  switchesSshdOff,
  parseBlocked,
} from '../../src/core/brute-force';
import { bruteForceSettings, parseConfig, type HostConfig } from '../../src/core/config';
import type { Facts } from '../../src/core/facts';
import { parseBruteForce } from '../../src/core/facts/parse';
import { sha256 } from '../../src/core/plan';
import { planBruteForce } from '../../src/core/plan/actions/brute-force';

/**
 * The journal as fail2ban's systemd backend sees it: one entry per message, a message's further
 * lines (journalctl indents them) part of it, "host ident[pid]: " in front.
 */
function journalEntries(file: string): string[] {
  const entries: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\S+ (\S+ \S+: .*)$/.exec(line);
    if (m) entries.push(m[1]!);
    else if (/^\s+\S/.test(line) && entries.length > 0) entries[entries.length - 1] += `\n${line.trim()}`;
  }
  return entries;
}

/**
 * FAIL_REGEX in JavaScript: fail2ban's __prefix_line (as fail2ban-regex prints it, shortened to
 * what a journal line can hold) and <ADDR> (any run of address characters; the capture is then
 * checked as an address, as fail2ban does). Without the multiline flag, as fail2ban compiles it.
 */
function failRegex(): RegExp {
  const source = FAIL_REGEX.trimEnd()
    .replace('%(__prefix_line)s', String.raw`\s*(?:\S+\s+)?(?:chasquid(?:\[\d+\])?:?\s+)?`)
    .replace('<ADDR>', '(?<addr>[0-9A-Fa-f:.]+?)');
  return new RegExp(source);
}

function failures(file: string): string[] {
  const re = failRegex();
  return journalEntries(file).flatMap((e) => {
    const addr = re.exec(e)?.groups?.addr;
    return addr ? [addr] : [];
  });
}

describe('the fail2ban filter on chasquid log lines', () => {
  for (const [file, client6, client4] of [
    ['chasquid-1.11-debian12.log', 'fd00:5eed:0:2::1', '198.51.100.9'],
    ['chasquid-1.15-debian13.log', 'fd00:5eed:0:3::1', '198.51.100.13'],
  ] as const) {
    const path = `test/fixtures/brute-force/${file}`;
    it(`${file}: each failed AUTH counts once, with the client's address (IPv4 and IPv6)`, () => {
      const found = failures(path);
      // Counted independently: the mail log lines "<addr>:<port> auth failed for", one per failure.
      const expected = journalEntries(path).filter((e) =>
        /^\S+ chasquid\[\d+\]: \S+:\d+ auth failed for /.test(e),
      );
      assert.equal(found.length, expected.length);
      assert.ok(found.length >= 5, `${found.length} failures in ${file}`);
      assert.ok(found.includes(client6) && found.includes(client4), found.join(' '));
      assert.deepEqual(new Set(found), new Set([client4, client6]));
    });
    it(`${file}: successes and chasquid's second error line do not count`, () => {
      const re = failRegex();
      for (const e of journalEntries(path)) {
        if (/auth succeeded|SMTP\.Conn/.test(e)) assert.equal(re.exec(e), null, e);
      }
    });
    it(`${file}: a user name that holds a log line cannot get another address blocked`, () => {
      const entries = journalEntries(path).filter((e) => e.includes('9.9.9.9'));
      assert.ok(entries.length >= 1, 'the captured log holds the forged line');
      assert.ok(!failures(path).includes('9.9.9.9'));
    });
  }
  it('reads the journal by chasquid identifier, and nothing else', () => {
    assert.match(FILTER_CONF, /^journalmatch = SYSLOG_IDENTIFIER=chasquid$/m);
    assert.match(FILTER_CONF, /^failregex = \^%\(__prefix_line\)s/m);
  });
});

describe('the jail', () => {
  const settings = { enabled: true, maxRetry: 7, findTime: '5m', banTime: '2d', ignore: ['203.0.113.0/24'] };
  it('blocks on the mail ports only, with the settings in seconds', () => {
    const conf = jailConf(settings, '198.51.100.13');
    assert.match(conf, /^\[mailwright-chasquid\]$/m);
    assert.match(conf, /^port = 25,465,587$/m);
    assert.match(conf, /^maxretry = 7$/m);
    assert.match(conf, /^findtime = 300$/m);
    assert.match(conf, /^bantime = 172800$/m);
    assert.match(conf, /^backend = systemd$/m);
    assert.match(conf, /^banaction = nftables\[type=multiport\]$/m);
  });
  it('never blocks loopback, the SSH client or the ignore list', () => {
    const conf = jailConf(settings, 'FD00:5EED:0:3:0:0:0:1');
    assert.match(conf, /^ignoreip = 127\.0\.0\.0\/8 ::1 fd00:5eed:0:3::1 203\.0\.113\.0\/24$/m);
    assert.match(
      jailConf(settings, 'not an address'),
      /^ignoreip = 127\.0\.0\.0\/8 ::1 203\.0\.113\.0\/24$/m,
    );
  });
  it("leaves SSH alone: the distribution's sshd jail is off where Mailwright installs fail2ban", () => {
    assert.match(jailConf(settings), /^\[sshd\]\nenabled = false$/m);
    assert.doesNotMatch(jailConf(settings, undefined, false), /sshd\]/);
    assert.match(jailConf(settings, undefined, false), /^\[mailwright-chasquid\]$/m);
  });
  it('a fail2ban that was there before keeps its sshd jail, and each later plan decides the same', () => {
    const off = (fail2banRunning: boolean, jail?: string, jailPresent = jail !== undefined) =>
      switchesSshdOff({ fail2banRunning, jailPresent, jail });
    // Fresh server, or a fail2ban installed and not running (Debian 12's sshd jail without a
    // syslog file stops it): the distribution's sshd jail would be new.
    assert.equal(off(false), true);
    // fail2ban already running and no jail file of Mailwright's: the administrator's own.
    assert.equal(off(true), false);
    // Once written, the jail file keeps its choice, whatever is installed now.
    assert.equal(off(true, jailConf(settings)), true);
    assert.equal(off(true, jailConf(settings, undefined, false)), false);
    assert.equal(off(false, jailConf(settings, undefined, false)), false);
    // A jail file whose text could not be read: the established default.
    assert.equal(off(true, undefined, true), true);
  });
});

describe('the blocked list', () => {
  const nft = (set: string, elem: unknown[]) =>
    JSON.stringify({ nftables: [{ metainfo: {} }, { set: { family: 'inet', name: set, elem } }] });
  it('reads both sets, canonical and sorted', () => {
    const text = `${nft('addr-set-mailwright-chasquid', ['203.0.113.9', '198.51.100.20'])}\n${nft('addr6-set-mailwright-chasquid', ['FD00::A', { elem: { val: '2001:db8::1', timeout: 60 } }])}\n`;
    assert.deepEqual(parseBlocked(text).addresses, [
      '198.51.100.20',
      '2001:db8::1',
      '203.0.113.9',
      'fd00::a',
    ]);
  });
  it('keeps what is not one address out of the list, shown escaped', () => {
    const text = nft('addr-set-x', [
      '1.2.3.4; rm -rf /',
      { prefix: { addr: '10.0.0.0', len: 8 } },
      '\x1b[2J',
    ]);
    const list = parseBlocked(`garbage\n${text}\n{not json`);
    assert.deepEqual(list.addresses, []);
    assert.equal(list.unreadable.length, 3);
    assert.ok(list.unreadable.every((u) => !u.includes('\x1b')));
  });
  it('an address given to unblock is checked first', () => {
    assert.equal(blockedAddress(' 2001:DB8::7 '), '2001:db8::7');
    assert.throws(() => blockedAddress('1.2.3.4; reboot'), /cannot be unblocked/);
    assert.throws(() => blockedAddress('10.0.0.0/8'), /cannot be unblocked/);
  });
  it('the facts read packages, service, files, the SSH client and the list', () => {
    const facts = parseBruteForce(
      [
        'pkg install ok installed|fail2ban|1.1.0-8',
        'pkg deinstall ok config-files|nftables|1.1.3-1',
        'ActiveState=active',
        'UnitFileState=enabled',
        `${'a'.repeat(64)}  ${JAIL_PATH}`,
        'ssh-client 198.51.100.13',
      ].join('\n'),
      nft('addr-set-mailwright-chasquid', ['203.0.113.9']),
    );
    assert.deepEqual(facts, {
      packages: { fail2ban: '1.1.0-8' },
      active: 'active',
      enabled: 'enabled',
      files: { [JAIL_PATH]: 'a'.repeat(64) },
      sshClient: '198.51.100.13',
      blocked: ['203.0.113.9'],
    });
    assert.equal(parseBruteForce('ssh-client \x1b[2J', undefined).sshClient, undefined);
  });
});

function hostWith(bruteForce: string | undefined): HostConfig {
  const yaml = `version: 1
hosts:
  - name: vps
    ssh: root@198.51.100.14
    mailHost: smtp.example.test
${bruteForce ? `    bruteForce: ${bruteForce}\n` : ''}`;
  const loaded = parseConfig(yaml, 'mailwright.yaml');
  assert.deepEqual(
    loaded.issues.filter((i) => i.severity === 'error').map((i) => i.message),
    [],
  );
  return loaded.config!.hosts[0]!;
}

describe('mailwright.yaml bruteForce', () => {
  it('is on by default: 10 failures in 10 minutes block for an hour', () => {
    assert.deepEqual(bruteForceSettings(hostWith(undefined)), {
      enabled: true,
      maxRetry: 10,
      findTime: '10m',
      banTime: '1h',
      ignore: [],
    });
  });
  it('reads every key, the ignore list normalized', () => {
    const host = hostWith(
      "{ maxRetry: 3, findTime: 1h, banTime: 2w, ignore: ['2001:DB8::/32', 203.0.113.7] }",
    );
    assert.deepEqual(host.bruteForce, {
      enabled: true,
      maxRetry: 3,
      findTime: '1h',
      banTime: '2w',
      ignore: ['2001:db8::/32', '203.0.113.7'],
    });
  });
  for (const [value, message] of [
    ['{ findTime: 10 }', /not a duration/],
    ['{ findTime: 2d }', /out of range: use 1m to 1d/],
    ['{ banTime: 30s }', /out of range/],
    ['{ maxRetry: 0 }', /from 1 to 100/],
    ['{ ignore: [1.2.3.4/40] }', /prefix length from 0 to 32/],
    ['{ ignore: example.com }', /not an IPv4 or IPv6 address/],
    ['{ enabled: yes }', /true or false/],
  ] as const) {
    it(`refuses ${value} naming the key`, () => {
      const loaded = parseConfig(
        `version: 1\nhosts:\n  - name: vps\n    ssh: root@198.51.100.14\n    mailHost: smtp.example.test\n    bruteForce: ${value}\n`,
        'mailwright.yaml',
      );
      const errors = loaded.issues.filter((i) => i.severity === 'error');
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.match(errors[0]!.path, /^hosts\[0\]\.bruteForce\./);
      assert.match(errors[0]!.message, message);
    });
  }
});

describe('the plan', () => {
  const base = {
    systemd: true,
    hasApt: true,
    chasquidState: { domains: {}, certs: {}, managed: {} },
    confFiles: {},
  } as unknown as Facts;
  const ctx = (host: HostConfig, bruteForce: Facts['bruteForce'], managed: Record<string, string> = {}) => ({
    host,
    facts: { ...base, bruteForce, chasquidState: { domains: {}, certs: {}, managed } } as Facts,
    now: new Date(),
  });
  const host = hostWith(undefined);
  const installed = { fail2ban: '1.1.0-8', nftables: '1.1.3-1', 'python3-systemd': '235-1' };

  it('a server without fail2ban: filter and jail first, then the packages, then the service', () => {
    const actions = planBruteForce(ctx(host, { packages: {}, files: {}, sshClient: '198.51.100.13' }));
    assert.deepEqual(
      actions.map((a) => a.id),
      ['brute-force:filter', 'brute-force:jail', 'brute-force:install', 'brute-force:service'],
    );
    assert.match(
      actions[1]!.reason,
      /10 failed logins within 10m block an address for 1h on ports 25, 465, 587/,
    );
    assert.match(actions[1]!.reason, /198\.51\.100\.13 \(this SSH login\)/);
  });
  it('a server whose fail2ban was there before: the jail leaves its sshd jail alone, and stays so', () => {
    const before = {
      packages: installed,
      files: {},
      active: 'active',
      enabled: 'enabled',
      sshClient: '198.51.100.13',
    };
    const jailAction = planBruteForce(ctx(host, before)).find((a) => a.id === 'brute-force:jail')!;
    const written = jailConf(bruteForceSettings(host), '198.51.100.13', false);
    assert.equal(jailAction.id, 'brute-force:jail');
    const files = { [FILTER_PATH]: sha256(FILTER_CONF), [JAIL_PATH]: sha256(written) };
    assert.deepEqual(planBruteForce(ctx(host, { ...before, files, jail: written }, files)), []);
  });
  it('nothing when everything is in place, drift when the jail was edited by hand', () => {
    const jail = jailConf(bruteForceSettings(host), '198.51.100.13');
    const files = { [FILTER_PATH]: sha256(FILTER_CONF), [JAIL_PATH]: sha256(jail) };
    const done = {
      packages: installed,
      files,
      active: 'active',
      enabled: 'enabled',
      sshClient: '198.51.100.13',
    };
    assert.deepEqual(planBruteForce(ctx(host, done, files)), []);
    const edited = { ...done, files: { ...files, [JAIL_PATH]: sha256(jail + 'maxretry = 1000\n') } };
    const drifted = planBruteForce(ctx(host, edited, files));
    assert.deepEqual(
      drifted.map((a) => a.id),
      ['brute-force:jail', 'brute-force:service'],
    );
    assert.equal(drifted[0]!.drift?.path, JAIL_PATH);
    // Another SSH client address: the jail changes so that it is never blocked either.
    assert.deepEqual(
      planBruteForce(ctx(host, { ...done, sshClient: '203.0.113.50' }, files)).map((a) => a.id),
      ['brute-force:jail', 'brute-force:service'],
    );
  });
  it('enabled: false removes the files it finds, and nothing once they are gone', () => {
    const off = hostWith('{ enabled: false }');
    const files = { [FILTER_PATH]: 'a'.repeat(64), [JAIL_PATH]: 'b'.repeat(64) };
    const actions = planBruteForce(
      ctx(off, { packages: installed, files, active: 'active', enabled: 'enabled' }),
    );
    assert.deepEqual(
      actions.map((a) => a.id),
      ['brute-force:remove'],
    );
    assert.deepEqual(planBruteForce(ctx(off, { packages: installed, files: {} })), []);
  });
});
