// Unattended certificate renewal on the server (acme.renewOn: server): a systemd timer runs the
// renewal program (dist/server/renew.js, the same core as `mailwright renew`, bundled for the
// distribution's Node.js) twice a day. Its files are managed like every other file: atomic
// writes, the previous version kept, hand edits shown as drift. A DNS-01 credential goes to the
// server only with the user's explicit consent, root-only, outside /etc/chasquid.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  RENEW_CA_PATH,
  RENEW_DNS_CREDENTIAL_PATH,
  RENEW_PROGRAM_PATH,
  RENEW_SECRET_DIR,
  RENEW_SERVICE_PATH,
  RENEW_SETTINGS_PATH,
  RENEW_TIMER_PATH,
  RENEW_UNIT,
} from '../../acme/server-paths';
import { domainOfName, type HostConfig } from '../../config';
import { secretKeys, shellCommand } from '../../remote';
import type { Action, PlanContext } from '../types';
import { acmeSettingsOf } from './acme-certificate';
import { aptInstall, aptUpdate } from './install';
import { enableTimerAction, programFiles, stopTimerAction, storeSecretAction } from './timer-program';

/** acme-client 5.4 declares Node.js >= 16; the renewal is tested on 18.19 and 20.19. */
export const MIN_NODE_MAJOR = 18;

const majorOf = (version: string | undefined) => Number(/^(?:\d+:)?(\d+)\./.exec(version ?? '')?.[1] ?? NaN);

/**
 * Where a built server program (dist/server/<file>) is: beside the CLI (dist/), or one folder up
 * (dist/features/); `override`, an environment variable's value, wins (tests).
 */
export function serverProgramFile(file: string, override: string | undefined): string | undefined {
  const candidates = [
    override,
    join(__dirname, 'server', file),
    join(__dirname, '..', 'server', file),
    join(__dirname, '..', '..', '..', '..', 'dist', 'server', file), // running from src/ (tests)
  ];
  return candidates.find((f): f is string => !!f && existsSync(f));
}

/** Where the built renewal program is. */
export function renewalProgramFile(): string | undefined {
  return serverProgramFile('renew.js', process.env.MAILWRIGHT_RENEW_PROGRAM);
}

export const RENEW_SERVICE = `[Unit]
Description=Mailwright: renew the mail host's TLS certificate when it is due
Wants=network-online.target
After=network-online.target
ConditionPathExists=${RENEW_SETTINGS_PATH}

[Service]
Type=oneshot
ExecStart=/usr/bin/node ${RENEW_PROGRAM_PATH} ${RENEW_SETTINGS_PATH}
TimeoutStartSec=20min
`;

// Twice a day, at a random moment in each half (Let's Encrypt asks clients not to renew on the hour);
// a run missed while the server was off happens at boot.
export const RENEW_TIMER = `[Unit]
Description=Mailwright: check twice a day whether the TLS certificate is due for renewal

[Timer]
OnCalendar=*-*-* 00,12:00:00
RandomizedDelaySec=12h
Persistent=true

[Install]
WantedBy=timers.target
`;

/** The host as the renewal program needs it: no SSH details, the CA root at its server path. */
export function renewalSettings(host: HostConfig): string {
  const acme = host.acme!;
  const server: HostConfig = {
    name: host.name,
    // Not an address: the service check then probes the server's own public IPv4, as clients do.
    ssh: { user: 'root', host: 'localhost', port: 22 },
    auth: 'key',
    mailHost: host.mailHost,
    domains: host.domains,
    acme: { ...acme, ...(acme.caCertificate && { caCertificate: RENEW_CA_PATH }) },
  };
  return JSON.stringify({ host: server }, null, 2) + '\n';
}

/** When a program of Mailwright's cannot run from a timer on this server (Node.js, systemd), why; else undefined. */
export function serverProgramBlocked(ctx: PlanContext, what: string): string | undefined {
  const r = ctx.facts.renewal;
  if (!r) return "the facts do not show the server's Node.js";
  if (!ctx.facts.systemd) return 'the server does not run systemd, so it has no timers';
  const version = r.node ?? r.nodeCandidate;
  if (version !== undefined && majorOf(version) < MIN_NODE_MAJOR) {
    return `its Node.js is ${version} (${r.node ? 'installed' : 'offered by apt'}), and ${what} needs ${MIN_NODE_MAJOR} or newer`;
  }
  if (!r.node && !ctx.facts.hasApt) return 'Node.js is not installed and the server has no apt';
  return undefined;
}

/** When renewal cannot run on this server, why (a plan note); else undefined. */
export function serverRenewalBlocked(ctx: PlanContext): string | undefined {
  const blocked = serverProgramBlocked(ctx, 'the renewal');
  if (blocked) return blocked;
  const acme = ctx.host.acme;
  if (
    acme?.challenge === 'dns-01' &&
    domainOfName(ctx.host.mailHost, ctx.host.domains)?.dns?.provider === 'manual'
  )
    return 'its DNS provider is manual, so each renewal needs you to change DNS by hand';
  return undefined;
}

/**
 * The opening a sibling program's plan shares (the server checks', the scheduled backups'): a
 * note instead of any action when the server cannot run it or this installation lacks its built
 * program; else Node.js when no action before installs it, and the writer of the program's files
 * (their hashes from the facts' `timerFiles`).
 */
export function startServerProgram(
  ctx: PlanContext,
  planned: readonly Action[],
  spec: {
    prefix: string;
    kind: Action['kind'];
    /** What the program does, as "the server checks". */
    runs: string;
    /** The built program's path on this machine, when the installation has it. */
    program: string | undefined;
    /** Why the key that asks for it is there, as "monitor: is set". */
    because: string;
    /** The fix when the server cannot run it. */
    otherwise: string;
    blockedNote: (blocked: string) => string;
    missingNote: string;
    timerFiles: Record<string, string> | undefined;
  },
): { notes: string[] } | { program: string; actions: Action[]; file: ReturnType<typeof programFiles> } {
  const blocked = serverProgramBlocked(ctx, spec.runs);
  if (blocked) return { notes: [spec.blockedNote(blocked)] };
  if (!spec.program) return { notes: [spec.missingNote] };
  const fileCtx: PlanContext = {
    ...ctx,
    facts: { ...ctx.facts, confFiles: { ...ctx.facts.confFiles, ...spec.timerFiles } },
  };
  const actions: Action[] = [];
  if (!ctx.facts.renewal?.node && !planned.some((a) => a.id.endsWith(':nodejs')))
    actions.push(
      installNode(ctx, {
        id: `${spec.prefix}:nodejs`,
        kind: spec.kind,
        runs: spec.runs,
        because: spec.because,
        otherwise: spec.otherwise,
      }),
    );
  return { program: spec.program, actions, file: programFiles(fileCtx, spec.prefix, spec.kind, actions) };
}

/** Installs the distribution's Node.js for a program of Mailwright's that runs from a timer. */
export function installNode(
  ctx: PlanContext,
  use: { id: string; kind: Action['kind']; runs: string; because: string; otherwise: string } = {
    id: 'renewal:nodejs',
    kind: 'renewal-timer',
    runs: 'the certificate renewal',
    because: 'acme.renewOn is server',
    otherwise: 'Set acme.renewOn: client to renew from your machine.',
  },
): Action {
  return {
    id: use.id,
    kind: use.kind,
    title: `Install Node.js from the distribution (runs ${use.runs})`,
    reason: `${use.because}, and Node.js is not installed (apt offers ${ctx.facts.renewal?.nodeCandidate ?? 'a version'})`,
    refreshesFacts: true,
    async apply(actx) {
      await aptUpdate(actx);
      await aptInstall(actx, ['nodejs']);
    },
    async verify(actx) {
      const r = await actx.run(shellCommand(['node', '--version']), { check: false });
      const version = r.stdout.trim().replace(/^v/, '');
      if (r.exitCode !== 0 || !(majorOf(version) >= MIN_NODE_MAJOR)) {
        throw new Error(
          `Node.js ${version || 'is missing'} after installing it; ${use.runs} needs ${MIN_NODE_MAJOR} or newer. ${use.otherwise}`,
        );
      }
    },
  };
}

function storeCredential(ctx: PlanContext, domain: string, provider: string): Action {
  return storeSecretAction({
    id: 'renewal:dns-credential',
    kind: 'renewal-timer',
    title: `Store the ${provider} DNS credential of ${domain} on the server, in ${RENEW_DNS_CREDENTIAL_PATH} (root only, 0600), for unattended renewal`,
    reason: `acme.renewOn is server with dns-01: the server itself must publish the challenge records`,
    consent:
      `Store the DNS credential of ${domain} (${provider}) on ${ctx.host.name}, readable by root only? ` +
      (provider === 'cloudflare'
        ? 'Use an API token limited to Zone.DNS:Edit of this one zone.'
        : provider === 'rfc2136'
          ? 'Use a TSIG key allowed to update only the _acme-challenge names.'
          : 'Use the narrowest key your provider offers.'),
    dir: RENEW_SECRET_DIR,
    path: RENEW_DNS_CREDENTIAL_PATH,
    async content(actx) {
      const key = secretKeys.dnsSecret(domain);
      const secret = await actx.secrets.get(key);
      if (!secret) {
        throw new Error(
          `No DNS credential for ${domain} is stored here to copy to the server. Store it first ("Set DNS Credentials" in the editor; for the CLI, the environment variable of ${domain}).`,
        );
      }
      return JSON.stringify({ [key]: secret }) + '\n';
    },
  });
}

/** acme.renewOn: client after server: the timer goes, and so does the stored credential. */
function stopServerRenewal(ctx: PlanContext): Action[] {
  const stop = stopTimerAction(ctx, {
    id: 'renewal:stop',
    kind: 'renewal-timer',
    unit: RENEW_UNIT,
    timer: ctx.facts.renewal,
    stopTimer: true,
    secretPath: RENEW_DNS_CREDENTIAL_PATH,
    title: ({ secret }) =>
      `Stop renewing the certificate on the server${secret ? ' and delete the DNS credential stored there' : ''}`,
    reason: 'acme.renewOn is client (or acme: was removed): renewal runs from your machine',
  });
  return stop ? [stop] : [];
}

export interface RenewalTimerPlan {
  actions: Action[];
  notes: string[];
}

export function planRenewalTimer(ctx: PlanContext): RenewalTimerPlan {
  const acme = ctx.host.acme;
  if (!acme || acme.renewOn !== 'server') {
    return {
      actions: stopServerRenewal(ctx),
      notes: acme
        ? [
            `The certificate of ${ctx.host.mailHost} renews only when \`mailwright renew\` runs or the editor is open. Set acme.renewOn: server to renew on the server, unattended.`,
          ]
        : [],
    };
  }
  const blocked = serverRenewalBlocked(ctx);
  if (blocked) {
    return {
      actions: [],
      notes: [
        `The certificate cannot renew on ${ctx.host.name}: ${blocked}. It renews from your machine instead (\`mailwright renew\` from cron, or the editor); set acme.renewOn: client to silence this note.`,
      ],
    };
  }
  const program = renewalProgramFile();
  if (!program) {
    return {
      actions: [],
      notes: [
        'The renewal program (dist/server/renew.js) is missing from this installation: run `npm run build`.',
      ],
    };
  }
  const renewal = ctx.facts.renewal!;
  // The renewal files' hashes come from their own facts section, not /etc/chasquid's.
  const fileCtx: PlanContext = {
    ...ctx,
    facts: { ...ctx.facts, confFiles: { ...ctx.facts.confFiles, ...renewal.files } },
  };
  const settings = acmeSettingsOf(ctx.host);
  const actions: Action[] = [];
  if (!renewal.node) actions.push(installNode(ctx));
  const file = programFiles(fileCtx, 'renewal', 'renewal-timer', actions);
  file(
    'program',
    RENEW_PROGRAM_PATH,
    `Install the renewal program (${RENEW_PROGRAM_PATH})`,
    readFileSync(program, 'utf8'),
    'the renewal timer runs it; it is the ACME code of this Mailwright version',
    '/usr/local/lib/mailwright',
  );
  file(
    'settings',
    RENEW_SETTINGS_PATH,
    `Write the renewal settings (${RENEW_SETTINGS_PATH}; no secrets)`,
    renewalSettings(ctx.host),
    'the renewal program reads the mail host, its domains and the acme settings from it',
    '/etc/mailwright',
  );
  if (settings?.caCertificatePem) {
    file(
      'ca',
      RENEW_CA_PATH,
      `Install the root of the private ACME CA (${RENEW_CA_PATH})`,
      settings.caCertificatePem,
      'acme.caCertificate names a private CA: the server must trust it too',
      '/etc/mailwright',
    );
  }
  file(
    'service',
    RENEW_SERVICE_PATH,
    `Install ${RENEW_UNIT}.service`,
    RENEW_SERVICE,
    'it runs the renewal program',
  );
  file(
    'timer',
    RENEW_TIMER_PATH,
    `Install ${RENEW_UNIT}.timer (twice a day, randomised, catches up after downtime)`,
    RENEW_TIMER,
    'it starts the renewal',
  );
  if (acme.challenge === 'dns-01') {
    const domain = domainOfName(ctx.host.mailHost, ctx.host.domains);
    const managed = ctx.facts.chasquidState?.managed ?? {};
    if (domain?.dns && domain.dns.provider !== 'manual' && !(RENEW_DNS_CREDENTIAL_PATH in managed)) {
      actions.push(storeCredential(ctx, domain.name, domain.dns.provider));
    }
  }
  const enable = enableTimerAction({
    id: 'renewal:enable',
    kind: 'renewal-timer',
    unit: RENEW_UNIT,
    timer: renewal,
    changed: actions.length > 0,
  });
  if (enable) actions.push(enable);
  return { actions, notes: [] };
}
