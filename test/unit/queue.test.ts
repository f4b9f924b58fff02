// chasquid's queue: its files as chasquid 1.15 (Debian 13) and 1.11 (Debian 12) wrote them on a
// sandbox VPS (fixtures/queue/, a message to a domain whose MX refused connections), read by the
// same script the server runs (here with sh and awk on this machine), and the mail log around them.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseLogLine } from '../../src/core/logs';
import {
  goDurationMs,
  oldestAge,
  olderThan,
  parseQueueFile,
  parseQueueReport,
  queueIdProblem,
  readQueue,
  showQueueMessage,
} from '../../src/core/queue';
import { LocalConnection } from '../../src/core/remote/local';
import { ENGLISH } from '../../src/panels/l10n';
import { nextTryText, queueItemView, queueSummary } from '../../src/panels/queue-view';

const FIXTURES = join(__dirname, 'fixtures', 'queue');
// Queue files are named m:<id> on the server; the fixtures are named so that any OS can check them out.
const V115 = 'm:LdmLpoXHcSY';
const V111 = 'm:shcQcKqzB1Y';
const FIXTURE_FILES: Record<string, string> = {
  [V115]: 'chasquid-1.15-LdmLpoXHcSY.txt',
  [V111]: 'chasquid-1.11-shcQcKqzB1Y.txt',
};
const fixturePath = (name: string) => join(FIXTURES, FIXTURE_FILES[name]!);
const fixture = (name: string) => readFileSync(fixturePath(name), 'utf8');
const withoutData = (text: string) =>
  text
    .split('\n')
    .filter((l) => !l.startsWith('data:'))
    .join('\n');

describe('queue files', () => {
  it('reads what chasquid 1.15 writes (two spaces after the colon, zero values left out)', () => {
    const file = parseQueueFile(withoutData(fixture(V115)));
    assert.ok(file);
    assert.equal(file.id, 'LdmLpoXHcSY');
    assert.equal(file.from, 'alice@example.test');
    assert.deepEqual(file.to, ['bob@receiver.test', 'carol@receiver.test']);
    assert.equal(file.recipients.length, 2);
    assert.deepEqual(
      file.recipients.map((r) => [r.address, r.status, r.type, r.originalAddress]),
      [
        ['bob@receiver.test', 'pending', 'email', 'bob@receiver.test'],
        ['carol@receiver.test', 'pending', 'email', 'carol@receiver.test'],
      ],
    );
    assert.match(file.recipients[0]!.lastError!, /connection refused/);
    assert.equal(file.createdAtMs, 1796621995252);
  });

  it('reads what chasquid 1.11 writes (one space)', () => {
    const file = parseQueueFile(withoutData(fixture(V111)));
    assert.ok(file);
    assert.equal(file.id, 'shcQcKqzB1Y');
    assert.equal(file.recipients.length, 2);
    assert.match(file.recipients[1]!.lastError!, /connection refused/);
  });

  it('reads SENT and FAILED recipients and the forward type', () => {
    const file = parseQueueFile(
      'ID: "x1"\nfrom: "<>"\nrcpt: {\n address: "a@b.test"\n status: SENT\n}\n' +
        'rcpt: {\n address: "c@d.test"\n type: FORWARD\n status: FAILED\n last_failure_message: "550 no"\n}\n',
    );
    assert.deepEqual(
      file?.recipients.map((r) => [r.status, r.type]),
      [
        ['sent', 'email'],
        ['failed', 'forward'],
      ],
    );
  });

  it('refuses what is not a queue item', () => {
    assert.equal(parseQueueFile('from: "a@b.test"\n'), undefined, 'no ID');
    assert.equal(parseQueueFile('ID: "x\n'), undefined, 'broken');
  });

  it('queue ids: letters, digits, - and _ only', () => {
    assert.equal(queueIdProblem('LdmLpoXHcSY'), undefined);
    assert.equal(queueIdProblem('a_b-C'), undefined);
    for (const bad of ['', '../x', 'a b', 'x;rm', 'm:abc', '\u001b[31m'])
      assert.match(queueIdProblem(bad) ?? '', /is not a queue id/, JSON.stringify(bad));
  });
});

describe('the mail log around the queue', () => {
  it('reads "completed loop, next in …"', () => {
    assert.deepEqual(
      parseLogLine(
        '2026-12-07T05:41:41.327242+00:00 vps chasquid[896]: LdmLpoXHcSY from=alice@example.test completed loop, next in 5m36s',
      ),
      {
        kind: 'loop',
        time: '2026-12-07T05:41:41.327242+00:00',
        id: 'LdmLpoXHcSY',
        from: 'alice@example.test',
        next: '5m36s',
      },
    );
  });

  it('Go durations', () => {
    assert.equal(goDurationMs('1m46s'), 106_000);
    assert.equal(goDurationMs('20m0.5s'), 1_200_500);
    assert.equal(goDurationMs('1h2m3s'), 3_723_000);
    assert.equal(goDurationMs('45s'), 45_000);
    assert.equal(goDurationMs(''), undefined);
    assert.equal(goDurationMs('5ms'), undefined);
    assert.equal(goDurationMs('soon'), undefined);
  });
});

/** A report as the list script prints it, around the 1.15 fixture. */
function report(opts: { state?: string; started?: number; journal?: string[] }): string {
  const path = `/var/lib/chasquid/queue/${V115}`;
  return [
    '@@ now 1796622300',
    '@@ systemd',
    `ActiveState=${opts.state ?? 'active'}`,
    `ExecMainStartTimestamp=@${opts.started ?? 1796621994}`,
    `@@ file 1796622101 ${Buffer.byteLength(fixture(V115))} ${path}`,
    '@@ fields',
    ...withoutData(fixture(V115))
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => `${path}:${l}`),
    '@@ journal',
    ...(opts.journal ?? []),
  ].join('\n');
}

const JOURNAL = [
  '2026-12-07T05:39:55.253081+00:00 vps chasquid[896]: LdmLpoXHcSY from=alice@example.test queued ip=198.51.100.5:44108 to=[bob@receiver.test carol@receiver.test]',
  '2026-12-07T05:39:55.264605+00:00 vps chasquid[896]: LdmLpoXHcSY from=alice@example.test to=bob@receiver.test failed (temporary): all MXs returned transient failures',
  '2026-12-07T05:39:55.274988+00:00 vps chasquid[896]: LdmLpoXHcSY from=alice@example.test to=carol@receiver.test failed (temporary): all MXs returned transient failures',
  '2026-12-07T05:39:55.291506+00:00 vps chasquid[896]: LdmLpoXHcSY from=alice@example.test completed loop, next in 1m46s',
  '2026-12-07T05:41:41.311009+00:00 vps chasquid[896]: LdmLpoXHcSY from=alice@example.test to=carol@receiver.test failed (temporary): all MXs returned transient failures',
  '2026-12-07T05:41:41.320413+00:00 vps chasquid[896]: LdmLpoXHcSY from=alice@example.test to=bob@receiver.test failed (temporary): all MXs returned transient failures',
  '2026-12-07T05:41:41.327242+00:00 vps chasquid[896]: LdmLpoXHcSY from=alice@example.test completed loop, next in 5m36s',
];

describe('queue report', () => {
  it('one item: age on the server clock, attempts and next try from the mail log', () => {
    const listing = parseQueueReport(report({ journal: JOURNAL }));
    assert.equal(listing.chasquidState, 'active');
    assert.equal(listing.readAt, '2026-12-07T05:45:00.000Z');
    assert.equal(listing.items.length, 1);
    const item = listing.items[0]!;
    assert.equal(item.ageSeconds, 304);
    const stored = fixture(V115)
      .split('\n')
      .find((l) => l.startsWith('data:'))!
      .replace(/^data:\s*"/, '')
      .replace(/"$/, '');
    assert.equal(item.storedBytes, Buffer.byteLength(stored), 'the data line, from the file size');
    assert.equal(item.attempts, 2);
    assert.deepEqual(
      item.recipients.map((r) => r.attempts),
      [2, 2],
    );
    assert.equal(item.lastAttemptAt, '2026-12-07T05:41:41.000Z');
    assert.equal(item.nextTryAt, '2026-12-07T05:47:17.327Z');
    assert.match(item.lastError ?? '', /connection refused/);
  });

  it('a decision of an earlier chasquid does not count after a restart', () => {
    const listing = parseQueueReport(report({ journal: JOURNAL, started: 1796622200 }));
    assert.equal(listing.items[0]!.nextTryAt, null);
    assert.equal(listing.items[0]!.attempts, 2, 'the attempts still count');
  });

  it('a round under way: no next try until it ends', () => {
    const listing = parseQueueReport(
      report({
        journal: [
          ...JOURNAL,
          '2026-12-07T05:47:18.000001+00:00 vps chasquid[896]: LdmLpoXHcSY from=alice@example.test to=bob@receiver.test failed (temporary): again',
        ],
      }),
    );
    assert.equal(listing.items[0]!.nextTryAt, null);
    assert.deepEqual(
      listing.items[0]!.recipients.map((r) => r.attempts),
      [3, 2],
    );
  });

  it('chasquid stopped: nothing will be tried; no log: attempts unknown', () => {
    const item = parseQueueReport(report({ state: 'inactive' })).items[0]!;
    assert.equal(item.nextTryAt, null);
    assert.equal(item.attempts, null);
    assert.deepEqual(
      item.recipients.map((r) => r.attempts),
      [null, null],
    );
  });

  it('no queue folder, an empty queue, a file that is no item', () => {
    assert.equal(
      parseQueueReport('@@ now 1\n@@ systemd\nActiveState=inactive\nExecMainStartTimestamp=\n@@ nodir\n')
        .present,
      false,
    );
    const empty = parseQueueReport('@@ now 1\n@@ systemd\nActiveState=active\nExecMainStartTimestamp=@1\n');
    assert.deepEqual([empty.present, empty.items], [true, []]);
    const odd = parseQueueReport(
      '@@ now 1\n@@ systemd\nActiveState=active\n@@ file 1 20 /q/m:abc\n@@ file 1 20 /q/m:bad\n@@ fields\n' +
        '/q/m:abc:ID: "other"\n/q/m:bad:not proto {\n',
    );
    assert.deepEqual(odd.unreadable, ['m:abc', 'm:bad']);
  });

  it('oldestAge and olderThan, for checks on the queue', () => {
    assert.equal(oldestAge([]), undefined);
    assert.equal(oldestAge([{ ageSeconds: 5 }, { ageSeconds: 700 }, { ageSeconds: 60 }]), 700);
    assert.deepEqual(
      olderThan([{ ageSeconds: 5 }, { ageSeconds: 700 }, { ageSeconds: 60 }], 59).map((i) => i.ageSeconds),
      [700, 60],
    );
  });
});

describe('the scripts, run by sh and awk on real queue files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-queue-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const conn = new LocalConnection('self');

  it('lists both versions with the decoded size of their data', async () => {
    copyFileSync(fixturePath(V115), join(dir, V115));
    copyFileSync(fixturePath(V111), join(dir, V111));
    writeFileSync(join(dir, 'stray'), 'not a queue file');
    const listing = await readQueue(conn, { dir });
    assert.deepEqual(
      listing.items.map((i) => i.id),
      ['LdmLpoXHcSY', 'shcQcKqzB1Y'],
      'oldest first',
    );
    /** The data line's string as stored (escaped), and decoded. */
    const data = (name: string) => {
      const line = fixture(name)
        .split('\n')
        .find((l) => l.startsWith('data:'))!;
      const stored = line.replace(/^data:\s*"/, '').replace(/"$/, '');
      return {
        stored: Buffer.byteLength(stored),
        bytes: Buffer.byteLength(JSON.parse(`"${stored}"`) as string),
      };
    };
    for (const [i, name] of [V115, V111].entries()) {
      const { stored, bytes } = data(name);
      assert.equal(listing.items[i]!.storedBytes, stored);
      assert.ok(stored > bytes && stored < bytes * 1.05, `${name}: stored ${stored}, ${bytes} bytes`);
    }
  });

  it('show counts every escape Go writes as one byte, and gives the headers of one message', async () => {
    const name = 'm:esc_1';
    // \t, \", \\, an octal and a hex escape, raw UTF-8 (é is 2 bytes): 42 bytes in all.
    writeFileSync(
      join(dir, name),
      'ID: "esc_1"\nfrom: "a@b.test"\nTo: "c@d.test"\nrcpt: {\n  address: "c@d.test"\n}\n' +
        'data: "Subject: caf\\303\\251 \\"x\\"\\tz\\\\\\n\\x01X-A: é\\n\\nbody\\n"\n' +
        'created_at_ts: {\n  seconds: 1796622000\n}\n',
    );
    const listing = await readQueue(conn, { dir });
    const item = listing.items.find((i) => i.id === 'esc_1');
    const expected = Buffer.from('Subject: café "x"\tz\\\n\x01X-A: é\n\nbody\n', 'utf8');
    const stored = 'Subject: caf\\303\\251 \\"x\\"\\tz\\\\\\n\\x01X-A: é\\n\\nbody\\n';
    assert.equal(item?.storedBytes, Buffer.byteLength(stored), 'the listing: the data as stored');
    const shown = await showQueueMessage(conn, 'esc_1', { dir });
    assert.equal(shown.headers, 'Subject: café "x"\tz\\\n\x01X-A: é');
    assert.equal(shown.sizeBytes, expected.length);
    assert.equal(shown.headersCut, false);
  });
});

describe('how a queued message is told (tree and command line)', () => {
  const listing = parseQueueReport(report({ journal: JOURNAL }));
  const item = listing.items[0]!;

  it('label: the recipients waiting; description: age and the error cut short', () => {
    const view = queueItemView(item, listing, ENGLISH);
    assert.equal(view.label, 'bob@receiver.test, carol@receiver.test');
    assert.match(
      view.description,
      /^5 min 4 s · all MXs returned transient failures \(last: Could not dial: …$/,
    );
    assert.ok(view.description.length < 80);
    assert.ok(view.details.includes('Next try: in 2 min 17 s'), view.details.join('\n'));
    assert.ok(view.details.includes('To: bob@receiver.test (waiting, 2 attempts)'), view.details.join('\n'));
    assert.ok(
      view.details.some((d) => d.startsWith('Last error: all MXs') && d.endsWith('connection refused)')),
    );
  });

  it('control characters from the server are shown escaped', () => {
    const hostile = { ...item, lastError: 'bad\u001b[31m red\nforged line', from: 'a\u0007@b.test' };
    const view = queueItemView(hostile, listing, ENGLISH);
    assert.ok(
      ![...(view.description + view.details.join(''))].some((c) => c.charCodeAt(0) < 0x20),
      view.details.join(' | '),
    );
    assert.match(view.description, /bad\\x1b\[31m red\\x0aforged line/);
  });

  it('next try when chasquid is stopped, has not said, or is late', () => {
    assert.equal(
      nextTryText(item, { ...listing, chasquidState: 'failed' }, ENGLISH),
      'not while chasquid is failed',
    );
    assert.equal(nextTryText({ ...item, nextTryAt: null }, listing, ENGLISH), 'not said yet by chasquid');
    assert.equal(nextTryText({ ...item, nextTryAt: listing.readAt }, listing, ENGLISH), 'due now');
  });

  it('the Queue row: empty, oldest, no queue yet', () => {
    assert.equal(queueSummary(listing, ENGLISH), 'oldest 5 min 4 s');
    assert.equal(queueSummary({ ...listing, items: [] }, ENGLISH), 'empty');
    assert.equal(
      queueSummary({ ...listing, present: false, items: [] }, ENGLISH),
      'chasquid has no queue yet',
    );
  });
});
