import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { testDomain, testHost } from './config-fixture';
import { publicKeyOfPem } from '../../src/core/dkim';
import { checkRecords, dkimProblems, parseDkimTags } from '../../src/core/dns/check';
import { expectedRecords, reverseName } from '../../src/core/dns/expected';
import type { DnsLookup, Finding } from '../../src/core/dns/model';
import { MemoryDns } from './memory-dns';

const IPV4 = '198.51.100.7';
const IPV6 = 'fd00:5eed::7';
const MAIL_HOST = 'smtp.example.com';
const DOMAIN = 'example.com';

const host = testHost({ name: 'vps', ssh: { user: 'root', host: MAIL_HOST, port: 22 }, mailHost: MAIL_HOST });
const domain = testDomain({ name: DOMAIN });
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const serverKey = publicKeyOfPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
const expected = expectedRecords({
  host,
  domain,
  addresses: { ipv4: [IPV4], ipv6: [IPV6] },
  dkimKeys: [{ selector: 'mw1', ...serverKey }],
});

/** The zone exactly as expected: every record published with its value. */
function goodZone(server = 'memory'): MemoryDns {
  const zone = new MemoryDns({}, server);
  for (const r of expected) zone.add(r.name, r.type, r.value);
  return zone;
}

function check(zone: MemoryDns, more: Partial<Parameters<typeof checkRecords>[0]> = {}): Promise<Finding[]> {
  return checkRecords({
    domain: DOMAIN,
    mailHost: MAIL_HOST,
    expected,
    authoritative: zone,
    recursive: zone,
    addresses: { ipv4: [IPV4], ipv6: [IPV6] },
    ...more,
  });
}

const byId = (findings: Finding[], id: string) => {
  const found = findings.find((f) => f.id === id);
  assert.ok(found, `no finding ${id} in ${findings.map((f) => f.id).join(', ')}`);
  return found;
};
const dkimId = expected.find((r) => r.kind === 'dkim')!.id;
const recordOf = (id: string) => expected.find((r) => r.id === id)!;

describe('checkRecords', () => {
  it('a zone exactly as expected: every finding ok, one per record (MTA-STS: its policy is not served here)', async () => {
    const findings = await check(goodZone());
    // The _mta-sts TXT alone is not enough: no mta-sts.example.com serves the policy in this zone.
    assert.deepEqual(
      findings.map((f) => `${f.id} ${f.status} ${f.severity}`),
      expected.map((r) => (r.kind === 'mta-sts' ? `${r.id} wrong warning` : `${r.id} ok info`)),
    );
    assert.match(
      byId(findings, 'mta-sts').fix ?? '',
      /^senders cannot fetch the policy \(mta-sts\.example\.com has no A or AAAA record\)/,
    );
    assert.ok(findings.filter((f) => f.kind !== 'mta-sts').every((f) => f.fix === undefined));
    assert.ok(
      byId(findings, `ptr:${IPV6}`).notes.includes(
        `${MAIL_HOST} resolves back to ${IPV6} (forward-confirmed)`,
      ),
    );
    assert.ok(byId(findings, 'dmarc').notes.some((n) => n.startsWith('p=quarantine: ')));
  });

  it('MX to another host only is wrong; another MX besides ours is an extra warning', async () => {
    const zone = goodZone();
    zone.set(DOMAIN, 'MX', ['10 mx.other.net']);
    const wrong = byId(await check(zone), 'mx');
    assert.equal(wrong.status, 'wrong');
    assert.equal(wrong.severity, 'error');
    assert.match(wrong.fix ?? '', /^MX points to mx\.other\.net, not smtp\.example\.com/);

    zone.set(DOMAIN, 'MX', [`10 ${MAIL_HOST}`, '20 backup.other.net']);
    const findings = await check(zone);
    assert.equal(byId(findings, 'mx').status, 'ok');
    const extra = byId(findings, 'extra:mx:backup.other.net');
    assert.equal(extra.status, 'extra');
    assert.equal(extra.severity, 'warning');
  });

  it('SPF: two records, an address not authorized, more than 10 lookups', async () => {
    const zone = goodZone();
    zone.set(DOMAIN, 'TXT', [recordOf('spf').value, 'v=spf1 mx -all', 'google-site-verification=x']);
    const two = byId(await check(zone), 'spf');
    assert.equal(two.status, 'wrong');
    assert.equal(two.fix, '2 SPF records: receivers treat this as a permanent error (permerror); keep one');

    zone.set(DOMAIN, 'TXT', [`v=spf1 ip4:${IPV4} -all`]);
    const v4only = byId(await check(zone), 'spf');
    assert.equal(v4only.status, 'wrong');
    assert.match(v4only.fix ?? '', new RegExp(`does not authorize ${IPV6}`));
    assert.ok(v4only.notes.includes(`${IPV4}: pass`));

    const includes = Array.from({ length: 11 }, (_, i) => `i${i}.example.net`);
    zone.set(DOMAIN, 'TXT', [
      `v=spf1 ip4:${IPV4} ip6:${IPV6} ${includes.map((d) => `include:${d}`).join(' ')} -all`,
    ]);
    for (const d of includes) zone.set(d, 'TXT', ['v=spf1 -all']);
    const eleven = byId(await check(zone), 'spf');
    assert.equal(eleven.status, 'wrong');
    assert.match(eleven.fix ?? '', /10/);
  });

  it('DKIM: another key is wrong; bad syntax is named; whitespace in p= is fine', async () => {
    const zone = goodZone();
    const dkim = recordOf(dkimId);
    const { privateKey: other } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const otherKey = publicKeyOfPem(other.export({ type: 'pkcs8', format: 'pem' }).toString());
    zone.set(dkim.name, 'TXT', [`v=DKIM1; k=rsa; p=${otherKey.publicKey}`]);
    const wrong = byId(await check(zone), dkimId);
    assert.equal(wrong.status, 'wrong');
    assert.match(wrong.fix ?? '', /^the published key is not the key on the server/);

    zone.set(dkim.name, 'TXT', [`v=DKIM2; k=rsa; p=${serverKey.publicKey}`]);
    assert.match(byId(await check(zone), dkimId).fix ?? '', /v=DKIM2: must be v=DKIM1/);

    const spaced = serverKey.publicKey.replace(/(.{60})/g, '$1 ');
    zone.set(dkim.name, 'TXT', [`v=DKIM1; k=rsa; p=${spaced}`]);
    assert.equal(byId(await check(zone), dkimId).status, 'ok');
  });

  it('DMARC: a syntax error and another policy are wrong', async () => {
    const zone = goodZone();
    const name = recordOf('dmarc').name;
    zone.set(name, 'TXT', ['v=DMARC1; p=maybe']);
    const syntax = byId(await check(zone), 'dmarc');
    assert.equal(syntax.status, 'wrong');
    assert.match(syntax.fix ?? '', /^fix the DMARC record: .*p/);

    zone.set(name, 'TXT', ['v=DMARC1; p=none; rua=mailto:postmaster@example.com']);
    const policy = byId(await check(zone), 'dmarc');
    assert.equal(policy.status, 'wrong');
    assert.match(policy.fix ?? '', /^policy is p=none, expected p=quarantine/);

    zone.delete(name, 'TXT');
    const missing = byId(await check(zone), 'dmarc');
    assert.equal(missing.status, 'missing');
    assert.ok(
      missing.notes.some((n) => n.startsWith('p=quarantine: ')),
      `the record to publish is explained tag by tag: ${missing.notes.join(' | ')}`,
    );
  });

  it('PTR: missing, not forward-confirmed, another name, and chasquid calling itself something else', async () => {
    const zone = goodZone();
    const ptr4 = reverseName(IPV4);
    zone.delete(ptr4, 'PTR');
    const missing = byId(await check(zone), `ptr:${IPV4}`);
    assert.equal(missing.status, 'missing');
    assert.equal(missing.fix, `set reverse DNS of ${IPV4} to ${MAIL_HOST} at your VPS provider`);

    zone.set(ptr4, 'PTR', [MAIL_HOST]);
    zone.set(MAIL_HOST, 'A', ['198.51.100.99']);
    const unconfirmed = await check(zone);
    assert.equal(byId(unconfirmed, `ptr:${IPV4}`).status, 'wrong');
    assert.match(
      byId(unconfirmed, `ptr:${IPV4}`).fix ?? '',
      new RegExp(`^${MAIL_HOST} does not resolve back to ${IPV4}`),
    );
    assert.equal(byId(unconfirmed, `ptr:${IPV6}`).status, 'ok');

    const other = goodZone();
    other.set(ptr4, 'PTR', ['vps123.provider.net']);
    assert.match(
      byId(await check(other), `ptr:${IPV4}`).fix ?? '',
      /^reverse DNS of 198\.51\.100\.7 is vps123\.provider\.net, not smtp\.example\.com/,
    );

    const renamed = await check(goodZone(), { chasquidHostname: 'vps.example.com' });
    assert.equal(byId(renamed, `ptr:${IPV4}`).status, 'wrong');
  });

  it('recommended extras: missing is a warning; CAA naming only another CA is an error', async () => {
    const zone = goodZone();
    zone.delete(recordOf('tls-rpt').name, 'TXT');
    zone.set(DOMAIN, 'CAA', ['0 issue "pki.goog"']);
    const findings = await check(zone);
    assert.deepEqual(
      [byId(findings, 'tls-rpt').status, byId(findings, 'tls-rpt').severity],
      ['missing', 'warning'],
    );
    assert.deepEqual([byId(findings, 'caa').status, byId(findings, 'caa').severity], ['wrong', 'error']);
  });

  it('a timeout or servfail is not-checkable, never ok or missing', async () => {
    const zone = goodZone().set(DOMAIN, 'MX', 'timeout').set(recordOf('dmarc').name, 'TXT', 'servfail');
    const findings = await check(zone);
    for (const id of ['mx', 'dmarc']) {
      const f = byId(findings, id);
      assert.equal(f.status, 'not-checkable');
      assert.ok(
        f.notes.some((n) => /timeout|servfail/.test(n)),
        f.notes.join('\n'),
      );
    }
  });

  it('notes when the resolver still has an old value, and a lagging name server makes the verdict worse', async () => {
    const old = (server: string) => goodZone(server).set(recordOf('dmarc').name, 'TXT', ['v=DMARC1; p=none']);
    const findings = await checkRecords({
      domain: DOMAIN,
      mailHost: MAIL_HOST,
      expected: [recordOf('dmarc')],
      authoritative: goodZone('ns1'),
      recursive: old('1.1.1.1'),
      addresses: { ipv4: [IPV4], ipv6: [IPV6] },
    });
    assert.equal(findings[0]?.status, 'ok');
    assert.ok(
      findings[0]?.notes.some((n) => n.includes('your resolver 1.1.1.1 still has "v=DMARC1; p=none"')),
    );

    const good = goodZone('ns1');
    const lagging = old('ns2');
    const both: DnsLookup = {
      async query(name, type) {
        const answers = [await good.query(name, type), await lagging.query(name, type)];
        const same = answers[0]!.values.join() === answers[1]!.values.join();
        return same ? answers[0]! : { ...answers[0]!, byServer: answers };
      },
    };
    const [verdict] = await checkRecords({
      domain: DOMAIN,
      mailHost: MAIL_HOST,
      expected: [recordOf('dmarc')],
      authoritative: both,
      recursive: good,
      addresses: { ipv4: [IPV4], ipv6: [IPV6] },
    });
    assert.equal(verdict?.status, 'wrong');
    assert.ok(verdict?.notes.some((n) => n.startsWith('the name servers disagree')));
  });
});

describe('DKIM record syntax', () => {
  it('names each problem', () => {
    assert.deepEqual(dkimProblems(parseDkimTags('v=DKIM1; k=rsa; p=QUJD')), []);
    assert.deepEqual(dkimProblems(parseDkimTags('k=dsa; v=DKIM1; p=')), [
      'v=DKIM1 must be the first tag',
      'k=dsa: not a key type receivers know (rsa or ed25519)',
      'p= is empty: this means the key is revoked',
    ]);
    assert.deepEqual(dkimProblems(parseDkimTags('v=DKIM1; k=rsa')), [
      'no p= tag: the record carries no public key',
    ]);
    assert.match(dkimProblems(parseDkimTags('v=DKIM1; p=AB"CD'))[0] ?? '', /not valid base64/);
  });
});

describe('a domain that is not delegated', () => {
  it('is told once, not in every finding', async () => {
    // No NS anywhere: the zone's name servers cannot be found; the records come from the resolver.
    const zone = goodZone();
    const problems: string[] = [];
    const findings = await check(zone, { authoritative: undefined, onZoneProblem: (p) => problems.push(p) });
    assert.equal(problems.length, 1, problems.join(' | '));
    assert.match(problems[0]!, /cannot find the name servers of example\.com/);
    for (const f of findings) assert.ok(!f.notes.some((n) => /name servers of example\.com/.test(n)), f.id);
    // Without someone to tell it to, every finding carries it (the library's old contract).
    const repeated = await check(zone, { authoritative: undefined });
    assert.ok(repeated.every((f) => f.notes.some((n) => /cannot find the name servers/.test(n))));
  });
});
