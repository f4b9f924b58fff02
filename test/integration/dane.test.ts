// DANE end to end with the built CLI (dist/cli.js), on a sandbox of its own: example.test is
// signed by the test knot (DNSSEC), the certificate comes from pebble through dns-01 (rfc2136),
// and `mailwright dns check` / `dns publish` / `renew` run as a user would run them.
//
// The CLI finds the zone's servers through the system resolver, as on a real machine: it runs in
// a private mount namespace where /etc/resolv.conf names the test knot (see acme-cli.test.ts).
// The key the server serves is read independently, with `openssl s_client -starttls smtp` on
// port 25, and hashed with openssl: the TLSA value the check expects must be that hash.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DnsReport, Finding } from '../../src/core/dns/model';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, planHost } from '../../src/core/plan';
import {
  MemorySecretStore,
  readRemoteFile,
  readRemoteFileIfExists,
  shellCommand,
  shellScript,
  writeRemoteFileAtomic,
  type RemoteConnection,
} from '../../src/core/remote';
import {
  nextKeyPath,
  ROLLOVER_DIR,
  rolloverStatePath,
  type RolloverState,
} from '../../src/core/dane/rollover';
import { dns01Workspace, MAIL_HOST, servedSerial, startTestAcme, type TestAcme } from './acme-fixture';
import { startTestDns, type TestDns } from './dns-fixture';
import { connect, desiredHost, type SandboxInstance } from './sandbox-instances';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const instancePath = process.env.MAILWRIGHT_DANE_SANDBOX_13;
const instance = instancePath
  ? (JSON.parse(readFileSync(instancePath, 'utf8')) as SandboxInstance)
  : undefined;
const TLSA_NAME = `_25._tcp.${MAIL_HOST}`;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe(
  'DANE: TLSA for the mail host in a signed zone (the built CLI)',
  { skip: !instance && 'no sandbox (MAILWRIGHT_DANE_SANDBOX_13)' },
  () => {
    const inst = instance!;
    let conn: RemoteConnection;
    let dns: TestDns;
    let acme: TestAcme;
    let work: string;
    let secret: string;

    /** `node dist/cli.js …` in the workspace, resolving through the test knot. */
    const cli = (args: string[]) =>
      new Promise<CliRun>((done) => {
        const child = spawn(
          'unshare',
          [
            '--mount',
            'sh',
            '-c',
            'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"',
            'sh',
            join(work, 'resolv.conf'),
            process.execPath,
            CLI,
            ...args,
            '--known-hosts',
            join(work, 'known_hosts'),
          ],
          {
            cwd: work,
            env: {
              PATH: process.env.PATH,
              HOME: join(work, 'home'),
              XDG_RUNTIME_DIR: join(work, 'run'),
              MAILWRIGHT_DNS_SECRET_EXAMPLE_TEST: secret,
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d));
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        child.on('close', (code) => done({ code, stdout, stderr }));
      });
    const show = (r: CliRun) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

    /** `dns check --json` (no blocklists, no port probes: this test is about the records). */
    const check = async (): Promise<{ report: DnsReport; tlsa?: Finding; run: CliRun }> => {
      const run = await cli(['dns', 'check', '--json', '--no-dnsbl', '--no-reachability']);
      let report: DnsReport;
      try {
        report = JSON.parse(run.stdout) as DnsReport;
      } catch {
        throw new Error(`dns check printed no report:\n${show(run)}`);
      }
      return { report, tlsa: report.findings.find((f) => f.kind === 'tlsa'), run };
    };

    /** SHA-256 of the SubjectPublicKeyInfo of the certificate served on port 25, by openssl alone. */
    const servedKeyHash = (): string => {
      const chain = execFileSync(
        'openssl',
        [
          's_client',
          '-starttls',
          'smtp',
          '-connect',
          `${inst.ipv4}:25`,
          '-servername',
          MAIL_HOST,
          '-verify_quiet',
        ],
        { input: '', timeout: 20_000, stdio: ['pipe', 'pipe', 'ignore'] },
      ).toString();
      const leaf = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(chain)?.[0];
      assert.ok(leaf, `no certificate on port 25:\n${chain}`);
      const pub = execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: leaf });
      const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pub });
      return execFileSync('openssl', ['dgst', '-sha256', '-r'], { input: der }).toString().split(' ')[0]!;
    };

    before(async () => {
      assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build first`);
      conn = connect(inst);
      dns = await startTestDns(inst, { signed: true });
      acme = await startTestAcme(`dane-${process.pid}`, `${inst.hostIpv4}:53`);
      ({ work, secret } = dns01Workspace(inst, dns, acme, 'mw-dane-'));
      // Provisioned with the self-signed bootstrap certificate, then its first ACME certificate.
      const host = desiredHost(inst, { name: 'example.test' });
      await conn.exec(shellCommand(['rm', '-rf', '--', `/etc/chasquid/certs/${MAIL_HOST}`, ROLLOVER_DIR]), {
        sudo: true,
      });
      const r = await applyPlan(planHost(host, await gatherFacts(conn)), {
        conn,
        host,
        secrets: new MemorySecretStore(),
        regather: () => gatherFacts(conn),
      });
      assert.ok(r.ok, JSON.stringify(r.failed));
      const first = await cli(['renew', '--days', '90']);
      assert.equal(first.code, 0, show(first));
      assert.match(first.stdout + first.stderr, /self-signed/);
    });

    after(async () => {
      conn?.close();
      await dns?.stop();
      await acme?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('the signed zone expects TLSA 3 1 1 <the served key>: MISSING before publishing', async () => {
      const { report, tlsa, run } = await check();
      assert.ok(tlsa, `no TLSA row:\n${show(run)}`);
      assert.equal(tlsa.name, TLSA_NAME);
      assert.equal(tlsa.expected, `3 1 1 ${servedKeyHash()}`);
      assert.equal(tlsa.status, 'missing');
      assert.equal(tlsa.severity, 'warning');
      assert.equal(tlsa.fix, `add TLSA ${TLSA_NAME} ${tlsa.expected} in your DNS zone`);
      assert.equal(
        (report.notices ?? []).some((n) => /DANE needs DNSSEC/.test(n)),
        false,
        'the zone is signed',
      );
    });

    it('dns publish writes it through RFC 2136; the check then says ok', async () => {
      const run = await cli(['dns', 'publish', '--yes', '--json']);
      assert.match(run.stderr, new RegExp(`TLSA.*${TLSA_NAME.replace(/\./g, '\\.')}`), show(run));
      const report = JSON.parse(run.stdout) as DnsReport;
      const tlsa = report.findings.find((f) => f.kind === 'tlsa');
      assert.equal(tlsa?.status, 'ok', show(run));
      assert.deepEqual(tlsa?.found, [`3 1 1 ${servedKeyHash()}`]);
      // With the port probes on, the row is also held against the key port 25 serves.
      const probed = await cli(['dns', 'check', '--json', '--no-dnsbl', '--outbound-probe', 'receiver.test']);
      const row = (JSON.parse(probed.stdout) as DnsReport).findings.find((f) => f.kind === 'tlsa');
      assert.equal(row?.status, 'ok', show(probed));
      assert.ok(row?.notes.includes('port 25 serves this key'), show(probed));
    });

    it('a renewal keeps the key: a new certificate, the same TLSA, still ok', async () => {
      const keyBefore = servedKeyHash();
      const serialBefore = await servedSerial(inst, 465, acme.issuerRoot);
      const run = await cli(['renew', '--days', '90']);
      assert.equal(run.code, 0, show(run));
      assert.match(run.stdout + run.stderr, /Keeping the certificate's key/);
      assert.notEqual(await servedSerial(inst, 465, acme.issuerRoot), serialBefore, 'a new certificate');
      assert.equal(servedKeyHash(), keyBefore, 'the same key');
      const { tlsa } = await check();
      assert.equal(tlsa?.status, 'ok');
    });

    it('a TLSA record naming another key is WRONG, an error, with the change to make', async () => {
      const want = `3 1 1 ${servedKeyHash()}`;
      const other = `3 1 1 ${'ab'.repeat(32)}`;
      await dns.update('example.test', [
        `update delete ${TLSA_NAME}. TLSA`,
        `update add ${TLSA_NAME}. 5 TLSA ${other}`,
      ]);
      const { report, tlsa, run } = await check();
      assert.equal(tlsa?.status, 'wrong', show(run));
      assert.equal(tlsa?.severity, 'error');
      assert.equal(tlsa?.fix, `change TLSA ${TLSA_NAME} from ${other} to ${want}`);
      assert.notEqual(run.code, 0, 'an error makes dns check fail');
      assert.ok(report.findings.length > 1);
    });

    it('renew --new-key makes a new key, says to publish again, and the published record is then WRONG', async () => {
      const keyBefore = servedKeyHash();
      await cli(['dns', 'publish', '--yes']);
      assert.equal((await check()).tlsa?.status, 'ok');
      const run = await cli(['renew', '--new-key']);
      assert.equal(run.code, 0, show(run));
      assert.match(run.stdout + run.stderr, /new private key was asked for/);
      assert.match(run.stdout + run.stderr, /run `mailwright dns publish` now/);
      const keyAfter = servedKeyHash();
      assert.notEqual(keyAfter, keyBefore, 'a new key is served');
      const { tlsa } = await check();
      assert.equal(tlsa?.status, 'wrong');
      assert.equal(tlsa?.expected, `3 1 1 ${keyAfter}`);
    });

    // The rollover: a TTL of 5 s (dns.ttl above); the state file is edited once to show the switch refused.
    const rollover = () => cli(['dane', 'rollover']);
    const readState = async () =>
      JSON.parse((await readRemoteFile(conn, rolloverStatePath(MAIL_HOST))).toString()) as RolloverState;
    const writeState = (state: RolloverState) =>
      writeRemoteFileAtomic(conn, rolloverStatePath(MAIL_HOST), JSON.stringify(state), {
        mode: '0600',
        owner: 'root:root',
      });
    /** The TLSA rows of a check: id, status, found; none is an error at any stage. */
    const tlsaRows = async () => {
      const { report, run } = await check();
      const rows = report.findings.filter((f) => f.kind === 'tlsa');
      assert.ok(
        rows.every((f) => f.severity !== 'error'),
        show(run),
      );
      return rows;
    };
    const until = async (date: string) => {
      const ms = Date.parse(date) - Date.now();
      if (ms > 0) await new Promise((r) => setTimeout(r, ms + 200));
    };

    it("key rollover, stage 1: the next key is made off chasquid's folder, its TLSA published beside the current one; the switch waits the TTL", async () => {
      await cli(['dns', 'publish', '--yes']);
      const current = servedKeyHash();
      const dry = await cli(['dane', 'rollover', '--dry-run']);
      assert.equal(dry.code, 0, show(dry));
      assert.match(dry.stdout, /→ next key made on the server \(a next key\), not served yet/);
      assert.equal(
        await readRemoteFileIfExists(conn, rolloverStatePath(MAIL_HOST)),
        null,
        'a dry run changes nothing',
      );

      const run = await rollover();
      assert.equal(run.code, 0, show(run));
      const state = await readState();
      assert.equal(state.current, current);
      assert.equal(state.ttlSeconds, 5, 'the TTL the provider lists (dns.ttl)');
      assert.ok(state.publishedAt && state.seenAt && !state.switchedAt, JSON.stringify(state));
      assert.match(run.stdout, /✓ TLSA record of key .* published beside key/);
      assert.match(run.stdout, /… switch not before /);
      assert.match(run.stderr, /the switch is possible from/);
      // The next key waits outside /etc/chasquid/certs, and port 25 still serves the current key.
      const staged = await conn.exec(
        shellScript('openssl pkey -in "$1" -pubout -outform DER | sha256sum', [nextKeyPath(MAIL_HOST)]),
        { sudo: true },
      );
      assert.equal(staged.stdout.split(' ')[0], state.next, 'the staged key is the next key');
      const certDirs = await conn.exec(
        shellCommand(['find', '/etc/chasquid/certs', '-mindepth', '1', '-maxdepth', '1', '-type', 'd']),
        { sudo: true },
      );
      assert.deepEqual(certDirs.stdout.trim().split('\n'), [`/etc/chasquid/certs/${MAIL_HOST}`]);
      assert.equal(servedKeyHash(), current);
      assert.deepEqual(
        (await tlsaRows()).map((f) => [f.id, f.status, f.found]),
        [
          ['tlsa', 'ok', [`3 1 1 ${current}`]],
          ['tlsa:next', 'ok', [`3 1 1 ${state.next}`]],
        ],
      );
      // Meanwhile a new key by other means is refused: it would leave both records wrong.
      const newKey = await cli(['renew', '--new-key']);
      assert.equal(newKey.code, 2, show(newKey));
      assert.match(newKey.stderr, /DANE key rollover .* is under way/);
      assert.equal(servedKeyHash(), current);
    });

    it('key rollover, stage 2: run again before the TTL has passed, nothing changes; after it, the certificate switches to the next key', async () => {
      const before = await readState();
      // The TTL made long: a second run refuses the switch, makes no other key, publishes nothing twice.
      await writeState({ ...before, ttlSeconds: 3600 });
      const early = await rollover();
      assert.equal(early.code, 0, show(early));
      assert.match(early.stderr, /the switch is possible from/);
      const unchanged = await readState();
      assert.equal(unchanged.next, before.next);
      assert.equal(unchanged.switchedAt, undefined);
      assert.equal(servedKeyHash(), before.current, 'no switch before the TTL has passed');

      await writeState(before);
      await until(new Date(Date.parse(before.seenAt!) + before.ttlSeconds * 1000).toISOString());
      const run = await rollover();
      assert.equal(run.code, 0, show(run));
      assert.match(run.stdout + run.stderr, /Issuing with the next key/);
      assert.match(run.stdout + run.stderr, /Port 25 serves the next key/);
      assert.match(run.stdout, /✓ certificate issued with key .*, chasquid restarted, port 25 serves it/);
      const after = await readState();
      assert.ok(after.switchedAt, JSON.stringify(after));
      assert.equal(servedKeyHash(), before.next, 'port 25 serves the next key (openssl)');
      assert.deepEqual(
        (await tlsaRows()).map((f) => [f.id, f.status, f.expected]),
        [
          ['tlsa', 'ok', `3 1 1 ${before.next}`],
          ['tlsa:previous', 'ok', `3 1 1 ${before.current}`],
        ],
      );
      // With the port probes on, the served key's row says port 25 serves it; the previous is no error.
      const probed = await cli(['dns', 'check', '--json', '--no-dnsbl', '--outbound-probe', 'receiver.test']);
      const rows = (JSON.parse(probed.stdout) as DnsReport).findings.filter((f) => f.kind === 'tlsa');
      assert.ok(rows.find((f) => f.id === 'tlsa')?.notes.includes('port 25 serves this key'), show(probed));
      assert.equal(rows.find((f) => f.id === 'tlsa:previous')?.status, 'ok', show(probed));
    });

    it('key rollover, stage 3: one TTL after the switch the old record goes; the next key is the key', async () => {
      const state = await readState();
      await until(new Date(Date.parse(state.switchedAt!) + state.ttlSeconds * 1000).toISOString());
      const run = await rollover();
      assert.equal(run.code, 0, show(run));
      assert.match(run.stderr, /Removed: TLSA/);
      assert.match(run.stderr, /the rollover of .* is over/i);
      const done = await readState();
      assert.ok(done.removedAt);
      assert.equal(
        await readRemoteFileIfExists(conn, nextKeyPath(MAIL_HOST)),
        null,
        'the staged key file is gone',
      );
      assert.deepEqual(
        (await tlsaRows()).map((f) => [f.id, f.status, f.found]),
        [['tlsa', 'ok', [`3 1 1 ${state.next}`]]],
      );
      assert.equal(servedKeyHash(), state.next);
    });

    it('the same zone unsigned: no TLSA row, one notice that DANE needs DNSSEC', async () => {
      await dns.stop();
      dns = await startTestDns(inst);
      const { report, tlsa, run } = await check();
      assert.equal(tlsa, undefined, show(run));
      assert.deepEqual(
        (report.notices ?? []).filter((n) => /DANE/.test(n)),
        [
          "DANE needs DNSSEC: zone example.test is not signed (its name servers serve no DNSKEY), so no TLSA record is expected. Sign the zone at your DNS host to let senders verify the mail host's key with DANE.",
        ],
      );
    });
  },
);
