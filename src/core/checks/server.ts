// The server checks, judged once from what was gathered: the certificate, the DNS report of each
// domain (the same report `mailwright dns check` prints), chasquid and Dovecot running and
// listening, and the space where mail is kept. `mailwright check`, the editor's Check Now and
// the server's own timer (src/server/check.ts) all call these; none has a copy of its own.
import { certificateName, daysLeft } from '../acme/renewal';
import { acmeSettings, type HostConfig } from '../config';
import type { Facts, StorageFacts } from '../facts';
import { listeningPorts } from '../facts/parse';
import { findingType } from '../dns/finding-type';
import type { DnsReport, Finding } from '../dns/model';
import { IMAPS_PORT, MAIL_PORT_NUMBERS } from '../ports';
import { oldestAge, olderThan, type QueueListing } from '../queue/items';
import { worstStatus, type Check, type CheckStatus } from './index';
import { archivesOf } from '../backup/archive-names';
import { BACKUP_UNIT } from '../backup/server-paths';
import { backupEverySeconds } from '../config/validate-backups';

/** Below this many days a certificate is a failure: renewal has not happened and clients will soon refuse TLS. */
export const CERT_FAIL_DAYS = 7;
/** Below these shares free (space or inodes) a folder is a warning, then a failure. */
export const STORAGE_WARN_FREE = 0.15;
export const STORAGE_FAIL_FREE = 0.05;

export interface ServerCheckReport {
  host: string;
  mailHost: string;
  checkedAt: string;
  durationMs: number;
  /** Where the checks ran: from this machine over SSH, or on the server from its timer. */
  ranOn: 'client' | 'server';
  checks: Check[];
}

/** Exit codes of `mailwright check`: every check passed, one failed, or only warnings. */
export const CHECK_EXIT = { ok: 0, failed: 1, warnings: 2 } as const;

export function checkExitCode(checks: readonly Check[]): number {
  const worst = worstStatus(checks);
  return worst === 'fail' ? CHECK_EXIT.failed : worst === 'warn' ? CHECK_EXIT.warnings : CHECK_EXIT.ok;
}

/** Whether a host keeps mailboxes (Dovecot runs, /var/mail holds mail). */
function hasMailboxes(host: HostConfig): boolean {
  return host.domains.some((d) => d.mailboxes);
}

/** The certificate of the mail host: days left and the name it is for. */
export function certificateChecks(host: HostConfig, facts: Facts, now: Date): Check[] {
  const id = 'certificate';
  const title = `TLS certificate of ${host.mailHost}`;
  const cert = facts.chasquidState?.certs[host.mailHost];
  if (!facts.chasquidState) {
    return [
      {
        id,
        title,
        status: 'skip',
        evidence: ['The certificate could not be read: the login has no root access.'],
      },
    ];
  }
  if (!cert?.notAfter) {
    return [
      {
        id,
        title,
        status: 'fail',
        evidence: [`chasquid has no certificate under certs/${host.mailHost}.`],
        fix: 'Provision the server (mailwright apply) to install a certificate for the mail host.',
      },
    ];
  }
  const days = daysLeft(cert.notAfter, now);
  const name = certificateName(cert);
  const evidence = [
    `${days} days left (valid until ${cert.notAfter})`,
    `for ${name ?? 'no name'}${cert.selfSigned ? ', self-signed' : ''}`,
  ];
  const renewBefore = acmeSettings(host).renewBeforeDays;
  let status: CheckStatus = 'pass';
  let fix: string | undefined;
  if (name && name !== host.mailHost) {
    status = 'fail';
    fix = `The certificate is for ${name}, not ${host.mailHost}: run mailwright renew (or apply) to get one for the mail host.`;
  } else if (days < CERT_FAIL_DAYS) {
    status = 'fail';
    fix =
      days < 0
        ? 'The certificate has expired and clients refuse TLS: run mailwright renew now.'
        : `The certificate expires in ${days} days: run mailwright renew now, and look at journalctl -u mailwright-renew if the server renews it.`;
  } else if (cert.selfSigned) {
    status = 'warn';
    fix = "The certificate is self-signed: run mailwright apply to get a trusted one (Let's Encrypt).";
  } else if (days < renewBefore) {
    status = 'warn';
    fix = `The certificate should have been renewed ${renewBefore} days before it expires: run mailwright renew.`;
  }
  return [{ id, title, status, evidence, ...(fix && { fix }) }];
}

/** chasquid (and Dovecot with mailboxes) running and listening on their ports. */
export function serviceChecks(host: HostConfig, facts: Facts): Check[] {
  const ports = listeningPorts(facts);
  const service = (
    id: string,
    name: string,
    active: string | undefined,
    wanted: readonly number[],
    unit: string,
  ): Check => {
    const missing = wanted.filter((p) => !ports.includes(p));
    const evidence = [
      `${unit}: ${active ?? 'not installed'}`,
      `listening on ${wanted.filter((p) => ports.includes(p)).join(', ') || 'none'} of ${wanted.join(', ')}`,
    ];
    if (active !== 'active')
      return {
        id,
        title: `${name} running`,
        status: 'fail',
        evidence,
        fix: `${name} is ${active ?? 'not installed'}: see journalctl -u ${unit}, fix the cause, then systemctl restart ${unit} (or mailwright apply).`,
      };
    if (missing.length > 0)
      return {
        id,
        title: `${name} running`,
        status: 'fail',
        evidence,
        fix: `${name} runs but nothing listens on port ${missing.join(', ')}: check its configuration with mailwright plan, then restart it.`,
      };
    return { id, title: `${name} running`, status: 'pass', evidence };
  };
  const checks = [
    service('service:chasquid', 'chasquid', facts.chasquid.active, MAIL_PORT_NUMBERS, 'chasquid'),
  ];
  if (hasMailboxes(host))
    checks.push(service('service:dovecot', 'Dovecot', facts.dovecot.active, [IMAPS_PORT], 'dovecot'));
  return checks;
}

const share = (free: number, total: number) => (total > 0 ? free / total : 1);
const mib = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;

/** Space and inodes of chasquid's data and queue folder, and of the mailboxes when a domain keeps mail. */
export function storageChecks(host: HostConfig, facts: Facts): Check[] {
  const wanted = ['/var/lib/chasquid', ...(hasMailboxes(host) ? ['/var/mail'] : [])];
  return wanted.map((path): Check => {
    const id = `storage:${path}`;
    const title = `Free space in ${path}`;
    const s: StorageFacts | undefined = facts.storage?.find((x) => x.path === path);
    if (!s)
      return {
        id,
        title,
        status: facts.storage ? 'fail' : 'skip',
        evidence: [facts.storage ? `${path} does not exist.` : 'The server did not tell its free space.'],
        ...(facts.storage && { fix: `${path} is missing: run mailwright apply to set the server up again.` }),
      };
    const space = share(s.freeBytes, s.totalBytes);
    const inodes = share(s.inodesFree, s.inodesTotal);
    const least = Math.min(space, inodes);
    const evidence = [
      `${mib(s.freeBytes)} free of ${mib(s.totalBytes)} (${Math.round(space * 100)}%) on ${s.mount}`,
      s.inodesTotal > 0
        ? `${s.inodesFree} inodes free of ${s.inodesTotal} (${Math.round(inodes * 100)}%)`
        : 'the file system does not count inodes',
    ];
    const what = inodes < space ? 'inodes (too many small files)' : 'space';
    const status: CheckStatus =
      least < STORAGE_FAIL_FREE ? 'fail' : least < STORAGE_WARN_FREE ? 'warn' : 'pass';
    return {
      id,
      title,
      status,
      evidence,
      ...(status !== 'pass' && {
        fix: `${s.mount} is running out of ${what}: free some (old mail, logs, apt caches with apt-get clean) or grow the disk before mail is refused.`,
      }),
    };
  });
}

/** One check per DNS finding (records and blocklists), from the report `mailwright dns check` prints. */
export function dnsChecks(report: DnsReport): Check[] {
  return report.findings.map((f: Finding): Check => {
    const status: CheckStatus =
      f.status === 'ok'
        ? 'pass'
        : f.severity === 'error'
          ? 'fail'
          : f.severity === 'warning'
            ? 'warn'
            : 'pass';
    const evidence = [
      f.found.length > 0 ? `found: ${f.found.join(' | ')}` : 'found: (none)',
      ...(f.expected !== undefined && f.status !== 'ok' ? [`expected: ${f.expected}`] : []),
    ];
    return {
      id: `dns:${report.domain}:${f.id}`,
      title: `${findingType(f)} ${f.name}`,
      status,
      evidence,
      ...(status !== 'pass' && f.fix && { fix: f.fix }),
    };
  });
}

/** A DNS check that could not run at all (no answer, an error): one failing row for the domain. */
export function dnsUnavailableCheck(domain: string, message: string): Check {
  return {
    id: `dns:${domain}`,
    title: `DNS of ${domain}`,
    status: 'fail',
    evidence: [message],
    fix: `The records of ${domain} could not be checked: make sure the server's resolver answers, then check again.`,
  };
}

/** A message waiting longer than this is worth a look: chasquid retried it several times. */
export const QUEUE_WARN_SECONDS = 60 * 60;
/** chasquid gives up (and bounces) after 20 hours: past this, the message is likely lost. */
export const QUEUE_FAIL_SECONDS = 8 * 60 * 60;

/**
 * The age of the oldest message in chasquid's queue (from the queue listing, read beside the
 * facts); a listing that could not be read is said so rather than taken for an empty queue.
 */
export function queueChecks(queue: QueueListing | Error | undefined): Check[] {
  const id = 'queue:age';
  const title = "Messages waiting in chasquid's queue";
  if (queue === undefined) return [];
  if (queue instanceof Error)
    return [
      {
        id,
        title,
        status: 'warn',
        evidence: [`The queue could not be read: ${queue.message}`],
        fix: 'Run mailwright queue to see the error in full.',
      },
    ];
  const oldest = oldestAge(queue.items);
  if (oldest === undefined) return [{ id, title, status: 'pass', evidence: ['The queue is empty.'] }];
  const late = olderThan(queue.items, QUEUE_WARN_SECONDS);
  const status: CheckStatus = oldest > QUEUE_FAIL_SECONDS ? 'fail' : late.length > 0 ? 'warn' : 'pass';
  const first = late[0];
  const evidence = [
    `${queue.items.length} message(s) queued; the oldest for ${hours(oldest)}.`,
    ...(first?.lastError ? [`Last error of the oldest: ${first.lastError}`] : []),
  ];
  return [
    {
      id,
      title,
      status,
      evidence,
      ...(status !== 'pass' && {
        fix: `${late.length} message(s) waited more than ${hours(QUEUE_WARN_SECONDS)}: see why with mailwright queue (the last error names the receiving server's answer); chasquid gives up after 20 hours.`,
      }),
    },
  ];
}

function hours(seconds: number): string {
  return seconds < 3600 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;
}

/**
 * The scheduled backups (backups.schedule): the last run failed → fail; the newest archive older
 * than two periods → warning (the timer stopped, or runs fail); none yet → skip.
 */
export function backupChecks(host: HostConfig, facts: Facts): Check[] {
  const schedule = host.backups?.schedule;
  if (!schedule) return [];
  const id = 'backup:schedule';
  const title = `Scheduled backups in ${schedule.dir}`;
  const every = backupEverySeconds(schedule);
  const logs = `journalctl -u ${BACKUP_UNIT} on the server says why`;
  const result = facts.backupTimer?.serviceResult;
  const listing = facts.backupArchives;
  const archives = listing?.dir === schedule.dir ? listing : undefined;
  const names = archivesOf(host.name, archives?.files.map((f) => f.name) ?? []);
  const newest = archives?.files.find((f) => f.name === names[names.length - 1]);
  const age = newest && archives ? Math.max(0, archives.now - newest.mtime) : undefined;
  const newestLine =
    newest && `newest: ${newest.name}, ${hours(age!)} old; ${names.length} kept (keep ${schedule.keep})`;
  if (result && result !== 'success')
    return [
      {
        id,
        title,
        status: 'fail',
        evidence: [
          `The last run of ${BACKUP_UNIT}.service failed (${result}).`,
          ...(newestLine ? [newestLine] : []),
        ],
        fix: `${logs}; the earlier archives are kept. Fix it, then systemctl start ${BACKUP_UNIT}.service to try again.`,
      },
    ];
  if (!archives || !newest)
    return [
      {
        id,
        title,
        status: 'skip',
        evidence: [
          archives
            ? `No archive in ${schedule.dir} yet: the first is written when the timer first fires.`
            : 'The archives could not be listed (no root access, or the schedule is not installed: run mailwright apply).',
        ],
      },
    ];
  const late = age! > 2 * every;
  return [
    {
      id,
      title,
      status: late ? 'warn' : 'pass',
      evidence: [newestLine!, `every ${schedule.every}`],
      ...(late && {
        fix: `No archive for more than two periods: systemctl status ${BACKUP_UNIT}.timer shows whether it runs, and ${logs}.`,
      }),
    },
  ];
}

/** Every check that needs only the facts, in the order they are shown. */
export function factChecks(host: HostConfig, facts: Facts, now: Date): Check[] {
  return [
    ...serviceChecks(host, facts),
    ...certificateChecks(host, facts, now),
    ...storageChecks(host, facts),
    ...backupChecks(host, facts),
  ];
}
