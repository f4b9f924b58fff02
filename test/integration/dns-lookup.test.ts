// DNS lookups, the record checker's PTR rules, DNSBL codes and port 25 reachability against real
// components: knot serving the test zones (and the sandbox's reverse zones and a blocklist
// stand-in), two tiny UDP DNS servers (one that never answers, one with stale data), and the
// sandbox VPS connecting out on port 25 to a test SMTP listener on the host side.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as dnsPacket from 'dns-packet';
import { reverseName } from '../../src/core/dns/address';
import { checkRecords } from '../../src/core/dns/check';
import { checkDnsbl } from '../../src/core/dns/dnsbl';
import { authoritativeLookup, resolverLookup, serversLookup } from '../../src/core/dns/lookup';
import type { ExpectedRecord } from '../../src/core/dns/model';
import { checkInbound, checkOutbound25 } from '../../src/core/dns/reachability';
import type { RemoteConnection } from '../../src/core/remote';
import { startTestReceiver } from '../../src/core/smtp/test-receiver';
import { DNSBL_DOMAIN_ZONE, DNSBL_IP_ZONE, SENDER_ZONE, startTestDns, type TestDns } from './dns-fixture';
import { connect, sandboxes, skipReason } from './sandbox-instances';

const instance = sandboxes().find((i) => i.suite === 'trixie') ?? sandboxes()[0];
const MAIL_HOST = `smtp.${SENDER_ZONE}`;

/** A UDP DNS server on loopback: `answer` returns TXT strings for a question, or undefined to stay silent. */
async function udpDnsServer(
  answer: (name: string) => string[] | undefined,
): Promise<{ address: string; close(): void }> {
  const socket: Socket = createSocket('udp4');
  socket.on('message', (message, peer) => {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    const strings = question ? answer(question.name) : undefined;
    if (!question || !strings) return;
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER,
      questions: [question],
      answers: question.type === 'TXT' ? [{ type: 'TXT', name: question.name, ttl: 5, data: strings }] : [],
    });
    socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${socket.address().port}`, close: () => socket.close() };
}

/** A TCP port on `host` where nothing listens (bound, then released). */
async function closedPort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function ptrRecord(ip: string): ExpectedRecord {
  return {
    id: `ptr:${ip}`,
    kind: 'ptr',
    name: reverseName(ip),
    type: 'PTR',
    value: MAIL_HOST,
    required: true,
    publishedAt: 'reverse',
    purpose: 'receivers check that the sending address names the mail host',
  };
}

describe('DNS lookups and checks against real servers', { skip: !instance && skipReason }, () => {
  let dns: TestDns;
  let conn: RemoteConnection;
  let silent: Awaited<ReturnType<typeof udpDnsServer>>;
  let stale: Awaited<ReturnType<typeof udpDnsServer>>;
  const inst = instance!;
  const recursive = () => resolverLookup([inst.hostIpv4], { timeoutMs: 1000, tries: 2 });

  before(async () => {
    dns = await startTestDns(inst, { reverseZones: true, dnsbl: true });
    conn = connect(inst);
    silent = await udpDnsServer(() => undefined);
    stale = await udpDnsServer(() => ['v=TLSRPTv1; rua=mailto:old@example.test']);
  });
  after(async () => {
    silent?.close();
    stale?.close();
    conn?.close();
    await dns?.stop();
  });

  it('maps answers: TXT joined with its strings kept, MX, CAA, NS, nxdomain, nodata, refused', async () => {
    const lookup = recursive();
    const long = ['k'.repeat(255), 'tail'];
    await dns.setTxt(`long.${SENDER_ZONE}`, long);
    await dns.update(SENDER_ZONE, [`update add ${SENDER_ZONE}. 5 CAA 0 issue "letsencrypt.org"`]);
    const [txt, mx, caa, ns, nx, nodata, refused] = await Promise.all([
      lookup.query(`LONG.${SENDER_ZONE}.`, 'TXT'),
      lookup.query(SENDER_ZONE, 'MX'),
      lookup.query(SENDER_ZONE, 'CAA'),
      lookup.query(SENDER_ZONE, 'NS'),
      lookup.query(`nothing-here.${SENDER_ZONE}`, 'A'),
      lookup.query(SENDER_ZONE, 'AAAA'),
      lookup.query('example.com', 'A'), // knot is not authoritative for it: REFUSED
    ]);
    assert.deepEqual(txt.values, [long.join('')]);
    assert.deepEqual(txt.txtStrings, [long]);
    assert.deepEqual(mx.values, [`10 ${MAIL_HOST}`]);
    assert.deepEqual(caa.values, ['0 issue "letsencrypt.org"']);
    assert.deepEqual(ns.values, [`ns.${SENDER_ZONE}`]);
    assert.equal(nx.status, 'nxdomain');
    assert.equal(nodata.status, 'nodata');
    assert.equal(refused.status, 'refused');
    assert.equal(mx.server, inst.hostIpv4);
  });

  it('a server that never answers ends in timeout, in bounded time; an abort cancels at once', async () => {
    const started = Date.now();
    const answer = await resolverLookup([silent.address], { timeoutMs: 300, tries: 1 }).query(
      `x.${SENDER_ZONE}`,
      'TXT',
    );
    assert.equal(answer.status, 'timeout');
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const cancelled = Date.now();
    await assert.rejects(
      resolverLookup([silent.address], { timeoutMs: 5000, tries: 3 }).query(
        'y.example.test',
        'A',
        controller.signal,
      ),
      { name: 'AbortError' },
    );
    assert.ok(Date.now() - cancelled < 2000);
  });

  it('finds the zone cut by walking up through NS and asks every authoritative server', async () => {
    const found = await authoritativeLookup(MAIL_HOST, recursive());
    assert.equal(found.zone, SENDER_ZONE);
    assert.deepEqual([...found.servers].sort(), [inst.hostIpv4, inst.hostIpv6].sort());
    const each = await found.lookup.queryEach(MAIL_HOST, 'A');
    assert.deepEqual(
      each.map((a) => [a.server, a.values]),
      found.servers.map((server) => [server, [inst.ipv4]]),
    );
    const agreed = await found.lookup.query(MAIL_HOST, 'AAAA');
    assert.deepEqual(agreed.values, [inst.ipv6]);
    assert.equal(agreed.byServer, undefined);

    const reverse = await authoritativeLookup(reverseName(inst.ipv4), recursive());
    assert.equal(reverse.zone, reverseName(inst.ipv4).split('.').slice(1).join('.'));
    await assert.rejects(authoritativeLookup('nowhere.invalid', recursive()), { name: 'ZoneNotFoundError' });
  });

  it('servers that disagree: the first definite answer, each server in byServer, the worse verdict and notes', async () => {
    const name = `_smtp._tls.${SENDER_ZONE}`;
    const current = 'v=TLSRPTv1; rua=mailto:tlsrpt@example.test';
    await dns.setTxt(name, [current]);
    const authoritative = serversLookup(SENDER_ZONE, [inst.hostIpv4, stale.address, silent.address], {
      timeoutMs: 300,
      tries: 1,
    });
    const answer = await authoritative.query(name, 'TXT');
    assert.deepEqual(answer.values, [current]);
    assert.deepEqual(
      answer.byServer?.map((a) => a.status),
      ['ok', 'ok', 'timeout'],
    );
    assert.deepEqual(answer.byServer?.[1]?.values, ['v=TLSRPTv1; rua=mailto:old@example.test']);

    const record: ExpectedRecord = {
      id: 'tls-rpt',
      kind: 'tls-rpt',
      name,
      type: 'TXT',
      value: current,
      required: false,
      publishedAt: 'zone',
      purpose: 'where receivers send TLS failure reports',
    };
    const common = {
      domain: SENDER_ZONE,
      mailHost: MAIL_HOST,
      expected: [record],
      addresses: { ipv4: [], ipv6: [] },
    };
    const [lagging] = await checkRecords({ ...common, authoritative, recursive: recursive() });
    assert.equal(lagging?.status, 'wrong');
    assert.equal(lagging?.severity, 'warning');
    assert.ok(
      lagging?.notes.some((n) => n.startsWith('the name servers disagree')),
      lagging?.notes.join('\n'),
    );

    // Authoritative servers right, the resolver still caching the old value: ok, with a note saying so.
    const [cached] = await checkRecords({
      ...common,
      authoritative: serversLookup(SENDER_ZONE, [inst.hostIpv4]),
      recursive: resolverLookup([stale.address]),
    });
    assert.equal(cached?.status, 'ok');
    assert.ok(
      cached?.notes.some((n) => n.includes(`your resolver ${stale.address} still has`)),
      cached?.notes.join('\n'),
    );

    // Nothing answers: not-checkable, never ok or missing.
    const [unknown] = await checkRecords({
      ...common,
      authoritative: resolverLookup([silent.address], { timeoutMs: 300, tries: 1 }),
      recursive: resolverLookup([silent.address], { timeoutMs: 300, tries: 1 }),
    });
    assert.equal(unknown?.status, 'not-checkable');
  });

  it('PTR: forward-confirmed ok, then not resolving back, then missing, then another chasquid hostname', async () => {
    const reverseZoneOf = (ip: string) =>
      reverseName(ip)
        .split('.')
        .slice(ip.includes(':') ? 16 : 1)
        .join('.');
    const check = (chasquidHostname?: string) =>
      checkRecords({
        domain: SENDER_ZONE,
        mailHost: MAIL_HOST,
        expected: [ptrRecord(inst.ipv4), ptrRecord(inst.ipv6)],
        recursive: recursive(),
        addresses: { ipv4: [inst.ipv4], ipv6: [inst.ipv6] },
        chasquidHostname,
      });

    const good = await check(MAIL_HOST);
    assert.deepEqual(
      good.map((f) => f.status),
      ['ok', 'ok'],
      JSON.stringify(good, null, 1),
    );
    assert.ok(good[1]?.notes.includes(`${MAIL_HOST} resolves back to ${inst.ipv6} (forward-confirmed)`));

    const other = '198.51.100.77';
    await dns.update(SENDER_ZONE, [`update delete ${MAIL_HOST}. A`, `update add ${MAIL_HOST}. 5 A ${other}`]);
    try {
      const [v4, v6] = await check();
      assert.equal(v4?.status, 'wrong');
      assert.match(v4?.fix ?? '', new RegExp(`^${MAIL_HOST} does not resolve back to ${inst.ipv4}`));
      assert.equal(v6?.status, 'ok');
    } finally {
      await dns.update(SENDER_ZONE, [
        `update delete ${MAIL_HOST}. A`,
        `update add ${MAIL_HOST}. 5 A ${inst.ipv4}`,
      ]);
    }

    const ptrName = `${reverseName(inst.ipv4)}.`;
    await dns.update(reverseZoneOf(inst.ipv4), [`update delete ${ptrName} PTR`]);
    try {
      const [v4] = await check();
      assert.equal(v4?.status, 'missing');
      assert.equal(v4?.severity, 'error');
      assert.equal(v4?.fix, `set reverse DNS of ${inst.ipv4} to ${MAIL_HOST} at your VPS provider`);
    } finally {
      await dns.update(reverseZoneOf(inst.ipv4), [`update add ${ptrName} 5 PTR ${MAIL_HOST}.`]);
    }

    const [renamed] = await check('vps.example.test');
    assert.equal(renamed?.status, 'wrong');
    assert.match(renamed?.fix ?? '', /chasquid calls itself vps\.example\.test/);
  });

  it('DNSBL: listed codes in plain words, the public-resolver refusal as unknown, IPv6 nibbles, timeouts', async () => {
    const zones = { ip: DNSBL_IP_ZONE, domain: DNSBL_DOMAIN_ZONE };
    const findings = await checkDnsbl({
      ipv4: ['127.0.0.2', '127.0.0.3', inst.ipv4],
      ipv6: [inst.ipv6],
      domain: 'dbltest.com',
      lookup: recursive(),
      zones,
    });
    const byName = new Map(findings.map((f) => [f.name, f]));
    const listed = byName.get('127.0.0.2');
    assert.equal(listed?.status, 'wrong');
    assert.ok(listed?.notes.some((n) => n.includes('SBL')));
    assert.ok(listed?.notes.some((n) => n.includes('PBL')));
    assert.match(listed?.fix ?? '', /https:\/\/check\.spamhaus\.org\//);
    assert.equal(byName.get('127.0.0.3')?.status, 'not-checkable');
    assert.match(byName.get('127.0.0.3')?.fix ?? '', /use your own resolver, not a public one/);
    assert.equal(byName.get(inst.ipv4)?.status, 'ok');
    assert.equal(byName.get(inst.ipv6)?.status, 'ok');
    assert.equal(byName.get('dbltest.com')?.status, 'wrong');
    assert.ok(byName.get('dbltest.com')?.notes.some((n) => n.includes('spam domain')));

    // List the guest's IPv6 address (nibble form) as XBL, as the blocklist would.
    const nibbles = reverseName(inst.ipv6).replace(/\.ip6\.arpa$/, '');
    await dns.update('dnsbl.test', [`update add ${nibbles}.${DNSBL_IP_ZONE}. 5 A 127.0.0.4`]);
    const [v6] = await checkDnsbl({ ipv6: inst.ipv6, domain: SENDER_ZONE, lookup: recursive(), zones });
    assert.equal(v6?.status, 'wrong');
    assert.ok(v6?.notes.some((n) => n.includes('XBL')));

    const unanswered = await checkDnsbl({
      ipv4: inst.ipv4,
      domain: SENDER_ZONE,
      lookup: resolverLookup([silent.address], { timeoutMs: 300, tries: 1 }),
      zones,
    });
    assert.deepEqual(
      unanswered.map((f) => f.status),
      ['not-checkable', 'not-checkable'],
    );
  });

  it('outbound 25 from the server: a greeting, a refused port, and silence everywhere read as a provider block', async () => {
    const receiver = await startTestReceiver({
      host: inst.hostIpv4,
      port: 0,
      banner: 'mx.receiver.test ESMTP',
    });
    try {
      const refusedPort = await closedPort(inst.hostIpv4);
      const open = await checkOutbound25(
        conn,
        [
          { host: inst.hostIpv4, port: refusedPort },
          { host: inst.hostIpv4, port: receiver.port },
        ],
        { timeoutMs: 5000 },
      );
      assert.equal(open.status, 'ok', JSON.stringify(open, null, 1));
      assert.deepEqual(open.found, [
        `${inst.hostIpv4}:${refusedPort} refused`,
        `${inst.hostIpv4}:${receiver.port} connected`,
      ]);
      assert.ok(open.notes.some((n) => n.includes('mx.receiver.test ESMTP')));

      const refused = await checkOutbound25(conn, [{ host: inst.hostIpv4, port: refusedPort }], {
        timeoutMs: 5000,
      });
      assert.equal(refused.status, 'wrong');
      assert.doesNotMatch(refused.fix ?? '', /blocked by your VPS provider/);
    } finally {
      await receiver.close();
    }

    // An on-link address whose frames go to a MAC nobody has: packets vanish, like a provider's filter.
    const blackhole = 'fd00:5eed::99';
    const neigh = (action: string) => [
      'ip',
      '-n',
      inst.netns,
      '-6',
      'neigh',
      action,
      blackhole,
      ...(action === 'del' ? [] : ['lladdr', '02:00:5e:ed:00:99', 'nud', 'permanent']),
      'dev',
      'eth0',
    ];
    const { execFileSync } = await import('node:child_process');
    execFileSync(neigh('replace')[0]!, neigh('replace').slice(1));
    try {
      const started = Date.now();
      const blocked = await checkOutbound25(conn, [{ host: blackhole }, { host: blackhole, port: 2525 }], {
        timeoutMs: 2000,
      });
      assert.equal(blocked.status, 'wrong');
      assert.equal(blocked.severity, 'error');
      assert.match(blocked.fix ?? '', /^outbound port 25 looks blocked by your VPS provider/);
      assert.ok(Date.now() - started < 15_000);
    } finally {
      execFileSync(neigh('del')[0]!, neigh('del').slice(1));
    }

    // A domain: its MX is found by the caller's lookup, the name resolved on the server.
    const byDomain = await checkOutbound25(conn, 'receiver.test', { lookup: recursive(), timeoutMs: 3000 });
    assert.equal(byDomain.name, 'outbound port 25 to the MX of receiver.test');
    assert.ok(byDomain.found[0]?.startsWith('mx.receiver.test '), byDomain.found.join());
  });

  it('inbound: a refused port says what to check; a STARTTLS server with a self-signed certificate', async () => {
    const port = await closedPort(inst.hostIpv4);
    const [refused] = await checkInbound(inst.hostIpv4, [port], { timeoutMs: 3000 });
    assert.equal(refused?.status, 'wrong');
    assert.equal(refused?.severity, 'error');
    assert.match(refused?.fix ?? '', /check that chasquid runs/);

    const receiver = await startTestReceiver({ host: '127.0.0.1', port: 0, tlsName: MAIL_HOST });
    try {
      const [probe] = await checkInbound('127.0.0.1', [receiver.port], {
        servername: MAIL_HOST,
        timeoutMs: 5000,
      });
      assert.equal(probe?.status, 'self-signed');
      assert.equal(probe?.severity, 'warning');
      assert.match(probe?.fix ?? '', /get a trusted certificate/);
      assert.ok(probe?.found[0]?.startsWith('220 '));
    } finally {
      await receiver.close();
    }
  });
});
