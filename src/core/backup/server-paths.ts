// Where the scheduled backups live on a server: the program the timer runs and its settings
// (public: the host without SSH details, the folder, how many to keep and the age public key).
// Nothing on the server opens the archives: the identity stays with the user.
export const BACKUP_UNIT = 'mailwright-backup';
export const BACKUP_SERVICE_PATH = `/etc/systemd/system/${BACKUP_UNIT}.service`;
export const BACKUP_TIMER_PATH = `/etc/systemd/system/${BACKUP_UNIT}.timer`;
/** The backup program: one file, run by the distribution's Node.js (beside the renewal program). */
export const BACKUP_PROGRAM_PATH = '/usr/local/lib/mailwright/backup.js';
/** The schedule and the host as the archive's manifest records it; no secrets. */
export const BACKUP_SETTINGS_PATH = '/etc/mailwright/backup.json';

/** The files whose content Mailwright decides (hashed by the facts; all world-readable). */
export const BACKUP_PUBLIC_FILES = [
  BACKUP_SERVICE_PATH,
  BACKUP_TIMER_PATH,
  BACKUP_PROGRAM_PATH,
  BACKUP_SETTINGS_PATH,
] as const;
