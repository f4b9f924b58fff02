import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { providerFor } from '../../src/core/dns/providers';
import { DnsProviderError } from '../../src/core/dns/providers/types';
import { EnvSecretStore, MemorySecretStore } from '../../src/core/remote/secrets';
import { percentEncode, signParams } from '../../src/core/dns/providers/alidns';

const dns = { algorithm: 'hmac-sha256' as const, zone: 'example.com', ttl: 300 };

describe('providerFor', () => {
  it('builds each provider from config and its secret', async () => {
    const secrets = new MemorySecretStore();
    await secrets.set('dns-secret:example.com', 'id:secret');
    const domain = (provider: 'rfc2136' | 'cloudflare' | 'alidns' | 'manual') => ({
      name: 'example.com',
      dns: { ...dns, provider, server: '127.0.0.1:53', keyName: 'k' },
    });
    for (const kind of ['rfc2136', 'cloudflare', 'alidns', 'manual'] as const)
      assert.equal((await providerFor(domain(kind), secrets)).kind, kind);
  });

  it('names the env var and secret storage when the credential is missing, never a value', async () => {
    const secrets = new EnvSecretStore({ MAILWRIGHT_DNS_SECRET_OTHER_COM: 'x' });
    await assert.rejects(
      providerFor({ name: 'example.com', dns: { ...dns, provider: 'cloudflare' } }, secrets),
      (error) => {
        assert.ok(error instanceof DnsProviderError);
        assert.equal(error.kind, 'no-credentials');
        assert.match(error.message, /MAILWRIGHT_DNS_SECRET_EXAMPLE_COM/);
        assert.match(error.message, /secret storage/);
        return true;
      },
    );
  });
});

describe('Alibaba signature v1.0', () => {
  it('encodes like the published percentEncode and signs the canonical query', () => {
    assert.equal(percentEncode("a b*c~!'()"), 'a%20b%2Ac~%21%27%28%29');
    // Same input, any key order: same signature.
    const a = signParams('GET', { B: '2', A: '1' }, 's');
    const b = signParams('GET', { A: '1', B: '2' }, 's');
    assert.equal(a, b);
    assert.notEqual(a, signParams('GET', { A: '1', B: '2' }, 't'));
  });
});
