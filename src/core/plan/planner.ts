// Desired state + facts -> the ordered actions that make a mail server: network, packages,
// configuration, users, keys, certificate, services. An empty list means the server is already right.
import { ExpectedError } from '../errors';
import { decideChasquidPath, pinnedDebFor, SUPPORTED_SYSTEMS, type ChasquidPath } from '../chasquid';
import { mailFlowProblems, type HostConfig } from '../config';
import type { Facts } from '../facts';
import { planAcmeCertificate } from './actions/acme-certificate';
import { planBruteForce } from './actions/brute-force';
import { planCertificate } from './actions/certificate';
import { planConf } from './actions/conf';
import { planDkim } from './actions/dkim';
import { planDomains } from './actions/domains';
import { planHooks } from './actions/hooks';
import { chasquidSourceOf, planInstall } from './actions/install';
import { ipv6Notes, planIpv6 } from './actions/ipv6';
import { planLeftovers } from './actions/leftovers';
import { planDovecot, planMailboxStore } from './actions/mailboxes';
import { planReportStore, planReportStoreRemoval, reportStoreAliases } from './actions/reports';
import { planRenewalTimer } from './actions/renewal-timer';
import { planCheckTimer } from './actions/check-timer';
import { planBackupTimer } from './actions/backup-timer';
import { planService, serviceAction } from './actions/service';
import type { Action, ActionPlanner, Plan, PlanContext } from './types';

/** The order: the network first, then the packages, their configuration, and last the services. */
const PLANNERS: ActionPlanner[] = [
  planLeftovers,
  planIpv6,
  planInstall,
  planMailboxStore,
  planConf,
  // The report store's program exists before the aliases pipe to it, and goes after they stop.
  planReportStore,
  planDomains,
  planReportStoreRemoval,
  planDkim,
  planHooks,
  planCertificate,
  // Dovecot's configuration names the certificate; chasquid restarts once Dovecot's sockets exist.
  planDovecot,
  planService,
  // Blocking addresses that keep failing AUTH: fail2ban reads what the running chasquid logs.
  planBruteForce,
];

export class UnplannableError extends ExpectedError {
  override name = 'UnplannableError';
}

export function chasquidPathOf(facts: Facts): ChasquidPath | undefined {
  return facts.chasquid.version ? decideChasquidPath(facts.chasquid.version).path : undefined;
}

export function planHost(host: HostConfig, facts: Facts, now = new Date()): Plan {
  const flow = mailFlowProblems(host.domains);
  const refused = flow.filter((p) => p.kind !== 'rejected');
  if (refused.length > 0) {
    throw new UnplannableError(
      `${host.name}: mail would be lost or fail, so nothing is changed:\n` +
        refused.map((p) => `  - ${p.message}.\n    Fix: ${p.fix}.`).join('\n'),
    );
  }
  if (facts.system.state !== 'ready') {
    throw new UnplannableError(facts.system.reason ?? `The server is not ready (${facts.system.state}).`);
  }
  if (facts.sudo === 'none') {
    throw new UnplannableError(
      `${facts.login.user} cannot become root on ${host.name}: log in as root or a sudo user.`,
    );
  }
  if (!facts.confFiles && facts.sudo === 'password') {
    throw new UnplannableError(
      `${facts.login.user} needs a sudo password on ${host.name} to read chasquid's configuration: store it first (the CLI reads MAILWRIGHT_SUDO_PASSWORD).`,
    );
  }
  if (!facts.os.supported) {
    throw new UnplannableError(
      `${host.name} runs ${facts.os.prettyName}, which Mailwright does not provision: nothing is changed. ` +
        `Fix: reinstall the server with ${SUPPORTED_SYSTEMS}.`,
    );
  }
  const source = chasquidSourceOf(host, facts);
  if (source.kind === 'refused') {
    throw new UnplannableError(`${host.name}: nothing is changed. ${source.message}`);
  }
  // A chasquid about to be installed or upgraded decides its path once it is there.
  const installing = source.kind !== 'keep';
  const ctx: PlanContext = { host, facts, chasquidPath: installing ? undefined : chasquidPathOf(facts), now };
  const notes: string[] = [
    ...ipv6Notes(facts),
    ...flow.map((p) => `${p.message[0]!.toUpperCase()}${p.message.slice(1)}. Fix: ${p.fix}.`),
    ...host.domains.flatMap((d) => reportStoreAliases(d, (t) => t).notes.map((n) => `${n}.`)),
  ];
  if (ctx.chasquidPath) {
    const decision = decideChasquidPath(facts.chasquid.version!);
    if (decision.path === 'unsupported') {
      throw new UnplannableError(
        `${host.name}: nothing is changed. ${decision.explanation}` +
          (pinnedDebFor(facts.packageArch)
            ? ' Or set chasquid: debian to install the pinned Debian 13 package.'
            : ''),
      );
    }
    notes.push(decision.explanation, ...decision.warnings);
    if (decision.path === 'legacy' && pinnedDebFor(facts.packageArch)) {
      notes.push(
        "chasquid: debian would install the pinned Debian 13 package, which signs DKIM itself, with the post-data hook's RSA key under the same selector (the published record stays valid).",
      );
    }
  }
  if (
    source.kind === 'pinned' &&
    source.upgradeFrom &&
    decideChasquidPath(source.upgradeFrom).path === 'legacy'
  ) {
    notes.push(
      "After the upgrade chasquid signs DKIM itself: the post-data hook's RSA key moves to domains/<domain>/dkim:<selector>.pem under the same selector, so its published record stays valid, and the hook's selector and key files are removed (kept in the backups) so that each message is signed once. " +
        'Keys the hook could not use (Ed25519) are new: publish their records (mailwright dns check shows them).',
    );
  }
  const actions = PLANNERS.flatMap((p) => p(ctx));
  // Unattended renewal last: it renews what the steps before put in place.
  const renewal = planRenewalTimer(ctx);
  // The server's own checks after everything they check is in place.
  const checks = planCheckTimer(ctx, renewal.actions);
  // Scheduled backups last: they take what everything before put in place.
  const backups = planBackupTimer(ctx, [...renewal.actions, ...checks.actions]);
  return {
    host: host.name,
    facts,
    actions: [
      ...withAcme(actions, planAcmeCertificate(ctx)),
      ...renewal.actions,
      ...checks.actions,
      ...backups.actions,
    ],
    notes: [...notes, ...renewal.notes, ...checks.notes, ...backups.notes],
  };
}

/** ACME after the bootstrap certificate: issue before the service (re)start, check what it serves after. */
export function withAcme(actions: Action[], acme: Action[]): Action[] {
  if (acme.length === 0) return actions;
  const [issue, ...checks] = acme;
  const at = actions.findIndex((a) => a.kind === 'service');
  const before = at < 0 ? actions : actions.slice(0, at);
  const service = at < 0 ? serviceAction('the new certificate needs chasquid restarted') : actions[at]!;
  return [...before, issue!, service, ...checks, ...(at < 0 ? [] : actions.slice(at + 1))];
}
