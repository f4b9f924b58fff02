// Restoring a backup onto a server (a new one, or the same one): the plan installs what the
// files need (chasquid, and Dovecot for mailboxes), then writes the backup's files through the
// run's journal (atomic, the previous version kept, put back on failure), skipping those the
// server already has as they are. A normal provision afterwards converges the rest.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { ChasquidUsers } from '../chasquid/users';
import { CHASQUID_DIR } from '../chasquid/paths';
import type { HostConfig } from '../config';
import { ExpectedError } from '../errors';
import type { Facts } from '../facts';
import { MAIL_STORE_USER, MAILBOX_USERS_PATH } from '../dovecot/conf';
import { MailboxUsers } from '../dovecot/users';
import { legacyKeyPath, LEGACY_SELECTOR_FILE, nativeSelectorsIn } from '../dkim/layout';
import { dnsChangesOnMove, type MovedRecord } from '../dns/move';
import { shellScript } from '../remote';
import { planInstall } from '../plan/actions/install';
import { planMailboxStore } from '../plan/actions/mailboxes';
import { planLines } from '../plan/format';
import { chasquidPathOf, planHost } from '../plan/planner';
import type { Action, ApplyContext, Plan, PlanContext } from '../plan/types';
import { BACKUP_MAIL_PATH, backupMismatch } from './manifest';
import type { BackupFile, OpenedBackup } from './open';

export class RestoreRefusedError extends ExpectedError {
  override name = 'RestoreRefusedError';
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** What the backup holds, in the words the plan uses. */
export interface BackupSummary {
  /** Per domain: the DKIM selectors whose keys come back (native files, or the legacy hook's). */
  dkim: { domain: string; selectors: string[] }[];
  users: string[];
  certificates: string[];
}

export function summarizeBackup(backup: OpenedBackup): BackupSummary {
  const byPath = new Map(backup.files.map((f) => [f.path, f]));
  const dkim: BackupSummary['dkim'] = [];
  const users: string[] = [];
  for (const domain of backup.manifest.host.domains) {
    const dir = `${CHASQUID_DIR}/domains/${domain}`;
    const names = backup.files
      .filter((f) => posix.dirname(f.path) === dir)
      .map((f) => posix.basename(f.path));
    const selectors = nativeSelectorsIn(names);
    const legacy = byPath.get(`${dir}/${LEGACY_SELECTOR_FILE}`);
    if (legacy && byPath.has(legacyKeyPath(domain))) {
      const selector = legacy.content.toString('utf8').trim();
      if (selector && !selectors.includes(selector)) selectors.push(selector);
    }
    if (selectors.length) dkim.push({ domain, selectors });
    const usersFile = byPath.get(`${dir}/users`);
    if (usersFile)
      users.push(
        ...ChasquidUsers.parse(usersFile.content)
          .names()
          .map((u) => `${u}@${domain}`),
      );
  }
  const mailboxUsers = byPath.get(MAILBOX_USERS_PATH);
  if (mailboxUsers) for (const login of MailboxUsers.parse(mailboxUsers.content).logins()) users.push(login);
  const certificates = backup.files
    .filter((f) => /^\/etc\/chasquid\/certs\/[^/]+\/fullchain\.pem$/.test(f.path))
    .map((f) => posix.basename(posix.dirname(f.path)));
  return { dkim, users: [...new Set(users)].sort(), certificates };
}

/** The backup's files that the server does not have as they are (all of them when its hashes are unknown). */
export function filesToWrite(backup: OpenedBackup, facts: Facts): BackupFile[] {
  const known = facts.confFiles;
  return backup.files.filter((f) => {
    if (f.type !== 'file') return false;
    if (!known || !f.path.startsWith(`${CHASQUID_DIR}/`)) return true;
    return known[f.path] !== f.sha256;
  });
}

// Each argument triple: folder, mode, owner:group. Made when missing; an existing one is left as it is.
const FOLDERS_SCRIPT = `while [ $# -ge 3 ]; do
  [ -d "$1" ] || install -d -m "$2" -o "\${3%%:*}" -g "\${3#*:}" -- "$1" || exit 1
  shift 3
done`;

// Each argument pair: file, sha256. Prints the files whose content differs.
const VERIFY_SCRIPT = `bad=0
while [ $# -ge 2 ]; do
  got=$(sha256sum -- "$1" 2>/dev/null | cut -d' ' -f1)
  [ "$got" = "$2" ] || { echo "$1 does not hold the backup's content" >&2; bad=1; }
  shift 2
done
exit $bad`;

function restoreFilesAction(backup: OpenedBackup, write: BackupFile[]): Action {
  const m = backup.manifest;
  const reason = `the backup of ${m.host.name} (${m.host.mailHost}) made ${m.createdAt}: ${write.length} of its ${backup.files.filter((f) => f.type === 'file').length} files differ here or are missing`;
  return {
    id: 'restore:files',
    kind: 'restore',
    title: `Restore ${write.length} file(s) from the backup: ${write.map((f) => f.path).join(', ')}`,
    reason,
    async apply(ctx: ApplyContext) {
      const folders = backup.files.filter((f) => f.type === 'directory');
      const needed = new Set(write.map((f) => posix.dirname(f.path)));
      const args = folders
        .filter((d) => [...needed].some((n) => n === d.path || n.startsWith(`${d.path}/`)))
        .flatMap((d) => [d.path, d.mode, d.owner]);
      if (args.length) await ctx.run(shellScript(FOLDERS_SCRIPT, args));
      for (const f of write) {
        ctx.log(`${f.path} (${f.owner} ${f.mode})`);
        await ctx.files.write(f.path, f.content, { owner: f.owner, mode: f.mode, signal: ctx.signal });
      }
      // chasquid reads keys, certificates and its configuration when it starts.
      ctx.requestRestart('files restored from a backup');
    },
    async verify(ctx: ApplyContext) {
      await ctx.run(
        shellScript(
          VERIFY_SCRIPT,
          write.flatMap((f) => [f.path, sha256(f.content)]),
        ),
      );
    },
  };
}

// The mail store's tar on stdin; messages already there are kept. Then owned by the mail user.
const MAIL_SCRIPT = `cd / || exit 1
tar -x -f - --skip-old-files || exit 1
chown -R "$1:$1" "$2"`;

function restoreMailAction(backup: OpenedBackup): Action {
  const { files, bytes } = backup.mail;
  return {
    id: 'restore:mail',
    kind: 'restore',
    title: `Restore the mail of the backup: ${files} file(s), ${bytes} bytes, into ${BACKUP_MAIL_PATH}`,
    reason: 'the backup was made with --with-mail; messages already on the server are kept as they are',
    async apply(ctx: ApplyContext) {
      const source = await backup.readMail();
      await ctx.run(shellScript(MAIL_SCRIPT, [MAIL_STORE_USER, BACKUP_MAIL_PATH]), { stdinSource: source });
    },
    async verify(ctx: ApplyContext) {
      const r = await ctx.run(shellScript('find "$1" -type f | wc -l', [BACKUP_MAIL_PATH]));
      const found = Number(r.stdout.trim());
      if (!(found >= files))
        throw new Error(`${BACKUP_MAIL_PATH} holds ${found} file(s), the backup ${files}`);
    },
  };
}

export interface RestorePlan extends Plan {
  summary: BackupSummary;
  /** The DNS records that change with the server's addresses (A, AAAA, PTR, and SPF where it names them). */
  dnsChanges: MovedRecord[];
}

/**
 * The plan that puts `backup` on the server of `host` (facts): refused, with what differs, when
 * the backup is of another mail host or other domains, and with planHost's refusals (an
 * unsupported system, no root) before anything changes.
 */
export function planRestore(
  host: HostConfig,
  facts: Facts,
  backup: OpenedBackup,
  fleet: readonly HostConfig[] = [host],
  now = new Date(),
): RestorePlan {
  const mismatch = backupMismatch(backup.manifest, host);
  if (mismatch.length)
    throw new RestoreRefusedError(
      `${backup.file} does not belong on host "${host.name}", so nothing was changed:\n` +
        mismatch.map((p) => `  - ${p}`).join('\n') +
        `\nRestore it onto the host that has that mail host name and those domains in mailwright.yaml (change its ssh target to the new server).`,
    );
  // The provision's own refusals (system, root, mail flow) come first.
  planHost(host, facts, now);
  const ctx: PlanContext = { host, facts, chasquidPath: chasquidPathOf(facts), now };
  const summary = summarizeBackup(backup);
  const write = filesToWrite(backup, facts);
  const actions = [...planInstall(ctx), ...planMailboxStore(ctx)];
  if (write.length) actions.push(restoreFilesAction(backup, write));
  const mailboxes = host.domains.some((d) => d.mailboxes);
  if (backup.mail.files > 0 && mailboxes) actions.push(restoreMailAction(backup));
  const dnsChanges = host.domains.flatMap((d) =>
    dnsChangesOnMove(host, d, backup.manifest.server.addresses, facts.addresses, fleet),
  );
  const keys = summary.dkim.map((d) => `${d.domain} (${d.selectors.join(', ')})`).join('; ');
  const notes: string[] = [
    keys
      ? `DKIM keys kept: ${keys}, so the published DKIM records stay valid.`
      : 'The backup holds no DKIM key: the provision makes new ones, whose records must be published.',
    summary.users.length
      ? `Mail users kept with their passwords: ${summary.users.join(', ')}.`
      : 'The backup holds no mail user.',
    ...(summary.certificates.length ? [`Certificates kept: ${summary.certificates.join(', ')}.`] : []),
  ];
  if (backup.mail.files > 0 && !mailboxes)
    notes.push(
      `The backup holds ${backup.mail.files} mail file(s), but no domain of host "${host.name}" has mailboxes: the mail is not restored.`,
    );
  notes.push(
    dnsChanges.length
      ? `DNS: only these records change with the new server's addresses: ${dnsChanges.map((c) => `${c.type} ${c.name} (${c.from.join(', ') || 'none'} → ${c.to.join(', ') || 'none'})`).join('; ')}. DKIM, MX, DMARC and the rest stay as published.`
      : 'DNS: no record changes: the server has the same addresses as the one backed up.',
    'After the restore, a provision converges the rest (configuration, services) without new keys or passwords.',
  );
  return { host: host.name, facts, actions, notes, summary, dnsChanges };
}

/** The restore plan as text: the provision's plan format, in the words of a restore. */
export function restorePlanLines(plan: RestorePlan, target: string): string[] {
  return planLines(plan, target).map((line, i) =>
    i === 0
      ? line.replace(/^Plan for /, 'Restore plan for ')
      : line.replace(
          /Nothing to do: the server already matches mailwright\.yaml\./,
          "Nothing to write: the server already holds the backup's files.",
        ),
  );
}
