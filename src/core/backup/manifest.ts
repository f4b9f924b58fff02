// What a backup holds and how it is checked: the manifest (the last entry of the archive) lists
// every file taken from the server with its size, owner, mode and sha256, and the sha256 of the
// mailwright.yaml it belongs to. An archive is only used when every entry matches it.
import { CHASQUID_DIR } from '../chasquid/paths';
import { MAIL_STORE_DIR, MAILBOX_USERS_PATH } from '../dovecot/conf';
import type { HostConfig } from '../config/types';
import { ExpectedError } from '../errors';

export const BACKUP_FORMAT = 'mailwright-backup';
export const BACKUP_FORMAT_VERSION = 1;
/** Mailwright's own entries, after the server's files. */
export const BACKUP_META_DIR = 'mailwright-backup';
export const BACKUP_CONFIG_ENTRY = `${BACKUP_META_DIR}/mailwright.yaml`;
export const BACKUP_MANIFEST_ENTRY = `${BACKUP_META_DIR}/manifest.json`;

/** What is taken from the server: chasquid's whole conf directory (without its git history), Dovecot's users. */
export const BACKUP_CONFIG_PATHS = [CHASQUID_DIR, MAILBOX_USERS_PATH] as const;
/** The mail itself, only when asked for. */
export const BACKUP_MAIL_PATH = MAIL_STORE_DIR;

/** The server paths an archive may hold; anything else in one is refused. */
export function isBackupPath(path: string): boolean {
  return [...BACKUP_CONFIG_PATHS, BACKUP_MAIL_PATH].some(
    (root) => path === root || path.startsWith(`${root}/`),
  );
}

export function isMailPath(path: string): boolean {
  return path === BACKUP_MAIL_PATH || path.startsWith(`${BACKUP_MAIL_PATH}/`);
}

export interface ManifestFile {
  /** Absolute path on the server. */
  path: string;
  type: 'file' | 'directory';
  size: number;
  /** Files only. */
  sha256?: string;
  /** "0640". */
  mode: string;
  /** "root:chasquid". */
  owner: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  /** The host as mailwright.yaml described it when the backup was made. */
  host: { name: string; mailHost: string; domains: string[] };
  /** The server the files came from. */
  server: {
    os: string;
    chasquidVersion?: string;
    addresses: { ipv4: string[]; ipv6: string[] };
  };
  withMail: boolean;
  files: ManifestFile[];
  config: { size: number; sha256: string };
}

export class BackupFormatError extends ExpectedError {
  override name = 'BackupFormatError';
}

/** The manifest of an archive's last entry, refused when it is not one Mailwright wrote. */
export function parseManifest(text: string, file: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BackupFormatError(`${file}: its manifest is not valid JSON. Nothing was changed.`);
  }
  const m = value as Partial<BackupManifest>;
  if (m.format !== BACKUP_FORMAT || typeof m.version !== 'number')
    throw new BackupFormatError(
      `${file} is not a Mailwright backup (no manifest of one). Nothing was changed.`,
    );
  if (m.version > BACKUP_FORMAT_VERSION)
    throw new BackupFormatError(
      `${file} was made by a newer Mailwright (format ${m.version}; this one reads ${BACKUP_FORMAT_VERSION}). Update Mailwright.`,
    );
  if (!m.host || !Array.isArray(m.files) || !m.config || !m.server)
    throw new BackupFormatError(`${file}: its manifest lacks fields a backup has. Nothing was changed.`);
  return m as BackupManifest;
}

/**
 * Why this backup cannot go onto `host` (as mailwright.yaml describes it now), naming what
 * differs; empty when it may. The mail host name and the domains must be the same: the backup's
 * DKIM keys, certificate and users belong to them.
 */
export function backupMismatch(manifest: BackupManifest, host: HostConfig): string[] {
  const problems: string[] = [];
  const from = manifest.host;
  if (from.mailHost !== host.mailHost)
    problems.push(
      `the backup is of mail host ${from.mailHost}, but host "${host.name}" in mailwright.yaml has mailHost ${host.mailHost}`,
    );
  const wanted = host.domains.map((d) => d.name);
  const missing = from.domains.filter((d) => !wanted.includes(d));
  const extra = wanted.filter((d) => !from.domains.includes(d));
  if (missing.length)
    problems.push(
      `the backup serves ${missing.join(', ')}, which host "${host.name}" in mailwright.yaml does not`,
    );
  if (extra.length)
    problems.push(
      `host "${host.name}" in mailwright.yaml serves ${extra.join(', ')}, which the backup does not hold`,
    );
  return problems;
}
