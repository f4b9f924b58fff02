// The sending-limit checks: the reading script's rows parsed, each login and limit judged by its
// quiet time, and the alert rule over a timeline of runs — one alert per episode, one "resolved"
// once the login was quiet long enough, a new episode alerted again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertsFor, nextCheckState, parseCheckState, type CheckState } from '../../src/core/checks/alerts';
import { alertText } from '../../src/core/checks/notify';
import type { ServerCheckReport } from '../../src/core/checks/server';
import {
  limitEventsWindow,
  parseLimitEvents,
  quietSeconds,
  sendingLimitChecks,
  type LimitEpisode,
  type LimitEvents,
} from '../../src/core/checks/sending-limits';
import type { HostConfig } from '../../src/core/config';

const T0 = 1_796_650_000;
const HOUR = 3600;

function host(every?: string): HostConfig {
  return {
    name: 'vps',
    ssh: { user: 'root', host: '198.51.100.2', port: 22 },
    mailHost: 'smtp.example.com',
    domains: [],
    limits: { messagesPerHour: 3 },
    ...(every && { monitor: { every } }),
  } as HostConfig;
}

const episode = (over: Partial<LimitEpisode> = {}): LimitEpisode => ({
  login: 'alice@example.com',
  limit: 'messagesPerHour',
  max: 3,
  refusals: 1,
  first: T0,
  last: T0,
  ...over,
});

const events = (now: number, episodes: LimitEpisode[], more = 0): LimitEvents => ({
  now,
  window: 86_400,
  episodes,
  more,
});

describe('sending-limit checks: reading', () => {
  it('parses the rows the server prints, leaving out what does not parse', () => {
    const text = [
      `@@ now ${T0 + 60}`,
      `@@ episode alice@example.com messagesPerHour 3 4 ${T0} ${T0 + 30}`,
      `@@ episode bob@example.com not-checked - 2 ${T0} ${T0 + 1}`,
      `@@ episode eve@example.com bogusLimit 3 1 ${T0} ${T0}`,
      `@@ episode mallory@example.com messagesPerDay 3 x ${T0} ${T0}`,
      '@@ more 7',
      'journalctl: some noise',
    ].join('\n');
    const parsed = parseLimitEvents(text, 86_400);
    assert.equal(parsed.now, T0 + 60);
    assert.equal(parsed.more, 7);
    assert.deepEqual(parsed.episodes, [
      episode({ refusals: 4, last: T0 + 30 }),
      { login: 'bob@example.com', limit: 'not-checked', refusals: 2, first: T0, last: T0 + 1 },
    ]);
  });

  it('reads back as far as the longest quiet time, which covers the timer’s period', () => {
    assert.equal(quietSeconds(host(), 'messagesPerHour'), HOUR);
    assert.equal(quietSeconds(host(), 'recipientsPerDay'), 24 * HOUR);
    assert.equal(limitEventsWindow(host()), 24 * HOUR);
    // A timer every 6 h: an hourly episode between two runs must still be seen by the next one.
    assert.ok(quietSeconds(host('6h'), 'messagesPerHour') > 6 * HOUR * 1.05);
    assert.ok(limitEventsWindow(host('24h')) > 24 * HOUR * 1.05);
  });
});

describe('sending-limit checks: judging', () => {
  it('warns while a login is being refused, with who, which limit and the fix', () => {
    const [check, ...rest] = sendingLimitChecks(host(), events(T0 + 600, [episode({ refusals: 5 })]));
    assert.deepEqual(rest, []);
    assert.equal(check!.id, 'sending-limit:alice@example.com:messagesPerHour');
    assert.equal(check!.status, 'warn');
    assert.equal(check!.title, 'alice@example.com reached the limit of 3 messages per hour');
    assert.match(check!.evidence.join('\n'), /5 message\(s\) refused from 2026-12-07 \d\d:\d\d UTC/);
    assert.match(check!.fix!, /mailwright user passwd alice@example\.com/);
    assert.match(check!.fix!, /messagesPerHour/);
  });

  it('passes once no refusal came for the limit’s window', () => {
    const [check] = sendingLimitChecks(host(), events(T0 + HOUR, [episode()]));
    assert.equal(check!.status, 'pass');
    assert.equal(check!.fix, undefined);
    assert.match(check!.evidence.join('\n'), /None since, for 1 h/);
  });

  it('a daily limit stays an episode for a day', () => {
    const daily = episode({ limit: 'recipientsPerDay', max: 100 });
    assert.equal(sendingLimitChecks(host(), events(T0 + 20 * HOUR, [daily]))[0]!.status, 'warn');
    assert.equal(sendingLimitChecks(host(), events(T0 + 24 * HOUR, [daily]))[0]!.status, 'pass');
  });

  it('counts that could not be kept fail: every message of that login is refused', () => {
    const [check] = sendingLimitChecks(
      host(),
      events(T0 + 60, [{ login: 'bob@example.com', limit: 'not-checked', refusals: 2, first: T0, last: T0 }]),
    );
    assert.equal(check!.id, 'sending-limit:bob@example.com:not-checked');
    assert.equal(check!.status, 'fail');
    assert.match(check!.fix!, /mailwright apply/);
  });

  it('one passing row when nobody was refused; a warning for rows left off; a warning when unreadable', () => {
    assert.deepEqual(
      sendingLimitChecks(host(), events(T0, [])).map((c) => [c.id, c.status]),
      [['sending-limits', 'pass']],
    );
    const many = sendingLimitChecks(host(), events(T0 + 60, [episode()], 3));
    assert.deepEqual(
      many.map((c) => [c.id, c.status]),
      [
        ['sending-limit:alice@example.com:messagesPerHour', 'warn'],
        ['sending-limits', 'warn'],
      ],
    );
    const broken = sendingLimitChecks(host(), new Error('journalctl: permission denied'));
    assert.equal(broken[0]!.status, 'warn');
    assert.match(broken[0]!.evidence[0]!, /permission denied/);
    assert.deepEqual(sendingLimitChecks(host(), undefined), []);
  });
});

describe('sending-limit alerts: one per episode', () => {
  const report = (now: number, episodes: LimitEpisode[]): ServerCheckReport => ({
    host: 'vps',
    mailHost: 'smtp.example.com',
    checkedAt: new Date(now * 1000).toISOString(),
    durationMs: 1,
    ranOn: 'server',
    checks: sendingLimitChecks(host('1h'), events(now, episodes)),
  });
  const runAt = (state: CheckState, now: number, episodes: LimitEpisode[]) => {
    const r = report(now, episodes);
    const alerts = alertsFor(state, r);
    return { alerts, state: nextCheckState(state, r, alerts) };
  };

  it('alerts at the first refusal, not at the next ones, resolves after the quiet time, alerts a new episode', () => {
    let state = parseCheckState(undefined);
    let step = runAt(state, T0 + 60, [episode()]);
    assert.deepEqual(
      step.alerts.map((a) => `${a.kind} ${a.check.id}`),
      ['problem sending-limit:alice@example.com:messagesPerHour'],
    );
    const text = alertText(step.alerts[0]!);
    assert.match(text, /^vps: WARN alice@example\.com reached the limit of 3 messages per hour/);
    assert.match(text, /Fix: If alice@example\.com did not send this much/);
    state = step.state;

    // Refused again and again within the hour: the same episode, nothing new is told.
    step = runAt(state, T0 + 1800, [episode({ refusals: 9, last: T0 + 1700 })]);
    assert.deepEqual(step.alerts, []);
    state = step.state;

    // Another login's episode is its own alert.
    const bob = episode({
      login: 'bob@example.com',
      limit: 'recipientsPerHour',
      max: 50,
      first: T0 + 1900,
      last: T0 + 1900,
    });
    step = runAt(state, T0 + 2000, [episode({ refusals: 9, last: T0 + 1700 }), bob]);
    assert.deepEqual(
      step.alerts.map((a) => `${a.kind} ${a.check.id}`),
      ['problem sending-limit:bob@example.com:recipientsPerHour'],
    );
    state = step.state;

    // Quiet for longer than the quiet time: one "resolved" for alice, then nothing.
    const quiet = T0 + 1700 + quietSeconds(host('1h'), 'messagesPerHour') + 1;
    step = runAt(state, quiet, [episode({ refusals: 9, last: T0 + 1700 }), bob]);
    assert.deepEqual(
      step.alerts.map((a) => `${a.kind} ${a.check.id}`),
      ['resolved sending-limit:alice@example.com:messagesPerHour'],
    );
    state = step.state;
    assert.deepEqual(runAt(state, quiet + 60, [episode({ refusals: 9, last: T0 + 1700 }), bob]).alerts, []);

    // A refusal after the quiet time is a new episode: told once more (and bob's is over by now).
    step = runAt(state, quiet + 600, [episode({ refusals: 10, last: quiet + 500 }), bob]);
    assert.deepEqual(
      step.alerts.map((a) => `${a.kind} ${a.check.id}`),
      [
        'problem sending-limit:alice@example.com:messagesPerHour',
        'resolved sending-limit:bob@example.com:recipientsPerHour',
      ],
    );
  });

  it('an episode between two runs of a slow timer is still told once', () => {
    const slow = host('6h');
    const r = (now: number): ServerCheckReport => ({
      host: 'vps',
      mailHost: 'smtp.example.com',
      checkedAt: new Date(now * 1000).toISOString(),
      durationMs: 1,
      ranOn: 'server',
      checks: sendingLimitChecks(slow, events(now, [episode()])),
    });
    // The refusal came just after one run; the next run is 6 h (and its random delay) later.
    const next = T0 + 6 * HOUR + 60;
    const alerts = alertsFor(parseCheckState(undefined), r(next));
    assert.deepEqual(
      alerts.map((a) => `${a.kind} ${a.check.id}`),
      ['problem sending-limit:alice@example.com:messagesPerHour'],
    );
  });
});
