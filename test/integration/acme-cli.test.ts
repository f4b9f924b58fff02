// `mailwright renew` end to end, as cron would run it: the built CLI (dist/cli.js), a
// workspace mailwright.yaml for the sandbox with pebble as CA and the domain's rfc2136 dns:,
// the TSIG secret in MAILWRIGHT_DNS_SECRET_EXAMPLE_TEST (never in argv), pebble and knot as in
// acme.test.ts.
//
// The CLI finds the zone's authoritative servers through the system resolver (NS of
// example.test), as it would on a real machine. Here the only server that knows example.test
// is the test knot, whose zone says `example.test NS ns.example.test` and `ns A <host side of
// the sandbox's veth>`. So the CLI runs in a private mount namespace (`unshare --mount`)
// where /etc/resolv.conf is bind-mounted to `nameserver <that address>`: the production code
// path is unchanged, only the machine's resolver is the test DNS, and the host's real
// /etc/resolv.conf is never touched.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, planHost } from '../../src/core/plan';
import { MemorySecretStore, shellCommand, type RemoteConnection } from '../../src/core/remote';
import { dns01Workspace, MAIL_HOST, servedSerial, startTestAcme, type TestAcme } from './acme-fixture';
import { startTestDns, type TestDns } from './dns-fixture';
import { connect, desiredHost, type SandboxInstance } from './sandbox-instances';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const instancePath = process.env.MAILWRIGHT_ACME_SANDBOX ?? process.env.MAILWRIGHT_SANDBOX_13;
const instance = instancePath
  ? (JSON.parse(readFileSync(instancePath, 'utf8')) as SandboxInstance)
  : undefined;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe(
  'mailwright renew (the built CLI)',
  { skip: !instance && 'no sandbox (MAILWRIGHT_ACME_SANDBOX / MAILWRIGHT_SANDBOX_13)' },
  () => {
    const inst = instance!;
    let conn: RemoteConnection;
    let dns: TestDns;
    let acme: TestAcme;
    let work: string;
    let secret: string;
    const argvSeen: string[][] = [];

    const served = (port: 465 | 587) => servedSerial(inst, port, acme.issuerRoot);

    /** `node dist/cli.js renew …` in the workspace, resolving through the test knot (see top). */
    const startRenew = (args: string[]) => {
      const argv = ['--mount', 'sh', '-c', 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"', 'sh'];
      const cmd = [
        join(work, 'resolv.conf'),
        process.execPath,
        CLI,
        'renew',
        '--known-hosts',
        join(work, 'known_hosts'),
        ...args,
      ];
      argvSeen.push(cmd);
      const child = spawn('unshare', [...argv, ...cmd], {
        cwd: work,
        env: {
          PATH: process.env.PATH,
          HOME: join(work, 'home'),
          XDG_RUNTIME_DIR: join(work, 'run'),
          MAILWRIGHT_DNS_SECRET_EXAMPLE_TEST: secret,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      const done = new Promise<CliRun>((ok) => child.on('close', (code) => ok({ code, stdout, stderr })));
      return { child, done };
    };
    const renew = (args: string[]) => startRenew(args).done;
    const show = (r: CliRun) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

    /** The provisioned server with its self-signed bootstrap certificate, which renew replaces whatever --days says. */
    const bootstrap = async () => {
      await conn.exec(shellCommand(['rm', '-rf', '--', `/etc/chasquid/certs/${MAIL_HOST}`]), { sudo: true });
      const host = desiredHost(inst, { name: 'example.test' });
      const r = await applyPlan(planHost(host, await gatherFacts(conn)), {
        conn,
        host,
        secrets: new MemorySecretStore(),
        regather: () => gatherFacts(conn),
      });
      assert.ok(r.ok, JSON.stringify(r.failed));
    };

    before(async () => {
      // The CLI as shipped: scripts/test runs `npm run build` before the integration tests.
      assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build first`);
      conn = connect(inst);
      dns = await startTestDns(inst);
      acme = await startTestAcme(`acmecli-${process.pid}`, `${inst.hostIpv4}:53`);
      ({ work, secret } = dns01Workspace(inst, dns, acme, 'mw-renew-'));
      await bootstrap();
    });

    after(async () => {
      conn?.close();
      await dns?.stop();
      await acme?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('--days 90 replaces the self-signed certificate: exit 0, 465/587 serve the new serial; the secret is never in argv or output', async () => {
      const before465 = await served(465);
      const r = await renew(['--days', '90']);
      assert.equal(r.code, 0, show(r));
      const after465 = await served(465);
      assert.notEqual(after465, before465, show(r));
      assert.equal(after465, await served(587));
      assert.match(r.stdout + r.stderr, /self-signed/);
      assert.match(r.stdout + r.stderr, /serves the new certificate/);
      assert.ok(!(r.stdout + r.stderr).includes(secret), 'secret in the output');
      assert.ok(
        argvSeen.every((a) => !a.join(' ').includes(secret)),
        'secret in argv',
      );
      assert.deepEqual(
        await dns
          .resolver()
          .resolveTxt(`_acme-challenge.${MAIL_HOST}`)
          .catch(() => []),
        [],
        'challenge record left behind',
      );
    });

    it('on a 60-day pebble certificate: --days 0 is "not due", --days 90 renews it (new serial)', async () => {
      const before465 = await served(465);
      const notDue = await renew(['--days', '0']);
      assert.equal(notDue.code, 0, show(notDue));
      assert.match(notDue.stdout + notDue.stderr, /not due/);
      assert.equal(await served(465), before465, 'nothing changed');
      const forced = await renew(['--days', '90']);
      assert.equal(forced.code, 0, show(forced));
      assert.doesNotMatch(forced.stdout + forced.stderr, /not due/);
      assert.match(forced.stdout + forced.stderr, /expires in \d+ days/);
      assert.notEqual(await served(465), before465, 'the served certificate is the renewed one');
    });

    it('a second run while the first holds the lock: exit 3, and the first still succeeds', async () => {
      const lock = join(work, 'run', 'mailwright', 'renew.lock');
      rmSync(lock, { force: true });
      await bootstrap(); // something to renew, so the first run holds the lock for seconds
      const before465 = await served(465);
      const first = startRenew(['--days', '90']);
      for (let i = 0; i < 200 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(existsSync(lock), 'the first run never took the lock');
      const second = await renew(['--days', '90']);
      assert.equal(second.code, 3, show(second));
      assert.match(second.stdout + second.stderr, /Another mailwright renew is running/);
      const r = await first.done;
      assert.equal(r.code, 0, show(r));
      assert.equal(existsSync(lock), false, 'lock released');
      assert.notEqual(await served(465), before465);
    });
  },
);
