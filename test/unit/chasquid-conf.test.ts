import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ChasquidConf } from '../../src/core/chasquid';
import { findChasquidUtils, NO_CHASQUID_UTIL, runUtil, tempConfigDir } from './chasquid-util-binaries';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures/chasquid', name), 'utf8');
// The stock /etc/chasquid/chasquid.conf of the Debian packages (byte for byte).
const STOCK = {
  'Debian 12 (chasquid 1.11)': fixture('debian12-chasquid-1.11.conf'),
  'Debian 13 (chasquid 1.15)': fixture('debian13-chasquid-1.15.conf'),
};

/** Lines of `after` that differ from `before`, as [removed, added]. */
function lineDiff(before: string, after: string): [string[], string[]] {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return [a.slice(head, a.length - tail), b.slice(head, b.length - tail)];
}

describe('chasquid.conf: stock Debian files', () => {
  for (const [name, text] of Object.entries(STOCK)) {
    it(`${name}: parse -> print is byte-identical, and it validates clean`, () => {
      const conf = ChasquidConf.parse(text);
      assert.equal(conf.print(), text);
      assert.equal(conf.entries.map((e) => e.raw).join(''), text);
      assert.deepEqual(conf.validate({ version: name.includes('1.11') ? '1.11' : '1.15' }), []);
      assert.equal(conf.get('hostname'), undefined, 'everything is commented out');
      assert.ok(conf.entries.every((e) => e.kind === 'blank' || e.kind === 'comment'));
    });

    it(`${name}: set('hostname') adds exactly one line, after the commented example`, () => {
      const conf = ChasquidConf.parse(text);
      conf.set('hostname', 'mail.example.org');
      const [removed, added] = lineDiff(text, conf.print());
      assert.deepEqual(removed, []);
      assert.deepEqual(added, ['hostname: "mail.example.org"']);
      const lines = conf.print().split('\n');
      assert.equal(lines[lines.indexOf('hostname: "mail.example.org"') - 1], '#hostname: "mx.example.com"');
      assert.equal(conf.get('hostname'), 'mail.example.org');

      const once = conf.print();
      conf.set('hostname', 'mx2.example.org');
      assert.deepEqual(lineDiff(once, conf.print()), [
        ['hostname: "mail.example.org"'],
        ['hostname: "mx2.example.org"'],
      ]);
    });
  }
});

describe('chasquid.conf: edits keep everything else', () => {
  const base =
    '# top\n' +
    'hostname:  "old.example.com"   # the EHLO name\n' +
    '\n' +
    'smtp_address: ":25"\n' +
    '# between\n' +
    'smtp_address: ":2525"\n' +
    'max_data_size_mb: 10\n';

  it('replaces only the value, keeping spacing and the trailing comment', () => {
    const c = ChasquidConf.parse(base);
    c.set('hostname', 'new.example.com');
    assert.equal(c.print(), base.replace('"old.example.com"', '"new.example.com"'));
  });

  it('setAll reuses lines in place, removes extra ones and appends after the last', () => {
    const c = ChasquidConf.parse(base);
    c.setAll('smtp_address', [':26']);
    assert.equal(c.print(), base.replace('":25"', '":26"').replace('smtp_address: ":2525"\n', ''));
    c.setAll('smtp_address', [':25', ':587', '[::1]:25']);
    assert.deepEqual(c.getAll('smtp_address'), [':25', ':587', '[::1]:25']);
    assert.equal(
      c.print(),
      base
        .replace('smtp_address: ":2525"\n', '')
        .replace(':25"\n', ':25"\nsmtp_address: ":587"\nsmtp_address: "[::1]:25"\n'),
    );
  });

  it('setAll on an absent repeated field adds one line per value', () => {
    const c = ChasquidConf.parse(base);
    c.setAll('submission_over_tls_address', [':465', 'systemd']);
    assert.ok(
      c.print().endsWith('submission_over_tls_address: ":465"\nsubmission_over_tls_address: "systemd"\n'),
    );
    assert.deepEqual(c.getAll('submission_over_tls_address'), [':465', 'systemd']);
  });

  it('replaces a [list] value with a list', () => {
    const c = ChasquidConf.parse('smtp_address: [":25", ":26"]  # both\n');
    c.setAll('smtp_address', [':1', ':2', ':3']);
    assert.equal(c.print(), 'smtp_address: [":1", ":2", ":3"]  # both\n');
    c.setAll('smtp_address', [':9']);
    assert.equal(c.print(), 'smtp_address: ":9"  # both\n');
  });

  it('remove drops the field and its trailing comment, but never commented lines', () => {
    const c = ChasquidConf.parse(base);
    assert.equal(c.remove('hostname'), true);
    assert.equal(c.print(), base.replace('hostname:  "old.example.com"   # the EHLO name\n', ''));
    c.remove('smtp_address');
    assert.equal(c.print(), '# top\n\n# between\nmax_data_size_mb: 10\n');
    assert.equal(c.remove('smtp_address'), false);
  });

  it('keeps a second field on the same line when removing the first', () => {
    const c = ChasquidConf.parse('hostname: "a.example.com" max_data_size_mb: 5\nx_after: 1\n');
    c.remove('max_data_size_mb');
    assert.equal(c.print(), 'hostname: "a.example.com"\nx_after: 1\n');
  });

  it('types values by the schema and escapes strings', () => {
    const c = ChasquidConf.parse('');
    c.set('max_data_size_mb', 20);
    c.set('dovecot_auth', true);
    c.set('mail_log_path', 'C:\\logs\\"mail"\n');
    assert.equal(
      c.print(),
      'max_data_size_mb: 20\ndovecot_auth: true\nmail_log_path: "C:\\\\logs\\\\\\"mail\\"\\n"\n',
    );
    assert.equal(c.get('mail_log_path'), 'C:\\logs\\"mail"\n');
    assert.equal(c.get('dovecot_auth'), true);
    assert.equal(c.get('max_data_size_mb'), 20);
    assert.throws(() => c.set('max_data_size_mb', '20'), /takes an integer/);
    assert.throws(() => c.set('hostname', 3), /takes a string/);
    assert.throws(() => c.setAll('hostname', ['a', 'b']), /single value/);
    assert.throws(() => c.set('bad name', 'x'), /invalid chasquid.conf field name/);
  });

  it('keeps CRLF line ends and a file without a final newline', () => {
    const crlf = ChasquidConf.parse('# c\r\nhostname: "a.example.com"\r\n');
    crlf.set('max_data_size_mb', 5);
    crlf.set('hostname', 'b.example.com');
    assert.equal(crlf.print(), '# c\r\nhostname: "b.example.com"\r\nmax_data_size_mb: 5\r\n');
    const noEol = ChasquidConf.parse('hostname: "a.example.com"');
    noEol.set('data_dir', '/srv/chasquid');
    assert.equal(noEol.print(), 'hostname: "a.example.com"\ndata_dir: "/srv/chasquid"\n');
  });

  it('reads every value form Go accepts', () => {
    const c = ChasquidConf.parse(
      'hostname: \'a\' "b.example.com"\nmax_data_size_mb: 0x10\ndovecot_auth: t;haproxy_incoming: 0,\n' +
        'smtp_address: [":1", \':2\']\nsmtp_address: ":3"\nmonitoring_address: "\\x31\\062\\u0037.0.0.1:1099"\n',
    );
    assert.equal(c.get('hostname'), 'ab.example.com');
    assert.equal(c.get('max_data_size_mb'), 16);
    assert.equal(c.get('dovecot_auth'), true);
    assert.equal(c.get('haproxy_incoming'), false);
    assert.deepEqual(c.getAll('smtp_address'), [':1', ':2', ':3']);
    assert.equal(c.get('monitoring_address'), '127.0.0.1:1099');
    assert.deepEqual(c.validate(), []);
  });

  it('keeps nested blocks and unparseable lines verbatim', () => {
    const text = 'future_block {\n  a: 1\n  b { c: "x" }\n}\nhostname: "bad\n# after\nhostname2 "x"\n';
    const c = ChasquidConf.parse(text);
    assert.equal(c.print(), text);
    assert.deepEqual(
      c.entries.map((e) => [e.kind, e.line]),
      [
        ['message', 1],
        ['invalid', 5],
        ['comment', 6],
        ['invalid', 7],
      ],
    );
    c.set('data_dir', '/d');
    assert.equal(c.print(), text + 'data_dir: "/d"\n');
  });
});

describe('chasquid.conf: diagnostics', () => {
  const at = (text: string, version?: string) =>
    ChasquidConf.parse(text)
      .validate({ version })
      .map((d) => `${d.line}:${d.column}-${d.endLine}:${d.endColumn} ${d.severity} ${d.code}`);

  it('points at the exact token, 1-based', () => {
    assert.deepEqual(at('# c\n  hostnme: "a.example.com"\n'), ['2:3-2:10 error unknown-field']);
    assert.match(ChasquidConf.parse('hostnme: "a"').validate()[0]?.message ?? '', /did you mean "hostname"/);
    assert.deepEqual(at('max_data_size_mb: "50"\n'), ['1:19-1:23 error wrong-type']);
    assert.deepEqual(at('dovecot_auth: yes\n'), ['1:15-1:18 error wrong-type']);
    assert.deepEqual(at('hostname: 5\n'), ['1:11-1:12 error wrong-type']);
    assert.deepEqual(at('\nhostname: "mail.example.com\nmax_data_size_mb: 5\n'), ['2:11-2:28 error syntax']);
    assert.deepEqual(at('hostname: "x_y.example.com"\n'), ['1:11-1:28 error invalid-hostname']);
    assert.deepEqual(at('hostname: "localhost"\n'), ['1:11-1:22 error invalid-hostname']);
    assert.deepEqual(at('hostname: "a.example.com"\nhostname: "b.example.com"\n'), [
      '2:1-2:9 error duplicate-field',
    ]);
    assert.deepEqual(at('smtp_address: ["", ":25"]\n'), ['1:16-1:18 error empty-address']);
    assert.deepEqual(at('hostname: "a\\qb.example.com"\n'), ['1:13-1:15 error syntax']);
    assert.deepEqual(at('\uFEFFhostname: "a.example.com"\n'), ['1:1-1:2 error syntax']);
    assert.deepEqual(at('max_data_size_mb: - 5\n'), ['1:21-1:22 error syntax']);
    assert.deepEqual(at('hostname: "a.example.com" hostname { }\n'), ['1:36-1:39 error wrong-type']);
  });

  it('counts columns in UTF-16 code units, like VS Code', () => {
    assert.deepEqual(at('# é😀\nmail_log_path: "😀" nope: 1\n'), ['2:21-2:25 error unknown-field']);
  });

  it('knows which fields each version accepts', () => {
    assert.deepEqual(at('max_queue_items: 300\ngive_up_send_after: "30h"\n', '1.15'), [
      '1:1-1:16 error field-too-new',
      '2:1-2:19 error field-too-new',
    ]);
    assert.deepEqual(at('max_queue_items: 300\ngive_up_send_after: "30h"\n', '1.16.0'), []);
    assert.deepEqual(at('give_up_send_after: "30 hours"\n'), ['1:21-1:31 error invalid-duration']);
    assert.deepEqual(at('haproxy_incoming: true\n', '1.11'), []);
  });

  it('warns about values chasquid ignores or that are risky', () => {
    assert.deepEqual(at('max_data_size_mb: 0\n'), ['1:19-1:20 warning ignored-value']);
    assert.deepEqual(at('monitoring_address: ":1099"\n'), ['1:21-1:28 warning monitoring-exposed']);
    assert.deepEqual(at('submission_address: "587"\n'), ['1:21-1:26 error invalid-address']);
    assert.deepEqual(at('suffix_separators: "-"\n'), ['1:20-1:23 warning suffix-without-plus']);
    assert.deepEqual(at('smtp_address: "systemd"\nsmtp_address: "[::]:25"\n'), []);
  });
});

describe('chasquid.conf: agrees with the real chasquid about what loads', () => {
  // Diagnostics that mean chasquid will not even load the file.
  const FATAL = new Set(['syntax', 'unknown-field', 'wrong-type', 'duplicate-field', 'not-repeated']);
  const cases: [string, boolean][] = [
    ['hostname: "a.example.com"\n', true],
    ["hostname: 'a.example.com' # c\n", true],
    ['hostname "a.example.com"\n', false],
    ['max_data_size_mb: "50"\n', false],
    ['max_data_size_mb: 0X10\n', true],
    ['max_data_size_mb: 010\n', true],
    ['max_data_size_mb: 08\n', false],
    ['max_data_size_mb: 1e3\n', false],
    ['max_data_size_mb: 9223372036854775808\n', false],
    ['max_data_size_mb: -0x5\n', true],
    ['dovecot_auth: 1\n', true],
    ['dovecot_auth: True\n', true],
    ['dovecot_auth: TRUE\n', false],
    ['dovecot_auth: "true"\n', false],
    ['dovecot_auth: 2\n', false],
    ['hostname: "a.example.com"\nhostname: "b.example.com"\n', false],
    ['smtp_address: [":25", ":26"]\nsmtp_address: ":27"\n', true],
    ['smtp_address: [":25",]\n', false],
    ['hostname: ["a.example.com"]\n', false],
    ['hostname: "a.example.com";max_data_size_mb: 3,\n', true],
    ['hostname: "a.example.com" ;; max_data_size_mb: 3\n', false],
    ['hostname: "\\x61\\142\\u0063.example.com"\n', true],
    ['hostname: "\\xff.example.com"\n', false],
    ['hostname: "\\400.example.com"\n', false],
    ['hostname: "\\x.example.com"\n', false],
    ['hostname: "\\z.example.com"\n', false],
    ['hostname: "unterminated\n', false],
    ['hostname: {}\n', false],
    ['foo: 1\n', false],
    ['max_queue_items: 5\n', false],
    ['\uFEFFhostname: "a.example.com"\n', false],
    ['// c\n', false],
    ['hostname: "a.example.com"\r\nmax_data_size_mb: 3\r\n', true],
  ];
  const utils = findChasquidUtils();

  it('our load-fatal diagnostics match the expectation table', () => {
    for (const [text, loads] of cases) {
      const fatal = ChasquidConf.parse(text)
        .validate({ version: '1.15' })
        .filter((d) => FATAL.has(d.code) || d.code === 'field-too-new');
      assert.equal(fatal.length === 0, loads, `${JSON.stringify(text)}: ${JSON.stringify(fatal)}`);
    }
  });

  it(
    'and the real chasquid-util print-config agrees',
    { skip: utils.length === 0 && NO_CHASQUID_UTIL },
    () => {
      const dir = tempConfigDir();
      try {
        for (const util of utils) {
          for (const [text, loads] of cases) {
            writeFileSync(join(dir, 'chasquid.conf'), text);
            const r = runUtil(util, dir, ['print-config']);
            assert.equal(
              !/Error loading config/.test(r.output),
              loads,
              `${util.path} ${JSON.stringify(text)}: ${r.output}`,
            );
          }
          // And a stock file edited by us still loads, with our values.
          const c = ChasquidConf.parse(STOCK['Debian 13 (chasquid 1.15)']);
          c.set('hostname', 'mail.example.org');
          c.setAll('submission_over_tls_address', [':465']);
          c.set('max_data_size_mb', 25);
          writeFileSync(join(dir, 'chasquid.conf'), c.print());
          const r = runUtil(util, dir, ['print-config']);
          assert.match(r.output, /hostname: "mail\.example\.org"/, r.output);
          assert.match(r.output, /max_data_size_mb: 25/, r.output);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
