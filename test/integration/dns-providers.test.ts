// DNS providers against real and local servers. RFC 2136 and manual run against a real knot
// (scripts/testdns) on 127.0.0.1. Cloudflare and Alibaba Cloud DNS are CONTRACT tests against
// local HTTP servers (test/fixtures-servers) that follow the providers' published APIs; the
// real services cannot be reached from here.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Rfc2136Provider } from '../../src/core/dns/providers/rfc2136';
import { DnsProviderError } from '../../src/core/dns/providers/types';
import { startKnot, type LocalKnot } from '../fixtures-servers/knot';

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
      assert.match(error.message, /NOTAUTH \(BADSIG\)/);
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
