// Per-user sending limits: which limits each user gets from mailwright.yaml, the table the hook
// reads, and the post-data hook itself run by a real /bin/sh (with real awk, flock and date) the way
// chasquid runs it: counting, refusing at exactly the limit + 1, other users and received mail
// untouched, the rolling window (its timestamps moved back as time would), concurrent deliveries.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  countsOf,
  loginCounts,
  FORWARD_GUARD_HOOK,
  FORWARDING_TABLE,
  forwardingTable,
  LIMITS_LOG_FILE,
  LIMITS_TABLE,
  limitsTable,
  POST_DATA_HOOK,
  PREVIOUS_POST_DATA_HOOK,
} from '../../src/core/chasquid';
import { parseConfig, userSendingLimits, type HostConfig } from '../../src/core/config';
import type { Facts } from '../../src/core/facts';
import { sha256, type PlanContext } from '../../src/core/plan';
import { planHooks } from '../../src/core/plan/actions/hooks';
import { testDomain, testHost } from './config-fixture';

function loadHost(yaml: string): { host?: HostConfig; errors: string[] } {
  const loaded = parseConfig(yaml, 'mailwright.yaml');
  return {
    host: loaded.config?.hosts[0],
    errors: loaded.issues.filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`),
  };
}

const YAML = `version: 1
hosts:
  - name: vps
    ssh: root@203.0.113.10
    mailHost: mail.example.com
    limits: { messagesPerHour: 100, recipientsPerDay: 1000 }
    domains:
      - name: example.com
        users: [alice, bob, news]
        aliases: { '*': alice }
        limits:
          messagesPerHour: 50
          users:
            News: { messagesPerHour: off, recipientsPerDay: 20000 }
      - name: example.org
        users: [carol]
        aliases: { '*': carol }
`;

describe('sending limits in mailwright.yaml', () => {
  it('gives each user the host, then domain, then own limits, key by key; off lifts one', () => {
    const { host, errors } = loadHost(YAML);
    assert.deepEqual(errors, []);
    assert.ok(host);
    const [com, org] = host.domains;
    assert.deepEqual(userSendingLimits(host, com!, 'alice'), { messagesPerHour: 50, recipientsPerDay: 1000 });
    assert.deepEqual(userSendingLimits(host, com!, 'news'), { recipientsPerDay: 20000 });
    assert.deepEqual(userSendingLimits(host, org!, 'carol'), {
      messagesPerHour: 100,
      recipientsPerDay: 1000,
    });
  });

  it('refuses unknown users, bad numbers and unknown keys, saying what is allowed', () => {
    const bad = YAML.replace('News:', 'dave:').replace('messagesPerHour: 50', 'messagesPerHour: 0');
    const { errors } = loadHost(bad.replace('recipientsPerDay: 1000', 'recipientsPerWeek: 1000'));
    assert.equal(errors.length, 3, errors.join('\n'));
    assert.match(errors.join('\n'), /limits\.users\.dave: "dave" is not a user of this domain/);
    assert.match(
      errors.join('\n'),
      /limits\.messagesPerHour: "0" is not a valid limit .*1 to 1000000, or off/,
    );
    assert.match(errors.join('\n'), /unknown key "recipientsPerWeek"/);
  });

  it('writes a table with every user and a line for other logins of each domain, none without limits', () => {
    const { host } = loadHost(YAML);
    const lines = limitsTable(host!, '/state')!
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines, [
      'state /state',
      'limit alice@example.com 50 - - 1000',
      'limit bob@example.com 50 - - 1000',
      'limit news@example.com - - - 20000',
      'limit *@example.com 50 - - 1000',
      'limit carol@example.org 100 - - 1000',
      'limit *@example.org 100 - - 1000',
    ]);
    assert.equal(limitsTable(testHost({ domains: [testDomain()] })), undefined);
  });
});

const limited = testHost({
  limits: { messagesPerHour: 3, recipientsPerHour: 5 },
  domains: [
    testDomain({ name: 'example.com', users: ['alice', 'bob'], aliases: { '*': ['alice'] } }),
    testDomain({
      name: 'example.org',
      users: ['carol'],
      aliases: { '*': ['carol'] },
      limits: { messagesPerDay: 4, users: {} },
    }),
  ],
});

interface Bed {
  dir: string;
  state: string;
}

function bed(host: HostConfig = limited): Bed {
  const dir = mkdtempSync(join(tmpdir(), 'mw-limits-'));
  const state = join(dir, 'state');
  mkdirSync(join(dir, 'hooks'));
  mkdirSync(state);
  writeFileSync(join(dir, POST_DATA_HOOK), FORWARD_GUARD_HOOK);
  chmodSync(join(dir, POST_DATA_HOOK), 0o755);
  writeFileSync(join(dir, FORWARDING_TABLE), forwardingTable(host.domains));
  writeFileSync(join(dir, LIMITS_TABLE), limitsTable(host, state)!);
  writeFileSync(join(dir, PREVIOUS_POST_DATA_HOOK), '#!/bin/sh\ncat >/dev/null\necho "X-Previous: ran"\n');
  chmodSync(join(dir, PREVIOUS_POST_DATA_HOOK), 0o755);
  return { dir, state };
}

function hookEnv(auth: string, rcpts: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', AUTH_AS: auth, RCPT_TO: rcpts, SPF_PASS: '1' };
}

function send(b: Bed, auth: string, rcpts = 'x@gmail.com') {
  const r = spawnSync(join(b.dir, POST_DATA_HOOK), [], {
    cwd: b.dir,
    input: 'Subject: hi\r\n\r\nbody\r\n',
    env: hookEnv(auth, rcpts),
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout.trim() };
}

function logOf(b: Bed): string[] {
  const file = join(b.state, LIMITS_LOG_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Moves every counted message `seconds` into the past, as waiting would. */
function age(b: Bed, seconds: number): void {
  const file = join(b.state, LIMITS_LOG_FILE);
  const moved = logOf(b).map((line) => {
    const [time, ...rest] = line.split(' ');
    return [Number(time) - seconds, ...rest].join(' ');
  });
  writeFileSync(file, moved.map((l) => `${l}\n`).join(''));
}

const OK = { code: 0, out: 'X-Previous: ran' };

describe('the post-data hook with sending limits (real sh)', () => {
  it('accepts exactly the limit, refuses the next one for a while, and leaves other users alone', () => {
    const b = bed();
    for (let i = 1; i <= 3; i++) assert.deepEqual(send(b, 'alice@example.com'), OK, `message ${i}`);
    const refused = send(b, 'Alice@Example.com');
    assert.equal(refused.code, 75, 'a temporary failure (not 20): chasquid answers 451');
    const first = Number(logOf(b)[0]!.split(' ')[0]);
    const at = new Date((first + 3600) * 1000).toISOString().slice(11, 16);
    assert.equal(
      refused.out,
      `4.7.0 Sending limit of 3 messages per hour reached for alice@example.com; try again after ${at} UTC.`,
    );
    assert.deepEqual(send(b, 'bob@example.com'), OK, 'bob has his own count');
    assert.deepEqual(send(b, '', 'alice@example.com'), OK, 'mail received from outside is not counted');
    assert.deepEqual(
      logOf(b).map((l) => l.split(' ')[1]),
      ['alice@example.com', 'alice@example.com', 'alice@example.com', 'bob@example.com'],
    );
  });

  it('counts in a rolling hour: once the oldest message is an hour old, one more may go', () => {
    const b = bed();
    for (let i = 0; i < 3; i++) assert.equal(send(b, 'alice@example.com').code, 0);
    age(b, 3590);
    assert.equal(send(b, 'alice@example.com').code, 75, 'still within the hour');
    age(b, 10);
    assert.deepEqual(send(b, 'alice@example.com'), OK);
    assert.equal(send(b, 'alice@example.com').code, 0);
    assert.equal(send(b, 'alice@example.com').code, 0);
    assert.equal(send(b, 'alice@example.com').code, 75, 'three in the new hour');
  });

  it('counts recipients, and refuses for good a message with more recipients than the limit', () => {
    const b = bed();
    assert.deepEqual(send(b, 'bob@example.com', 'a@x.test b@x.test c@x.test'), OK);
    const r = send(b, 'bob@example.com', 'd@x.test e@x.test f@x.test');
    assert.equal(r.code, 75);
    assert.match(r.out, /^4\.7\.0 Sending limit of 5 recipients per hour reached for bob@example\.com;/);
    assert.deepEqual(send(b, 'bob@example.com', 'd@x.test e@x.test'), OK, 'exactly 5');
    const tooMany = send(b, 'alice@example.com', 'a@x b@x c@x d@x e@x f@x');
    assert.equal(tooMany.code, 20);
    assert.match(
      tooMany.out,
      /^5\.5\.3 This message has 6 recipients, more than the limit of 5 recipients per hour/,
    );
  });

  it('keeps a day for the daily limit, tells the later time when two limits are reached, and forgets older lines', () => {
    const b = bed();
    for (let i = 0; i < 3; i++) assert.equal(send(b, 'carol@example.org').code, 0);
    age(b, 7200);
    assert.equal(send(b, 'carol@example.org').code, 0, 'the hourly count is back to 0');
    const r = send(b, 'carol@example.org');
    assert.equal(r.code, 75);
    assert.match(r.out, /Sending limit of 4 messages per day reached for carol@example\.org/);
    age(b, 86400 - 7200);
    assert.equal(send(b, 'carol@example.org').code, 0, 'the first three are a day old');
    assert.equal(logOf(b).length, 2, 'lines older than a day are dropped: the log cannot grow without end');
  });

  it('uses the domain line for a login that is not in mailwright.yaml', () => {
    const b = bed();
    for (let i = 0; i < 3; i++) assert.equal(send(b, 'ghost@example.com').code, 0);
    assert.equal(send(b, 'ghost@example.com').code, 75);
    assert.deepEqual(send(b, 'ghost@elsewhere.test'), OK, 'no line at all: no limit, not counted');
    assert.equal(logOf(b).length, 3);
  });

  it('refuses for now, rather than sends uncounted, when the counts cannot be kept', () => {
    const b = bed();
    rmSync(b.state, { recursive: true });
    const r = send(b, 'alice@example.com');
    assert.equal(r.code, 75);
    assert.equal(
      r.out,
      '4.3.0 The sending limits of alice@example.com could not be checked on this server; try again later.',
    );
  });

  it('does nothing without the table (limits off)', () => {
    const b = bed();
    rmSync(join(b.dir, LIMITS_TABLE));
    for (let i = 0; i < 5; i++) assert.deepEqual(send(b, 'alice@example.com'), OK);
    assert.deepEqual(logOf(b), []);
  });

  it('lets exactly the limit through when many messages arrive at once', async () => {
    const host = testHost({
      limits: { messagesPerHour: 7 },
      domains: [testDomain({ name: 'example.com', users: ['alice'] })],
    });
    const b = bed(host);
    const codes = await Promise.all(
      Array.from(
        { length: 16 },
        () =>
          new Promise<number | null>((resolve) => {
            const child = spawn(join(b.dir, POST_DATA_HOOK), [], {
              cwd: b.dir,
              env: hookEnv('alice@example.com', 'x@gmail.com'),
              stdio: ['pipe', 'ignore', 'ignore'],
            });
            child.stdin.end('Subject: hi\r\n\r\nbody\r\n');
            child.on('close', resolve);
          }),
      ),
    );
    assert.equal(codes.filter((c) => c === 0).length, 7, codes.join(' '));
    assert.equal(codes.filter((c) => c === 75).length, 9, codes.join(' '));
    assert.equal(logOf(b).length, 7);
  });
});

describe('loginCounts', () => {
  it('lists every user with counts against limits, then logins only the log names', () => {
    const now = 100_000;
    const log = [
      `${now - 30} alice@example.com 1`,
      `${now - 20} alice@example.com 1`,
      `${now - 10} alice@example.com 4`,
      `${now - 5} ghost@example.com 1`,
    ].join('\n');
    const rows = loginCounts(limited, log, now);
    assert.deepEqual(
      rows.map((r) => [
        r.login,
        r.counts.messagesPerHour,
        r.counts.recipientsPerHour,
        r.reached,
        r.unlisted ?? false,
      ]),
      [
        ['alice@example.com', 3, 6, ['messagesPerHour', 'recipientsPerHour'], false],
        ['bob@example.com', 0, 0, [], false],
        ['carol@example.org', 0, 0, [], false],
        ['ghost@example.com', 1, 1, [], true],
      ],
    );
  });
});

describe('countsOf', () => {
  it("sums a login's messages and recipients per window", () => {
    const now = 100_000;
    const log = [
      `${now - 90000} alice@x 9`,
      `${now - 7200} alice@x 2`,
      `${now - 60} alice@x 3`,
      `${now - 10} bob@x 1`,
    ].join('\n');
    assert.deepEqual(countsOf(log, 'alice@x', now), {
      messagesPerHour: 1,
      messagesPerDay: 2,
      recipientsPerHour: 3,
      recipientsPerDay: 5,
    });
  });
});

describe('planHooks with sending limits', () => {
  const path = `/etc/chasquid/${LIMITS_TABLE}`;
  const ctx = (host: HostConfig, confFiles?: Record<string, string>, managed = confFiles) =>
    ({
      host,
      facts: { confFiles, chasquidState: managed && { domains: {}, managed } } as unknown as Facts,
      chasquidPath: 'native-dkim',
      now: new Date(),
    }) as PlanContext;
  const inPlace = (host: HostConfig) => ({
    [`/etc/chasquid/${FORWARDING_TABLE}`]: sha256(forwardingTable(host.domains)),
    [`/etc/chasquid/${POST_DATA_HOOK}`]: sha256(FORWARD_GUARD_HOOK),
  });

  it('writes the table with its reason, then nothing; a hand edit is drift; no limits: removed', () => {
    const fresh = planHooks(ctx(limited, inPlace(limited)));
    assert.deepEqual(
      fresh.map((a) => a.id),
      ['hooks:limits'],
    );
    assert.match(fresh[0]!.reason, /stolen password/);
    const written = { ...inPlace(limited), [path]: sha256(limitsTable(limited)!) };
    assert.deepEqual(planHooks(ctx(limited, written)), []);
    const edited = planHooks(ctx(limited, { ...written, [path]: sha256('edited') }, written));
    assert.deepEqual(
      edited.map((a) => [a.id, Boolean(a.drift)]),
      [['hooks:limits', true]],
    );
    const off = testHost({ domains: limited.domains.map((d) => ({ ...d, limits: undefined })) });
    const removal = planHooks(ctx(off, { ...inPlace(off), [path]: sha256(limitsTable(limited)!) }));
    assert.deepEqual(
      removal.map((a) => [a.id, a.title]),
      [['hooks:limits', 'Remove the sending limits']],
    );
    assert.deepEqual(planHooks(ctx(off, inPlace(off))), []);
  });
});
