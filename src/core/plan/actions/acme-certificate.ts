// A certificate from an ACME CA for the mail host, installed where chasquid reads it (real
// files: chasquid 1.11 skips symlinked folders), key root:chasquid 0640. Three actions:
// issue + install (files through the journal, so a failure later puts the old pair back),
// the service action restarts chasquid, then a check that 465 and 587 serve the new serial.
import { readFileSync } from 'node:fs';
import { expandUserPath } from '../../local-path';
import { acmeDirectoryUrl, DEFAULT_RENEW_BEFORE_DAYS, domainOfName, type HostConfig } from '../../config';
import { waitForTxt } from '../../dns/propagation';
import type { DnsProvider } from '../../dns/providers/types';
// Only the light parts of core/acme: issuing (acme-client) is import()ed where it runs.
import { dns01Responder, type WaitForTxt } from '../../acme/dns01';
import { http01Responder } from '../../acme/http01';
import type { IssuedCertificate } from '../../acme/issue';
import { keepsKey, privateKeySpkiSha256, renewalReason, unusableKeyReason } from '../../acme/renewal';
import type { ChallengeResponder } from '../../acme/responders';
import { readRemoteFile, shellCommand, shellScript } from '../../remote';
import { probeSmtp } from '../../smtp/probe';
import type { Facts } from '../../facts';
import type { Action, ApplyContext, Plan, PlanContext } from '../types';
import { verifyCertificate, certDir } from './certificate';
import { reloadDovecotForCertificate } from './mailboxes';
import { serviceAction } from './service';
import { probeAddress, probeOrigin } from './service-probe';

/** host.acme as the config engineer defines it; read defensively (older configs lack it). */
export interface AcmeSettings {
  directoryUrl: string;
  email?: string;
  challenge: 'dns-01' | 'http-01';
  renewBeforeDays: number;
  caCertificatePem?: string;
}

export function acmeSettingsOf(host: HostConfig): AcmeSettings | undefined {
  const raw = (host as { acme?: Record<string, unknown> }).acme;
  if (!raw || typeof raw.ca !== 'string') return undefined;
  const caFile = typeof raw.caCertificate === 'string' ? expandUserPath(raw.caCertificate) : undefined;
  return {
    directoryUrl: acmeDirectoryUrl(raw.ca),
    email: typeof raw.email === 'string' ? raw.email : undefined,
    challenge: raw.challenge === 'http-01' ? 'http-01' : 'dns-01',
    renewBeforeDays:
      typeof raw.renewBeforeDays === 'number' ? raw.renewBeforeDays : DEFAULT_RENEW_BEFORE_DAYS,
    caCertificatePem: caFile ? readFileSync(caFile, 'utf8') : undefined,
  };
}

/** What the ACME action needs from outside the plan: DNS access for dns-01, and trust for the probe. */
export interface AcmeDeps {
  dnsProviderFor?(name: string, ctx: ApplyContext): Promise<DnsProvider> | DnsProvider;
  waitForTxt?: WaitForTxt;
  /** Roots that issued certificates chain to, for the served-certificate check (pebble's). */
  issuerRootPem?: string;
  /** Overrides (tests): names on the certificate, default the mail host. */
  names?: string[];
}

/**
 * The DNS side for real servers: the provider configured (dns: in mailwright.yaml) for the
 * domain a name belongs to, with its credential from the secret store, and propagation to
 * every authoritative server of the zone before the CA is asked to look.
 */
export const configuredDnsDeps: Required<Pick<AcmeDeps, 'dnsProviderFor' | 'waitForTxt'>> = {
  dnsProviderFor: async (name, ctx) => {
    const domain = domainOfName(name.replace(/^\*\./, ''), ctx.host.domains);
    if (!domain?.dns) {
      throw new Error(
        `No DNS provider is configured for ${name}: add dns: to its domain in mailwright.yaml, or use acme.challenge: http-01.`,
      );
    }
    // The providers (and their packages) are loaded only when a certificate is really issued.
    const { providerFor } = await import('../../dns/providers/index.js');
    return providerFor({ name: domain.name, dns: domain.dns }, ctx.secrets, {
      onInstruction: (text) => ctx.log(text),
    });
  },
  waitForTxt: (name, value, signal) => waitForTxt(name, value, { signal }),
};

let defaultDeps: AcmeDeps = configuredDnsDeps;
/** Replaces the DNS side (tests point it at their own DNS server). */
export function setDefaultAcmeDeps(deps: AcmeDeps): void {
  defaultDeps = deps;
}

function responderFor(settings: AcmeSettings, ctx: ApplyContext, deps: AcmeDeps): ChallengeResponder {
  if (settings.challenge === 'http-01') {
    return http01Responder({
      conn: ctx.conn,
      listeningPorts: ctx.facts.listening.map((l) => l.port),
      log: ctx.log,
    });
  }
  const { dnsProviderFor, waitForTxt } = deps;
  if (!dnsProviderFor || !waitForTxt) {
    throw new Error(
      'dns-01 needs a DNS provider for the domain (dns: in mailwright.yaml), or use acme.challenge: http-01.',
    );
  }
  return dns01Responder({ dnsProviderFor: (n) => dnsProviderFor(n, ctx), waitForTxt, log: ctx.log });
}

async function installCertificate(ctx: ApplyContext, host: string, cert: IssuedCertificate): Promise<void> {
  const dir = certDir(host);
  // A real folder, never a symlink (chasquid 1.11); the key goes over SFTP only.
  await ctx.run(shellLineMkdir(dir));
  await ctx.files.write(`${dir}/privkey.pem`, cert.privateKeyPem, { owner: 'root:chasquid', mode: '0640' });
  await ctx.files.write(`${dir}/fullchain.pem`, cert.fullchainPem, { owner: 'root:root', mode: '0644' });
  // An existing file keeps its owner and mode unless set: set them again to be sure.
  await ctx.run(shellCommand(['chown', 'root:chasquid', `${dir}/privkey.pem`]));
  await ctx.run(shellCommand(['chmod', '0640', `${dir}/privkey.pem`]));
  await reloadDovecotForCertificate(ctx);
}

const shellLineMkdir = (dir: string) =>
  shellScript('set -eu; if [ -L "$1" ]; then rm -f -- "$1"; fi; mkdir -p -m 0755 -- "$1"', [dir]);

async function checkServed(ctx: ApplyContext, serial: string, deps: AcmeDeps): Promise<void> {
  const host = ctx.host.mailHost;
  const want = serial.toUpperCase();
  for (const [port, mode] of [
    [465, 'tls'],
    [587, 'starttls'],
  ] as const) {
    let served = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const r = await probeSmtp({
          host: probeAddress(ctx),
          port,
          mode,
          servername: host,
          ca: deps.issuerRootPem,
          timeoutMs: 10_000,
          dial: probeOrigin(ctx)?.dial,
        });
        served = (r.tls.certificate?.serialNumber ?? '').toUpperCase();
        if (served === want) break;
      } catch (e) {
        served = `error: ${(e as Error).message}`;
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    if (served !== want)
      throw new Error(`Port ${port} serves certificate ${served || 'none'}, not the new ${want}.`);
    ctx.log(`Port ${port} serves the new certificate (serial ${want})`);
  }
}

/**
 * The key of the certificate being replaced, when the new one keeps it (a renewal of Mailwright's
 * own ACME certificate); undefined: a new key. A key that cannot be read, or is not the
 * certificate's, is said in the output and replaced.
 */
async function keyToKeep(ctx: ApplyContext, host: string, keep: boolean): Promise<Buffer | undefined> {
  if (!keep) return undefined;
  const path = `${certDir(host)}/privkey.pem`;
  let pem: Buffer;
  try {
    pem = await readRemoteFile(ctx.conn, path);
  } catch (e) {
    ctx.log(`Making a new key: ${path} cannot be read (${(e as Error).message})`);
    return undefined;
  }
  const why = unusableKeyReason(pem, ctx.facts.chasquidState?.certs[host]);
  if (why) {
    ctx.log(`Making a new key: ${why}`);
    return undefined;
  }
  ctx.log(`Keeping the certificate's key (${path}): a DANE record naming it stays valid`);
  return pem;
}

export interface AcmePlanOptions {
  /** Replaces the reason (the certificate is renewed whatever its state). */
  force?: string;
  /** A new private key even when the certificate could keep its own (a key rollover). */
  newKey?: boolean;
  /**
   * The key to issue with, staged on the server by a DANE key rollover: it must be exactly this
   * key (its SubjectPublicKeyInfo hash), and port 25 must serve it afterwards.
   */
  stagedKey?: { path: string; spkiSha256: string };
}

/** The staged key, checked to be the one the rollover published (never replaced by a new one). */
async function stagedKeyPem(ctx: ApplyContext, key: { path: string; spkiSha256: string }): Promise<Buffer> {
  const pem = await readRemoteFile(ctx.conn, key.path);
  const hash = privateKeySpkiSha256(pem);
  if (hash !== key.spkiSha256)
    throw new Error(
      `${key.path} is ${hash ? `the key ${hash}` : 'no private key'}, not the next key ${key.spkiSha256} whose TLSA record was published: nothing was issued.`,
    );
  ctx.log(`Issuing with the next key (${key.path}), whose TLSA record is published`);
  return pem;
}

/** Port 25 (STARTTLS, as senders see it) serves a certificate with this key. */
async function checkServedKey(ctx: ApplyContext, spki: string, deps: AcmeDeps): Promise<void> {
  let served = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const r = await probeSmtp({
        host: probeAddress(ctx),
        port: 25,
        mode: 'starttls',
        servername: ctx.host.mailHost,
        ca: deps.issuerRootPem,
        timeoutMs: 10_000,
        dial: probeOrigin(ctx)?.dial,
      });
      served = r.tls.certificate?.spkiSha256 ?? '';
      if (served === spki) break;
    } catch (e) {
      served = `error: ${(e as Error).message}`;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  if (served !== spki)
    throw new Error(`Port 25 serves the key ${served || 'none'}, not the next key ${spki}.`);
  ctx.log(`Port 25 serves the next key (${spki})`);
}

/** The actions for one host: [] when no acme config or the certificate is fine. */
export function planAcmeCertificate(
  ctx: PlanContext,
  deps: AcmeDeps = defaultDeps,
  options: AcmePlanOptions = {},
): Action[] {
  const { force } = options;
  const settings = acmeSettingsOf(ctx.host);
  if (!settings) return [];
  const host = ctx.host.mailHost;
  const path = `${certDir(host)}/fullchain.pem`;
  const current = {
    mailHost: host,
    cert: ctx.facts.chasquidState?.certs[host],
    currentHash: ctx.facts.confFiles?.[path],
    managedHash: ctx.facts.chasquidState?.managed[path],
    renewBeforeDays: settings.renewBeforeDays,
    now: ctx.now,
  };
  const reason = force ?? renewalReason(current);
  if (!reason) return [];
  const keep = keepsKey(current, options.newKey);
  const names = deps.names ?? [host];
  let issued: IssuedCertificate | undefined;
  return [
    {
      id: `acme-certificate:${host}`,
      kind: 'acme-certificate',
      title: `Get a certificate for ${names.join(', ')} from ${settings.directoryUrl} (${settings.challenge})`,
      reason,
      // The DNS provider's credential is checked before any action of the run changes anything.
      async prepare(actx) {
        if (settings.challenge === 'http-01' || !deps.dnsProviderFor) return;
        for (const name of names) await deps.dnsProviderFor(name, actx);
      },
      async apply(actx) {
        // acme-client is loaded only here: planning and the other actions never need it.
        const { issueCertificate } = await import('../../acme/issue.js');
        issued = await issueCertificate({
          directoryUrl: settings.directoryUrl,
          caCertificatePem: settings.caCertificatePem,
          secrets: actx.secrets,
          email: settings.email,
          names,
          responder: responderFor(settings, actx, deps),
          privateKeyPem: options.stagedKey
            ? await stagedKeyPem(actx, options.stagedKey)
            : await keyToKeep(actx, host, keep),
          signal: actx.signal,
          onProgress: actx.log,
        });
        await installCertificate(actx, host, issued);
        actx.requestRestart(`new certificate for ${host} (serial ${issued.serial})`);
      },
      verify: (actx) => verifyCertificate(actx, host),
    },
    {
      id: `acme-certificate-served:${host}`,
      kind: 'acme-certificate',
      title: `Check that ports 465 and 587 serve the new certificate for ${host}`,
      reason: 'chasquid must present the new certificate after its restart',
      async apply() {},
      async verify(actx) {
        if (!issued) throw new Error('No certificate was issued in this run.');
        await checkServed(actx, issued.serial, deps);
      },
    },
    ...(options.stagedKey
      ? [
          {
            id: `acme-certificate-key:${host}`,
            kind: 'acme-certificate' as const,
            title: `Check that port 25 serves the next key for ${host}`,
            reason: 'DANE senders compare the key on port 25 with the TLSA records',
            async apply() {},
            verify: (actx: ApplyContext) => checkServedKey(actx, options.stagedKey!.spkiSha256, deps),
          },
        ]
      : []),
  ];
}

/**
 * For `mailwright renew`: the ACME actions (issue, service restart, served check) when the
 * certificate is under `days` (default: the host's renewBeforeDays), nothing else of the plan.
 */
export function planRenewal(
  host: HostConfig,
  facts: Facts,
  opts: { days?: number; now?: Date; newKey?: boolean; stagedKey?: AcmePlanOptions['stagedKey'] } = {},
  deps: AcmeDeps = defaultDeps,
): Plan {
  const withDays =
    opts.days === undefined
      ? host
      : ({
          ...host,
          acme: { ...(host as { acme?: object }).acme, renewBeforeDays: opts.days },
        } as HostConfig);
  const ctx: PlanContext = { host: withDays, facts, now: opts.now ?? new Date() };
  const acme = planAcmeCertificate(
    ctx,
    deps,
    opts.stagedKey
      ? { stagedKey: opts.stagedKey, force: 'the DANE key rollover switches to the next key' }
      : opts.newKey
        ? { newKey: true, force: 'a new private key was asked for (key rollover)' }
        : {},
  );
  const [issue, ...checks] = acme;
  const actions = issue
    ? [issue, serviceAction('the new certificate needs chasquid restarted'), ...checks]
    : [];
  return { host: host.name, facts, actions, notes: [] };
}
