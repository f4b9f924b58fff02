// The backup program the server's timer runs (mailwright-backup.service): the archive
// `mailwright backup` writes — chasquid's keys, users and certificates, Dovecot's users, a manifest
// of checksums — made on the server itself through a local connection and locked for the age
// public key of backups.schedule.recipient, whose identity only the user holds. Output goes to the
// journal: `journalctl -u mailwright-backup`. Exit 0: a new archive is in place; 1: none was
// written (the earlier ones are untouched), and `systemctl --failed` shows the unit.
import { readFileSync } from 'node:fs';
import { runScheduledBackup, type BackupSettings } from '../core/backup/schedule';
import { BACKUP_SETTINGS_PATH } from '../core/backup/server-paths';
import { gatherFacts } from '../core/facts';
import { LocalConnection } from '../core/remote/local';

// Node.js 20 calls its X25519 Web Crypto "experimental" on every run; the journal keeps other warnings.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name === 'ExperimentalWarning' && /X25519/.test(w.message)) return;
  console.error(`${w.name}: ${w.message}`);
});

async function main(settingsPath: string): Promise<number> {
  const settings = JSON.parse(readFileSync(settingsPath, 'utf8')) as BackupSettings;
  const conn = new LocalConnection(settings.host.name);
  const facts = await gatherFacts(conn);
  const { made, deleted, kept } = await runScheduledBackup(conn, facts, settings);
  const files = made.manifest.files.filter((f) => f.type === 'file').length;
  console.log(
    `Wrote ${made.path} (${made.bytes} bytes, ${files} files${settings.schedule.withMail ? ', mail included' : ''}, mode 0600, for ${settings.schedule.recipient}).`,
  );
  for (const name of deleted) console.log(`Deleted ${name}: more than ${settings.schedule.keep} archives.`);
  console.log(`${kept} archives in ${settings.schedule.dir}.`);
  return 0;
}

main(process.argv[2] ?? BACKUP_SETTINGS_PATH).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`The backup failed, nothing was written (earlier archives are kept): ${e.message}`);
    process.exit(1);
  },
);
