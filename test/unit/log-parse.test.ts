// chasquid's log lines, taken from a sandbox VPS where mail was sent (fixtures/chasquid-journal.log):
// one accepted message forwarded through an alias, two rejections, a failed login.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LineRing, LineSplitter, parseLogLine, recentMessages, splitLogLine } from '../../src/core/logs';

const journal = readFileSync(join(__dirname, 'fixtures', 'chasquid-journal.log'), 'utf8').split('\n');

describe('chasquid log lines', () => {
  it('splits the journal prefix off', () => {
    const { time, message } = splitLogLine(
      '2026-11-28T06:56:38+00:00 vps chasquid[603]: daemon listening on [::]:25',
    );
    assert.equal(time, '2026-11-28T06:56:38+00:00');
    assert.equal(message, 'daemon listening on [::]:25');
  });

  it('reads syslog lines too (the /var/log/mail.log fallback)', () => {
    const e = parseLogLine('Nov 28 06:56:49 vps chasquid[603]: abc from=a@x.test to=b@y.test sent');
    assert.deepEqual(e, {
      kind: 'sent',
      time: 'Nov 28 06:56:49',
      id: 'abc',
      from: 'a@x.test',
      to: 'b@y.test',
    });
  });

  it('parses queued, failed, loop, rejected and auth lines from a real journal', () => {
    const events = journal.map(parseLogLine).filter((e) => e !== undefined);
    assert.deepEqual(
      events.map((e) => e.kind),
      [
        'auth',
        'queued',
        'failed',
        'loop',
        'rejected',
        'rejected',
        'auth',
        'queued',
        'auth',
        'failed',
        'loop',
      ],
    );
    const failed = events.find((e) => e.kind === 'failed');
    assert.ok(failed && failed.kind === 'failed');
    assert.equal(failed.permanent, false);
    assert.equal(failed.to, 'alice@elsewhere.test');
    assert.match(failed.error, /^Could not find mail server/);
    const auth = events.filter((e) => e.kind === 'auth').map((e) => e.kind === 'auth' && e.ok);
    assert.deepEqual(auth, [true, true, false]);
  });

  it('ignores chasquid debug lines that only look similar', () => {
    assert.equal(
      parseLogLine(
        '2026-11-28T06:56:49+00:00 vps chasquid[603]: _ conn.go:722        SMTP.Conn 198.51.100.25:58750: Queued from alice@example.test to [postmaster@example.test] - vz3BK_Wo6pw',
      ),
      undefined,
    );
  });

  it('parses the permanent failure and sent-successfully forms of older versions', () => {
    const e = parseLogLine('qid from=a@x to=b@y sent failed (permanent): 550 no such user');
    assert.deepEqual(e, {
      kind: 'failed',
      time: undefined,
      id: 'qid',
      from: 'a@x',
      to: 'b@y',
      permanent: true,
      error: '550 no such user',
    });
    assert.equal(parseLogLine('qid from=a@x to=b@y sent successfully')?.kind, 'sent');
  });
});

describe('recent messages', () => {
  it('lists the real journal newest first, with aliases resolved per delivery', () => {
    const rows = recentMessages(journal);
    assert.deepEqual(
      rows.map((r) => [r.queueId, r.from, r.to.join(','), r.result]),
      [
        ['G52G8012e5I', 'alice@example.test', 'bob@elsewhere.test', 'temporary failure'],
        [undefined, 'alice@example.test', 'someone@other.test', 'rejected'],
        [undefined, 'alice@example.test', 'nobody@example.test', 'rejected'],
        ['vz3BK_Wo6pw', 'alice@example.test', 'postmaster@example.test', 'temporary failure'],
      ],
    );
    assert.deepEqual(rows[3]?.deliveries, { 'alice@elsewhere.test': 'temporary failure' });
    assert.equal(rows[1]?.detail, 'relay not allowed');
  });

  it('a permanent failure outweighs a sent copy; a message queued earlier still shows', () => {
    const rows = recentMessages([
      'q1 from=a@x to=b@y sent',
      'q1 from=a@x to=c@y failed (permanent): 550 unknown',
    ]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.result, 'failed');
    assert.deepEqual(rows[0]?.deliveries, { 'b@y': 'sent', 'c@y': 'failed' });
  });

  it('keeps only the newest rows', () => {
    const lines = Array.from({ length: 10 }, (_, i) => `q${i} from=a@x queued ip=1.2.3.4:5 to=[b@y]`);
    assert.deepEqual(
      recentMessages(lines, 3).map((r) => r.queueId),
      ['q9', 'q8', 'q7'],
    );
    assert.equal(recentMessages(lines)[0]?.result, 'queued');
  });
});

describe('bounded log buffer', () => {
  it('keeps the last N lines in order', () => {
    const ring = new LineRing(3);
    for (const l of ['a', 'b', 'c', 'd', 'e']) ring.push(l);
    assert.deepEqual(ring.toArray(), ['c', 'd', 'e']);
    assert.equal(ring.text(), 'c\nd\ne\n');
    assert.equal(ring.size, 3);
  });

  it('splits chunks into lines across chunk borders', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('one\ntw'), ['one']);
    assert.deepEqual(s.push('o\r\nthree'), ['two']);
    assert.deepEqual(s.flush(), ['three']);
  });
});
