// Reads `LC_ALL=C apt-cache policy <package>`: what is installed, apt's candidate, and what the
// distribution's sources offer. The last differs from the candidate once a newer package was
// installed from a file (the pinned chasquid): dpkg's status then lists it as the candidate.

export interface AptPolicy {
  installed?: string;
  candidate?: string;
  /** The newest version some package source offers (a version only in /var/lib/dpkg/status is not). */
  offered?: string;
}

const NONE = '(none)';

export function parseAptPolicy(text: string): AptPolicy {
  const field = (name: string) => {
    const value = new RegExp(`^\\s*${name}:\\s*(\\S+)`, 'm').exec(text)?.[1];
    return value && value !== NONE ? value : undefined;
  };
  // The version table: "     1.11-2+b2 500" (" *** " marks the installed one), then its sources,
  // "        500 http://deb.debian.org/debian bookworm/main amd64 Packages". apt lists the newest first.
  let offered: string | undefined;
  let version: string | undefined;
  const table = text.split(/^\s*Version table:\s*$/m)[1] ?? '';
  for (const line of table.split('\n')) {
    const entry = /^\s*(?:\*\*\*\s+)?(\S+)\s+-?\d+\s*$/.exec(line);
    if (entry) {
      version = entry[1];
      continue;
    }
    const source = /^\s*-?\d+\s+(\S+)/.exec(line);
    if (source && version && source[1] !== '/var/lib/dpkg/status') {
      offered = version;
      break;
    }
  }
  return { installed: field('Installed'), candidate: field('Candidate'), offered };
}
