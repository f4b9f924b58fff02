// A host and a domain as mailwright.yaml gives them after validation, for the tests of what
// Mailwright derives from the config (expected DNS records, publish plans, summaries).
import type { DomainConfig, HostConfig } from '../../src/core/config';

export function testHost(overrides: Partial<HostConfig> = {}): HostConfig {
  return {
    name: 'sandbox',
    ssh: { user: 'root', host: 'mail.example.com', port: 22 },
    auth: 'agent',
    mailHost: 'smtp.example.com',
    domains: [],
    ...overrides,
  };
}

export function testDomain(overrides: Partial<DomainConfig> = {}): DomainConfig {
  return {
    name: 'example.com',
    users: ['alice'],
    aliases: {},
    mailboxes: false,
    dkim: { algorithms: ['rsa2048'], selector: 'auto' },
    spf: { include: [] },
    ...overrides,
  };
}
