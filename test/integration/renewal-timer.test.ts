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
  RENEW_DNS_CREDENTIAL_PATH,
  RENEW_PROGRAM_PATH,
  RENEW_SETTINGS_PATH,
  RENEW_UNIT,
} from '../../src/core/acme/server-paths';
import type { HostConfig } from '../../src/core/config';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, ConsentNeededError, planHost, type Plan } from '../../src/core/plan';
import { MemorySecretStore, secretKeys, type RemoteConnection } from '../../src/core/remote';
import { probeSmtp } from '../../src/core/smtp';
import { MAIL_HOST, startTestAcme, tsigKey, type TestAcme } from './acme-fixture';
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
    /** The same host renewing through DNS-01: the test knot's zone, updated with its TSIG key. */
    const dnsHostWith = (renewBeforeDays: number, renewOn: 'server' | 'client' = 'server'): HostConfig => {
      const base = hostWith(renewBeforeDays);
      const { algorithm, keyName } = tsigKey(dns);
      return {
        ...base,
        domains: base.domains.map((d) => ({
          ...d,
          dns: {
            provider: 'rfc2136',
            server: `${inst.hostIpv4}:53`,
            keyName,
            algorithm: algorithm as 'hmac-sha256',
            zone: 'example.test',
            ttl: 5,
          },
        })),
        acme: { ...base.acme!, challenge: 'dns-01', renewOn },
      };
    };
    const apply = async (plan: Plan, host: HostConfig, consents: string[] = []) =>
      applyPlan(plan, { conn, host, secrets, consents, regather: () => gatherFacts(conn) });
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
    /** The renewal part of the plan only (the client's own renewal would be due too). */
    const renewalPlan = async (host: HostConfig) => {
      const plan = planHost(host, await gatherFacts(conn));
      return { ...plan, actions: plan.actions.filter((a) => a.kind === 'renewal-timer') };
    };
    /** Only the renewal files (the settings differ by renewBeforeDays): nothing else changes. */
    const applyRenewalFiles = async (host: HostConfig) => {
      const renewal = await renewalPlan(host);
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
      // From a server without any of it, also after an earlier run on the same VPS (Node.js may stay).
      await guest(
        'sh',
        '-c',
        `systemctl disable --now ${RENEW_UNIT}.timer; rm -rf /usr/local/lib/mailwright /etc/mailwright /var/lib/mailwright /etc/systemd/system/${RENEW_UNIT}.* /etc/chasquid/certs/${MAIL_HOST}; systemctl daemon-reload; true`,
      );
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

    it('DNS-01 through RFC 2136: the credential goes to the server only with consent, root-only, and the server renews with it', async () => {
      await secrets.set(secretKeys.dnsSecret('example.test'), tsigKey(dns).secret);
      const host = dnsHostWith(89);
      const plan = await renewalPlan(host);
      assert.deepEqual(
        plan.actions.map((a) => a.id),
        ['renewal:settings', 'renewal:dns-credential', 'renewal:enable'],
      );
      const settingsBefore = await guest('sha256sum', RENEW_SETTINGS_PATH);
      await assert.rejects(apply(plan, host), ConsentNeededError);
      assert.equal(await guest('sha256sum', RENEW_SETTINGS_PATH), settingsBefore, 'nothing changed');
      const r = await apply(plan, host, ['renewal:dns-credential']);
      assert.ok(r.ok, JSON.stringify(r.failed));
      assert.equal(
        (
          await guest('stat', '-c', '%U:%G %a', RENEW_DNS_CREDENTIAL_PATH, '/var/lib/mailwright/renew')
        ).trim(),
        'root:root 600\nroot:root 700',
      );
      // The secret is nowhere under /etc (chasquid's snapshot, the public settings).
      const leaked = await guest(
        'sh',
        '-c',
        `sed -n 's/^.*":"\\(.*\\)"}$/\\1/p' ${RENEW_DNS_CREDENTIAL_PATH} > /run/mw-secret; test -s /run/mw-secret || echo "no secret read"; grep -rlF -f /run/mw-secret /etc; rm -f /run/mw-secret`,
      );
      assert.equal(leaked.trim(), '');

      const before = await served();
      // A CA may hand back an authorization this account already proved (pebble does so about
      // once in a hundred orders even when told not to); then no TXT record is needed and the
      // run proves nothing about the credential, so the renewal runs again.
      let journal = '';
      for (let attempt = 1; attempt <= 3; attempt++) {
        await guest('systemctl', 'start', `${RENEW_UNIT}.service`);
        const invocation = (
          await guest('systemctl', 'show', '-p', 'InvocationID', '--value', `${RENEW_UNIT}.service`)
        ).trim();
        journal = await guest(
          'journalctl',
          `_SYSTEMD_INVOCATION_ID=${invocation}`,
          '--no-pager',
          '-o',
          'cat',
        );
        if (!/still holds a valid authorization/.test(journal)) break;
      }
      assert.match(journal, /\(dns-01\)/);
      assert.match(journal, /TXT _acme-challenge\.smtp\.example\.test added through rfc2136/);
      assert.match(journal, /Renewed: smtp\.example\.test serves the new certificate/);
      const after = await served();
      assert.notEqual(after.certificate?.serialNumber, before.certificate?.serialNumber);
      assert.equal(after.authorized, true, after.authorizationError);
      const left = await dns
        .resolver()
        .resolveTxt('_acme-challenge.smtp.example.test')
        .catch(() => []);
      assert.deepEqual(left, [], 'the challenge record is removed');
    });

    it('renewOn: client again: the timer stops and the stored credential is deleted', async () => {
      const host = dnsHostWith(30, 'client');
      const plan = await renewalPlan(host);
      assert.deepEqual(
        plan.actions.map((a) => a.id),
        ['renewal:stop'],
      );
      const r = await apply(plan, host);
      assert.ok(r.ok, JSON.stringify(r.failed));
      const state = await guest(
        'sh',
        '-c',
        `systemctl is-enabled ${RENEW_UNIT}.timer; test -e ${RENEW_DNS_CREDENTIAL_PATH} && echo present || echo gone`,
      ).catch((e: { stdout?: string }) => e.stdout ?? '');
      assert.deepEqual(state.trim().split('\n'), ['disabled', 'gone']);
      assert.deepEqual((await renewalPlan(host)).actions, []);
    });
  },
);
