// DNS providers against real and local servers. RFC 2136 and manual run against a real knot
// (scripts/testdns) on 127.0.0.1. Cloudflare and Alibaba Cloud DNS are CONTRACT tests against
// local HTTP servers (test/fixtures-servers) that follow the providers' published APIs; the
// real services cannot be reached from here.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { publicKeyOfPem } from '../../src/core/dkim';
import { expectedRecords } from '../../src/core/dns/expected';
import { applyPublish, planPublish } from '../../src/core/dns/publish';
import { PropagationTimeoutError, waitForTxt } from '../../src/core/dns/propagation';
import { ManualProvider } from '../../src/core/dns/providers/manual';
import { Rfc2136Provider } from '../../src/core/dns/providers/rfc2136';
import { DnsProviderError } from '../../src/core/dns/providers/types';
import { AlidnsProvider } from '../../src/core/dns/providers/alidns';
import { CloudflareProvider } from '../../src/core/dns/providers/cloudflare';
import type { DnsProvider } from '../../src/core/dns/providers/types';
import { startAlidns } from '../fixtures-servers/alidns';
import { startCloudflare } from '../fixtures-servers/cloudflare';
import { freePort, startKnot, type LocalKnot } from '../fixtures-servers/knot';
import { testDomain, testHost } from '../unit/config-fixture';

const sorted = (values: string[]) => [...values].sort();

describe('rfc2136 provider against knot', () => {
  let knot: LocalKnot;
  let provider: Rfc2136Provider;
  before(async () => {
    knot = await startKnot(`mw-dnsprov-${process.pid}`);
    provider = new Rfc2136Provider({
      host: knot.host,
      port: knot.port,
      zone: knot.zone,
      keyName: knot.keyName,
      algorithm: 'hmac-sha256',
      secret: knot.secret,
      ttl: 5,
    });
  });
  after(async () => knot?.stop());

  it('creates, lists, updates and deletes one TXT value', async () => {
    const name = 'txt1.example.test';
    await provider.create({ name, type: 'TXT', value: 'hello' });
    assert.deepEqual(
      (await provider.list(name, 'TXT')).map((r) => r.value),
      ['hello'],
    );
    await provider.update({ name, type: 'TXT', value: 'hello' }, { name, type: 'TXT', value: 'world' });
    assert.deepEqual(
      (await provider.list(name)).map((r) => [r.type, r.value]),
      [['TXT', 'world']],
    );
    await provider.delete({ name, type: 'TXT', value: 'world' });
    assert.deepEqual(await provider.list(name, 'TXT'), []);
  });

  it('keeps two TXT values on one name (wildcard ACME) and deletes only the one asked', async () => {
    const name = '_acme-challenge.example.test';
    await provider.create({ name, type: 'TXT', value: 'token-a' });
    await provider.create({ name, type: 'TXT', value: 'token-b' });
    assert.deepEqual(sorted((await provider.list(name, 'TXT')).map((r) => r.value)), ['token-a', 'token-b']);
    await provider.delete({ name, type: 'TXT', value: 'token-a' });
    assert.deepEqual(
      (await provider.list(name, 'TXT')).map((r) => r.value),
      ['token-b'],
    );
    await provider.delete({ name, type: 'TXT', value: 'token-b' });
  });

  it('splits a long TXT value into 255-byte strings and reads it back joined', async () => {
    const name = 'dkim._domainkey.example.test';
    const value = `v=DKIM1; k=rsa; p=${'A'.repeat(400)}`;
    await provider.create({ name, type: 'TXT', value });
    assert.deepEqual(
      (await provider.list(name, 'TXT')).map((r) => r.value),
      [value],
    );
    await provider.create({ name: 'example.test', type: 'MX', value: '10 smtp.example.test' });
    assert.deepEqual(
      (await provider.list('example.test', 'MX')).map((r) => r.value),
      ['10 smtp.example.test'],
    );
  });

  it('reports a wrong key as an auth error', async () => {
    const wrong = new Rfc2136Provider({
      host: knot.host,
      port: knot.port,
      zone: knot.zone,
      keyName: knot.keyName,
      algorithm: 'hmac-sha256',
      secret: Buffer.alloc(32, 7).toString('base64'),
    });
    await assert.rejects(wrong.create({ name: 'x.example.test', type: 'TXT', value: 'x' }), (error) => {
      assert.ok(error instanceof DnsProviderError);
      assert.equal(error.kind, 'auth');
      assert.match(error.message, /^the credentials for rfc2136 were refused: .*NOTAUTH \(BADSIG\)/);
      assert.ok(!error.message.includes(knot.secret));
      return true;
    });
    const unknownKey = new Rfc2136Provider({ ...knotOptions(knot), keyName: 'nobody' });
    await assert.rejects(unknownKey.create({ name: 'x.example.test', type: 'TXT', value: 'x' }), /BADKEY/);
  });

  it('reports a zone the server does not serve as zone-not-found', async () => {
    const other = new Rfc2136Provider({ ...knotOptions(knot), zone: 'other.test' });
    await assert.rejects(other.create({ name: 'x.other.test', type: 'TXT', value: 'x' }), (error) => {
      assert.ok(error instanceof DnsProviderError);
      assert.equal(error.kind, 'zone-not-found');
      return true;
    });
  });

  it('reports an unreachable server as a network error', async () => {
    const down = new Rfc2136Provider({ ...knotOptions(knot), port: 1 });
    await assert.rejects(down.list('example.test', 'TXT'), (error) => {
      assert.ok(error instanceof DnsProviderError);
      assert.equal(error.kind, 'network');
      return true;
    });
  });
});

function knotOptions(knot: LocalKnot) {
  return {
    host: knot.host,
    port: knot.port,
    zone: knot.zone,
    keyName: knot.keyName,
    algorithm: 'hmac-sha256' as const,
    secret: knot.secret,
  };
}

describe('manual provider and propagation against knot', () => {
  let knot: LocalKnot;
  let rfc: Rfc2136Provider;
  let servers: string[];
  before(async () => {
    knot = await startKnot(`mw-dnsman-${process.pid}`);
    rfc = new Rfc2136Provider({ ...knotOptions(knot), ttl: 5 });
    servers = [`${knot.host}:${knot.port}`];
  });
  after(async () => knot?.stop());

  it('shows the record, then waits until the test (as the user) publishes it', async () => {
    const record = { name: '_acme-challenge.example.test', type: 'TXT' as const, value: 'manual-token' };
    const shown: string[] = [];
    const manual = new ManualProvider({
      onInstruction: (text) => {
        shown.push(text);
        if (shown.length === 1) setTimeout(() => void rfc.create(record), 300); // the "user" adds it later
      },
      servers,
      intervalMs: 100,
      timeoutMs: 10_000,
    });
    await manual.create(record);
    assert.match(shown[0] ?? '', /_acme-challenge\.example\.test\. 300 IN TXT "manual-token"/);
    assert.deepEqual(
      (await manual.list(record.name, 'TXT')).map((r) => r.value),
      ['manual-token'],
    );
    await waitForTxt(record.name, 'manual-token', { servers, timeoutMs: 2000, intervalMs: 100 });
    const removal = manual.delete(record);
    setTimeout(() => void rfc.delete(record), 200);
    await removal;
    assert.deepEqual(await manual.list(record.name, 'TXT'), []);
  });

  it('gives up after its timeout with a clear error, and stops when cancelled', async () => {
    const manual = new ManualProvider({ onInstruction: () => {}, servers, intervalMs: 100, timeoutMs: 500 });
    const record = { name: 'never.example.test', type: 'TXT' as const, value: 'x' };
    await assert.rejects(manual.create(record), (error) => {
      assert.ok(error instanceof DnsProviderError);
      assert.match(error.message, /not visible yet on 127\.0\.0\.1/);
      return true;
    });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('cancelled by the user')), 200);
    await assert.rejects(
      waitForTxt('never.example.test', 'x', {
        servers,
        timeoutMs: 60_000,
        intervalMs: 100,
        signal: controller.signal,
      }),
      /cancelled by the user/,
    );
    assert.ok(Date.now() - started < 2000);
  });

  it('waitForTxt waits for every server: one lagging server keeps it waiting', async () => {
    await rfc.create({ name: 'two.example.test', type: 'TXT', value: 'v' });
    const lagging = `127.0.0.1:${await freePort()}`; // nobody answers there
    await assert.rejects(
      waitForTxt('two.example.test', 'v', {
        servers: [...servers, lagging],
        timeoutMs: 3000,
        intervalMs: 200,
      }),
      (error) => {
        assert.ok(error instanceof PropagationTimeoutError);
        assert.deepEqual(error.lagging, [lagging]);
        return true;
      },
    );
  });
});

/** The same contract for every HTTP provider: one value at a time, never the whole set. */
async function exerciseProvider(provider: DnsProvider): Promise<void> {
  const name = '_acme-challenge.example.test';
  await provider.create({ name, type: 'TXT', value: 'token-a' });
  await provider.create({ name, type: 'TXT', value: 'token-b' });
  assert.deepEqual(sorted((await provider.list(name, 'TXT')).map((r) => r.value)), ['token-a', 'token-b']);
  await provider.update({ name, type: 'TXT', value: 'token-a' }, { name, type: 'TXT', value: 'token-c' });
  await provider.delete({ name, type: 'TXT', value: 'token-b' });
  assert.deepEqual(
    (await provider.list(name, 'TXT')).map((r) => r.value),
    ['token-c'],
  );
  await provider.delete({ name, type: 'TXT', value: 'token-c' });
  assert.deepEqual(await provider.list(name), []);
}

function rejectsWithKind(promise: Promise<unknown>, kind: string, message: RegExp) {
  return assert.rejects(promise, (error) => {
    assert.ok(error instanceof DnsProviderError, String(error));
    assert.equal(error.kind, kind);
    assert.match(error.message, message);
    return true;
  });
}

/**
 * Every zone record a mail domain needs goes through `provider`: the MX with its preference, the
 * CAA, a DKIM TXT longer than 255 bytes. The user's backup MX stays, a stale A is updated; a
 * second plan finds nothing to change, which proves each value reads back as it was written.
 */
async function publishesMailDomain(provider: DnsProvider): Promise<void> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = publicKeyOfPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const records = expectedRecords({
    host: testHost({ mailHost: 'smtp.example.test' }),
    domain: testDomain({ name: 'example.test' }),
    addresses: { ipv4: ['198.51.100.7'], ipv6: ['2001:db8::7'] },
    dkimKeys: [{ selector: 'mw1', ...key }],
  });
  for (const type of ['MX', 'CAA', 'TXT'])
    assert.ok(
      records.some((r) => r.type === type && r.publishedAt === 'zone'),
      `${type} among ${records.map((r) => r.id).join(', ')}`,
    );
  assert.ok(
    records.some((r) => r.kind === 'dkim' && r.value.length > 255),
    'a DKIM value longer than 255 bytes',
  );
  // A backup MX of the user's stays (Mailwright never deletes); a stale address is replaced.
  await provider.create({ name: 'example.test', type: 'MX', value: '20 backup.example.test' });
  await provider.create({ name: 'smtp.example.test', type: 'A', value: '198.51.100.99' });

  const first = await planPublish(records, provider);
  const action = (type: string) => first.find((c) => c.record.type === type)?.action;
  assert.equal(action('MX'), 'create');
  assert.equal(action('A'), 'update');
  await applyPublish(first, provider);

  const again = await planPublish(records, provider);
  assert.deepEqual(
    again
      .filter((c) => c.action === 'create' || c.action === 'update')
      .map((c) => `${c.action} ${c.record.id}`),
    [],
    'a second plan has nothing to write',
  );
  assert.deepEqual(sorted((await provider.list('example.test', 'MX')).map((r) => r.value)), [
    '10 smtp.example.test',
    '20 backup.example.test',
  ]);
  assert.deepEqual(
    (await provider.list('smtp.example.test', 'A')).map((r) => r.value),
    ['198.51.100.7'],
  );
  assert.deepEqual(
    (await provider.list('example.test', 'CAA')).map((r) => r.value),
    [records.find((r) => r.type === 'CAA')!.value],
  );
  // An MX's preference changes through update too.
  await provider.update(
    { name: 'example.test', type: 'MX', value: '20 backup.example.test' },
    { name: 'example.test', type: 'MX', value: '30 backup.example.test' },
  );
  assert.deepEqual(sorted((await provider.list('example.test', 'MX')).map((r) => r.value)), [
    '10 smtp.example.test',
    '30 backup.example.test',
  ]);
}

describe('cloudflare provider (CONTRACT test against a local server, not the real API)', () => {
  it('creates, updates and deletes single values by id', async () => {
    const server = await startCloudflare('good-token', 'example.test');
    try {
      await exerciseProvider(
        new CloudflareProvider({ token: 'good-token', zone: 'example.test', baseUrl: server.baseUrl }),
      );
    } finally {
      await server.close();
    }
  });

  it('publishes a mail domain: MX priority and CAA data as the API wants them, nothing left on a second plan', async () => {
    const server = await startCloudflare('good-token', 'example.test');
    try {
      await publishesMailDomain(
        new CloudflareProvider({ token: 'good-token', zone: 'example.test', baseUrl: server.baseUrl }),
      );
      const mx = server.records.filter((r) => r.type === 'MX');
      assert.deepEqual(sorted(mx.map((r) => `${r.content} ${r.priority}`)), [
        'backup.example.test 30',
        'smtp.example.test 10',
      ]);
      assert.equal(server.records.find((r) => r.type === 'CAA')?.data?.tag, 'issue');
    } finally {
      await server.close();
    }
  });

  it('maps invalid token, unknown zone and 429 to auth, zone-not-found and rate-limit', async () => {
    const server = await startCloudflare('good-token', 'example.test');
    try {
      const record = { name: 'x.example.test', type: 'TXT' as const, value: 'x' };
      const bad = new CloudflareProvider({
        token: 'bad-token',
        zone: 'example.test',
        baseUrl: server.baseUrl,
      });
      await rejectsWithKind(
        bad.create(record),
        'auth',
        /^the credentials for cloudflare were refused: Invalid access token \(9109\)/,
      );
      const other = new CloudflareProvider({
        token: 'good-token',
        zone: 'other.test',
        baseUrl: server.baseUrl,
      });
      await rejectsWithKind(other.create(record), 'zone-not-found', /other\.test/);
      const good = new CloudflareProvider({
        token: 'good-token',
        zone: 'example.test',
        baseUrl: server.baseUrl,
      });
      server.throttleNext(1);
      await rejectsWithKind(good.create(record), 'rate-limit', /971/);
      const down = new CloudflareProvider({
        token: 'good-token',
        zone: 'example.test',
        baseUrl: `http://127.0.0.1:${await freePort()}`,
      });
      await rejectsWithKind(down.list('x.example.test'), 'network', /cannot reach/);
    } finally {
      await server.close();
    }
  });
});

describe('alidns provider (CONTRACT test against a local server, not the real API)', () => {
  it('signs every call; creates, updates and deletes single values by RecordId', async () => {
    const server = await startAlidns('LTAIid', 'the-secret', 'example.test');
    try {
      await exerciseProvider(
        new AlidnsProvider({
          accessKeyId: 'LTAIid',
          accessKeySecret: 'the-secret',
          zone: 'example.test',
          baseUrl: server.baseUrl,
        }),
      );
      assert.equal(server.records.length, 0);
    } finally {
      await server.close();
    }
  });

  it('publishes a mail domain: MX priority apart from its host, nothing left on a second plan', async () => {
    const server = await startAlidns('LTAIid', 'the-secret', 'example.test');
    try {
      const provider = new AlidnsProvider({
        accessKeyId: 'LTAIid',
        accessKeySecret: 'the-secret',
        zone: 'example.test',
        baseUrl: server.baseUrl,
      });
      await publishesMailDomain(provider);
      assert.deepEqual(
        sorted(server.records.filter((r) => r.Type === 'MX').map((r) => `${r.RR} ${r.Value} ${r.Priority}`)),
        ['@ backup.example.test 30', '@ smtp.example.test 10'],
      );
      // Alibaba takes MX priorities 1-50 only: said before any call, naming the record.
      await rejectsWithKind(
        provider.create({ name: 'example.test', type: 'MX', value: '100 backup.example.test' }),
        'other',
        /1 to 50/,
      );
    } finally {
      await server.close();
    }
  });

  it('maps unknown key, bad signature, unknown domain and throttling to clear kinds', async () => {
    const server = await startAlidns('LTAIid', 'the-secret', 'example.test');
    try {
      const record = { name: 'x.example.test', type: 'TXT' as const, value: 'x' };
      const make = (id: string, secret: string, zone = 'example.test') =>
        new AlidnsProvider({ accessKeyId: id, accessKeySecret: secret, zone, baseUrl: server.baseUrl });
      await rejectsWithKind(
        make('nobody', 'the-secret').create(record),
        'auth',
        /InvalidAccessKeyId\.NotFound/,
      );
      await rejectsWithKind(make('LTAIid', 'wrong').create(record), 'auth', /SignatureDoesNotMatch/);
      await rejectsWithKind(
        make('LTAIid', 'the-secret', 'other.test').create({ ...record, name: 'x.other.test' }),
        'zone-not-found',
        /InvalidDomainName\.NoExist/,
      );
      server.throttleNext(1);
      await rejectsWithKind(make('LTAIid', 'the-secret').create(record), 'rate-limit', /Throttling\.User/);
    } finally {
      await server.close();
    }
  });
});
