// Where the mail host's TLS certificate comes from, asked the same way by Add Server and by
// "Get a Trusted Certificate…": Let's Encrypt with HTTP-01 (the default), Let's Encrypt with
// DNS-01 through the domain's dns: provider (one is chosen here when the domain has none),
// Let's Encrypt's staging CA for trying, or the self-signed certificate, for testing only.
import * as vscode from 'vscode';
import type { Document } from 'yaml';
import {
  DNS_PROVIDERS,
  domainOfName,
  normalizeTsigKeyName,
  parseDnsServer,
  setDomainDns,
  setHostAcme,
  type DnsProviderName,
  type DomainConfig,
  type NewAcme,
  type NewDnsProvider,
} from '../../core/config';
import { BACK, inputStep, pickStep, type StepPosition } from './multi-step';

export type CertificateKind = 'http-01' | 'dns-01' | 'staging' | 'self-signed';

export interface CertificateChoice {
  kind: CertificateKind;
  /** The host's acme: block; none for a self-signed certificate. */
  acme?: NewAcme;
  /** A dns: provider for the mail host's domain, when DNS-01 was chosen for a domain without one. */
  dns?: { domain: string; provider: NewDnsProvider };
}

export interface CertificateQuestion {
  title: string;
  /** Steps shown before these (Add Server's), for the "(n/total)" counter. */
  stepsBefore: number;
  mailHost: string;
  /** The host's domains as they will be (a new domain has no dns: yet). */
  domains: ReadonlyArray<Pick<DomainConfig, 'name' | 'dns'>>;
  /** Add Server offers the self-signed certificate too; "Get a Trusted Certificate" does not. */
  offerSelfSigned: boolean;
}

type Step = 'kind' | 'provider' | 'server' | 'keyName';

/** The choice, BACK when Back was pressed on the first of these steps, undefined when cancelled. */
export async function askCertificate(
  q: CertificateQuestion,
): Promise<CertificateChoice | typeof BACK | undefined> {
  const domain = domainOfName(q.mailHost, q.domains as DomainConfig[]);
  let kind: CertificateKind | undefined;
  let provider: DnsProviderName | undefined;
  let server: string | undefined;
  let keyName: string | undefined;
  const needsProvider = () => kind === 'dns-01' && domain !== undefined && !domain.dns;
  const shown = (): Step[] => [
    'kind',
    ...(needsProvider() ? (['provider'] as const) : []),
    ...(needsProvider() && provider === 'rfc2136' ? (['server', 'keyName'] as const) : []),
  ];
  let index = 0;
  for (;;) {
    const steps = shown();
    const step = steps[index];
    if (step === undefined) break;
    const pos: StepPosition = {
      title: q.title,
      step: q.stepsBefore + index + 1,
      totalSteps: q.stepsBefore + steps.length,
    };
    let r: unknown;
    switch (step) {
      case 'kind': {
        const picked = await pickStep(
          pos,
          kindItems(q, domain),
          placeholder(q.mailHost),
          (i) => i.certificate === kind,
        );
        if (picked && picked !== BACK) kind = picked.certificate;
        r = picked;
        break;
      }
      case 'provider': {
        const picked = await pickStep(
          pos,
          providerItems(),
          vscode.l10n.t('How are the DNS records of {0} written?', domain!.name),
          (i) => i.provider === provider,
        );
        if (picked && picked !== BACK) provider = picked.provider;
        r = picked;
        break;
      }
      case 'server':
        r = await inputStep(pos, {
          prompt: vscode.l10n.t('DNS server that accepts signed updates for {0} (host:port)', domain!.name),
          placeholder: 'ns1.example.com:53',
          value: server,
          validate: (v) =>
            parseDnsServer(v.trim())
              ? undefined
              : vscode.l10n.t('Write host:port (IPv6 in brackets), e.g. ns1.example.com:53'),
        });
        if (typeof r === 'string') server = r.trim();
        break;
      case 'keyName':
        r = await inputStep(pos, {
          prompt: vscode.l10n.t(
            'Name of the TSIG key the DNS server accepts (the secret is asked for later)',
          ),
          placeholder: 'mailwright',
          value: keyName,
          validate: (v) =>
            normalizeTsigKeyName(v.trim())
              ? undefined
              : vscode.l10n.t('Use the key name as the DNS server knows it, e.g. mailwright'),
        });
        if (typeof r === 'string') keyName = r.trim();
        break;
    }
    if (r === undefined) return undefined;
    if (r === BACK) {
      if (index === 0) return BACK;
      index--;
      continue;
    }
    index++;
  }
  return choiceOf(kind!, domain, provider, server, keyName);
}

function choiceOf(
  kind: CertificateKind,
  domain: Pick<DomainConfig, 'name' | 'dns'> | undefined,
  provider: DnsProviderName | undefined,
  server: string | undefined,
  keyName: string | undefined,
): CertificateChoice {
  switch (kind) {
    case 'self-signed':
      return { kind };
    case 'staging':
      // The challenge is left to its default: DNS-01 when the domain has a dns: provider.
      return { kind, acme: { ca: 'letsencrypt-staging' } };
    case 'http-01':
      return { kind, acme: { ca: 'letsencrypt', challenge: 'http-01' } };
    case 'dns-01': {
      const acme: NewAcme = { ca: 'letsencrypt', challenge: 'dns-01' };
      if (!domain || domain.dns || !provider) return { kind, acme };
      const dns: NewDnsProvider = provider === 'rfc2136' ? { provider, server, keyName } : { provider };
      return { kind, acme, dns: { domain: domain.name, provider: dns } };
    }
  }
}

/** Writes the choice into the document: the host's acme: block (removed for self-signed) and a dns: provider. */
export function applyCertificateChoice(
  document: Document,
  hostName: string,
  choice: CertificateChoice,
): void {
  if (choice.dns) setDomainDns(document, hostName, choice.dns.domain, choice.dns.provider);
  setHostAcme(document, hostName, choice.acme);
}

function placeholder(mailHost: string): string {
  return vscode.l10n.t('Where does the TLS certificate of {0} come from?', mailHost);
}

interface KindItem extends vscode.QuickPickItem {
  certificate: CertificateKind;
}

function kindItems(
  q: CertificateQuestion,
  domain: Pick<DomainConfig, 'name' | 'dns'> | undefined,
): KindItem[] {
  const items: KindItem[] = [
    {
      certificate: 'http-01',
      label: vscode.l10n.t("Let's Encrypt (HTTP-01)"),
      description: vscode.l10n.t('recommended'),
      detail: vscode.l10n.t(
        "A trusted certificate. Let's Encrypt checks the name on port 80 of the server, which must be open.",
      ),
    },
  ];
  // DNS-01 writes a record in the mail host's domain: only a domain of this file can have a provider.
  if (domain)
    items.push({
      certificate: 'dns-01',
      label: vscode.l10n.t("Let's Encrypt (DNS-01)"),
      detail: domain.dns
        ? vscode.l10n.t(
            "A trusted certificate. Let's Encrypt checks a TXT record written through the {0} provider of {1}; port 80 may stay closed, wildcard names possible.",
            domain.dns.provider,
            domain.name,
          )
        : vscode.l10n.t(
            "A trusted certificate. Let's Encrypt checks a TXT record in {0}, written through the DNS provider you choose next; port 80 may stay closed, wildcard names possible.",
            domain.name,
          ),
    });
  items.push({
    certificate: 'staging',
    label: vscode.l10n.t("Let's Encrypt staging (for trying)"),
    detail: vscode.l10n.t(
      "Let's Encrypt's test CA: the same steps without its rate limits, but nobody trusts its certificates. Switch to Let's Encrypt once it works.",
    ),
  });
  if (q.offerSelfSigned)
    items.push({
      certificate: 'self-signed',
      label: vscode.l10n.t('Self-signed (for testing only)'),
      detail: vscode.l10n.t(
        'Mail is accepted, but mail programs warn and other servers do not trust it. Get a trusted certificate later from its row in the tree.',
      ),
    });
  return items;
}

interface ProviderItem extends vscode.QuickPickItem {
  provider: DnsProviderName;
}

function providerItems(): ProviderItem[] {
  const labels: Record<DnsProviderName, [string, string]> = {
    cloudflare: ['Cloudflare', vscode.l10n.t('API token asked for at first use, kept in secret storage')],
    alidns: [
      vscode.l10n.t('Alibaba Cloud DNS'),
      vscode.l10n.t('AccessKey asked for at first use, kept in secret storage'),
    ],
    rfc2136: [
      vscode.l10n.t('Your own DNS server (RFC 2136)'),
      vscode.l10n.t('BIND, Knot, PowerDNS…: updates signed with a TSIG key'),
    ],
    manual: [vscode.l10n.t('Manual'), vscode.l10n.t('you add the TXT record when Mailwright shows it')],
  };
  return DNS_PROVIDERS.map((provider) => ({
    provider,
    label: labels[provider][0],
    description: labels[provider][1],
  }));
}
