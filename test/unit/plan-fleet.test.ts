// Several hosts at once: planned and applied side by side, one host's failure reported without
// stopping the others, the combined plan and the per-host results as the CLI prints them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Facts } from '../../src/core/facts';
import { UsageError } from '../../src/core/errors';
import {
  applyFleet,
  changingEntries,
  CONSENT_DECLINED,
  gateFleet,
  fleetActionCount,
  fleetExitCode,
  formatFleetPlan,
  formatFleetResults,
  oneAtATime,
  planFleet,
  refuse,
  type Action,
  type ApplyResult,
  type Plan,
} from '../../src/core/plan';
import { CancelledError } from '../../src/core/remote';

const facts = { os: { prettyName: 'Debian GNU/Linux 13 (trixie)' } } as Facts;
const action = (id: string): Action => ({
  id,
  kind: id,
  title: `Do ${id}`,
  reason: `${id} is missing`,
  apply: async () => undefined,
  verify: async () => undefined,
});
const planOf = (host: string, ...ids: string[]): Plan => ({
  host,
  facts,
  actions: ids.map(action),
  notes: [],
});
const okResult = (applied: string[]): ApplyResult => ({
  ok: true,
  cancelled: false,
  applied,
  changedFiles: [],
});

/** Resolves once `count` parties have arrived: proves they were all running at the same time. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  return () => {
    if (++arrived === count) release();
    return all;
  };
}

const hosts = [
  { name: 'a' },
  { name: 'b', ssh: { user: 'root', host: '2001:db8::9', port: 2222 } },
  { name: 'c' },
];

describe('planFleet', () => {
  it('plans every host at the same time; one that throws is refused and the others keep their plans', async () => {
    const together = barrier(2);
    const entries = await planFleet(hosts, async (host) => {
      if (host.name === 'b') throw new Error('connect ECONNREFUSED 198.51.100.9:22\x1b[2J');
      // a and c wait for each other: a sequential run would never get past this.
      await together();
      return {
        plan: planOf(host.name, ...(host.name === 'a' ? ['install', 'conf'] : [])),
        target: `root@${host.name}:22`,
      };
    });
    assert.deepEqual(
      entries.map((e) => [e.host, e.target, e.plan?.actions.length, e.refused]),
      [
        ['a', 'root@a:22', 2, undefined],
        ['b', 'root@[2001:db8::9]:2222', undefined, 'connect ECONNREFUSED 198.51.100.9:22\\x1b[2J'],
        ['c', 'root@c:22', 0, undefined],
      ],
    );
    assert.equal(fleetActionCount(entries), 2);
  });

  it('Ctrl-C cancels them all: a cancelled signal makes the whole plan a CancelledError', async () => {
    const abort = new AbortController();
    await assert.rejects(
      planFleet(
        hosts,
        async (host) => {
          if (host.name === 'a') abort.abort();
          return { plan: planOf(host.name), target: host.name };
        },
        abort.signal,
      ),
      CancelledError,
    );
  });
});

describe('formatFleetPlan', () => {
  it("a header per host, each host's plan, a refusal beside the others' plans, and a summary", () => {
    const text = formatFleetPlan([
      { host: 'a', target: 'root@a:22', plan: planOf('a', 'install') },
      {
        host: 'b',
        refused: 'b: mail would be lost or fail, so nothing is changed:\n  - alice has no mailbox.',
      },
      refuse(
        { host: 'c', target: 'root@c:22', plan: planOf('c', 'conf') },
        '1 file(s) were edited on the server.',
      ),
      { host: 'd', target: 'root@d:22', plan: planOf('d') },
    ]);
    assert.equal(
      text,
      [
        '=== a (root@a:22) ===',
        'Plan for a (root@a:22, Debian GNU/Linux 13 (trixie)):',
        '  1. Do install',
        '     why: install is missing',
        '',
        '=== b ===',
        'REFUSED: b will not be changed:',
        '  b: mail would be lost or fail, so nothing is changed:',
        '    - alice has no mailbox.',
        '',
        '=== c (root@c:22) ===',
        'Plan for c (root@c:22, Debian GNU/Linux 13 (trixie)):',
        '  1. Do conf',
        '     why: conf is missing',
        'REFUSED: c will not be changed:',
        '  1 file(s) were edited on the server.',
        '',
        '=== d (root@d:22) ===',
        'Plan for d (root@d:22, Debian GNU/Linux 13 (trixie)):',
        '  Nothing to do: the server already matches mailwright.yaml.',
        '',
        '4 host(s): 1 to change (1 action(s)), 1 already right, 2 refused (b, c).',
      ].join('\n'),
    );
  });
});

describe('applyFleet', () => {
  it('applies the hosts side by side; a failing or throwing host does not stop the others', async () => {
    const together = barrier(3);
    const applied: string[] = [];
    const outcomes = await applyFleet(
      [
        { host: 'a', plan: planOf('a', 'install') },
        { host: 'b', plan: planOf('b', 'install', 'conf') },
        { host: 'c', plan: planOf('c', 'conf') },
        { host: 'd', plan: planOf('d') },
        { host: 'e', refused: 'cannot reach e' },
      ],
      async (entry) => {
        await together();
        applied.push(entry.host);
        if (entry.host === 'b')
          return {
            ok: false,
            cancelled: false,
            applied: ['install'],
            changedFiles: [],
            failed: { id: 'conf', message: 'chasquid did not start', hint: 'see the log' },
          };
        if (entry.host === 'c') throw new Error('Connection lost\nbefore the end');
        return okResult(entry.plan.actions.map((a) => a.id));
      },
    );
    assert.deepEqual(applied.sort(), ['a', 'b', 'c'], 'an empty plan and a refused host are not run');
    assert.deepEqual(
      outcomes.map((o) => `${o.host} ${o.status} ${o.detail}`),
      [
        'a ok 1 action(s) applied',
        'b failed stopped at "conf": chasquid did not start (see the log)',
        'c failed Connection lost\nbefore the end',
        'd nothing the server already matches mailwright.yaml',
        'e failed cannot reach e',
      ],
    );
    assert.equal(fleetExitCode(outcomes), 1);
    assert.equal(
      formatFleetResults(outcomes),
      [
        'Results:',
        '  a     ok: 1 action(s) applied',
        '  b     FAILED: stopped at "conf": chasquid did not start (see the log)',
        '  c     FAILED: Connection lost',
        '            before the end',
        '  d     nothing to do',
        '  e     FAILED: cannot reach e',
        '3 of 5 host(s) did not succeed: b, c, e.',
      ].join('\n'),
    );
  });

  it('exit 0 only when every host succeeded or had nothing to do; 130 when cancelled', async () => {
    const all = await applyFleet(
      [
        { host: 'a', plan: planOf('a', 'x') },
        { host: 'b', plan: planOf('b') },
      ],
      async (entry) => okResult(entry.plan.actions.map((a) => a.id)),
    );
    assert.equal(fleetExitCode(all), 0);
    assert.match(formatFleetResults(all), /All 2 host\(s\) succeeded\.$/);
    const cancelled = await applyFleet([{ host: 'a', plan: planOf('a', 'x', 'y') }], async () => ({
      ok: false,
      cancelled: true,
      applied: ['x'],
      changedFiles: [],
    }));
    assert.deepEqual(cancelled, [{ host: 'a', status: 'cancelled', detail: 'cancelled after 1 action(s)' }]);
    assert.equal(fleetExitCode(cancelled), 130);
  });
});

describe('gateFleet: the refusals of a combined plan, the same in the CLI and the editor', () => {
  const drifted = (host: string): Plan => {
    const plan = planOf(host, 'conf');
    plan.actions[0]!.drift = { path: '/etc/chasquid/chasquid.conf' } as Action['drift'];
    return plan;
  };
  const needsConsent = (host: string): Plan => {
    const plan = planOf(host, 'renewal:dns-credential', 'timer');
    plan.actions[0]!.consent = `Store the DNS credential on ${host}?`;
    return plan;
  };
  const entries = [
    { host: 'a', plan: drifted('a') },
    { host: 'b', plan: needsConsent('b') },
    { host: 'c', refused: 'unreachable' },
    { host: 'd', plan: needsConsent('d') },
    { host: 'e', plan: needsConsent('e') },
    { host: 'f', plan: planOf('f') },
  ];

  it('refuses hand-edited files without a decision, and asks each host for its consents in turn', async () => {
    const asked: string[] = [];
    const { entries: gated, consents } = await gateFleet(entries, {
      driftRefusal: (paths) => `edited by hand: ${paths.join(', ')}`,
      consent: async (host, missing) => {
        asked.push(`${host}: ${missing.map((m) => m.question).join(' | ')}`);
        if (host === 'd') return undefined;
        if (host === 'e') throw new UsageError('pass --store-credential-on-server');
        return missing.map((m) => m.id);
      },
    });
    assert.deepEqual(asked, [
      'b: Store the DNS credential on b?',
      'd: Store the DNS credential on d?',
      'e: Store the DNS credential on e?',
    ]);
    assert.deepEqual(
      gated.map((e) => [e.host, e.refused ?? null]),
      [
        ['a', 'edited by hand: /etc/chasquid/chasquid.conf'],
        ['b', null],
        ['c', 'unreachable'],
        ['d', CONSENT_DECLINED],
        ['e', 'pass --store-credential-on-server'],
        ['f', null],
      ],
    );
    assert.deepEqual([...consents], [['b', ['renewal:dns-credential']]]);
    assert.ok(gated[0]!.plan, 'a refused host keeps its plan, shown with the refusal');
    assert.deepEqual(
      changingEntries(gated).map((e) => e.host),
      ['b'],
      'f has nothing to do; refused hosts do not change',
    );
    assert.equal(fleetActionCount(gated), 2);
  });

  it('lets hand-edited files through with a decision; a bug in asking is not a refusal', async () => {
    const { entries: gated } = await gateFleet([entries[0]!], {
      driftDecision: 'keep',
      driftRefusal: () => 'refused',
      consent: async () => [],
    });
    assert.equal(gated[0]!.refused, undefined);
    await assert.rejects(
      gateFleet([entries[1]!], {
        driftRefusal: () => 'refused',
        consent: async () => {
          throw new TypeError('a bug');
        },
      }),
      TypeError,
    );
  });
});

describe('oneAtATime', () => {
  it('runs tasks in call order, never two at once, and goes on after one fails', async () => {
    const turn = oneAtATime();
    const log: string[] = [];
    let running = 0;
    const task = (name: string, ms: number, fail = false) =>
      turn(async () => {
        assert.equal(++running, 1, 'two tasks at once');
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        running--;
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([task('a', 20), task('b', 1, true), task('c', 5)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});
