// Provisioning a real Debian 13 and Debian 12 VPS from nothing: plan, apply, a second plan
// that is empty, real SMTP AUTH, drift after a hand edit, and a broken conf rolled back.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import type { HostConfig } from '../../src/core/config';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, planHost, sha256, type Action, type ApplyEvent, type Plan } from '../../src/core/plan';
import { CHASQUID_CONF_PATH } from '../../src/core/plan/actions/conf';
import { aliasesPath, userPasswordKey } from '../../src/core/plan/actions/domains';
import { serviceAction } from '../../src/core/plan/actions/service';
import {
  MemorySecretStore,
  readRemoteFile,
  shellCommand,
  writeRemoteFileAtomic,
  type RemoteConnection,
} from '../../src/core/remote';
import { connect, desiredHost, sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';

// Fresh VPSes of its own: it starts from a server without chasquid.
const instances = sandboxes('provision');
const opened: RemoteConnection[] = [];
after(() => opened.forEach((c) => c.close()));

const DOMAIN = 'example.test';
const MAIL_HOST = 'smtp.example.test';
const USER = 'alice';
const PASSWORD = 'correct horse battery staple';

function hostFor(instance: SandboxInstance): HostConfig {
  return desiredHost(
    instance,
    {
      name: DOMAIN,
      users: [USER],
      aliases: { [USER]: [`${USER}@elsewhere.test`], '*': ['postmaster@elsewhere.test'] },
    },
    MAIL_HOST,
  );
}

/** One real message through the server with AUTH; resolves to the SMTP error code, or 'sent'. */
async function sendWithAuth(instance: SandboxInstance, port: number, password: string): Promise<string> {
  const transport = nodemailer.createTransport({
    host: instance.ipv4,
    port,
    secure: port === 465,
    requireTLS: port !== 465,
    name: 'client.test',
    tls: { rejectUnauthorized: false, servername: MAIL_HOST },
    auth: { user: `${USER}@${DOMAIN}`, pass: password },
  });
  try {
    // To a local address covered by the catch-all: accepted without leaving the sandbox.
    await transport.sendMail({
      from: `${USER}@${DOMAIN}`,
      to: `someone@${DOMAIN}`,
      subject: 'provision test',
      text: 'hello',
    });
    return 'sent';
  } catch (e) {
    return String((e as { responseCode?: number }).responseCode ?? (e as Error).message);
  } finally {
    transport.close();
  }
}

describe('provisioning (sandbox VPS)', { skip: instances.length === 0 && skipReason }, () => {
  for (const instance of instances) {
    describe(`${instance.suite} (${instance.ipv4})`, { timeout: 20 * 60_000 }, () => {
      const host = hostFor(instance);
      const secrets = new MemorySecretStore();
      let conn: RemoteConnection;
      const plan = async (): Promise<Plan> => planHost(host, await gatherFacts(conn));
      const apply = async (p: Plan, decisions = {}) => {
        const events: ApplyEvent[] = [];
        const result = await applyPlan(p, {
          conn,
          host,
          secrets,
          regather: () => gatherFacts(conn),
          driftDecisions: decisions,
          onEvent: (e) => events.push(e),
        });
        return { result, events };
      };

      it('a fresh server is planned and provisioned, and then the plan is empty', async () => {
        conn = connect(instance);
        opened.push(conn);
        await conn.connect();
        await secrets.set(userPasswordKey(USER, DOMAIN), PASSWORD);
        const first = await plan();
        const kinds = first.actions.map((a) => a.kind);
        for (const kind of ['install', 'conf', 'domains', 'certificate', 'service']) {
          assert.ok(kinds.includes(kind), `${kind} planned: ${kinds.join(', ')}`);
        }
        // chasquid restarts once, after every file it reads is in place; only what watches the
        // running chasquid (the brute-force jail reads its log) comes after.
        const restart = kinds.lastIndexOf('service');
        assert.deepEqual(
          kinds.slice(restart + 1).filter((k) => k !== 'brute-force'),
          [],
          `nothing but the jail after the restart: ${kinds.join(', ')}`,
        );
        assert.equal(kinds.indexOf('service'), restart, 'one restart');
        const { result, events } = await apply(first);
        const output = events.flatMap((e) => ('line' in e ? [e.line] : 'message' in e ? [e.message] : []));
        assert.ok(
          result.ok,
          `apply failed: ${JSON.stringify(result.failed)}\n${output.slice(-40).join('\n')}`,
        );
        for (const line of output) assert.ok(!line.includes(PASSWORD), 'the password never reaches the log');

        const second = await plan();
        assert.deepEqual(
          second.actions.map((a) => `${a.id}: ${a.reason}`),
          [],
          'a provisioned server needs nothing',
        );
        const facts = second.facts;
        assert.equal(facts.chasquid.active, 'active');
        for (const port of [25, 465, 587])
          assert.ok(
            facts.listening.some((l) => l.port === port),
            `port ${port}`,
          );
      });

      it('authenticates a real user over 465 and 587 and refuses a wrong password with 535', async () => {
        assert.equal(await sendWithAuth(instance, 465, PASSWORD), 'sent');
        assert.equal(await sendWithAuth(instance, 587, PASSWORD), 'sent');
        assert.equal(await sendWithAuth(instance, 465, 'wrong password'), '535');
        assert.equal(await sendWithAuth(instance, 587, 'wrong password'), '535');
      });

      it('a hand-edited aliases file shows up as drift with a diff, and overwriting fixes it', async () => {
        const path = aliasesPath(DOMAIN);
        const original = (await readRemoteFile(conn, path)).toString('utf8');
        await writeRemoteFileAtomic(conn, path, original + 'bob: bob@elsewhere.test\n');
        const drifted = await plan();
        const action = drifted.actions.find((a) => a.id === `aliases:${DOMAIN}`);
        assert.ok(action?.drift, 'drift reported');
        assert.match(action.drift.diff, /^-bob: bob@elsewhere\.test$/m);
        const { result } = await apply(drifted, { [path]: 'overwrite' });
        assert.ok(result.ok, JSON.stringify(result.failed));
        assert.equal((await readRemoteFile(conn, path)).toString('utf8'), original);
      });

      it('a conf chasquid refuses is never restarted on: every file is put back and chasquid runs on', async () => {
        const before = await readRemoteFile(conn, CHASQUID_CONF_PATH);
        const breakConf: Action = {
          id: 'test:broken-conf',
          kind: 'conf',
          title: 'Write a chasquid.conf chasquid cannot load',
          reason: 'test',
          async apply(ctx) {
            await ctx.files.write(CHASQUID_CONF_PATH, `${before.toString('utf8')}\nno_such_field: 1\n`);
            ctx.requestRestart('test');
          },
          async verify() {},
        };
        const facts = await gatherFacts(conn);
        const broken: Plan = {
          host: host.name,
          facts,
          actions: [breakConf, serviceAction('test')],
          notes: [],
        };
        const { result } = await apply(broken);
        assert.equal(result.ok, false);
        assert.equal(result.failed?.id, 'service:chasquid');
        assert.match(
          result.failed?.message ?? '',
          /chasquid is not restarted: chasquid refuses .*unknown field "no_such_field".*keeps running with the configuration it started with/s,
        );
        assert.equal(sha256(await readRemoteFile(conn, CHASQUID_CONF_PATH)), sha256(before));
        const state = await conn.exec(shellCommand(['systemctl', 'is-active', 'chasquid']), {
          sudo: true,
          check: false,
        });
        assert.equal(state.stdout.trim(), 'active');
        assert.deepEqual((await plan()).actions, [], 'nothing left to do after the rollback');
      });
    });
  }
});
