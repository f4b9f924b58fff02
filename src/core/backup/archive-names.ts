// The names of backup archives: the host and the time (UTC) in each, so that a folder's listing
// sorted by name is sorted by age. `mailwright backup`, the editor and the server's schedule name
// their archives here; the schedule's retention and the health check find them here.

/** An archive's file name: the host and the time it was made (UTC), so that names sort by age. */
export function backupFileName(hostName: string, date: Date): string {
  const stamp = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace('T', '-')
    .replace(/\.\d+Z$/, '');
  return `mailwright-backup-${hostName}-${stamp}.age`;
}

/** The archives of `hostName` among `names` (a folder's listing), oldest first. */
export function archivesOf(hostName: string, names: readonly string[]): string[] {
  const pattern = new RegExp(
    `^mailwright-backup-${hostName.replace(/[^a-z0-9-]/g, '')}-\\d{8}-\\d{6}\\.age$`,
  );
  return names.filter((n) => pattern.test(n)).sort();
}

/** Which of the host's archives in a folder's listing go, keeping the `keep` newest. */
export function archivesBeyond(hostName: string, names: readonly string[], keep: number): string[] {
  const archives = archivesOf(hostName, names);
  return archives.slice(0, Math.max(0, archives.length - keep));
}
