// The DNS check and publish of a mail domain, end to end with real components: a sandbox VPS
// with real DKIM keys (planned and applied by the engine), a real authoritative knot serving
// example.test and the reverse zones of the sandbox's networks, records published through the
// production RFC 2136 provider (TSIG secret from the secret store). Then each record is broken
// the way a person editing the zone would (knsupdate) and the check must name the precise fault.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DomainConfig, HostConfig } from '../../src/core/config';
import {
  dkimTxtRecord,
  generateDkimKey,
  installedDkimKeys,
  publicKeyOfPem,
  splitTxt,
  type InstalledDkimKey,
} from '../../src/core/dkim';
import { checkDomainDns, expectedForHost } from '../../src/core/dns/domain-check';
import type { DnsReport, ExpectedRecord, Finding } from '../../src/core/dns/model';
import { providerFor, type DnsProvider } from '../../src/core/dns/providers';
import { applyPublish, planPublish } from '../../src/core/dns/publish';
import { gatherFacts, type Facts } from '../../src/core/facts';
import { applyPlan, chasquidPathOf, type Plan } from '../../src/core/plan';
import { planDkim } from '../../src/core/plan/actions/dkim';
import {
  MemorySecretStore,
  readRemoteFileIfExists,
  shellCommand,
  shellScript,
  type RemoteConnection,
} from '../../src/core/remote';
import { secretKeys } from '../../src/core/remote/secrets';
import { tsigKey } from './acme-fixture';
import { reverseName, reverseZoneOf, SENDER_ZONE, startTestDns, type TestDns } from './dns-fixture';
import { connect, desiredHost, sandboxes, skipReason, type SandboxInstance } from './sandbox-instances';

const DOMAIN = SENDER_ZONE;
const MAIL_HOST = `smtp.${DOMAIN}`;
const ROOT = resolve(__dirname, '../..');
// One server is enough: the check is about DNS, the OS only matters for where the keys live.
const instance: SandboxInstance | undefined = sandboxes()[0];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const quote = (strings: string[]) =>
  strings.map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(' ');

/** The key's public half equals that of the PEM file it names, read on its own over SFTP. */
async function assertKeyOfFile(conn: RemoteConnection, key: InstalledDkimKey): Promise<void> {
  const pem = await readRemoteFileIfExists(conn, key.file);
  assert.ok(pem, `${key.file} exists`);
  const { publicKey, keyType } = publicKeyOfPem(pem);
  assert.deepEqual({ publicKey: key.publicKey, keyType: key.keyType }, { publicKey, keyType }, key.file);
}

function finding(report: DnsReport, id: string): Finding {
  const found = report.findings.find((f) => f.id === id);
  assert.ok(found, `no finding ${id} in ${report.findings.map((f) => f.id).join(', ')}`);
  return found;
}

function notOk(report: DnsReport): string[] {
  return report.findings.filter((f) => f.status !== 'ok').map((f) => `${f.id}: ${f.status}`);
}

describe(
  'DNS check and publish (sandbox VPS + knot)',
  { skip: !instance && skipReason, timeout: 10 * 60_000 },
  () => {
    const inst = instance!;
    const host: HostConfig = desiredHost(inst, { name: DOMAIN }, MAIL_HOST);
    const secrets = new MemorySecretStore();
    const reverse = { v4: reverseZoneOf(inst.ipv4), v6: reverseZoneOf(inst.ipv6) };
    let domain: DomainConfig;
    let conn: RemoteConnection;
    let dns: TestDns;
    let facts: Facts;
    let provider: DnsProvider;
    let expected: ExpectedRecord[];
    let hadDomainDir = false;

    const update = (zone: string, lines: string[]) => dns.update(zone, lines);
    const check = (options: { facts?: Facts } = {}) =>
      checkDomainDns(conn, host, domain, {
        resolvers: [inst.hostIpv4],
        authoritative: [inst.hostIpv4, inst.hostIpv6],
        dnsbl: false,
        reachability: false,
        facts: options.facts ?? facts,
      });
    const expectedOf = (id: string) => {
      const record = expected.find((r) => r.id === id);
      assert.ok(record, `no expected record ${id} in ${expected.map((r) => r.id).join(', ')}`);
      return record;
    };
    /** Breaks something for one test and puts the published record back after it. */
    const withBroken = async (
      breakIt: () => Promise<void>,
      restore: () => Promise<void>,
      verify: (report: DnsReport) => void,
    ) => {
      await breakIt();
      try {
        verify(await check());
      } finally {
        await restore();
      }
    };

    before(async () => {
      dns = await startTestDns(inst, { mailHost: MAIL_HOST, reverseZones: true });
      conn = connect(inst);
      await conn.connect();
      // chasquid must be there for DKIM keys; the lock timeout waits for a parallel apt.
      await conn.exec(
        shellScript(
          'command -v chasquid >/dev/null && exit 0; apt-get -q update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 chasquid >/dev/null',
        ),
        { sudo: true, timeoutMs: 600_000 },
      );
      const dir = await conn.exec(shellCommand(['test', '-d', `/etc/chasquid/domains/${DOMAIN}`]), {
        sudo: true,
        check: false,
      });
      hadDomainDir = dir.exitCode === 0;
      const before = await gatherFacts(conn);
      const plan: Plan = {
        host: host.name,
        facts: before,
        actions: planDkim({ host, facts: before, chasquidPath: chasquidPathOf(before), now: new Date() }),
        notes: [],
      };
      const result = await applyPlan(plan, { conn, host, secrets, regather: () => gatherFacts(conn) });
      assert.ok(result.ok, JSON.stringify(result.failed));
      facts = await gatherFacts(conn);

      const key = tsigKey(dns);
      domain = {
        ...host.domains[0]!,
        dns: {
          provider: 'rfc2136',
          server: `${inst.hostIpv4}:53`,
          keyName: key.keyName,
          algorithm: 'hmac-sha256',
          zone: DOMAIN,
          ttl: 5,
        },
      };
      host.domains = [domain];
      await secrets.set(secretKeys.dnsSecret(DOMAIN), key.secret);
      provider = await providerFor({ name: DOMAIN, dns: domain.dns! }, secrets);
      expected = await expectedForHost(conn, host, domain, facts);
    });

    after(async () => {
      // Only what this test made: the DKIM keys, or the whole domain folder if it created it.
      await conn
        ?.exec(
          hadDomainDir
            ? shellScript('rm -f -- /etc/chasquid/domains/"$1"/dkim:*.pem', [DOMAIN])
            : shellCommand(['rm', '-rf', '--', `/etc/chasquid/domains/${DOMAIN}`]),
          { sudo: true },
        )
        .catch(() => undefined);
      conn?.close();
      await dns?.stop();
    });

    it('expects A, AAAA, MX, SPF, DKIM, DMARC and a PTR per address, from the server itself', () => {
      const ids = expected.map((r) => r.id);
      for (const id of ['mx', 'spf', 'spf-include', 'dmarc', `ptr:${inst.ipv4}`, `ptr:${inst.ipv6}`])
        assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
      assert.ok(
        ids.some((id) => id.startsWith('dkim:')),
        'a DKIM record',
      );
      const dkim = expected.find((r) => r.kind === 'dkim')!;
      assert.ok(dkim.strings!.every((s) => Buffer.byteLength(s) <= 255));
      assert.equal(dkim.strings!.join(''), dkim.value);
    });

    it('reads the DKIM keys in one round trip: each the public half of the key file on the server', async () => {
      const path = chasquidPathOf(facts);
      assert.ok(path && path !== 'unsupported', String(path));
      const channels = conn.stats.execChannels;
      const keys = await installedDkimKeys(conn, path, DOMAIN);
      assert.equal(conn.stats.execChannels - channels, 1);
      assert.ok(keys.length > 0);
      for (const key of keys) await assertKeyOfFile(conn, key);
    });

    it('publishes through RFC 2136 without deleting a foreign TXT at the apex; then every required record is ok', async () => {
      const foreign = 'google-site-verification=mailwright-test-keeps-me';
      await update(DOMAIN, [`update add ${DOMAIN}. 5 TXT ${quote([foreign])}`]);
      const changes = await planPublish(expected, provider);
      assert.ok(
        changes.some((c) => c.action === 'create'),
        'something to publish on a fresh zone',
      );
      await applyPublish(changes, provider);
      const apex = (await dns.resolver().resolveTxt(DOMAIN)).map((s) => s.join(''));
      assert.ok(apex.includes(foreign), `foreign TXT kept: ${apex.join(' | ')}`);
      const report = await check();
      assert.deepEqual(
        report.findings
          .filter((f) => f.severity === 'error')
          .map((f) => `${f.id}: ${f.status} ${f.notes.join('; ')}`),
        [],
      );
      for (const record of expected.filter((r) => r.required))
        assert.equal(finding(report, record.id).status, 'ok', record.id);
    });

    it('hands over the expected records it checked, reading the server once (the DKIM keys)', async () => {
      const channels = conn.stats.execChannels;
      const handed: ExpectedRecord[][] = [];
      const report = await checkDomainDns(conn, host, domain, {
        resolvers: [inst.hostIpv4],
        authoritative: [inst.hostIpv4, inst.hostIpv6],
        dnsbl: false,
        reachability: false,
        facts,
        onExpected: (records) => handed.push(records),
      });
      assert.equal(conn.stats.execChannels - channels, 1, 'one exec channel: the DKIM key read');
      assert.equal(handed.length, 1);
      // The test zone is not DNSSEC-signed: where the server's certificate would give a TLSA
      // record (a certificate an earlier file of the run left), the check expects none and says why.
      const checked = expected.filter((r) => r.type !== 'TLSA');
      assert.deepEqual(handed[0], checked);
      if (checked.length < expected.length)
        assert.ok(
          report.notices?.some((n) => n.startsWith('DANE needs DNSSEC')),
          JSON.stringify(report.notices),
        );
      assert.deepEqual(
        report.findings.filter((f) => checked.some((r) => r.id === f.id)).map((f) => f.id),
        checked.map((r) => r.id),
      );
    });

    it('a second publish is a no-op: every zone record is "keep", PTR "skip" (set at the VPS provider)', async () => {
      const changes = await planPublish(expected, provider);
      assert.deepEqual(
        changes
          .filter((c) => c.action !== (c.record.publishedAt === 'zone' ? 'keep' : 'skip'))
          .map((c) => `${c.action} ${c.record.name} ${c.record.value}`),
        [],
      );
      const result = await applyPublish(changes, provider);
      assert.deepEqual(result.applied, []);
    });

    it('SPF that does not authorize the IPv6 address', async () => {
      const spf = expectedOf('spf');
      await withBroken(
        () =>
          update(DOMAIN, [
            `update delete ${DOMAIN}. TXT ${quote([spf.value])}`,
            `update add ${DOMAIN}. 5 TXT "v=spf1 ip4:${inst.ipv4} -all"`,
          ]),
        () =>
          update(DOMAIN, [
            `update delete ${DOMAIN}. TXT "v=spf1 ip4:${inst.ipv4} -all"`,
            `update add ${DOMAIN}. 5 TXT ${quote([spf.value])}`,
          ]),
        (report) => {
          const f = finding(report, 'spf');
          assert.equal(f.status, 'wrong');
          assert.equal(f.severity, 'error');
          assert.match(f.fix ?? '', new RegExp(`^SPF does not authorize ${escape(inst.ipv6)} \\(`));
          assert.match(f.notes.join('\n'), new RegExp(`${escape(inst.ipv6)} \\(IPv6\\) is not authorized`));
          assert.doesNotMatch(
            f.notes.join('\n'),
            new RegExp(`${escape(inst.ipv4)} \\(IPv4\\) is not authorized`),
          );
        },
      );
    });

    it('two SPF records at the apex', async () => {
      await withBroken(
        () => update(DOMAIN, [`update add ${DOMAIN}. 5 TXT "v=spf1 -all"`]),
        () => update(DOMAIN, [`update delete ${DOMAIN}. TXT "v=spf1 -all"`]),
        (report) => {
          const f = finding(report, 'spf');
          assert.equal(f.status, 'wrong');
          assert.equal(f.found.filter((v) => v.startsWith('v=spf1')).length, 2);
          assert.match(f.fix ?? '', /^2 SPF records: .*permerror.*keep one/);
        },
      );
    });

    it('SPF needing 11 DNS lookups (a chain of includes)', async () => {
      const spf = expectedOf('spf');
      // a, mx, include:_spf (+ its a:) = 4 lookups; seven more includes make 11.
      const chain = Array.from({ length: 7 }, (_, i) => `l${i + 1}.chain.${DOMAIN}`);
      const long = spf.value.replace(/ ~all$| -all$/, ` include:${chain[0]} ~all`);
      assert.notEqual(long, spf.value, `the SPF ends with ~all or -all: ${spf.value}`);
      const links = chain.map((name, i) =>
        i + 1 < chain.length ? `v=spf1 include:${chain[i + 1]} ~all` : 'v=spf1 ip4:198.51.100.250 ~all',
      );
      await withBroken(
        () =>
          update(DOMAIN, [
            ...chain.map((name, i) => `update add ${name}. 5 TXT ${quote([links[i]!])}`),
            `update delete ${DOMAIN}. TXT ${quote([spf.value])}`,
            `update add ${DOMAIN}. 5 TXT ${quote([long])}`,
          ]),
        () =>
          update(DOMAIN, [
            ...chain.map((name) => `update delete ${name}. TXT`),
            `update delete ${DOMAIN}. TXT ${quote([long])}`,
            `update add ${DOMAIN}. 5 TXT ${quote([spf.value])}`,
          ]),
        (report) => {
          const f = finding(report, 'spf');
          assert.equal(f.status, 'wrong');
          assert.match(f.fix ?? '', /SPF needs 11 DNS lookups, more than the 10 allowed/);
          assert.ok(f.notes.includes('11 DNS lookup(s) of the 10 allowed'), f.notes.join('\n'));
        },
      );
    });

    it('DKIM record of a different (4096-bit) key, written split through the RFC 2136 provider', async () => {
      const dkim = expected.find((r) => r.kind === 'dkim')!;
      const other = generateDkimKey('rsa4096');
      const otherValue = dkimTxtRecord(other.publicKey, other.keyType);
      assert.ok(splitTxt(otherValue).length >= 3, 'a 4096-bit key needs at least three strings');
      const ours = { name: dkim.name, type: 'TXT' as const, value: dkim.value, ttl: 5 };
      const theirs = { ...ours, value: otherValue };
      await withBroken(
        () => provider.update(ours, theirs),
        () => provider.update(theirs, ours),
        (report) => {
          const f = finding(report, dkim.id);
          assert.equal(f.status, 'wrong');
          assert.equal(f.severity, 'error');
          assert.deepEqual(f.found, [otherValue], 'the split strings come back joined');
          assert.match(f.fix ?? '', /^the published key is not the key on the server/);
        },
      );
    });

    it('DMARC with a syntax error', async () => {
      const dmarc = expectedOf('dmarc');
      await withBroken(
        () => dns.setTxt(dmarc.name, ['v=DMARC1; p=maybe']),
        () => dns.setTxt(dmarc.name, dmarc.strings ?? splitTxt(dmarc.value)),
        (report) => {
          const f = finding(report, 'dmarc');
          assert.equal(f.status, 'wrong');
          assert.equal(f.severity, 'error');
          assert.match(f.fix ?? '', /p=maybe is not a policy: use none, quarantine or reject/);
        },
      );
    });

    it('PTR missing for the IPv4 address', async () => {
      const name = reverseName(inst.ipv4);
      await withBroken(
        () => update(reverse.v4, [`update delete ${name}. PTR`]),
        () => update(reverse.v4, [`update add ${name}. 5 PTR ${MAIL_HOST}.`]),
        (report) => {
          const f = finding(report, `ptr:${inst.ipv4}`);
          assert.equal(f.status, 'missing');
          assert.equal(f.severity, 'error');
          assert.match(
            f.fix ?? '',
            new RegExp(`set reverse DNS of ${escape(inst.ipv4)} to ${escape(MAIL_HOST)}`),
          );
          assert.equal(finding(report, `ptr:${inst.ipv6}`).status, 'ok');
        },
      );
    });

    it("PTR of the IPv6 address not forward-confirmed (the mail host's AAAA points elsewhere)", async () => {
      const stray = 'fd00:5eed:ffff::9';
      await withBroken(
        () =>
          update(DOMAIN, [`update delete ${MAIL_HOST}. AAAA`, `update add ${MAIL_HOST}. 5 AAAA ${stray}`]),
        () =>
          update(DOMAIN, [
            `update delete ${MAIL_HOST}. AAAA`,
            `update add ${MAIL_HOST}. 5 AAAA ${inst.ipv6}`,
          ]),
        (report) => {
          const f = finding(report, `ptr:${inst.ipv6}`);
          assert.equal(f.status, 'wrong');
          assert.deepEqual(f.found, [MAIL_HOST], 'the PTR itself names the mail host');
          assert.match(
            f.fix ?? '',
            new RegExp(`${escape(MAIL_HOST)} does not resolve back to ${escape(inst.ipv6)}`),
          );
          assert.equal(finding(report, `ptr:${inst.ipv4}`).status, 'ok');
          assert.equal(finding(report, `aaaa:${inst.ipv6}`).status, 'wrong');
        },
      );
    });

    it('PTR naming another host', async () => {
      const name = reverseName(inst.ipv4);
      await withBroken(
        () =>
          update(reverse.v4, [
            `update delete ${name}. PTR`,
            `update add ${name}. 5 PTR vps123.provider.test.`,
          ]),
        () => update(reverse.v4, [`update delete ${name}. PTR`, `update add ${name}. 5 PTR ${MAIL_HOST}.`]),
        (report) => {
          const f = finding(report, `ptr:${inst.ipv4}`);
          assert.equal(f.status, 'wrong');
          assert.deepEqual(f.found, ['vps123.provider.test']);
          assert.match(f.fix ?? '', /is vps123\.provider\.test, not smtp\.example\.test/);
        },
      );
    });

    it('MX pointing at another host', async () => {
      await withBroken(
        () =>
          update(DOMAIN, [`update delete ${DOMAIN}. MX`, `update add ${DOMAIN}. 5 MX 10 mx.elsewhere.test.`]),
        () => update(DOMAIN, [`update delete ${DOMAIN}. MX`, `update add ${DOMAIN}. 5 MX 10 ${MAIL_HOST}.`]),
        (report) => {
          const f = finding(report, 'mx');
          assert.equal(f.status, 'wrong');
          assert.deepEqual(f.found, ['10 mx.elsewhere.test']);
          assert.equal(f.expected, `10 ${MAIL_HOST}`);
        },
      );
    });

    it('after every repair, the check is clean again', async () => {
      const report = await check();
      assert.deepEqual(
        report.findings.filter((f) => f.severity === 'error').map((f) => `${f.id}: ${f.status}`),
        [],
        notOk(report).join(', '),
      );
    });

    describe('mailwright dns check --json (the CLI)', () => {
      let work: string;
      before(() => {
        work = mkdtempSync(join(tmpdir(), 'mw-dns-cli-'));
        writeFileSync(
          join(work, 'mailwright.yaml'),
          [
            'version: 1',
            'hosts:',
            `  - name: ${inst.name}`,
            `    ssh: root@${inst.ipv4}:${inst.port}`,
            `    identityFile: ${inst.rootKey}`,
            `    mailHost: ${MAIL_HOST}`,
            '    domains:',
            `      - name: ${DOMAIN}`,
            `        dns: { provider: rfc2136, server: '${inst.hostIpv4}:53', keyName: ${tsigKey(dns).keyName}, ttl: 5 }`,
            '',
          ].join('\n'),
        );
      });
      after(() => rmSync(work, { recursive: true, force: true }));

      const cli = (args: string[], secret: string | null = tsigKey(dns).secret) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((ok) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'dns', ...args],
            // From the repository, where tsx resolves; the workspace file is named by --config.
            {
              cwd: ROOT,
              // The TSIG secret reaches the CLI the way the README says: the environment, never argv.
              env: {
                PATH: process.env.PATH,
                HOME: work,
                ...(secret && { MAILWRIGHT_DNS_SECRET_EXAMPLE_TEST: secret }),
              },
              stdio: ['ignore', 'pipe', 'pipe'],
            },
          );
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d));
          child.stderr.on('data', (d: Buffer) => (stderr += d));
          child.on('close', (code) => ok({ code, stdout, stderr }));
        });
      const checkArgs = () => ['check', ...commonArgs(), '--json'];
      const hostArgs = () => [
        '--config',
        join(work, 'mailwright.yaml'),
        '--known-hosts',
        inst.knownHostsFile,
      ];
      // dns plan reads the zone from its authoritative servers; it has no check to run.
      const planArgs = () => [...hostArgs(), '--authoritative', inst.hostIpv4];
      const commonArgs = () => [
        ...hostArgs(),
        '--resolver',
        inst.hostIpv4,
        '--authoritative',
        inst.hostIpv4,
        '--no-dnsbl',
        '--no-reachability',
      ];

      it('exit 0 and a JSON report when every required record is right', async () => {
        const r = await cli(checkArgs());
        assert.equal(r.code, 0, r.stderr + r.stdout);
        const report = JSON.parse(r.stdout) as DnsReport;
        assert.equal(report.domain, DOMAIN);
        assert.equal(finding(report, 'mx').status, 'ok');
      });

      it('exit 1 when a required record is missing', async () => {
        const dmarc = expected.find((r) => r.id === 'dmarc')!;
        await dns.deleteTxt(dmarc.name);
        try {
          const r = await cli(checkArgs());
          assert.equal(r.code, 1, r.stderr);
          const report = JSON.parse(r.stdout) as DnsReport;
          assert.equal(finding(report, 'dmarc').status, 'missing');
          assert.equal(finding(report, 'mx').status, 'ok');
        } finally {
          await dns.setTxt(dmarc.name, dmarc.strings!);
        }
      });

      it('dns plan shows the missing record and writes nothing; dns publish --yes puts it back; dns export prints it', async () => {
        const dmarc = expected.find((r) => r.id === 'dmarc')!;
        const served = async () =>
          (
            await dns
              .resolver()
              .resolveTxt(dmarc.name)
              .catch(() => [] as string[][])
          ).map((t) => t.join(''));
        await dns.deleteTxt(dmarc.name);
        const plan = await cli(['plan', ...planArgs()]);
        assert.equal(plan.code, 0, plan.stderr);
        assert.match(plan.stdout, new RegExp(`create\\s+TXT\\s+${escape(dmarc.name)}`));
        assert.match(plan.stderr, /1 change\(s\)/);
        assert.deepEqual(await served(), [], 'plan wrote nothing');

        // A TSIG secret the server refuses: one paragraph naming the provider, exit 1, nothing written.
        const wrongSecret = Buffer.alloc(32, 7).toString('base64');
        const refused = await cli(['publish', '--yes', ...commonArgs()], wrongSecret);
        assert.equal(refused.code, 1, refused.stderr + refused.stdout);
        assert.match(
          refused.stderr,
          /^mailwright: Could not create TXT .*: the credentials for rfc2136 were refused: .*NOTAUTH/m,
        );
        assert.match(refused.stderr, /Check the TSIG key name/);
        assert.doesNotMatch(refused.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
        assert.ok(!refused.stderr.includes(wrongSecret));
        assert.deepEqual(await served(), [], 'nothing was published');

        const publish = await cli(['publish', '--yes', '--verbose', ...commonArgs()]);
        assert.equal(publish.code, 0, publish.stderr + publish.stdout);
        assert.deepEqual(await served(), [dmarc.value]);
        // The records to publish and the check after publishing share one read of the server:
        // one login, the facts once, the DKIM keys once (both were read twice before).
        assert.match(
          publish.stderr,
          /^Read mailwright\.yaml 1 time\(s\), the facts 1 time\(s\), DKIM keys 1 time\(s\); SSH: 1 login\(s\), 2 command\(s\)/m,
        );
        assert.equal(publish.stderr.match(/^Connecting to /gm)?.length, 1, publish.stderr);
        assert.match(publish.stdout, /Every required record is right/);
        assert.ok(
          !(publish.stdout + publish.stderr).includes(tsigKey(dns).secret),
          'the TSIG secret is never printed',
        );

        const exported = await cli(['export', ...hostArgs()]);
        assert.equal(exported.code, 0, exported.stderr);
        assert.match(
          exported.stdout,
          new RegExp(`^${escape(dmarc.name)}\\.\\s+5\\s+IN\\s+TXT\\s+"v=DMARC1;`, 'm'),
        );
        assert.match(
          exported.stdout,
          new RegExp(`^${escape(DOMAIN)}\\.\\s+5\\s+IN\\s+MX\\s+10 ${escape(MAIL_HOST)}\\.`, 'm'),
        );
      });

      it('exit 2 with the field named for a bad option, an unknown domain or a missing DNS credential', async () => {
        const bad = await cli([...checkArgs(), '--resolver', 'not-an-ip']);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--resolver.*not-an-ip/);
        const unknown = await cli([...checkArgs(), '--domain', 'nope.test']);
        assert.equal(unknown.code, 2);
        assert.match(unknown.stderr, /--domain "nope\.test"/);
        const noSecret = await cli(['plan', ...planArgs()], null);
        assert.equal(noSecret.code, 2, noSecret.stderr);
        assert.match(
          noSecret.stderr,
          /no credential for example\.test.*\n.*MAILWRIGHT_DNS_SECRET_EXAMPLE_TEST/,
        );
      });
    });

    // Last: it removes the keys the other tests need.
    it('no DKIM key on the server: one DKIM row that says how to get a key', async () => {
      await conn.exec(shellScript('rm -f -- /etc/chasquid/domains/"$1"/dkim:*.pem', [DOMAIN]), {
        sudo: true,
      });
      const report = await check({ facts: await gatherFacts(conn) });
      const f = finding(report, 'dkim');
      assert.equal(f.status, 'not-checkable');
      assert.equal(f.severity, 'error');
      assert.match(f.fix ?? '', /^the server has no DKIM key for example\.test: run `mailwright apply`/);
      assert.ok(!report.findings.some((x) => x.id.startsWith('dkim:')), 'no row for a key that is gone');
      const ids = report.findings.map((x) => x.id);
      assert.equal(
        ids.indexOf('dkim') + 1,
        ids.indexOf('dmarc'),
        `DKIM right before DMARC: ${ids.join(', ')}`,
      );
    });
  },
);

// chasquid 1.11 (Debian 12) keeps one key in another place (the post-data hook's layout):
// the one-round-trip reader must find the same key there too.
for (const legacy of sandboxes().filter((i) => i.suite === 'bookworm')) {
  describe(`DKIM keys in one round trip, legacy layout (${legacy.suite})`, { timeout: 10 * 60_000 }, () => {
    const legacyDomain = 'dns-check-legacy.test';
    const legacyHost = desiredHost(legacy, { name: legacyDomain }, `smtp.${legacyDomain}`);
    let legacyConn: RemoteConnection;

    before(async () => {
      legacyConn = connect(legacy);
      await legacyConn.connect();
      await legacyConn.exec(
        shellScript(
          'command -v chasquid >/dev/null && command -v dkimsign >/dev/null && exit 0; apt-get -q update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 chasquid python3-dkim >/dev/null',
        ),
        { sudo: true, timeoutMs: 600_000 },
      );
      const facts = await gatherFacts(legacyConn);
      const actions = planDkim({
        host: legacyHost,
        facts,
        chasquidPath: chasquidPathOf(facts),
        now: new Date(),
      });
      const result = await applyPlan(
        { host: legacyHost.name, facts, actions, notes: [] },
        {
          conn: legacyConn,
          host: legacyHost,
          secrets: new MemorySecretStore(),
          regather: () => gatherFacts(legacyConn),
        },
      );
      assert.ok(result.ok, JSON.stringify(result.failed));
    });

    after(async () => {
      await legacyConn
        ?.exec(
          shellCommand([
            'rm',
            '-rf',
            '--',
            `/etc/chasquid/domains/${legacyDomain}`,
            `/etc/chasquid/certs/${legacyDomain}`,
          ]),
          { sudo: true },
        )
        .catch(() => undefined);
      legacyConn?.close();
    });

    it('finds the legacy key (selector file + key file) in one exec channel', async () => {
      const channels = legacyConn.stats.execChannels;
      const keys = await installedDkimKeys(legacyConn, 'legacy', legacyDomain);
      assert.equal(legacyConn.stats.execChannels - channels, 1);
      assert.equal(keys.length, 1);
      await assertKeyOfFile(legacyConn, keys[0]!);
    });
  });
}
