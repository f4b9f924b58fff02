// The server checks with real parts: a sandbox VPS provisioned over SSH with monitor: set, the
// test knot as its DNS, and a small HTTP server on the host side of the sandbox's link standing
// in for the webhook. The checks then run from the server's own unit (started inside the guest,
// not waiting for the timer): three faults (a record removed from DNS, chasquid stopped, a full
// file system over /var/lib/chasquid) must each bring ONE alert, a second run none, and fixing
// them ONE "resolved" each. `mailwright check --json` is checked against the same server.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseCheckState } from '../../src/core/checks/alerts';
import { CHECK_STATE_PATH, CHECK_UNIT, CHECK_WEBHOOK_PATH } from '../../src/core/checks/server-paths';
import type { HostConfig } from '../../src/core/config';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, ConsentNeededError, planHost } from '../../src/core/plan';
import { MemorySecretStore, secretKeys, type RemoteConnection } from '../../src/core/remote';
import { SENDER_ZONE, startTestDns, type TestDns } from './dns-fixture';
import { connect, desiredHost, type SandboxInstance } from './sandbox-instances';

const run = promisify(execFile);
const SANDBOX = resolve(__dirname, '../../scripts/sandbox');
const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'src', 'cli', 'bin.ts');
const instancePath = process.env.MAILWRIGHT_CHECKS_SANDBOX_13;
const instance = instancePath
  ? (JSON.parse(readFileSync(instancePath, 'utf8')) as SandboxInstance)
  : undefined;

interface Received {
  event: 'problem' | 'resolved';
  check: { id: string; status: string; fix?: string };
  host: string;
}

describe(
  'server checks from the server’s timer, alerting once',
  { skip: !instance && 'no sandbox (MAILWRIGHT_CHECKS_SANDBOX_13)' },
  () => {
    const inst = instance!;
    let conn: RemoteConnection;
    let dns: TestDns;
    let hook: Server;
    const received: Received[] = [];
    const secrets = new MemorySecretStore();
    let host: HostConfig;

    /** Inside the guest, as its root, without SSH: what the timer does. */
    const guest = async (script: string) =>
      (await run('bash', [SANDBOX, 'exec', inst.name, '--', 'sh', '-c', script], { timeout: 300_000 }))
        .stdout;
    /** One run of the check service, as the timer starts it; the alerts it posted. */
    const checkRun = async (): Promise<Received[]> => {
      const before = received.length;
      await guest(`systemctl start ${CHECK_UNIT}.service || true`);
      // The service is oneshot: its POSTs are done when start returns.
      return received.slice(before);
    };
    const ids = (alerts: Received[]) => alerts.map((a) => `${a.event} ${a.check.id}`).sort();

    before(async () => {
      const esbuild = await import('esbuild');
      const { checkBundleOptions, CHECK_BUNDLE_FILE } = (await import(
        resolve(ROOT, 'scripts/renew-bundle.mjs')
      )) as {
        checkBundleOptions: object;
        CHECK_BUNDLE_FILE: string;
      };
      await esbuild.build({ ...checkBundleOptions, absWorkingDir: ROOT });
      process.env.MAILWRIGHT_CHECK_PROGRAM = resolve(ROOT, CHECK_BUNDLE_FILE);
      await guest(
        `systemctl disable --now ${CHECK_UNIT}.timer; umount /var/lib/chasquid; rm -rf /usr/local/lib/mailwright /etc/mailwright /var/lib/mailwright /etc/systemd/system/${CHECK_UNIT}.*; systemctl daemon-reload; true`,
      );
      hook = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          if (req.url === '/hook/s3cret-token') received.push(JSON.parse(body) as Received);
          res.statusCode = 204;
          res.end();
        });
      });
      await new Promise<void>((r) => hook.listen(0, inst.hostIpv4, r));
      const port = (hook.address() as AddressInfo).port;
      conn = connect(inst);
      dns = await startTestDns(inst);
      host = { ...desiredHost(inst, { name: SENDER_ZONE }), monitor: { every: '1h', webhook: 'generic' } };
      await secrets.set(
        secretKeys.monitorWebhook(host.name),
        `http://${inst.hostIpv4}:${port}/hook/s3cret-token`,
      );
    });

    after(async () => {
      await guest('umount /var/lib/chasquid; systemctl start chasquid; true').catch(() => undefined);
      conn?.close();
      await dns?.stop();
      hook?.close();
    });

    it('provisioning installs the checks, stores the webhook only with consent, and is then idempotent', async () => {
      const plan = planHost(host, await gatherFacts(conn));
      const planned = plan.actions.filter((a) => a.kind === 'check-timer').map((a) => a.id);
      for (const id of [
        'check:program',
        'check:settings',
        'check:service',
        'check:timer',
        'check:webhook',
        'check:enable',
      ])
        assert.ok(planned.includes(id), `${id} planned (${planned.join(', ')})`);
      const regather = () => gatherFacts(conn);
      await assert.rejects(applyPlan(plan, { conn, host, secrets, regather }), ConsentNeededError);
      const r = await applyPlan(plan, { conn, host, secrets, regather, consents: ['check:webhook'] });
      assert.ok(r.ok, JSON.stringify(r.failed));
      const state = await guest(
        `systemctl is-enabled ${CHECK_UNIT}.timer; systemctl is-active ${CHECK_UNIT}.timer; stat -c '%U:%G %a' ${CHECK_WEBHOOK_PATH}; cat /etc/mailwright/check.json`,
      );
      const [enabled, active, mode, ...settings] = state.trim().split('\n');
      assert.deepEqual([enabled, active, mode], ['enabled', 'active', 'root:root 600']);
      assert.doesNotMatch(
        settings.join('\n'),
        /s3cret|identityFile|http:/,
        'no secret in the public settings',
      );
      const again = planHost(host, await gatherFacts(conn));
      assert.deepEqual(
        again.actions.filter((a) => a.kind === 'check-timer').map((a) => a.id),
        [],
      );
    });

    it('alerts once per fault, not again on the next run, and once when each is fixed', async () => {
      // Whatever this bare test server lacks (DKIM, SPF records…) is told once, at the first run.
      const baseline = await checkRun();
      assert.equal(new Set(ids(baseline)).size, baseline.length, 'no alert twice in a run');
      assert.ok(baseline.every((a) => a.event === 'problem' && a.host === inst.name && a.check.fix));
      assert.deepEqual(await checkRun(), [], 'nothing new, nothing told');

      const faults = ['service:chasquid', 'storage:/var/lib/chasquid', `dns:${SENDER_ZONE}:mx`];
      await dns.update(SENDER_ZONE, [`update delete ${SENDER_ZONE}. MX`]);
      await guest(`systemctl stop chasquid
d=/var/lib/chasquid
mount -t tmpfs -o size=64k,mode=0755 mailwright-check-fault "$d"
dd if=/dev/zero of="$d/.fill" bs=4k 2>/dev/null || true`);
      const broken = await checkRun();
      for (const id of faults)
        assert.equal(
          broken.filter((a) => a.event === 'problem' && a.check.id === id).length,
          1,
          `one alert for ${id}: ${JSON.stringify(ids(broken))}`,
        );
      assert.deepEqual(await checkRun(), [], 'the same faults are not told again');

      await dns.update(SENDER_ZONE, [`update add ${SENDER_ZONE}. 5 MX 10 smtp.${SENDER_ZONE}.`]);
      await guest('umount /var/lib/chasquid; systemctl start chasquid');
      const fixed = await checkRun();
      for (const id of faults)
        assert.equal(
          fixed.filter((a) => a.event === 'resolved' && a.check.id === id).length,
          1,
          `one "resolved" for ${id}: ${JSON.stringify(ids(fixed))}`,
        );
      assert.deepEqual(await checkRun(), []);

      // The state the editor reads with the facts: root-only, with the last run's results.
      assert.equal((await guest(`stat -c '%U:%G %a' ${CHECK_STATE_PATH}`)).trim(), 'root:root 600');
      const facts = await gatherFacts(conn);
      const state = parseCheckState(facts.checkState);
      assert.equal(state.lastRun?.ranOn, 'server');
      assert.equal(state.lastRun?.checks.find((c) => c.id === 'service:chasquid')?.status, 'pass');
      assert.equal(state.open['service:chasquid'], undefined);
    });

    it('mailwright check --json: one report of every check, exit code from the worst', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mw-check-'));
      try {
        writeFileSync(
          join(dir, 'mailwright.yaml'),
          [
            'version: 1',
            'hosts:',
            `  - name: ${inst.name}`,
            `    ssh: root@${inst.ipv4}:${inst.port}`,
            `    identityFile: ${inst.rootKey}`,
            `    mailHost: smtp.${SENDER_ZONE}`,
            '    domains:',
            `      - name: ${SENDER_ZONE}`,
            '',
          ].join('\n'),
        );
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            CLI,
            'check',
            '--config',
            join(dir, 'mailwright.yaml'),
            '--json',
            '--known-hosts',
            inst.knownHostsFile,
            '--resolver',
            inst.hostIpv4,
            '--authoritative',
            inst.hostIpv4,
            '--no-dnsbl',
          ],
          { env: { ...process.env, SSH_AUTH_SOCK: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const code = await new Promise<number | null>((r) => child.on('close', r));
        const report = JSON.parse(stdout) as {
          host: string;
          ranOn: string;
          checks: Array<{ id: string; status: string; evidence: string[]; fix?: string }>;
        };
        assert.equal(report.host, inst.name);
        assert.equal(report.ranOn, 'client');
        const byId = new Map(report.checks.map((c) => [c.id, c]));
        for (const id of [
          'service:chasquid',
          'certificate',
          'storage:/var/lib/chasquid',
          `dns:${SENDER_ZONE}:mx`,
        ])
          assert.ok(byId.has(id), `${id} in ${[...byId.keys()].join(', ')}`);
        assert.equal(byId.get('service:chasquid')?.status, 'pass');
        assert.equal(byId.get(`dns:${SENDER_ZONE}:mx`)?.status, 'pass');
        for (const c of report.checks)
          if (c.status === 'fail' || c.status === 'warn') assert.ok(c.fix, `${c.id} has a fix`);
        const worst = report.checks.some((c) => c.status === 'fail')
          ? 1
          : report.checks.some((c) => c.status === 'warn')
            ? 2
            : 0;
        assert.equal(code, worst, stderr);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
