// Bundle "dns": the DNS checks, linters, zone export and publishing, and the DNS Records panel.
export { dnsCore } from '../dns/core';
export { DnsPanel } from '../dns/panel';
// The server checks run the DNS check of each domain: they travel in the same bundle.
export { runServerChecks } from '../../core/checks/run';
