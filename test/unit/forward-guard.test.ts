// Mailwright's post-data hook, run by a real /bin/sh the way chasquid runs it (in the config
// directory, with chasquid's environment and the message on stdin): unverified senders are
// refused for forwarded recipients only, and the previous hook still runs for everyone else.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  FORWARD_GUARD_HOOK,
  FORWARDING_TABLE,
  forwardingTable,
  POST_DATA_HOOK,
  PREVIOUS_POST_DATA_HOOK,
} from '../../src/core/chasquid';
import type { Facts } from '../../src/core/facts';
import { sha256, type PlanContext } from '../../src/core/plan';
import { planHooks } from '../../src/core/plan/actions/hooks';
import { testDomain, testHost } from './config-fixture';

const forwardOnly = testDomain({
  name: 'fwd.test',
  users: ['alice'],
  aliases: { alice: ['alice@gmail.com'], '*': ['alice'] },
});
const withMailboxes = testDomain({
  name: 'box.test',
  users: ['bob', 'carol'],
  mailboxes: true,
  aliases: { carol: ['carol@gmail.com'], 'jo.ann': ['bob'], '*': ['me@gmail.com'] },
});

function configDir(previousHook?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-hook-'));
  mkdirSync(join(dir, 'hooks'));
  writeFileSync(join(dir, POST_DATA_HOOK), FORWARD_GUARD_HOOK);
  chmodSync(join(dir, POST_DATA_HOOK), 0o755);
  writeFileSync(join(dir, FORWARDING_TABLE), forwardingTable([forwardOnly, withMailboxes]));
  if (previousHook !== undefined) {
    writeFileSync(join(dir, PREVIOUS_POST_DATA_HOOK), previousHook);
    chmodSync(join(dir, PREVIOUS_POST_DATA_HOOK), 0o755);
  }
  return dir;
}

function runHook(dir: string, env: Record<string, string>) {
  const r = spawnSync(join(dir, POST_DATA_HOOK), [], {
    cwd: dir,
    input: 'Subject: hi\r\n\r\nbody\r\n',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout.trim() };
}

describe("Mailwright's post-data hook (real sh)", () => {
  it('lists forward-only domains, forwarded and local addresses, and a catch-all that forwards', () => {
    const table = forwardingTable([forwardOnly, withMailboxes])
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(table, [
      'forward-all fwd.test',
      'local bob@box.test',
      'forward carol@box.test',
      'local jo.ann@box.test',
      'forward-unknown box.test',
    ]);
  });

  it('refuses an unverified sender for forwarded recipients with a permanent error, before any other hook', () => {
    const dir = configDir('#!/bin/sh\ncat >/dev/null\necho "X-Previous: ran"\n');
    for (const rcpt of [
      'alice@fwd.test',
      'Anyone@FWD.test',
      'carol+tag@box.test',
      'c.a.rol@box.test',
      'stranger@box.test',
    ]) {
      const r = runHook(dir, {
        RCPT_TO: `bob@box.test ${rcpt}`,
        SPF_PASS: '0',
        AUTH_AS: '',
        REMOTE_ADDR: '198.51.100.9:40112',
      });
      assert.equal(r.code, 20, `${rcpt}: ${r.out}`);
      assert.match(r.out, /^5\.7\.1 .*SPF/);
    }
  });

  it('lets through local recipients, senders that pass SPF and authenticated users, running the previous hook', () => {
    const dir = configDir('#!/bin/sh\ncat >/dev/null\necho "X-Previous: ran"\n');
    const cases: Array<Record<string, string>> = [
      { RCPT_TO: 'bob@box.test jo.ann@box.test joann+x@box.test', SPF_PASS: '0', AUTH_AS: '' },
      { RCPT_TO: 'alice@fwd.test carol@box.test', SPF_PASS: '1', AUTH_AS: '' },
      { RCPT_TO: 'alice@fwd.test', SPF_PASS: '0', AUTH_AS: 'bob@box.test' },
      { RCPT_TO: 'someone@gmail.com', SPF_PASS: '0', AUTH_AS: '' },
      // From this machine itself (the checks' mail alert), over IPv4 or IPv6 loopback.
      { RCPT_TO: 'alice@fwd.test', SPF_PASS: '0', AUTH_AS: '', REMOTE_ADDR: '127.0.0.1:40112' },
      { RCPT_TO: 'stranger@box.test', SPF_PASS: '0', AUTH_AS: '', REMOTE_ADDR: '[::1]:40112' },
    ];
    for (const env of cases)
      assert.deepEqual(runHook(dir, env), { code: 0, out: 'X-Previous: ran' }, JSON.stringify(env));
  });

  it("passes the previous hook's refusal through, and works without a previous hook", () => {
    assert.deepEqual(
      runHook(configDir('#!/bin/sh\necho "spam detected"\nexit 20\n'), {
        RCPT_TO: 'bob@box.test',
        SPF_PASS: '1',
      }),
      {
        code: 20,
        out: 'spam detected',
      },
    );
    assert.deepEqual(runHook(configDir(), { RCPT_TO: 'bob@box.test', SPF_PASS: '1' }), { code: 0, out: '' });
  });
});

describe('planHooks', () => {
  const host = testHost({ domains: [forwardOnly] });
  const ctx = (confFiles?: Record<string, string>, managed = confFiles) =>
    ({
      host,
      facts: {
        confFiles,
        chasquidState: managed && { domains: {}, managed },
      } as unknown as Facts,
      chasquidPath: 'legacy',
      now: new Date(),
    }) as PlanContext;

  it('writes the table and the hook, keeping the previous hook, and nothing once they are in place', () => {
    const fresh = planHooks(ctx());
    assert.deepEqual(
      fresh.map((a) => a.id),
      ['hooks:forwarding', 'hooks:post-data'],
    );
    const inPlace = {
      [`/etc/chasquid/${FORWARDING_TABLE}`]: sha256(forwardingTable(host.domains)),
      [`/etc/chasquid/${POST_DATA_HOOK}`]: sha256(FORWARD_GUARD_HOOK),
    };
    assert.deepEqual(planHooks(ctx(inPlace)), []);
    const changed = planHooks(
      ctx({ ...inPlace, [`/etc/chasquid/${POST_DATA_HOOK}`]: sha256('edited') }, inPlace),
    );
    assert.deepEqual(
      changed.map((a) => [a.id, Boolean(a.drift)]),
      [['hooks:post-data', true]],
      'a hand-edited hook is drift',
    );
  });
});
