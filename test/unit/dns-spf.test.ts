import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintSpf, parseSpf } from '../../src/core/dns/spf';
import { MemoryDns, type MemoryZone } from './memory-dns';

const V4 = '198.51.100.7';
const V6 = 'fd00:5eed::7';

describe('parseSpf', () => {
  it('reads qualifiers, mechanisms with domains and prefixes, and modifiers', () => {
    const record = parseSpf(
      'v=spf1 a mx/24//64 -ip4:198.51.100.0/24 ~ip6:fd00:5eed::/64 include:_spf.example.com ?all exp=x.example.com',
    );
    assert.equal(record.ok, true, record.problems.join('\n'));
    assert.deepEqual(
      record.mechanisms.map((m) => [m.qualifier, m.name, m.domain, m.ip, m.cidr4, m.cidr6]),
      [
        ['+', 'a', undefined, undefined, undefined, undefined],
        ['+', 'mx', undefined, undefined, 24, 64],
        ['-', 'ip4', undefined, '198.51.100.0', 24, undefined],
        ['~', 'ip6', undefined, 'fd00:5eed::', undefined, 64],
        ['+', 'include', '_spf.example.com', undefined, undefined, undefined],
        ['?', 'all', undefined, undefined, undefined, undefined],
      ],
    );
    assert.deepEqual(record.modifiers, [{ name: 'exp', value: 'x.example.com', text: 'exp=x.example.com' }]);
  });

  it('names the term of each syntax error and says how to write it', () => {
    const cases: Array<[string, RegExp]> = [
      ['v=spf2 a', /must start with "v=spf1", not "v=spf2"/],
      ['v=spf1 inclde:_spf.google.com', /"inclde:_spf.google.com" is not an SPF mechanism/],
      ['v=spf1 include', /"include": include needs a domain name/],
      ['v=spf1 ip4:300.1.1.1', /"ip4:300.1.1.1": ip4 needs an IPv4 address/],
      ['v=spf1 ip4:fd00::1', /ip4 needs an IPv4 address/],
      ['v=spf1 ip6:198.51.100.1', /ip6 needs an IPv6 address/],
      ['v=spf1 ip4:198.51.100.0/33', /prefix length must be 0 to 32/],
      ['v=spf1 a/40', /IPv4 prefix length must be 0 to 32/],
      ['v=spf1 mx:example', /"example" is not a domain name/],
      ['v=spf1 all:example.com', /"all" takes no argument/],
      ['v=spf1 redirect=a.example.com redirect=b.example.com', /redirect= may appear only once/],
    ];
    for (const [text, expected] of cases) {
      const record = parseSpf(text);
      assert.equal(record.ok, false, text);
      assert.match(record.problems.join('\n'), expected, text);
    }
    assert.equal(parseSpf('v=spf1 exists:%{i}._spf.example.com -all').ok, true, 'macros are valid syntax');
    assert.equal(parseSpf('V=SPF1 A -ALL').ok, true, 'case-insensitive');
  });
});

describe('lintSpf', () => {
  const seedZone = {
    'example.com': {
      TXT: ['v=spf1 a mx include:_spf.example.com ~all', 'google-site-verification=abc'],
      A: ['203.0.113.80'],
      MX: ['10 smtp.example.com'],
    },
    '_spf.example.com': { TXT: ['v=spf1 a:smtp.example.com ~all'] },
    'smtp.example.com': { A: [V4], AAAA: [V6] },
  };

  it('the split form authorizes both the IPv4 and the IPv6 of the mail host in 4 lookups', async () => {
    const lint = await lintSpf('example.com', new MemoryDns(seedZone), { ipv4: [V4], ipv6: [V6] });
    assert.deepEqual(lint.records, ['v=spf1 a mx include:_spf.example.com ~all']);
    assert.equal(lint.lookups, 4);
    assert.deepEqual(lint.problems, []);
    assert.deepEqual(lint.results, { [V4]: 'pass', [V6]: 'pass' });
    const other = await lintSpf('example.com', new MemoryDns(seedZone), {
      ipv4: ['198.51.100.8'],
      ipv6: ['fd00:5eed::8'],
    });
    assert.deepEqual(other.results, { '198.51.100.8': 'softfail', 'fd00:5eed::8': 'softfail' });
    assert.match(other.notes.join('\n'), /fd00:5eed::8 \(IPv6\) is not authorized: SPF gives softfail/);
  });

  it('evaluates ip4/ip6 with prefixes, a and mx with /cidr per family, and the qualifier of the match', async () => {
    const zone = {
      'example.com': {
        TXT: [
          'v=spf1 -ip4:198.51.100.9 ip4:198.51.100.0/28 ip6:fd00:5eed::/120 mx/24//64 a:web.example.com -all',
        ],
        MX: ['10 mx1.example.com', '20 mx2.example.com'],
      },
      'mx1.example.com': { A: ['192.0.2.10'] },
      'mx2.example.com': { AAAA: ['2001:db8:1:2::1'] },
      'web.example.com': { A: ['203.0.113.5'], AAAA: ['2001:db8:9::5'] },
    };
    const ips = {
      ipv4: ['198.51.100.9', '198.51.100.14', '198.51.100.16', '192.0.2.200', '203.0.113.5', '203.0.113.6'],
      ipv6: ['fd00:5eed::ff', 'fd00:5eed::1:0', '2001:db8:1:2:ffff::1', '2001:db8:1:3::1', '2001:db8:9::5'],
    };
    const lint = await lintSpf('example.com', new MemoryDns(zone), ips);
    assert.deepEqual(lint.results, {
      '198.51.100.9': 'fail', // the first matching term wins
      '198.51.100.14': 'pass',
      '198.51.100.16': 'fail',
      '192.0.2.200': 'pass', // mx/24 around mx1's IPv4
      '203.0.113.5': 'pass',
      '203.0.113.6': 'fail',
      'fd00:5eed::ff': 'pass',
      'fd00:5eed::1:0': 'fail',
      '2001:db8:1:2:ffff::1': 'pass', // mx//64 around mx2's IPv6
      '2001:db8:1:3::1': 'fail',
      '2001:db8:9::5': 'pass',
    });
    assert.equal(lint.lookups, 2);
  });

  it('11 lookups across nested includes is a permerror that names what each include costs', async () => {
    const zone: MemoryZone = {
      'example.com': {
        TXT: ['v=spf1 a mx include:big.example.net ip4:198.51.100.7 ~all'],
        A: [V4],
        MX: ['10 smtp.example.com'],
      },
      'smtp.example.com': { A: [V4] },
      'big.example.net': {
        TXT: ['v=spf1 include:l1.example.net include:l2.example.net a:x.example.net ~all'],
      },
      'x.example.net': { A: ['192.0.2.1'] },
      'l1.example.net': { TXT: ['v=spf1 include:l3.example.net include:l4.example.net ~all'] },
      'l2.example.net': { TXT: ['v=spf1 ip4:192.0.2.2 ~all'] },
      'l3.example.net': { TXT: ['v=spf1 include:l5.example.net ~all'] },
      'l4.example.net': { TXT: ['v=spf1 ip4:192.0.2.4 ~all'] },
      'l5.example.net': { TXT: ['v=spf1 ip4:192.0.2.5 ~all'] },
    };
    const ten = await lintSpf('example.com', new MemoryDns(zone), { ipv4: [], ipv6: [] });
    assert.equal(ten.lookups, 9);
    assert.deepEqual(ten.problems, []);
    zone['l5.example.net'] = { TXT: ['v=spf1 a:x.example.net mx:x.example.net ~all'] };
    const eleven = await lintSpf('example.com', new MemoryDns(zone), { ipv4: [V4, '192.0.2.99'], ipv6: [] });
    assert.equal(eleven.lookups, 11);
    const problem = eleven.problems.find((p) => /DNS lookups/.test(p));
    assert.ok(problem, eleven.problems.join('\n'));
    assert.match(problem, /needs 11 DNS lookups, more than the 10 allowed, so receivers return permerror/);
    assert.match(problem, /include:big\.example\.net 9/);
    assert.match(problem, /\ba 1\b.*\bmx 1\b/);
    // A receiver counts as it goes: 192.0.2.99 is reached only after the 10th lookup.
    assert.equal(eleven.results['192.0.2.99'], 'permerror');
    assert.equal(eleven.results[V4], 'pass', 'matched by a before the limit');
  });

  it('two SPF records are a permerror for every address; none is result none', async () => {
    const zone = { 'example.com': { TXT: ['v=spf1 a -all', 'v=spf1 mx -all'], A: [V4] } };
    const two = await lintSpf('example.com', new MemoryDns(zone), { ipv4: [V4], ipv6: [] });
    assert.equal(two.records.length, 2);
    assert.match(two.problems.join('\n'), /example\.com has 2 SPF records; receivers then return permerror/);
    assert.deepEqual(two.results, { [V4]: 'permerror' });
    const none = await lintSpf('example.com', new MemoryDns({ 'example.com': { TXT: ['hello'] } }), {
      ipv4: [V4],
      ipv6: [],
    });
    assert.deepEqual(none.records, []);
    assert.deepEqual(none.results, { [V4]: 'none' });
    assert.match(none.problems.join('\n'), /has no SPF record/);
  });

  it('a syntax error, an include of a domain without SPF, and a timeout each give the right result', async () => {
    const syntax = await lintSpf(
      'example.com',
      new MemoryDns({ 'example.com': { TXT: ['v=spf1 ip4:1.2.3 -all'] } }),
      {
        ipv4: [V4],
        ipv6: [],
      },
    );
    assert.deepEqual(syntax.results, { [V4]: 'permerror' });
    assert.match(syntax.problems.join('\n'), /"ip4:1\.2\.3"/);
    const zone = {
      'example.com': { TXT: ['v=spf1 include:nothing.example.net -all'] },
      'nothing.example.net': { A: ['192.0.2.1'] },
    };
    const include = await lintSpf('example.com', new MemoryDns(zone), { ipv4: [V4], ipv6: [] });
    assert.deepEqual(include.results, { [V4]: 'permerror' });
    assert.match(
      include.problems.join('\n'),
      /include:nothing\.example\.net: nothing\.example\.net has no SPF record/,
    );
    const slow: MemoryZone = {
      'example.com': { TXT: ['v=spf1 a:slow.example.net -all'] },
      'slow.example.net': { A: 'timeout' },
    };
    assert.deepEqual((await lintSpf('example.com', new MemoryDns(slow), { ipv4: [V4], ipv6: [] })).results, {
      [V4]: 'temperror',
    });
  });

  it('redirect is followed and counted; ptr and exists are counted but do not match', async () => {
    const zone = {
      'example.com': { TXT: ['v=spf1 ptr exists:%{i}.x.example.com redirect=_spf.example.net'] },
      '_spf.example.net': { TXT: ['v=spf1 ip6:fd00:5eed::/64 -all'] },
    };
    const lint = await lintSpf('example.com', new MemoryDns(zone), { ipv4: [V4], ipv6: [V6] });
    assert.equal(lint.lookups, 3);
    assert.deepEqual(lint.results, { [V4]: 'fail', [V6]: 'pass' });
    assert.match(lint.notes.join('\n'), /ptr is slow and discouraged/);
    assert.match(lint.notes.join('\n'), /exists is counted but Mailwright does not evaluate it/);
  });

  it('more than two void lookups, include loops and +all are problems', async () => {
    const voids = await lintSpf(
      'example.com',
      new MemoryDns({
        'example.com': { TXT: ['v=spf1 a:gone1.example.com a:gone2.example.com mx:gone3.example.com ~all'] },
      }),
      { ipv4: [], ipv6: [] },
    );
    assert.match(voids.problems.join('\n'), /3 terms look up names that do not exist.*a:gone1\.example\.com/);
    const loop = await lintSpf(
      'example.com',
      new MemoryDns({
        'example.com': { TXT: ['v=spf1 include:a.example.com -all'] },
        'a.example.com': { TXT: ['v=spf1 include:example.com -all'] },
      }),
      { ipv4: [V4], ipv6: [] },
    );
    assert.match(loop.problems.join('\n'), /example\.com → a\.example\.com → example\.com/);
    assert.deepEqual(loop.results, { [V4]: 'permerror' });
    const open = await lintSpf('example.com', new MemoryDns({ 'example.com': { TXT: ['v=spf1 +all'] } }), {
      ipv4: [V4],
      ipv6: [],
    });
    assert.match(open.problems.join('\n'), /lets every server on the internet send mail/);
    assert.deepEqual(open.results, { [V4]: 'pass' });
  });
});
