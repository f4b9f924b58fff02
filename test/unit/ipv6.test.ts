import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { Facts } from '../../src/core/facts';
import { enableIpv6InSysctl, ipv6Notes, planIpv6 } from '../../src/core/plan/actions/ipv6';
import { enableIpv6InNetplan } from '../../src/core/plan/actions/netplan';
import type { PlanContext } from '../../src/core/plan/types';

const fixture = readFileSync(join(__dirname, 'fixtures', 'netplan', '01-netcfg.yaml'), 'utf8');

function ctx(ipv6: string[], netplanFiles: string[], disabledBySysctl = false): PlanContext {
  const facts = { addresses: { ipv4: ['203.0.113.45'], ipv6 }, ipv6: { disabledBySysctl, netplanFiles } };
  return { facts: facts as unknown as Facts, host: {} as PlanContext['host'], now: new Date() };
}

describe('netplan IPv6 edit', () => {
  const edit = enableIpv6InNetplan(fixture);

  it('uncomments the IPv6 address and gateway6 of the Contabo file', () => {
    assert.deepEqual(edit.errors, []);
    assert.deepEqual(edit.uncommented, [16, 18]);
    assert.deepEqual(edit.ipv6Addresses, ['2a02:c207:2054:1234:0000:0000:0000:0001/64']);
    const eth0 = (parse(edit.text) as { network: { ethernets: { eth0: Record<string, unknown> } } }).network
      .ethernets.eth0;
    assert.deepEqual(eth0.addresses, ['203.0.113.45/20', '2a02:c207:2054:1234:0000:0000:0000:0001/64']);
    assert.equal(eth0.gateway6, 'fe80::1');
    assert.equal(eth0.gateway4, '203.0.113.1');
  });

  it('keeps every other line, comments included, byte for byte', () => {
    const before = fixture.split('\n');
    const after = edit.text.split('\n');
    assert.equal(after.length, before.length);
    for (let i = 0; i < before.length; i++) {
      if (edit.uncommented.includes(i + 1)) continue;
      assert.equal(after[i], before[i]);
    }
    assert.match(edit.text, /^# This file is generated from information provided by the datasource/);
    assert.match(edit.text, /# link-local, kept as the provider wrote it/);
    assert.equal(after[15], '        - 2a02:c207:2054:1234:0000:0000:0000:0001/64');
    assert.equal(after[17], '      gateway6: fe80::1');
  });

  it('is idempotent: a second run changes nothing', () => {
    const again = enableIpv6InNetplan(edit.text);
    assert.deepEqual(again.uncommented, []);
    assert.equal(again.text, edit.text);
  });

  it('turns on a commented ::/0 route with its keys', () => {
    const text = [
      'network:',
      '  version: 2',
      '  ethernets:',
      '    eth0:',
      '      addresses:',
      '        - 203.0.113.45/20',
      '        # - "2a02:c207::1/64"',
      '      routes:',
      '        - to: default',
      '          via: 203.0.113.1',
      '        #- to: "::/0"',
      '        #  via: "fe80::1"',
      '        #  on-link: true',
      '',
    ].join('\n');
    const e = enableIpv6InNetplan(text);
    assert.deepEqual(e.errors, []);
    assert.deepEqual(e.uncommented, [7, 11, 12, 13]);
    const routes = (parse(e.text) as { network: { ethernets: { eth0: { routes: unknown[] } } } }).network
      .ethernets.eth0.routes;
    assert.deepEqual(routes[1], { to: '::/0', via: 'fe80::1', 'on-link': true });
    assert.deepEqual(e.ipv6Addresses, ['2a02:c207::1/64']);
  });

  it('reports a result that is not valid YAML instead of writing it', () => {
    const broken = 'network:\n  ethernets:\n    eth0:\n      addresses: [1.2.3.4/24]\n      #- 2a02::1/64\n';
    assert.ok(enableIpv6InNetplan(broken).errors.length > 0);
  });
});

describe('sysctl IPv6 edit', () => {
  it('sets disable_ipv6 lines to 0 in place and keeps the rest', () => {
    const conf = [
      '# /etc/sysctl.conf',
      'net.ipv4.ip_forward=1',
      'net.ipv6.conf.all.disable_ipv6 = 1',
      '#net.ipv6.conf.default.disable_ipv6 = 1',
      'net.ipv6.conf.default.disable_ipv6=1',
      'net.ipv6.conf.lo.disable_ipv6 = 1',
      '',
    ].join('\n');
    assert.equal(
      enableIpv6InSysctl(conf),
      [
        '# /etc/sysctl.conf',
        'net.ipv4.ip_forward=1',
        'net.ipv6.conf.all.disable_ipv6 = 0',
        '#net.ipv6.conf.default.disable_ipv6 = 1',
        'net.ipv6.conf.default.disable_ipv6 = 0',
        'net.ipv6.conf.lo.disable_ipv6 = 0',
        '',
      ].join('\n'),
    );
  });

  it('appends the keys that are missing', () => {
    const out = enableIpv6InSysctl('net.ipv6.conf.all.disable_ipv6 = 1\n');
    assert.equal(
      out,
      'net.ipv6.conf.all.disable_ipv6 = 0\n# IPv6 on for the mail server (Mailwright)\nnet.ipv6.conf.default.disable_ipv6 = 0\nnet.ipv6.conf.lo.disable_ipv6 = 0\n',
    );
    assert.equal(enableIpv6InSysctl(out), out);
  });
});

describe('IPv6 planning', () => {
  it('no action when a global IPv6 address is up', () => {
    assert.deepEqual(planIpv6(ctx(['2a02:c207::1'], ['/etc/netplan/01-netcfg.yaml'])), []);
    assert.deepEqual(ipv6Notes(ctx(['2a02:c207::1'], []).facts), []);
  });

  it('one action when IPv6 is missing and netplan is used', () => {
    const actions = planIpv6(ctx([], ['/etc/netplan/01-netcfg.yaml'], true));
    assert.equal(actions.length, 1);
    assert.match(actions[0]!.reason, /no global IPv6 address and IPv6 is disabled by sysctl/);
    assert.match(actions[0]!.reason, /01-netcfg\.yaml/);
  });

  it('no action without netplan, but a note on enabling IPv6 at the provider', () => {
    assert.deepEqual(planIpv6(ctx([], [])), []);
    assert.match(ipv6Notes(ctx([], []).facts)[0]!, /provider's panel/);
  });
});
