// Bundle "backup": Back Up… and Restore from Backup… (age encryption, the archive, the restore plan).
export { backupAction, restoreAction } from '../commands/backup';
