// The received-reports store: the report found inside a mail, the program chasquid pipes report
// mail to (run here for real with sh, in a temporary store), the listing the reader fetches, and
// the alias lines that send a kept domain's report addresses to the store.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { ChasquidAliases } from '../../src/core/chasquid';
import { mailFlowProblems } from '../../src/core/config';
import { desiredAliases } from '../../src/core/plan/actions/domains';
import { reportStoreAliases } from '../../src/core/plan/actions/reports';
import { reportAttachments } from '../../src/core/reports/message';
import {
  KEEP_REPORT_PROGRAM,
  KEEP_REPORT_SCRIPT,
  MAX_REPORT_MESSAGE_BYTES,
  parseStoreListing,
  READ_STORE_SCRIPT,
  REPORT_STORE_ALIAS,
  REPORT_STORE_DIR,
} from '../../src/core/reports/store';
import { addReverseNames, summariseStore } from '../../src/core/reports/stored';
import type { DnsLookup } from '../../src/core/dns/model';
import { testDomain } from './config-fixture';
import { reportMail } from './report-mail';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/reports', name), 'utf8');

const googleZip = Buffer.from(
  zipSync({
    'google.com!example.test!1796428800!1796515199.xml': Buffer.from(fixture('google-aggregate.xml')),
  }),
);
const microsoftGz = gzipSync(fixture('microsoft-aggregate.xml'));
const tlsGz = gzipSync(fixture('google-tls.json'));

describe('received reports: the report inside a mail', () => {
  it('finds the zip, gzip and JSON attachments and decodes their base64', () => {
    const parts = reportAttachments(
      reportMail({
        to: 'postmaster@example.test',
        attachment: googleZip,
        filename: 'r.zip',
        contentType: 'application/zip',
      }),
    );
    assert.equal(parts.length, 1);
    assert.deepEqual(parts[0]!.bytes, googleZip);
    assert.equal(parts[0]!.name, 'r.zip');
  });

  it('reads a report that is the whole body, and ignores the text parts of a message', () => {
    const single = Buffer.from(
      `Subject: x\r\nContent-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n${microsoftGz.toString('base64')}\r\n`,
    );
    assert.deepEqual(reportAttachments(single)[0]!.bytes, microsoftGz);
    assert.deepEqual(reportAttachments(Buffer.from('Subject: hello\r\n\r\nJust a person writing.\r\n')), []);
  });

  it('walks nested multiparts only so deep, and so many parts', () => {
    let body = `Content-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n${tlsGz.toString('base64')}\r\n`;
    for (let i = 0; i < 10; i++)
      body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}--b${i}--\r\n`;
    assert.deepEqual(reportAttachments(Buffer.from(body)), [], 'ten levels deep is not looked into');
    const many = Array.from(
      { length: 100 },
      () => `--m\r\nContent-Type: application/json\r\n\r\n{}\r\n`,
    ).join('');
    const parts = reportAttachments(
      Buffer.from(`Content-Type: multipart/mixed; boundary=m\r\n\r\n${many}--m--\r\n`),
    );
    assert.equal(parts.length, 32);
  });
});

describe('received reports: the store program', () => {
  const root = mkdtempSync(join(tmpdir(), 'mw-store-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const program = join(root, 'keep-report');
  const store = join(root, 'reports');
  execFileSync('mkdir', ['-p', store]);
  // The real script, its store moved into the temporary folder.
  const script = KEEP_REPORT_SCRIPT.replace(`store=${REPORT_STORE_DIR}`, `store=${store}`);
  assert.notEqual(script, KEEP_REPORT_SCRIPT);
  execFileSync('sh', ['-c', 'cat > "$1" && chmod 755 "$1"', 'sh', program], { input: script });
  const keep = (input: Buffer, args = ['example.test', '400']) =>
    execFileSync(program, args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
  const kept = () => readdirSync(join(store, 'example.test')).filter((f) => f.endsWith('.eml'));

  it('is valid sh and is installed beside chasquid hooks', () => {
    execFileSync('sh', ['-n', program]);
    assert.match(KEEP_REPORT_PROGRAM, /^\/etc\/chasquid\/hooks\//);
  });

  it('keeps a message whole, in a folder of the domain that only its owner can read', () => {
    const mail = reportMail({
      to: 'postmaster@example.test',
      attachment: googleZip,
      filename: 'a.zip',
      contentType: 'application/zip',
    });
    keep(mail);
    assert.equal(kept().length, 1);
    assert.deepEqual(readFileSync(join(store, 'example.test', kept()[0]!)), mail);
    assert.equal(statSync(join(store, 'example.test')).mode & 0o777, 0o700);
    assert.equal(statSync(join(store, 'example.test', kept()[0]!)).mode & 0o777, 0o600);
  });

  it('drops a message larger than a report can be, exits 0 (no bounce) and logs it', () => {
    const before = kept().length;
    keep(Buffer.alloc(MAX_REPORT_MESSAGE_BYTES + 10, 0x41));
    assert.equal(kept().length, before, 'not kept');
    assert.match(readFileSync(join(store, 'example.test', 'dropped.log'), 'utf8'), /over \d+ bytes/);
    assert.deepEqual(
      readdirSync(join(store, 'example.test')).filter((f) => f.startsWith('.incoming')),
      [],
      'no temporary file left',
    );
  });

  it('refuses a domain that could leave the store, and a retention that is not a number', () => {
    for (const args of [
      ['../etc', '400'],
      ['.hidden', '400'],
      ['a/b', '400'],
      ['example.test', '1; rm'],
    ]) {
      assert.throws(
        () => keep(Buffer.from('x'), args),
        (e: { status?: number }) => e.status === 64,
        args.join(' '),
      );
    }
  });

  it('deletes the reports older than the retention', () => {
    const file = join(store, 'example.test', kept()[0]!);
    const old = new Date(Date.now() - 10 * 86_400_000);
    utimesSync(file, old, old);
    keep(Buffer.from('Subject: new\r\n\r\nx\r\n'), ['example.test', '5']);
    assert.equal(kept().length, 1, 'the old one went, the new one stayed');
  });

  it('the reader lists newest first, names a message too large to fetch and the ones beyond its budget', () => {
    keep(Buffer.from('Subject: second\r\n\r\nyy\r\n'));
    const out = execFileSync('sh', ['-c', READ_STORE_SCRIPT, 'mailwright', store, '1000', '25'], {
      encoding: 'utf8',
    });
    const listing = parseStoreListing(out);
    assert.equal(listing.messages.length, 1, out);
    assert.equal(listing.skipped.length, 1, out);
    assert.match(listing.messages[0]!.name, /^example\.test\/\d{8}T\d{6}Z-\d+\.eml$/);
    assert.equal(listing.dropped['example.test'], 1);
    const small = parseStoreListing(
      execFileSync('sh', ['-c', READ_STORE_SCRIPT, 'mailwright', store, '10', '1000'], { encoding: 'utf8' }),
    );
    assert.equal(small.tooLarge.length, 2);
    assert.equal(small.messages.length, 0);
  });
});

describe('received reports: reading the store', () => {
  const stored = (name: string, bytes: Buffer) => ({ name, bytes });
  const listing = {
    messages: [
      stored(
        'example.test/1.eml',
        reportMail({
          to: 'p@example.test',
          attachment: googleZip,
          filename: 'g.zip',
          contentType: 'application/zip',
        }),
      ),
      stored(
        'example.test/2.eml',
        reportMail({
          to: 'p@example.test',
          attachment: microsoftGz,
          filename: 'm.xml.gz',
          contentType: 'application/gzip',
        }),
      ),
      stored(
        'example.test/3.eml',
        reportMail({
          to: 'p@example.test',
          attachment: tlsGz,
          filename: 't.json.gz',
          contentType: 'application/tlsrpt+gzip',
        }),
      ),
      stored('example.test/4.eml', Buffer.from('Subject: hi\r\n\r\nA person wrote to postmaster.\r\n')),
      stored(
        'example.test/5.eml',
        reportMail({
          to: 'p@example.test',
          attachment: gzipSync(fixture('yahoo-aggregate.xml').replace(/example\.test/g, 'stranger.test')),
          filename: 'y.xml.gz',
          contentType: 'application/gzip',
        }),
      ),
      stored(
        'example.test/6.eml',
        reportMail({
          to: 'p@example.test',
          attachment: gzipSync(Buffer.alloc(64 * 1024 * 1024)),
          filename: 'bomb.xml.gz',
          contentType: 'application/gzip',
        }),
      ),
    ],
    tooLarge: [],
    skipped: [],
    dropped: {},
  };

  it('counts the reports of our domain, and sets aside the foreign one, the bomb and the plain mail', () => {
    const result = summariseStore(listing, ['example.test']);
    assert.equal(result.messages, 6);
    assert.equal(result.summaries.length, 1);
    const s = result.summaries[0]!;
    assert.equal(s.domain, 'example.test');
    assert.equal(s.dmarcReports, 2);
    assert.equal(s.tlsReports, 1);
    assert.deepEqual(result.setAside.map((a) => [a.name, a.problem]).sort(), [
      ['example.test/4.eml', 'invalid'],
      ['example.test/5.eml', 'foreign'],
      ['example.test/6.eml', 'too-large'],
    ]);
    const failing = (x: (typeof s.sources)[number]) => x.messages - x.dmarcPass;
    assert.ok(failing(s.sources[0]!) > 0, 'a failing source first');
  });

  it('looks up each source once, a few at a time, and keeps the name it found', async () => {
    const result = summariseStore(listing, ['example.test']);
    const asked: string[] = [];
    let running = 0;
    let most = 0;
    const lookup: DnsLookup = {
      async query(name) {
        asked.push(name);
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return { status: 'ok', values: [`host-${asked.length}.sender.test`], server: 'test' };
      },
    };
    const cache = new Map<string, Promise<string | undefined>>();
    await addReverseNames(result.summaries, lookup, undefined, cache);
    await addReverseNames(result.summaries, lookup, undefined, cache);
    const ips = result.summaries[0]!.sources.map((x) => x.ip);
    assert.equal(asked.length, ips.length, 'once per source across both calls');
    assert.ok(most <= 8);
    assert.ok(result.summaries[0]!.sources.every((x) => x.reverse?.endsWith('.sender.test')));
  });
});

describe('received reports: the aliases of a kept domain', () => {
  const parse = (text: string) => ChasquidAliases.parse(text);

  it('pipes the store alias to the program, and sends postmaster there besides its own targets', () => {
    const domain = testDomain({
      name: 'example.test',
      aliases: { postmaster: ['alice', 'me@outside.test'] },
      reports: { keep: true, retentionDays: 30 },
    });
    const aliases = parse(desiredAliases(domain));
    assert.deepEqual(aliases.get(REPORT_STORE_ALIAS), [
      { kind: 'pipe', command: `${KEEP_REPORT_PROGRAM} example.test 30` },
    ]);
    assert.deepEqual(
      aliases.get('postmaster')!.map((t) => (t.kind === 'pipe' ? t.command : t.address)),
      ['alice@example.test', 'me@outside.test', `${REPORT_STORE_ALIAS}@example.test`],
    );
    assert.deepEqual(aliases.validate({ version: '1.15' }), []);
  });

  it('a report address without alias goes to the catch-all and the store; a mail user is left alone', () => {
    const withCatchAll = testDomain({
      name: 'example.test',
      aliases: { '*': ['me@outside.test'] },
      dmarc: { p: 'none', rua: ['mailto:reports@example.test'], ruf: [] },
      reports: { keep: true, retentionDays: 400 },
    });
    const aliases = parse(desiredAliases(withCatchAll));
    assert.deepEqual(
      aliases.get('reports')!.map((t) => (t.kind === 'pipe' ? t.command : t.address)),
      ['me@outside.test', `${REPORT_STORE_ALIAS}@example.test`],
    );
    const user = testDomain({
      name: 'example.test',
      users: ['postmaster'],
      mailboxes: true,
      reports: { keep: true, retentionDays: 400 },
    });
    const result = reportStoreAliases(user, (t) => t);
    assert.equal(result.lines.length, 1, 'only the store alias');
    assert.match(result.notes[0]!, /postmaster@example\.test is a mail user/);
  });

  it('without keep nothing changes, and with it postmaster alone is no longer "refused"', () => {
    const plain = testDomain({ name: 'example.test', aliases: { alice: ['me@outside.test'] }, users: [] });
    assert.equal(parse(desiredAliases(plain)).get(REPORT_STORE_ALIAS), undefined);
    assert.ok(
      mailFlowProblems([plain]).some((p) => p.kind === 'rejected' && p.address === 'postmaster@example.test'),
    );
    const kept = { ...plain, reports: { keep: true, retentionDays: 400 } };
    assert.ok(!mailFlowProblems([kept]).some((p) => p.address === 'postmaster@example.test'));
  });
});
