// The chasquid package Mailwright installs where the distribution's own is too old for built-in
// DKIM: Debian 13's build, pinned by version and sha256. chasquid is a Go program whose package
// depends only on libc6 (>= 2.34), which Debian 12 and Ubuntu 22.04/24.04 all satisfy, so the
// same file serves every supported system. Bumping the pin here upgrades every server on the
// next apply.

/** Debian's archive; the file's sha256 is checked on the server before dpkg sees it. */
export const PINNED_CHASQUID_MIRROR = 'http://deb.debian.org/debian/';

export interface PinnedDeb {
  /** dpkg's architecture name. */
  arch: string;
  /** Path under the mirror (the Packages index's Filename). */
  filename: string;
  sha256: string;
}

export const PINNED_CHASQUID = {
  /** The package's dpkg version. */
  version: '1.15.0-1+b4',
  /** Where the version comes from, for messages. */
  release: 'Debian 13',
  debs: [
    {
      arch: 'amd64',
      filename: 'pool/main/c/chasquid/chasquid_1.15.0-1+b4_amd64.deb',
      sha256: '8c9307e2faf2db384f3fecf58acfd30da31abc48525507add36c9eae51b4328b',
    },
    {
      arch: 'arm64',
      filename: 'pool/main/c/chasquid/chasquid_1.15.0-1+b4_arm64.deb',
      sha256: 'd13da56d75e21ae522405aa1c362c8a563c7388f9caf3af5e4a0ea34761c4e7d',
    },
  ] as readonly PinnedDeb[],
} as const;

/** The pinned package for a dpkg architecture, or undefined when Debian's build is not pinned for it. */
export function pinnedDebFor(arch: string): PinnedDeb | undefined {
  return PINNED_CHASQUID.debs.find((d) => d.arch === arch);
}

export function pinnedDebUrl(deb: PinnedDeb): string {
  return PINNED_CHASQUID_MIRROR + deb.filename;
}

/** The architectures the pinned package exists for, for messages ("amd64 or arm64"). */
export function pinnedArchitectures(): string {
  return PINNED_CHASQUID.debs.map((d) => d.arch).join(' or ');
}

/** dpkg's order of characters in a version's non-digit parts: `~` first, then end, letters, the rest. */
function charOrder(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let diff = 0;
    while ((i < a.length && !/\d/.test(a[i]!)) || (j < b.length && !/\d/.test(b[j]!))) {
      const ca = i < a.length && !/\d/.test(a[i]!) ? a[i] : undefined;
      const cb = j < b.length && !/\d/.test(b[j]!) ? b[j] : undefined;
      diff = charOrder(ca) - charOrder(cb);
      if (diff !== 0) return diff;
      if (ca !== undefined) i++;
      if (cb !== undefined) j++;
    }
    const na = /^\d*/.exec(a.slice(i))![0];
    const nb = /^\d*/.exec(b.slice(j))![0];
    i += na.length;
    j += nb.length;
    diff = Number(na || '0') - Number(nb || '0');
    if (diff !== 0) return diff;
  }
  return 0;
}

function splitDebianVersion(v: string): [epoch: number, upstream: string, revision: string] {
  const colon = v.indexOf(':');
  const epoch = colon > 0 ? Number(v.slice(0, colon)) : 0;
  const rest = colon > 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf('-');
  return dash > 0 ? [epoch, rest.slice(0, dash), rest.slice(dash + 1)] : [epoch, rest, ''];
}

/** Orders two dpkg versions the way `dpkg --compare-versions` does: negative, 0 or positive. */
export function compareDebianVersions(a: string, b: string): number {
  const [ea, ua, ra] = splitDebianVersion(a.trim());
  const [eb, ub, rb] = splitDebianVersion(b.trim());
  return ea - eb || compareFragment(ua, ub) || compareFragment(ra, rb);
}
