// Bundle "dns": the DNS checks, linters, zone export and publishing, and the DNS Records panel.
export { dnsCore } from '../dns/core';
export { DnsPanel } from '../dns/panel';
