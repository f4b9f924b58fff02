// Reads `LC_ALL=C apt-cache policy <package>`: what is installed, apt's candidate, and what the
// distribution's sources offer. The last differs from the candidate once a newer package was
// installed from a file (the pinned chasquid): dpkg's status then lists it as the candidate.

export interface AptPolicy {
  installed?: string;
  candidate?: string;
  /** The newest version some package source offers (a version only in /var/lib/dpkg/status is not). */
  offered?: string;
  /** Whether the installed version came from a package source or from a file (offered by none). */
  installedFrom?: 'archive' | 'file';
}

const NONE = '(none)';

export function parseAptPolicy(text: string): AptPolicy {
  const field = (name: string) => {
    const value = new RegExp(`^\\s*${name}:\\s*(\\S+)`, 'm').exec(text)?.[1];
    return value && value !== NONE ? value : undefined;
  };
  // The version table: "     1.11-2+b2 500" (" *** " marks the installed one), then its sources,
  // "        500 http://deb.debian.org/debian bookworm/main amd64 Packages". apt lists the newest first.
  const offeredBy = new Map<string, boolean>();
  let version: string | undefined;
  const table = text.split(/^\s*Version table:\s*$/m)[1] ?? '';
  for (const line of table.split('\n')) {
    const entry = /^\s*(?:\*\*\*\s+)?(\S+)\s+-?\d+\s*$/.exec(line);
    if (entry) {
      version = entry[1]!;
      if (!offeredBy.has(version)) offeredBy.set(version, false);
      continue;
    }
    const source = /^\s*-?\d+\s+(\S+)/.exec(line);
    if (source && version && source[1] !== '/var/lib/dpkg/status') offeredBy.set(version, true);
  }
  const installed = field('Installed');
  const offered = [...offeredBy].find(([, bySource]) => bySource)?.[0];
  const installedFrom =
    installed === undefined ? undefined : offeredBy.get(installed) ? ('archive' as const) : ('file' as const);
  return { installed, candidate: field('Candidate'), offered, ...(installedFrom && { installedFrom }) };
}
