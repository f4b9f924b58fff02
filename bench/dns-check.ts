// A full DNS check of one domain (records from both the authoritative and the recursive view,
// SPF includes followed, PTR forward-confirmed, blocklists, ports 25/465/587) against a local
// knot, as checkDomainDns runs it (everything in parallel), beside the very same checks made
// one after another: each DNS question waits for the previous answer, and the record checks,
// reachability and blocklists run in turn. Goal: the parallel check within 150 ms. Not a test.
//   npm run bench -- dns-check   (brings up a sandbox VPS)  or  MAILWRIGHT_SANDBOX_13=instance.json npx tsx bench/dns-check.ts
import { readFileSync } from 'node:fs';
import type { HostConfig } from '../src/core/config';
import { checkRecords } from '../src/core/dns/check';
import { checkDnsbl } from '../src/core/dns/dnsbl';
import { checkDomainDns, expectedForHost, hostExpectation } from '../src/core/dns/domain-check';
import { resolverLookup, serversLookup } from '../src/core/dns/lookup';
import type { DnsLookup } from '../src/core/dns/model';
import { providerFor } from '../src/core/dns/providers';
import { applyPublish, planPublish } from '../src/core/dns/publish';
import { checkInbound, checkOutbound25 } from '../src/core/dns/reachability';
import { gatherFacts, type Facts } from '../src/core/facts';
import { applyPlan, chasquidPathOf } from '../src/core/plan';
import { planDkim } from '../src/core/plan/actions/dkim';
import { MemorySecretStore, shellScript, type RemoteConnection } from '../src/core/remote';
import { secretKeys } from '../src/core/remote/secrets';
import { tsigKey } from '../test/integration/acme-fixture';
import { RECEIVER_ZONE, SENDER_ZONE, startTestDns } from '../test/integration/dns-fixture';
import { connect, desiredHost, type SandboxInstance } from '../test/integration/sandbox-instances';

const ROUNDS = Number(process.env.ROUNDS ?? 10);
const MAIL_HOST = `smtp.${SENDER_ZONE}`;
// Blocklist zones inside the test zone: answered (NXDOMAIN, "not listed") by the local knot.
const DNSBL_ZONES = { ip: `zen.bl.${SENDER_ZONE}`, domain: `dbl.bl.${SENDER_ZONE}` };

/** The same lookup, but each question waits until the previous one is answered. */
function oneAtATime(lookup: DnsLookup): DnsLookup {
  let previous: Promise<unknown> = Promise.resolve();
  return {
    query(name, type, signal) {
      const next = previous.then(() => lookup.query(name, type, signal));
      previous = next.catch(() => undefined);
      return next;
    },
  };
}

async function sequentialCheck(
  conn: RemoteConnection,
  host: HostConfig,
  facts: Facts,
  servers: string[],
): Promise<number> {
  const domain = host.domains[0]!;
  const { expected, chasquidHostname } = await hostExpectation(conn, host, domain, facts);
  const recursive = oneAtATime(resolverLookup(servers));
  const authoritative = oneAtATime(serversLookup(domain.name, servers));
  const addresses = facts.addresses;
  const records = await checkRecords({
    domain: domain.name,
    mailHost: host.mailHost,
    expected,
    authoritative,
    recursive,
    addresses,
    chasquidHostname,
  });
  const outbound = await checkOutbound25(conn, RECEIVER_ZONE, { lookup: recursive });
  const inbound = [];
  for (const port of [25, 465, 587])
    inbound.push(...(await checkInbound(addresses.ipv4[0]!, [port], { servername: host.mailHost })));
  const dnsbl = await checkDnsbl({
    ...addresses,
    domain: domain.name,
    lookup: recursive,
    zones: DNSBL_ZONES,
  });
  return [...records, outbound, ...inbound, ...dnsbl].length;
}

/** The DNS questions alone (records and blocklists, expectation already known): no SSH, no ports. */
async function dnsOnly(
  input: Omit<Parameters<typeof checkRecords>[0], 'recursive' | 'authoritative'>,
  servers: string[],
  serial: boolean,
): Promise<void> {
  const wrap = (lookup: DnsLookup) => (serial ? oneAtATime(lookup) : lookup);
  const recursive = wrap(resolverLookup(servers));
  const authoritative = wrap(serversLookup(input.domain, servers));
  const records = checkRecords({ ...input, recursive, authoritative });
  if (serial) await records;
  const dnsbl = checkDnsbl({
    ...input.addresses,
    domain: input.domain,
    lookup: recursive,
    zones: DNSBL_ZONES,
  });
  await Promise.all([records, dnsbl]);
}

function median(ms: number[]): number {
  return [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
}

function stats(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${median(ms).toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  const path = process.env.MAILWRIGHT_SANDBOX_13;
  if (!path) throw new Error('Set MAILWRIGHT_SANDBOX_13 to a sandbox instance.json (scripts/bench does).');
  const instance = JSON.parse(readFileSync(path, 'utf8')) as SandboxInstance;
  const host = desiredHost(instance, { name: SENDER_ZONE }, MAIL_HOST);
  const dns = await startTestDns(instance, { mailHost: MAIL_HOST, reverseZones: true });
  const conn = connect(instance);
  try {
    await conn.connect();
    await conn.exec(
      shellScript(
        'command -v chasquid >/dev/null && exit 0; apt-get -q update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 chasquid >/dev/null',
      ),
      { sudo: true, timeoutMs: 600_000 },
    );
    let facts = await gatherFacts(conn);
    const secrets = new MemorySecretStore();
    const dkim = planDkim({ host, facts, chasquidPath: chasquidPathOf(facts), now: new Date() });
    if (dkim.length > 0) {
      const result = await applyPlan(
        { host: host.name, facts, actions: dkim, notes: [] },
        { conn, host, secrets, regather: () => gatherFacts(conn) },
      );
      if (!result.ok) throw new Error(`DKIM keys: ${JSON.stringify(result.failed)}`);
      facts = await gatherFacts(conn);
    }
    // Publish everything first, so both variants check a complete, correct zone.
    const key = tsigKey(dns);
    const domain = host.domains[0]!;
    domain.dns = {
      provider: 'rfc2136',
      server: `${instance.hostIpv4}:53`,
      keyName: key.keyName,
      algorithm: 'hmac-sha256',
      zone: SENDER_ZONE,
      ttl: 5,
    };
    await secrets.set(secretKeys.dnsSecret(SENDER_ZONE), key.secret);
    const provider = await providerFor({ name: SENDER_ZONE, dns: domain.dns }, secrets);
    const expected = await expectedForHost(conn, host, domain, facts);
    await applyPublish(await planPublish(expected, provider), provider);

    const servers = [instance.hostIpv4];
    const parallel: number[] = [];
    const sequential: number[] = [];
    const dnsParallel: number[] = [];
    const dnsSequential: number[] = [];
    const dnsInput = {
      domain: SENDER_ZONE,
      mailHost: MAIL_HOST,
      expected,
      addresses: facts.addresses,
    };
    let findings = 0;
    let problems: string[] = [];
    // Interleaved so both see the same machine load; facts are reused, as the extension does.
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      const report = await checkDomainDns(conn, host, domain, {
        resolvers: servers,
        authoritative: servers,
        outboundProbeDomain: RECEIVER_ZONE,
        dnsbl: DNSBL_ZONES,
        facts,
      });
      parallel.push(performance.now() - t);
      findings = report.findings.length;
      problems = report.findings.filter((f) => f.status !== 'ok').map((f) => `${f.id} ${f.status}`);
      t = performance.now();
      await sequentialCheck(conn, host, facts, servers);
      sequential.push(performance.now() - t);
      t = performance.now();
      await dnsOnly(dnsInput, servers, false);
      dnsParallel.push(performance.now() - t);
      t = performance.now();
      await dnsOnly(dnsInput, servers, true);
      dnsSequential.push(performance.now() - t);
    }
    console.log(
      `DNS check of ${SENDER_ZONE} (${expected.length} expected records, ${findings} findings) against local knot, facts reused, ${ROUNDS} rounds each:`,
    );
    console.log(`  checkDomainDns (parallel):  ${stats(parallel)}   goal <= 150 ms`);
    console.log(`  same checks one by one:     ${stats(sequential)}`);
    console.log(`  ratio one-by-one / parallel: ${(median(sequential) / median(parallel)).toFixed(2)}x`);
    console.log('  of which the DNS questions alone (records + blocklists, no SSH, no ports):');
    console.log(`    parallel:    ${stats(dnsParallel)}`);
    console.log(`    one by one:  ${stats(dnsSequential)}`);
    console.log(`    ratio: ${(median(dnsSequential) / median(dnsParallel)).toFixed(2)}x`);
    if (problems.length > 0) console.log(`  (not ok in this test bed: ${problems.join(', ')})`);
  } finally {
    conn.close();
    await dns.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
