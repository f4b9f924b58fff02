// A connection killed in the middle of apply (and staying down) stops the run; once the
// network is back, apply again converges: the plan empties and the new user can log in.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import type { HostConfig } from '../../src/core/config';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, planHost, type ApplyEvent } from '../../src/core/plan';
import { userPasswordKey } from '../../src/core/plan/actions/domains';
import { MemorySecretStore, shellScript, type RemoteConnection } from '../../src/core/remote';
import { connect, desiredHost, sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';

const instances = sandboxes();
const opened: RemoteConnection[] = [];
after(() => opened.forEach((c) => c.close()));

// A domain of its own, so other tests' domains on the same VPS are not touched.
// Unique per run, so the tests also hold when run again on the same VPS.
const DOMAIN = `interrupt${Date.now() % 1_000_000}.test`;
const CANCEL_DOMAIN = `cancel${Date.now() % 1_000_000}.test`;
const USER = 'carol';
const PASSWORD = 'interrupted but not broken';

function hostFor(instance: SandboxInstance): HostConfig {
  return desiredHost(instance, {
    name: DOMAIN,
    users: [USER],
    aliases: { [USER]: [`${USER}@elsewhere.test`], '*': [USER] },
  });
}

describe(
  'apply interrupted by a dropped connection (sandbox VPS)',
  { skip: instances.length === 0 && skipReason },
  () => {
    for (const instance of instances) {
      it(`${instance.suite}: re-running converges`, { timeout: 15 * 60_000 }, async () => {
        const host = hostFor(instance);
        const secrets = new MemorySecretStore();
        await secrets.set(userPasswordKey(USER, DOMAIN), PASSWORD);
        const conn = connect(instance);
        opened.push(conn);
        const target = conn.options.ssh.target as { port: number };
        const plan = planHost(host, await gatherFacts(conn));
        const dkim = plan.actions.find((a) => a.kind === 'dkim');
        assert.ok(dkim, `a DKIM action is planned: ${plan.actions.map((a) => a.id).join(', ')}`);

        const events: ApplyEvent[] = [];
        const first = await applyPlan(plan, {
          conn,
          host,
          secrets,
          regather: () => gatherFacts(conn),
          onEvent: (e) => {
            events.push(e);
            if (e.type === 'action-start' && e.id === dkim.id) {
              // The network goes away while the DKIM key is being written, and stays away.
              setTimeout(() => {
                target.port = 9;
                conn.destroy();
              }, 20);
            }
          },
        });
        assert.equal(first.ok, false, 'the run stops when the server cannot be reached');
        assert.ok(events.some((e) => e.type === 'run-failed'));
        assert.ok(!first.applied.includes(dkim.id), 'the interrupted action did not count as done');

        // The network is back: apply again, then nothing is left to do.
        target.port = instance.port;
        const again = planHost(host, await gatherFacts(conn));
        assert.ok(
          again.actions.some((a) => a.kind === 'dkim'),
          'the unfinished DKIM step is planned again',
        );
        const second = await applyPlan(again, { conn, host, secrets, regather: () => gatherFacts(conn) });
        assert.ok(second.ok, `second apply: ${second.failed?.message}`);
        const final = planHost(host, await gatherFacts(conn));
        assert.deepEqual(
          final.actions.map((a) => `${a.id}: ${a.reason}`),
          [],
          'converged: the plan is empty',
        );

        const leftovers = await conn.exec(
          shellScript('ls -a /etc/chasquid/domains/"$1" | grep -c "^\\.mailwright" || true', [DOMAIN]),
          { sudo: true },
        );
        assert.equal(leftovers.stdout.trim(), '0', 'no temporary files left next to the config');

        const transport = nodemailer.createTransport({
          host: instance.ipv4,
          port: 587,
          requireTLS: true,
          tls: { rejectUnauthorized: false, servername: 'smtp.example.test' },
          auth: { user: `${USER}@${DOMAIN}`, pass: PASSWORD },
        });
        // chasquid re-reads users files within about 30 s; try for a while.
        let sent: unknown;
        for (let i = 0; i < 12 && !sent; i++) {
          sent = await transport
            .sendMail({
              from: `${USER}@${DOMAIN}`,
              to: `${USER}@${DOMAIN}`,
              subject: 'after the interruption',
              text: 'hi',
            })
            .catch(async () => void (await new Promise((r) => setTimeout(r, 5000))));
        }
        transport.close();
        assert.ok(sent, `${USER}@${DOMAIN} can authenticate and send after the second apply`);
      });
    }

    for (const instance of instances) {
      it(
        `${instance.suite}: cancel inside an action stops the run, undoes that step, and a rerun converges`,
        { timeout: 15 * 60_000 },
        async () => {
          const host = desiredHost(instance, {
            name: CANCEL_DOMAIN,
            users: ['dave'],
            aliases: { dave: ['dave@elsewhere.test'], '*': ['dave'] },
          });
          const secrets = new MemorySecretStore();
          await secrets.set(userPasswordKey('dave', CANCEL_DOMAIN), 'cancelled once, fine after');
          const conn = connect(instance);
          opened.push(conn);
          const plan = planHost(host, await gatherFacts(conn));
          const aliases = plan.actions.find((a) => a.id === `aliases:${CANCEL_DOMAIN}`);
          assert.ok(aliases, `the aliases step is planned: ${plan.actions.map((a) => a.id).join(', ')}`);
          const abort = new AbortController();
          const events: ApplyEvent[] = [];
          const result = await applyPlan(plan, {
            conn,
            host,
            secrets,
            signal: abort.signal,
            regather: () => gatherFacts(conn),
            onEvent: (e) => {
              events.push(e);
              if (e.type === 'action-start' && e.id === aliases.id) abort.abort();
            },
          });
          assert.equal(result.cancelled, true);
          assert.ok(
            events.some((e) => e.type === 'run-cancelled'),
            'a run-cancelled event was sent',
          );
          assert.ok(!result.applied.includes(aliases.id));
          const exists = await conn.exec(
            shellScript('test -e /etc/chasquid/domains/"$1"/aliases', [CANCEL_DOMAIN]),
            {
              sudo: true,
              check: false,
            },
          );
          assert.notEqual(exists.exitCode, 0, 'the cancelled step left no aliases file');

          const again = planHost(host, await gatherFacts(conn));
          assert.ok((await applyPlan(again, { conn, host, secrets, regather: () => gatherFacts(conn) })).ok);
          assert.deepEqual(
            planHost(host, await gatherFacts(conn)).actions.map((a) => a.id),
            [],
            'converged',
          );
        },
      );
    }
  },
);
