// Unattended renewal on the server (acme.renewOn: server), with real parts: a sandbox VPS
// provisioned over SSH with an HTTP-01 certificate from pebble (scripts/testacme, listening on
// the host side of the sandbox's link so the guest reaches it) validating through the test knot.
// The renewal then runs from the server's own systemd unit, started inside the guest (nsenter),
// with no Mailwright call from this machine while it runs: the served certificate must change
// to one that chains to pebble's current root, chasquid keep running, and a run when the
// certificate is not due must change nothing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  RENEW_ACCOUNT_PATH,
  RENEW_CA_PATH,
  RENEW_PROGRAM_PATH,
  RENEW_SETTINGS_PATH,
  RENEW_UNIT,
} from '../../src/core/acme/server-paths';
import type { HostConfig } from '../../src/core/config';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, planHost, type Plan } from '../../src/core/plan';
import { MemorySecretStore, type RemoteConnection } from '../../src/core/remote';
import { probeSmtp } from '../../src/core/smtp';
import { MAIL_HOST, startTestAcme, type TestAcme } from './acme-fixture';
import { startTestDns, type TestDns } from './dns-fixture';
import { connect, desiredHost, type SandboxInstance } from './sandbox-instances';

const run = promisify(execFile);
const SANDBOX = resolve(__dirname, '../../scripts/sandbox');
const ROOT = resolve(__dirname, '../..');
const instancePath = process.env.MAILWRIGHT_RENEWAL_SANDBOX_13;
const instance = instancePath
  ? (JSON.parse(readFileSync(instancePath, 'utf8')) as SandboxInstance)
  : undefined;

describe(
  'certificate renewal on the server, from its timer',
  { skip: !instance && 'no sandbox (MAILWRIGHT_RENEWAL_SANDBOX_13)' },
  () => {
    const inst = instance!;
    let conn: RemoteConnection;
    let dns: TestDns;
    let acme: TestAcme;
    const secrets = new MemorySecretStore();

    const hostWith = (renewBeforeDays: number): HostConfig => ({
      ...desiredHost(inst, { name: 'example.test' }),
      acme: {
        ca: acme.directoryUrl,
        challenge: 'http-01',
        // pebble 2.4 (Debian) has no short-lived profile; its certificates last about 60 days,
        // so the longest window mailwright.yaml allows (89) makes a fresh one due.
        renewBeforeDays,
        caCertificate: acme.tlsCaFile,
        renewOn: 'server',
      },
    });
    const apply = async (plan: Plan, host: HostConfig) =>
      applyPlan(plan, { conn, host, secrets, regather: () => gatherFacts(conn) });
    /** Inside the guest, as its root, without SSH: what the timer does. */
    const guest = async (...argv: string[]) =>
      (await run('bash', [SANDBOX, 'exec', inst.name, '--', ...argv], { timeout: 300_000 })).stdout;
    const served = async () => {
      const r = await probeSmtp({
        host: inst.ipv4,
        port: 465,
        mode: 'tls',
        servername: MAIL_HOST,
        ca: acme.issuerRoot,
      });
      return r.tls;
    };
    /** Only the renewal files (the settings differ by renewBeforeDays): nothing else changes. */
    const applyRenewalFiles = async (host: HostConfig) => {
      const plan = planHost(host, await gatherFacts(conn));
      const renewal = { ...plan, actions: plan.actions.filter((a) => a.kind === 'renewal-timer') };
      assert.deepEqual(
        renewal.actions.map((a) => a.id),
        ['renewal:settings', 'renewal:enable'],
      );
      const r = await apply(renewal, host);
      assert.ok(r.ok, JSON.stringify(r.failed));
    };

    before(async () => {
      // The same renewal program the release ships (dist/server/renew.js), built from these sources.
      const esbuild = await import('esbuild');
      const { renewBundleOptions, RENEW_BUNDLE_FILE } = (await import(
        resolve(ROOT, 'scripts/renew-bundle.mjs')
      )) as { renewBundleOptions: object; RENEW_BUNDLE_FILE: string };
      await esbuild.build({ ...renewBundleOptions, absWorkingDir: ROOT });
      process.env.MAILWRIGHT_RENEW_PROGRAM = resolve(ROOT, RENEW_BUNDLE_FILE);
      conn = connect(inst);
      dns = await startTestDns(inst);
      acme = await startTestAcme(`rt-${process.pid}`, `${inst.hostIpv4}:53`, inst.hostIpv4);
    });

    after(async () => {
      conn?.close();
      await dns?.stop();
      await acme?.stop();
    });

    it('provisioning installs Node.js, the renewal program and its timer, and is then idempotent', async () => {
      const host = hostWith(30);
      const plan = planHost(host, await gatherFacts(conn));
      const ids = plan.actions.map((a) => a.id);
      for (const id of [
        'renewal:program',
        'renewal:settings',
        'renewal:ca',
        'renewal:service',
        'renewal:timer',
      ])
        assert.ok(ids.includes(id), `${id} planned (${ids.join(', ')})`);
      assert.ok(ids.indexOf('renewal:enable') > ids.indexOf(`acme-certificate:${MAIL_HOST}`));
      const r = await apply(plan, host);
      assert.ok(r.ok, JSON.stringify(r.failed));

      const state = await guest(
        'sh',
        '-c',
        `systemctl is-enabled ${RENEW_UNIT}.timer; systemctl is-active ${RENEW_UNIT}.timer; node --version; stat -c '%U:%G %a' ${RENEW_PROGRAM_PATH} ${RENEW_SETTINGS_PATH} ${RENEW_CA_PATH}; grep -c Persistent=true /etc/systemd/system/${RENEW_UNIT}.timer`,
      );
      assert.deepEqual(state.trim().split('\n'), [
        'enabled',
        'active',
        state.trim().split('\n')[2]!, // the distribution's version, checked below
        'root:root 644',
        'root:root 644',
        'root:root 644',
        '1',
      ]);
      assert.match(state.split('\n')[2]!, /^v(1[89]|[2-9]\d)\./);
      // No secret in the public settings: no SSH key path, no account key.
      const settings = await guest('cat', RENEW_SETTINGS_PATH);
      assert.doesNotMatch(settings, /identityFile|PRIVATE KEY/);

      const again = planHost(host, await gatherFacts(conn));
      assert.deepEqual(
        again.actions.map((a) => a.id),
        [],
        'a second plan has nothing to do',
      );
    });

    it('the server renews a due certificate by itself; 465 serves it, chained to pebble', async () => {
      await applyRenewalFiles(hostWith(89));
      conn.close(); // nothing of Mailwright talks to the server while it renews
      const before = await served();
      const out = await guest('sh', '-c', `systemctl start ${RENEW_UNIT}.service; echo "exit $?"`);
      assert.match(out, /exit 0/);
      const journal = await guest('journalctl', '-u', `${RENEW_UNIT}.service`, '--no-pager', '-o', 'cat');
      assert.match(journal, /Renewed: smtp\.example\.test serves the new certificate/);
      assert.match(journal, /Port 465 serves the new certificate/);

      const after = await served();
      assert.notEqual(after.certificate?.serialNumber, before.certificate?.serialNumber);
      // authorized: the chain ends at pebble's root of this run AND the name matches.
      assert.equal(after.authorized, true, `chains to pebble's current root: ${after.authorizationError}`);
      assert.ok(after.certificate?.subjectAltNames.some((n) => n.includes(MAIL_HOST)));
      assert.equal((await guest('systemctl', 'is-active', 'chasquid')).trim(), 'active');
      assert.equal((await guest('stat', '-c', '%U:%G %a', RENEW_ACCOUNT_PATH)).trim(), 'root:root 600');

      // The server recorded what it wrote: the next plan from here sees Mailwright's certificate.
      conn = connect(inst);
      const plan = planHost(hostWith(30), await gatherFacts(conn));
      assert.deepEqual(
        plan.actions.filter((a) => a.kind === 'acme-certificate'),
        [],
      );
    });

    it('a run when the certificate is not due changes nothing', async () => {
      await applyRenewalFiles(hostWith(30));
      const before = await served();
      const sums = await guest('sh', '-c', `sha256sum /etc/chasquid/certs/${MAIL_HOST}/*.pem`);
      await guest('systemctl', 'start', `${RENEW_UNIT}.service`);
      const journal = await guest(
        'journalctl',
        '-u',
        `${RENEW_UNIT}.service`,
        '--no-pager',
        '-o',
        'cat',
        '-n',
        '3',
      );
      assert.match(journal, /not due for renewal/);
      assert.equal(await guest('sh', '-c', `sha256sum /etc/chasquid/certs/${MAIL_HOST}/*.pem`), sums);
      assert.equal((await served()).certificate?.serialNumber, before.certificate?.serialNumber);
    });
  },
);
