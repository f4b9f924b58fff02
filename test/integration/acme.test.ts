// ACME end to end with real parts: pebble (scripts/testacme) validating through the test knot
// (scripts/testdns), chasquid on a sandbox VPS. DNS-01 through TSIG-signed RFC 2136 updates,
// a wildcard order, HTTP-01 answered by the server itself, renewal, and failures that must
// leave the served certificate alone and chasquid running.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { resolve } from 'node:path';
import { AcmeError, issueCertificate, dns01Responder } from '../../src/core/acme';
import type { HostConfig } from '../../src/core/config';
import { waitForTxt } from '../../src/core/dns/propagation';
import { providerFor } from '../../src/core/dns/providers';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, planHost, type Plan } from '../../src/core/plan';
import {
  configuredDnsDeps,
  planRenewal,
  setDefaultAcmeDeps,
  type AcmeDeps,
} from '../../src/core/plan/actions/acme-certificate';
import { MemorySecretStore, shellCommand, type RemoteConnection } from '../../src/core/remote';
import { secretKeys } from '../../src/core/remote/secrets';
import { probeSmtp } from '../../src/core/smtp';
import { knotProvider, tsigKey, waitForTxtIn } from './acme-fixture';
import { startTestDns, type TestDns } from './dns-fixture';
import { connect, desiredHost, type SandboxInstance } from './sandbox-instances';

const run = promisify(execFile);
const TESTACME = resolve(__dirname, '../../scripts/testacme');
const MAIL_HOST = 'smtp.example.test';
const instancePath = process.env.MAILWRIGHT_ACME_SANDBOX ?? process.env.MAILWRIGHT_SANDBOX_13;
const instance = instancePath
  ? (JSON.parse(readFileSync(instancePath, 'utf8')) as SandboxInstance)
  : undefined;

describe(
  'ACME certificates',
  { skip: !instance && 'no sandbox (MAILWRIGHT_ACME_SANDBOX / MAILWRIGHT_SANDBOX_13)' },
  () => {
    const inst = instance!;
    let conn: RemoteConnection;
    let dns: TestDns;
    let acmeDir: string;
    let directoryUrl: string;
    let issuerRoot: string;
    let deps: AcmeDeps;
    const secrets = new MemorySecretStore();
    const acmeName = `acme-${process.pid}`;

    const hostWith = (challenge: 'dns-01' | 'http-01', ca = directoryUrl): HostConfig =>
      ({
        ...desiredHost(inst, { name: 'example.test' }),
        acme: { ca, challenge, renewBeforeDays: 30, caCertificate: `${acmeDir}/tls-ca.pem` },
      }) as HostConfig;

    const apply = async (plan: Plan, host: HostConfig) =>
      applyPlan(plan, { conn, host, secrets, regather: () => gatherFacts(conn) });

    const served = async (port: 465 | 587) =>
      (
        await probeSmtp({
          host: inst.ipv4,
          port,
          mode: port === 465 ? 'tls' : 'starttls',
          servername: MAIL_HOST,
          ca: issuerRoot,
        })
      ).tls.certificate?.serialNumber;

    const serverState = async () => {
      const r = await conn.exec(
        shellCommand([
          'sh',
          '-c',
          'sha256sum /etc/chasquid/certs/smtp.example.test/*.pem; systemctl is-active chasquid',
        ]),
        { sudo: true, check: false },
      );
      return r.stdout;
    };

    before(async () => {
      conn = connect(inst);
      dns = await startTestDns(inst);
      await run('bash', [TESTACME, 'stop', acmeName]);
      const { stdout } = await run('bash', [TESTACME, 'start', acmeName, '--dns', `${inst.hostIpv4}:53`], {
        timeout: 180_000,
      });
      acmeDir = stdout.trim().split('\n').at(-1)!;
      directoryUrl = readFileSync(`${acmeDir}/directory-url`, 'utf8').trim();
      issuerRoot = readFileSync(`${acmeDir}/issuer-root.pem`, 'utf8');
      deps = {
        dnsProviderFor: () => knotProvider(dns, inst.hostIpv4),
        waitForTxt: waitForTxtIn(dns),
        issuerRootPem: issuerRoot,
      };
      setDefaultAcmeDeps(deps);
      // A provisioned server with its self-signed bootstrap certificate (also after an earlier run).
      await conn.exec(shellCommand(['rm', '-rf', '--', `/etc/chasquid/certs/${MAIL_HOST}`]), { sudo: true });
      const host = desiredHost(inst, { name: 'example.test' });
      const r = await apply(planHost(host, await gatherFacts(conn)), host);
      assert.ok(r.ok, JSON.stringify(r.failed));
    });

    after(async () => {
      conn?.close();
      await dns?.stop();
      await run('bash', [TESTACME, 'stop', acmeName]);
    });

    it('DNS-01 through RFC 2136: the plan replaces the self-signed certificate; 465 and 587 serve it', async () => {
      const host = hostWith('dns-01');
      const plan = planHost(host, await gatherFacts(conn));
      const acme = plan.actions.find((a) => a.kind === 'acme-certificate')!;
      assert.match(acme.reason, /self-signed/);
      const r = await apply(plan, host);
      assert.ok(r.ok, JSON.stringify(r.failed));
      const s465 = await served(465);
      assert.equal(s465, await served(587));
      const facts = await gatherFacts(conn);
      assert.equal(facts.chasquidState?.certs[MAIL_HOST]?.serial?.toUpperCase(), s465?.toUpperCase());
      const mode = await conn.exec(
        shellCommand(['stat', '-c', '%U:%G %a %F', `/etc/chasquid/certs/${MAIL_HOST}/privkey.pem`]),
        { sudo: true },
      );
      assert.equal(mode.stdout.trim(), 'root:chasquid 640 regular file');
      assert.equal(
        planHost(host, facts).actions.filter((a) => a.kind === 'acme-certificate').length,
        0,
        'fresh certificate: nothing to do',
      );
    });

    it('renewal replaces the certificate and the served serial changes', async () => {
      const host = hostWith('dns-01');
      const before465 = await served(465);
      const facts = await gatherFacts(conn);
      const plan = planRenewal(host, facts, { days: 4000 }, deps);
      assert.match(plan.actions[0]!.reason, /certificate expires in \d+ days/);
      const r = await apply(plan, host);
      assert.ok(r.ok, JSON.stringify(r.failed));
      assert.notEqual(await served(465), before465);
      assert.equal(await served(465), await served(587));
    });

    it('example.test + *.example.test: two TXT values on one name at once, each deleted by value', async () => {
      const provider = knotProvider(dns, inst.hostIpv4);
      const cert = await issueCertificate({
        directoryUrl,
        caCertificatePem: readFileSync(`${acmeDir}/tls-ca.pem`, 'utf8'),
        secrets,
        names: ['example.test', '*.example.test'],
        responder: dns01Responder({ dnsProviderFor: () => provider, waitForTxt: waitForTxtIn(dns) }),
      });
      assert.deepEqual(cert.names, ['example.test', '*.example.test']);
      const adds = provider.log.filter((l) => l.startsWith('+_acme-challenge.example.test '));
      assert.equal(adds.length, 2);
      assert.equal(provider.log.filter((l) => l.startsWith('-')).length, 2);
      assert.deepEqual(
        await dns
          .resolver()
          .resolveTxt('_acme-challenge.example.test')
          .catch(() => []),
        [],
      );
    });

    it('HTTP-01: the server answers on port 80 during the challenge, then nothing listens there', async () => {
      const host = hostWith('http-01');
      const before465 = await served(465);
      const plan = planRenewal(host, await gatherFacts(conn), { days: 4000 }, deps);
      const r = await apply(plan, host);
      assert.ok(r.ok, JSON.stringify(r.failed));
      assert.notEqual(await served(465), before465);
      const port80 = await conn.exec(shellCommand(['ss', '-Htln', 'sport = :80']), { sudo: true });
      assert.equal(port80.stdout.trim(), '');
    });

    it("DNS-01 through the real Rfc2136Provider built from the domain's dns: config and the stored TSIG secret", async () => {
      const key = tsigKey(dns);
      const host = hostWith('dns-01');
      host.domains[0]!.dns = {
        provider: 'rfc2136',
        server: `${inst.hostIpv4}:53`,
        keyName: key.keyName,
        algorithm: 'hmac-sha256',
        zone: 'example.test',
        ttl: 5,
      };
      await secrets.set(secretKeys.dnsSecret('example.test'), key.secret);
      // The production provider; only the propagation wait is told where the authoritative
      // server is (the system resolver does not know example.test).
      const d: AcmeDeps = {
        dnsProviderFor: configuredDnsDeps.dnsProviderFor,
        waitForTxt: (name, value, signal) =>
          waitForTxt(name, value, { signal, servers: [inst.hostIpv4], intervalMs: 200, timeoutMs: 20_000 }),
        issuerRootPem: issuerRoot,
      };
      const before465 = await served(465);
      const logs: string[] = [];
      const plan = planRenewal(host, await gatherFacts(conn), { days: 4000 }, d);
      const r = await applyPlan(plan, {
        conn,
        host,
        secrets,
        regather: () => gatherFacts(conn),
        onEvent: (e) => logs.push(JSON.stringify(e)),
      });
      assert.ok(r.ok, JSON.stringify(r.failed));
      const s465 = await served(465);
      assert.notEqual(s465, before465);
      assert.equal(s465, await served(587));
      const facts = await gatherFacts(conn);
      assert.equal(facts.chasquidState?.certs[MAIL_HOST]?.serial?.toUpperCase(), s465?.toUpperCase());
      assert.ok(!logs.join('\n').includes(key.secret), 'the TSIG secret never appears in the run events');
      assert.deepEqual(
        await dns
          .resolver()
          .resolveTxt(`_acme-challenge.${MAIL_HOST}`)
          .catch(() => []),
        [],
        'the challenge record is removed afterwards',
      );
    });

    it('DNS-01 through the manual provider: the test adds the TXT record it is shown, and removes it when asked', async () => {
      const host = hostWith('dns-01');
      host.domains[0]!.dns = { provider: 'manual', algorithm: 'hmac-sha256', zone: 'example.test', ttl: 5 };
      const operator = knotProvider(dns, inst.hostIpv4);
      const instructions: string[] = [];
      const pending: Promise<void>[] = [];
      // The "user": reads the zone line of the instruction and changes knot accordingly.
      const onInstruction = (text: string) => {
        instructions.push(text);
        const m = /^\s*(\S+)\.\s+(\d+)\s+IN\s+TXT\s+(.+)$/m.exec(text);
        assert.ok(m, `no zone line in: ${text}`);
        const value = [...m[3]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((q) => q[1]!).join('');
        const record = { name: m[1]!, type: 'TXT' as const, value, ttl: Number(m[2]) };
        if (/^Add /.test(text)) pending.push(operator.create(record));
        else if (/^Remove /.test(text)) pending.push(operator.delete(record));
        else assert.fail(`unexpected instruction: ${text}`);
      };
      const d: AcmeDeps = {
        dnsProviderFor: (name, ctx) =>
          providerFor({ name: 'example.test', dns: host.domains[0]!.dns! }, ctx.secrets, {
            onInstruction,
            servers: [inst.hostIpv4],
            timeoutMs: 30_000,
          }),
        waitForTxt: waitForTxtIn(dns),
        issuerRootPem: issuerRoot,
      };
      const before465 = await served(465);
      const r = await apply(planRenewal(host, await gatherFacts(conn), { days: 4000 }, d), host);
      await Promise.all(pending);
      assert.ok(r.ok, JSON.stringify(r.failed));
      assert.equal(instructions.length, 2, instructions.join('\n---\n'));
      assert.match(instructions[0]!, /^Add this record/);
      assert.match(instructions[1]!, /^Remove this record/);
      assert.deepEqual(
        operator.log.map((l) => l.split(' ')[0]),
        [`+_acme-challenge.${MAIL_HOST}`, `-_acme-challenge.${MAIL_HOST}`],
      );
      const s465 = await served(465);
      assert.notEqual(s465, before465);
      assert.equal(s465, await served(587));
      assert.deepEqual(
        await dns
          .resolver()
          .resolveTxt(`_acme-challenge.${MAIL_HOST}`)
          .catch(() => []),
        [],
      );
    });

    for (const [what, tweak, pattern] of [
      ['wrong TSIG key', 'tsig', /refused|NOTAUTH|BADKEY|BADSIG/i],
      ['CA down', 'ca', /cannot be reached/],
      ['challenge failing', 'challenge', /rejected the dns-01 challenge/],
    ] as const) {
      it(`${what}: a clear error within seconds, certificate untouched, chasquid running`, async () => {
        let host = hostWith('dns-01');
        let d: AcmeDeps = deps;
        if (tweak === 'tsig') {
          const bad = `${acmeDir}/bad-tsig.key`;
          const [alg, name] = readFileSync(dns.tsigKeyFile, 'utf8').trim().split(':');
          writeFileSync(bad, `${alg}:${name}:${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
          d = { ...deps, dnsProviderFor: () => knotProvider(dns, inst.hostIpv4, bad) };
        } else if (tweak === 'ca') {
          host = hostWith('dns-01', 'https://127.0.0.1:9/dir');
        } else {
          // Publishes a value the CA does not expect; the wait sees it and the CA says no.
          const real = knotProvider(dns, inst.hostIpv4);
          d = {
            ...deps,
            dnsProviderFor: () => ({
              ...real,
              create: (r) => real.create({ ...r, value: 'wrong' }),
              delete: (r) => real.delete({ ...r, value: 'wrong' }),
            }),
            waitForTxt: async () => undefined,
          };
        }
        const stateBefore = await serverState();
        const servedBefore = await served(465);
        const started = Date.now();
        const events: string[] = [];
        const r = await applyPlan(planRenewal(host, await gatherFacts(conn), { days: 4000 }, d), {
          conn,
          host,
          // A new ACME account: a CA may reuse an authorization it validated for the same account
          // (pebble does now and then, Let's Encrypt for 30 days) and then asks no challenge at
          // all, which would make the run succeed whatever is wrong with the DNS side.
          secrets: new MemorySecretStore(),
          regather: () => gatherFacts(conn),
          onEvent: (e) => events.push(JSON.stringify(e)),
        });
        const seconds = (Date.now() - started) / 1000;
        // The run's own account of itself, should it ever succeed.
        assert.equal(r.ok, false, `the renewal succeeded; its events:\n${events.join('\n')}`);
        assert.match(r.failed!.message, pattern);
        assert.ok(seconds < 15, `took ${seconds} s`);
        assert.equal(await serverState(), stateBefore);
        assert.match(stateBefore, /\nactive\n?$/);
        assert.equal(await served(465), servedBefore);
      });
    }
  },
);

export { AcmeError };
