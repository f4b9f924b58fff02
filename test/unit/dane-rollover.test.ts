// The stage logic of a DANE key rollover (which step a state leads to, the dates it waits for,
// what is refused, which state files are read) and the TLSA records expected, checked and
// published while one is under way.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testDomain, testHost } from './config-fixture';
import { MemoryDns } from './memory-dns';
import { newCertificateKeyPem, privateKeySpkiSha256 } from '../../src/core/acme/renewal';
import {
  nextKeyPath,
  nextRolloverStep,
  parseRolloverState,
  retireAfter,
  rolloverRecord,
  rolloverRefusal,
  rolloverStages,
  rolloverTtl,
  switchAfter,
  UNKNOWN_TLSA_TTL_SECONDS,
  type RolloverState,
} from '../../src/core/dane/rollover';
import { checkRecords } from '../../src/core/dns/check';
import { judgeServedKey, tlsaRecordValue } from '../../src/core/dns/dane';
import { expectedRecords } from '../../src/core/dns/expected';
import type { DnsProvider, DnsRecord } from '../../src/core/dns/providers/types';
import { planPublish } from '../../src/core/dns/publish';
import { formatStages } from '../../src/core/dns/stages';

const MAIL_HOST = 'smtp.example.com';
const TLSA_NAME = `_25._tcp.${MAIL_HOST}`;
const host = testHost({ name: 'vps', ssh: { user: 'root', host: MAIL_HOST, port: 22 }, mailHost: MAIL_HOST });
const domain = testDomain({ name: 'example.com' });
const CURRENT = 'a'.repeat(64);
const NEXT = 'b'.repeat(64);
const T0 = Date.parse('2026-12-07T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

function state(more: Partial<RolloverState> = {}): RolloverState {
  return {
    version: 1,
    mailHost: MAIL_HOST,
    startedAt: at(0).toISOString(),
    ttlSeconds: 300,
    current: CURRENT,
    next: NEXT,
    ...more,
  };
}

describe('DANE key rollover: the stages', () => {
  it('goes generate, publish, wait, hold for the TTL, switch, keep for the TTL, remove, and again', () => {
    assert.equal(nextRolloverStep(undefined, at(0)), 'generate');
    assert.equal(nextRolloverStep(state(), at(0)), 'publish');
    const published = state({ publishedAt: at(1).toISOString() });
    assert.equal(nextRolloverStep(published, at(2)), 'wait');
    const seen = { ...published, seenAt: at(10).toISOString() };
    assert.equal(nextRolloverStep(seen, at(10)), 'hold');
    assert.equal(nextRolloverStep(seen, at(309)), 'hold', 'the switch is refused before the TTL has passed');
    assert.deepEqual(switchAfter(seen), at(310));
    assert.equal(nextRolloverStep(seen, at(310)), 'switch');
    const switched = { ...seen, switchedAt: at(400).toISOString() };
    assert.equal(nextRolloverStep(switched, at(699)), 'keep');
    assert.deepEqual(retireAfter(switched), at(700));
    assert.equal(nextRolloverStep(switched, at(700)), 'remove');
    assert.equal(nextRolloverStep({ ...switched, removedAt: at(701).toISOString() }, at(701)), 'generate');
    // Published by hand: no publishedAt, the wait found it served.
    assert.equal(nextRolloverStep(state({ seenAt: at(5).toISOString() }), at(5)), 'hold');
  });

  it('shows each stage done, next, waiting for its date or pending', () => {
    const fresh = formatStages(rolloverStages(undefined, at(0), 300));
    assert.equal(fresh[0], '  → next key made on the server (a next key), not served yet');
    assert.ok(fresh.slice(1).every((line) => line.startsWith('    ')));
    assert.match(fresh[3]!, /switch waits the record's TTL \(300 second\(s\)\) after it is served/);

    const holding = rolloverStages(
      state({ publishedAt: at(1).toISOString(), seenAt: at(10).toISOString() }),
      at(20),
      60,
    );
    assert.deepEqual(
      holding.map((s) => s.status),
      ['done', 'done', 'done', 'waiting', 'pending', 'pending', 'pending'],
    );
    assert.equal(
      holding[3]!.text,
      "switch not before 2026-12-07T10:05:10Z (the record's TTL, 300 second(s), after it was served)",
    );
    assert.equal(
      holding[1]!.text,
      `TLSA record of key ${NEXT.slice(0, 12)}… published beside key ${CURRENT.slice(0, 12)}…`,
    );

    const keeping = rolloverStages(
      state({
        publishedAt: at(1).toISOString(),
        seenAt: at(10).toISOString(),
        switchedAt: at(400).toISOString(),
      }),
      at(500),
      60,
    );
    assert.deepEqual(
      keeping.map((s) => s.status),
      ['done', 'done', 'done', 'done', 'done', 'waiting', 'pending'],
    );
    assert.match(keeping[5]!.text, /old record \(key aaaaaaaaaaaa…\) kept until 2026-12-07T10:11:40Z/);
    const over = rolloverStages(
      state({
        seenAt: at(10).toISOString(),
        switchedAt: at(400).toISOString(),
        removedAt: at(800).toISOString(),
      }),
      at(900),
      60,
    );
    assert.ok(over.every((s) => s.status === 'done'));
    assert.match(over[6]!.text, /bbbbbbbbbbbb… is the key/);
  });

  it('waits the TTL the provider lists, else dns.ttl, else an hour', () => {
    assert.equal(rolloverTtl([300, 3600, undefined], 60), 3600);
    assert.equal(rolloverTtl([undefined], 120), 120);
    assert.equal(rolloverTtl([], undefined), UNKNOWN_TLSA_TTL_SECONDS);
    assert.equal(UNKNOWN_TLSA_TTL_SECONDS, 3600);
  });

  it('refuses a host without ACME or without an ACME certificate, before anything changes', () => {
    assert.match(
      rolloverRefusal({ ...host, acme: undefined }, { spkiSha256: CURRENT }) ?? '',
      /no acme settings/,
    );
    const withAcme = { ...host, acme: { ca: 'letsencrypt' } };
    assert.match(rolloverRefusal(withAcme, undefined) ?? '', /no ACME certificate yet/);
    assert.match(
      rolloverRefusal(withAcme, { spkiSha256: CURRENT, selfSigned: true }) ?? '',
      /run mailwright renew first/,
    );
    assert.equal(rolloverRefusal(withAcme, { spkiSha256: CURRENT }), undefined);
  });

  it('keeps the next key where chasquid does not load certificates', () => {
    assert.equal(
      nextKeyPath(MAIL_HOST),
      '/var/lib/mailwright/dane-rollover/smtp.example.com/next-privkey.pem',
    );
    assert.ok(!nextKeyPath(MAIL_HOST).startsWith('/etc/chasquid/'));
  });

  it('a new certificate key is ECDSA P-256 and its hash is the one its TLSA record names', () => {
    const pem = newCertificateKeyPem();
    assert.match(pem.toString(), /^-----BEGIN PRIVATE KEY-----/);
    assert.match(privateKeySpkiSha256(pem) ?? '', /^[0-9a-f]{64}$/);
    assert.notEqual(privateKeySpkiSha256(newCertificateKeyPem()), privateKeySpkiSha256(pem));
    assert.equal(privateKeySpkiSha256('not a key'), undefined);
  });

  it('reads its own state files and refuses others with the path', () => {
    const s = state({ seenAt: at(3).toISOString() });
    assert.deepEqual(parseRolloverState(JSON.stringify(s), MAIL_HOST), s);
    for (const bad of [
      'not json',
      JSON.stringify({ ...s, version: 2 }),
      JSON.stringify({ ...s, mailHost: 'other.example.com' }),
      JSON.stringify({ ...s, next: 'xyz' }),
      JSON.stringify({ ...s, seenAt: 'yesterday' }),
    ])
      assert.throws(
        () => parseRolloverState(bad, MAIL_HOST),
        /\/var\/lib\/mailwright\/dane-rollover\/smtp\.example\.com\.json is not a DANE key rollover state/,
      );
  });
});

describe('DANE key rollover: the records expected', () => {
  it('before the switch the next key beside the served one; after it the previous; none once over', () => {
    assert.deepEqual(rolloverRecord(state(), CURRENT), { role: 'next', spkiSha256: NEXT });
    const switched = state({ seenAt: at(10).toISOString(), switchedAt: at(400).toISOString() });
    assert.deepEqual(rolloverRecord(switched, NEXT), {
      role: 'previous',
      spkiSha256: CURRENT,
      until: at(700),
    });
    assert.equal(rolloverRecord({ ...switched, removedAt: at(800).toISOString() }, NEXT), undefined);
    assert.equal(rolloverRecord(undefined, CURRENT), undefined);
    // A key changed by other means: only the served key's record is right.
    assert.equal(rolloverRecord(state(), 'c'.repeat(64)), undefined);
  });

  const expected = (served: string, s: RolloverState) => {
    const daneRollover = rolloverRecord(s, served);
    return expectedRecords({
      host,
      domain,
      addresses: { ipv4: ['198.51.100.7'], ipv6: [] },
      dkimKeys: [],
      servedKeySha256: served,
      ...(daneRollover && { daneRollover }),
    }).filter((r) => r.kind === 'tlsa');
  };

  it('two TLSA rows at _25._tcp.<mail host>, each saying which key it is', () => {
    const rows = expected(CURRENT, state());
    assert.deepEqual(
      rows.map((r) => [r.id, r.name, r.value]),
      [
        ['tlsa', TLSA_NAME, `3 1 1 ${CURRENT}`],
        ['tlsa:next', TLSA_NAME, `3 1 1 ${NEXT}`],
      ],
    );
    assert.match(rows[1]!.purpose, /the NEXT key, published ahead/);
    const after = expected(NEXT, state({ switchedAt: at(400).toISOString(), seenAt: at(10).toISOString() }));
    assert.deepEqual(
      after.map((r) => [r.id, r.value]),
      [
        ['tlsa', `3 1 1 ${NEXT}`],
        ['tlsa:previous', `3 1 1 ${CURRENT}`],
      ],
    );
    assert.match(after[1]!.purpose, /the PREVIOUS key, kept until 2026-12-07T10:11:40Z/);
  });

  const check = (rows: ReturnType<typeof expected>, published: string[]) =>
    checkRecords({
      domain: 'example.com',
      mailHost: MAIL_HOST,
      expected: rows,
      authoritative: new MemoryDns({ [TLSA_NAME]: { TLSA: published } }),
      recursive: new MemoryDns({ [TLSA_NAME]: { TLSA: published } }),
      addresses: { ipv4: [], ipv6: [] },
    });

  it('the check accepts both records (ok, neither WRONG) and says which is which', async () => {
    const rows = expected(CURRENT, state());
    const both = await check(rows, [tlsaRecordValue(CURRENT), tlsaRecordValue(NEXT)]);
    assert.deepEqual(
      both.map((f) => [f.id, f.status, f.found]),
      [
        ['tlsa', 'ok', [`3 1 1 ${CURRENT}`]],
        ['tlsa:next', 'ok', [`3 1 1 ${NEXT}`]],
      ],
    );
    assert.equal(both[0]!.notes[0], 'the CURRENT key: the one port 25 serves now');
    assert.match(both[1]!.notes[0]!, /the NEXT key/);

    // Only the current one published yet: the next row is missing (a warning), not WRONG.
    const one = await check(rows, [tlsaRecordValue(CURRENT)]);
    assert.deepEqual(
      one.map((f) => [f.id, f.status, f.severity]),
      [
        ['tlsa', 'ok', 'info'],
        ['tlsa:next', 'missing', 'warning'],
      ],
    );
    assert.equal(one[1]!.fix, `add TLSA ${TLSA_NAME} 3 1 1 ${NEXT} in your DNS zone`);

    // A third key still makes the rows WRONG.
    const stray = await check(rows, [tlsaRecordValue('c'.repeat(64))]);
    assert.deepEqual(
      stray.map((f) => f.status),
      ['wrong', 'wrong'],
    );

    // Without a rollover the single row says nothing about current or next.
    const plain = await check(expected(CURRENT, state({ removedAt: at(1).toISOString() })), [
      tlsaRecordValue(CURRENT),
    ]);
    assert.deepEqual(plain[0]!.notes, []);
  });

  it('port 25 serving the current key does not make the next row an error', () => {
    const finding = {
      id: 'tlsa:next',
      kind: 'tlsa' as const,
      name: TLSA_NAME,
      type: 'TLSA' as const,
      status: 'ok' as const,
      severity: 'info' as const,
      expected: `3 1 1 ${NEXT}`,
      found: [`3 1 1 ${NEXT}`],
      notes: [],
    };
    assert.deepEqual(judgeServedKey(finding, CURRENT), finding);
    assert.equal(
      judgeServedKey({ ...finding, id: 'tlsa', expected: `3 1 1 ${CURRENT}` }, NEXT).status,
      'wrong',
    );
  });

  it('dns publish adds the next record and keeps the current one (two records, no update)', async () => {
    const held: DnsRecord[] = [{ name: TLSA_NAME, type: 'TLSA', value: tlsaRecordValue(CURRENT), ttl: 300 }];
    const provider: DnsProvider = {
      kind: 'rfc2136',
      list: async (name) => held.filter((r) => r.name === name),
      create: async () => undefined,
      update: async () => undefined,
      delete: async () => undefined,
    };
    const changes = (await planPublish(expected(CURRENT, state()), provider)).filter(
      (c) => c.record.kind === 'tlsa',
    );
    assert.deepEqual(
      changes.map((c) => [c.record.id, c.action]),
      [
        ['tlsa', 'keep'],
        ['tlsa:next', 'create'],
      ],
    );
  });
});
