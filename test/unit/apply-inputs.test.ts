// Every input of a run (a new user's password, a DNS credential) is asked for and checked before
// the first action changes anything: a missing one stops the run with the server untouched.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Facts } from '../../src/core/facts';
import {
  applyPlan,
  inputsMissing,
  planInputs,
  userChangePlan,
  type ApplyEvent,
  type Plan,
} from '../../src/core/plan';
import { planDomains } from '../../src/core/plan/actions/domains';
import { MemorySecretStore, type RemoteConnection } from '../../src/core/remote';
import { testDomain, testHost } from './config-fixture';

const host = testHost({ domains: [testDomain({ aliases: { '*': ['me@gmail.com'] } })] });

const facts = {
  chasquid: { installed: true, version: '1.15', active: 'active' },
  confFiles: {},
  chasquidState: { domains: {}, certs: {}, managed: {} },
  dovecot: { installed: false, users: [] },
  listening: [],
  chasquidUnits: {},
} as unknown as Facts;

/** A connection that records every command and file operation instead of reaching a server. */
function recordingConnection(): { conn: RemoteConnection; calls: string[] } {
  const calls: string[] = [];
  const handler: ProxyHandler<object> = {
    get: (_, prop) => {
      if (prop === 'then') return undefined;
      return (...args: unknown[]) => {
        calls.push(`${String(prop)} ${JSON.stringify(args[0])}`);
        return Promise.resolve({ stdout: '', stderr: '', exitCode: 0 });
      };
    },
  };
  return { conn: new Proxy({}, handler) as RemoteConnection, calls };
}

describe('inputs before changes', () => {
  it('a new user without a password stops the run before the domain folder is created', async () => {
    const actions = planDomains({ host, facts, now: new Date() });
    assert.deepEqual(
      actions.map((a) => a.id),
      ['domain:example.com', 'users:example.com', 'aliases:example.com'],
    );
    const { conn, calls } = recordingConnection();
    const events: ApplyEvent[] = [];
    const plan: Plan = { host: host.name, facts, actions, notes: [] };
    const result = await applyPlan(plan, {
      conn,
      host,
      secrets: new MemorySecretStore(),
      regather: async () => facts,
      onEvent: (e) => events.push(e),
    });
    assert.equal(result.ok, false);
    assert.equal(result.failed?.id, 'users:example.com');
    assert.match(result.failed?.message ?? '', /No password for the new mail user alice@example\.com/);
    assert.equal(result.failed?.hint, 'Nothing was changed.');
    assert.deepEqual(calls, [], 'nothing reached the server');
    assert.deepEqual(result.applied, []);
    assert.ok(!events.some((e) => e.type === 'action-start'), 'no action started');
  });

  it('a password that breaks the policy is refused up front too; a good one lets the run start', async () => {
    const secrets = new MemorySecretStore();
    const run = async (password: string) => {
      const { conn, calls } = recordingConnection();
      const result = await applyPlan(
        { host: host.name, facts, actions: planDomains({ host, facts, now: new Date() }), notes: [] },
        { conn, host, secrets, regather: async () => facts, askSecret: async () => password },
      );
      return { result, calls };
    };
    const short = await run('short');
    assert.equal(short.result.failed?.id, 'users:example.com');
    assert.match(short.result.failed?.message ?? '', /cannot be used/);
    assert.deepEqual(short.calls, []);
    const good = await run('a long enough password');
    assert.ok(good.calls.length > 0, 'with every input present the run starts changing the server');
    assert.match(good.calls[0] ?? '', /mkdir/);
  });

  it('the plan lists its inputs, titled with the address; those already given are not asked again', async () => {
    const two = testHost({
      domains: [testDomain({ users: ['alice', 'bob'], aliases: { '*': ['me@gmail.com'] } })],
    });
    const plan: Plan = {
      host: two.name,
      facts,
      actions: planDomains({ host: two, facts, now: new Date() }),
      notes: [],
    };
    const inputs = planInputs(plan);
    assert.deepEqual(
      inputs.map((i) => [i.label, i.short]),
      [
        ['Password for alice@example.com (new user)', 'password of alice@example.com'],
        ['Password for bob@example.com (new user)', 'password of bob@example.com'],
      ],
    );
    const known = new MemorySecretStore();
    await known.set(inputs[0]!.key, 'given before, with Add User');
    assert.deepEqual(
      (await inputsMissing(plan, known)).map((i) => i.short),
      ['password of bob@example.com'],
    );
    // Starting after the users step: nothing to ask.
    assert.deepEqual(await inputsMissing(plan, known, 'aliases:example.com'), []);
  });

  it('a user change on a server that does not serve the domain yet plans nothing; on one that does, only the users step', () => {
    const fresh = { ...facts, chasquid: { installed: false } } as unknown as Facts;
    assert.equal(
      userChangePlan(host, fresh, { domain: 'example.com', user: 'alice', verb: 'add' }),
      undefined,
    );
    // chasquid installed, but no folder for the domain yet.
    assert.equal(
      userChangePlan(host, facts, { domain: 'example.com', user: 'alice', verb: 'add' }),
      undefined,
    );
    const serving = {
      ...facts,
      chasquidState: { domains: { 'example.com': { files: [], users: [] } }, certs: {}, managed: {} },
    } as unknown as Facts;
    const plan = userChangePlan(host, serving, { domain: 'example.com', user: 'alice', verb: 'add' });
    assert.deepEqual(
      plan?.actions.map((a) => a.id),
      ['users:example.com'],
    );
    assert.throws(
      () => userChangePlan(host, serving, { domain: 'example.com', user: 'alice', verb: 'passwd' }),
      /alice@example\.com does not exist on the server/,
    );
    const withAlice = {
      ...facts,
      chasquidState: { domains: { 'example.com': { files: [], users: ['alice'] } }, certs: {}, managed: {} },
    } as unknown as Facts;
    const passwd = userChangePlan(host, withAlice, { domain: 'example.com', user: 'alice', verb: 'passwd' });
    assert.deepEqual(
      passwd?.actions.map((a) => [a.id, a.inputs?.map((i) => i.label)]),
      [['password:alice@example.com', ['New password for alice@example.com']]],
    );
    // add of a user the server has sets its password; remove plans only that user's removal.
    assert.deepEqual(
      userChangePlan(host, withAlice, { domain: 'example.com', user: 'alice', verb: 'add' })?.actions.map(
        (a) => a.id,
      ),
      ['password:alice@example.com'],
    );
    const removal = userChangePlan(host, withAlice, { domain: 'example.com', user: 'alice', verb: 'remove' });
    assert.deepEqual(
      removal?.actions.map((a) => [a.id, a.inputs]),
      [['users:example.com', []]],
    );
    assert.match(
      removal?.actions[0]?.reason ?? '',
      /alice on the server but not in mailwright\.yaml: removing/,
    );
  });
});
