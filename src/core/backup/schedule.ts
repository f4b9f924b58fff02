// Scheduled backups on the server (hosts[].backups.schedule): what the timer's program is told,
// and one run of it — the archive `mailwright backup` writes (createBackup, the same format and
// checks), locked for the user's age public key, written beside the others and renamed into place
// when whole, then the oldest beyond `keep` deleted. A failed run leaves every earlier archive.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { BackupScheduleConfig, HostConfig } from '../config/types';
import type { Facts } from '../facts/types';
import type { RemoteConnection } from '../remote/connection';
import { archivesBeyond, backupFileName } from './archive-names';
import { createBackup, type CreatedBackup } from './create';

/** What the backup program reads (`BACKUP_SETTINGS_PATH`): public, no secret in it. */
export interface BackupSettings {
  /** The host as the manifest records it, without SSH details. */
  host: HostConfig;
  schedule: BackupScheduleConfig;
}

export function backupSettings(host: HostConfig): string {
  const schedule = host.backups!.schedule!;
  const server: HostConfig = {
    name: host.name,
    ssh: { user: 'root', host: 'localhost', port: 22 },
    auth: 'key',
    mailHost: host.mailHost,
    domains: host.domains,
  };
  return JSON.stringify({ host: server, schedule } satisfies BackupSettings, null, 2) + '\n';
}

/**
 * The mailwright.yaml an archive made on the server holds: the server has no copy of yours, so
 * this is the host as the plan last described it to the server, marked as such.
 */
export function serverConfigText(settings: BackupSettings, now: Date): string {
  const { name, mailHost, domains } = settings.host;
  return (
    `# Written by ${name}'s scheduled backup at ${now.toISOString()}: the host as the last\n` +
    '# `mailwright apply` described it to the server. Keep your own mailwright.yaml for a restore.\n' +
    stringify({ version: 1, hosts: [{ name, mailHost, domains }] }, { lineWidth: 0 })
  );
}

export interface ScheduledBackup {
  made: CreatedBackup;
  /** Archives deleted because more than `keep` were there. */
  deleted: string[];
  kept: number;
}

/** One scheduled backup on the server itself (`conn` is a local connection, as root). */
export async function runScheduledBackup(
  conn: RemoteConnection,
  facts: Facts,
  settings: BackupSettings,
  now = new Date(),
): Promise<ScheduledBackup> {
  const { host, schedule } = settings;
  // Root-only when Mailwright makes it; a folder that exists keeps its mode (archives are 0600).
  await mkdir(schedule.dir, { recursive: true, mode: 0o700 });
  const made = await createBackup({
    conn,
    host,
    facts,
    config: Buffer.from(serverConfigText(settings, now)),
    recipient: schedule.recipient,
    out: join(schedule.dir, backupFileName(host.name, now)),
    withMail: schedule.withMail,
    now,
  });
  // Only once the new archive is in place: a failed run never costs an older one.
  const names = await readdir(schedule.dir);
  const deleted = archivesBeyond(host.name, names, schedule.keep);
  for (const name of deleted) await rm(join(schedule.dir, name), { force: true });
  return { made, deleted, kept: names.length - deleted.length };
}
