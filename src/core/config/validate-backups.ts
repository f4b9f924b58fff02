// hosts[].backups.schedule: the server writes an encrypted backup archive from a systemd timer,
// keeping the newest `keep`. The archive is locked for an age public key (`recipient`); the
// identity that opens it never goes to the server, nor into this file.
import { posix } from 'node:path';
import type { Node } from 'yaml';
import { AGE_IDENTITY_PATTERN, AGE_RECIPIENT_PATTERN } from '../backup/age-keys';
import { isBackupPath } from '../backup/manifest';
import { BACKUP_ROOT } from '../remote/files';
import type { BackupScheduleConfig, BackupsConfig } from './types';
import { durationSeconds, readDuration } from './validate-brute-force';
import { readInteger } from './validate-dns-provider';
import { childPath, type ConfigReader } from './yaml-reader';

export const BACKUPS_KEYS = ['schedule'] as const;
export const BACKUP_SCHEDULE_KEYS = ['every', 'keep', 'dir', 'recipient', 'withMail'] as const;
export const DEFAULT_BACKUP_EVERY = '24h';
/** Seconds: more often than hourly fills the disk for nothing; less than weekly loses a week. */
export const BACKUP_EVERY_LIMITS = { min: 3600, max: 7 * 86_400, text: '1h to 7d' } as const;
export const BACKUP_KEEP_LIMITS = { min: 1, max: 365 } as const;
export const DEFAULT_BACKUP_KEEP = 7;
export const DEFAULT_BACKUP_DIR = '/var/backups/mailwright-archives';
/** An absolute folder of plain names (it goes into a systemd unit and shell commands as it is). */
export const BACKUP_DIR_PATTERN = /^(\/[A-Za-z0-9_][A-Za-z0-9._-]*)+$/;
export const RECIPIENT_EXAMPLE = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const SCHEDULE_EXAMPLE = `{ every: ${DEFAULT_BACKUP_EVERY}, keep: ${DEFAULT_BACKUP_KEEP}, recipient: age1… }`;

/** Seconds between two scheduled backups. */
export function backupEverySeconds(schedule: BackupScheduleConfig): number {
  return durationSeconds(schedule.every) ?? 86_400;
}

export function readBackups(reader: ConfigReader, node: Node, path: string): BackupsConfig | undefined {
  const fields = reader.fields(node, path, BACKUPS_KEYS, `{ schedule: ${SCHEDULE_EXAMPLE} }`);
  if (fields === undefined) return undefined;
  const scheduleNode = fields.get('schedule')?.value;
  const schedule = scheduleNode && readSchedule(reader, scheduleNode, childPath(path, 'schedule'));
  if (scheduleNode && !schedule) return undefined;
  return { ...(schedule && { schedule }) };
}

function readSchedule(reader: ConfigReader, node: Node, path: string): BackupScheduleConfig | undefined {
  const fields = reader.fields(node, path, BACKUP_SCHEDULE_KEYS, SCHEDULE_EXAMPLE);
  if (fields === undefined) return undefined;
  const at = (key: string) => childPath(path, key);
  const everyNode = fields.get('every')?.value;
  const every = everyNode
    ? readDuration(reader, everyNode, at('every'), BACKUP_EVERY_LIMITS, `every: ${DEFAULT_BACKUP_EVERY}`)
    : DEFAULT_BACKUP_EVERY;
  const keepNode = fields.get('keep')?.value;
  const keep = keepNode
    ? readInteger(reader, keepNode, at('keep'), {
        ...BACKUP_KEEP_LIMITS,
        what: 'number of archives to keep',
        example: `keep: ${DEFAULT_BACKUP_KEEP}`,
      })
    : DEFAULT_BACKUP_KEEP;
  const dirNode = fields.get('dir')?.value;
  const dir = dirNode ? readDir(reader, dirNode, at('dir')) : DEFAULT_BACKUP_DIR;
  const recipientNode = reader.required(fields, node, path, 'recipient', `recipient: ${RECIPIENT_EXAMPLE}`);
  const recipient = recipientNode && readRecipient(reader, recipientNode, at('recipient'));
  const mailNode = fields.get('withMail')?.value;
  const withMail = mailNode ? reader.flag(mailNode, at('withMail'), 'withMail: true') : false;
  if (!every || !keep || !dir || !recipient || withMail === undefined) return undefined;
  return { every, keep, dir, recipient, withMail };
}

/** Why `dir` cannot hold the archives, if it cannot. */
export function backupDirProblem(dir: string): string | undefined {
  if (!BACKUP_DIR_PATTERN.test(dir) || dir.split('/').some((part) => part === '.' || part === '..'))
    return 'write an absolute folder of letters, digits, ".", "_" and "-" (no "..", no trailing "/")';
  if (isBackupPath(dir) || isBackupPath(posix.dirname(dir)))
    return 'it is inside what a backup holds, so each archive would hold the ones before';
  if (dir === BACKUP_ROOT || dir.startsWith(`${BACKUP_ROOT}/`))
    return `${BACKUP_ROOT} keeps the previous versions of the files Mailwright changes: use a folder of its own`;
  if (posix.dirname(dir) === '/') return 'a folder right under / is a system folder: use one below it';
  return undefined;
}

function readDir(reader: ConfigReader, node: Node, path: string): string | undefined {
  const text = reader.text(node, path, `dir: ${DEFAULT_BACKUP_DIR}`);
  if (text === undefined) return undefined;
  const problem = backupDirProblem(text.trim());
  if (!problem) return text.trim();
  reader.issues.error(
    node,
    path,
    `"${text}" cannot hold the archives: ${problem}.`,
    `For example: dir: ${DEFAULT_BACKUP_DIR}`,
  );
  return undefined;
}

function readRecipient(reader: ConfigReader, node: Node, path: string): string | undefined {
  const text = reader.text(node, path, `recipient: ${RECIPIENT_EXAMPLE}`);
  if (text === undefined) return undefined;
  const value = text.trim();
  if (AGE_RECIPIENT_PATTERN.test(value)) return value;
  if (AGE_IDENTITY_PATTERN.test(value.toUpperCase()) || /^AGE-SECRET-KEY-/i.test(value))
    reader.issues.error(
      node,
      path,
      'This is an age identity: the secret key that opens the archives. It must never be in this file or on the server.',
      'Remove it from this file (and from its history), keep the identity file to yourself, and write its public key here: the "# public key: age1…" line of the identity file.',
    );
  else
    reader.issues.error(
      node,
      path,
      `"${text}" is not an age public key (age1 followed by 58 letters and digits).`,
      'Make a key pair with `mailwright backup keygen` (or age-keygen) and write the public key it prints here.',
    );
  return undefined;
}
