// chasquid versions and what each one can do. Feature thresholds come from upstream's
// release notes; the DKIM path decides how the product signs mail.

export interface ChasquidVersion {
  major: number;
  minor: number;
  patch: number;
  /** The text the version was read from, trimmed. */
  raw: string;
}

/**
 * Reads a version from `chasquid --version` output ("chasquid 1.15.0-1+b4 (source date: …)"),
 * a dpkg version ("1.11-2+b2", "1:1.15.0-1", "1.14.0~rc1-1"), a git describe ("v1.14.0-3-gabc")
 * or a bare "1.15". Returns undefined when no version can be found.
 */
export function parseChasquidVersion(text: string): ChasquidVersion | undefined {
  const raw = text.trim();
  let s = raw.replace(/^chasquid\s+/i, '').split(/\s/)[0] ?? '';
  s = s.replace(/^\d+:/, '').replace(/^v/i, '');
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?=$|[-~+.])/.exec(s);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), raw };
}

export function formatVersion(v: Pick<ChasquidVersion, 'major' | 'minor' | 'patch'>): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

export function compareVersions(
  a: Pick<ChasquidVersion, 'major' | 'minor' | 'patch'>,
  b: Pick<ChasquidVersion, 'major' | 'minor' | 'patch'>,
): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** True when `v` is at least `minimum` ("1.14" or "1.15.1"). */
export function isAtLeast(v: ChasquidVersion, minimum: string): boolean {
  const [major = 0, minor = 0, patch = 0] = minimum.split('.').map(Number);
  return compareVersions(v, { major, minor, patch }) >= 0;
}

/** Accepts a parsed version or any string `parseChasquidVersion` understands. */
export function toVersion(v: ChasquidVersion | string | undefined): ChasquidVersion | undefined {
  return typeof v === 'string' ? parseChasquidVersion(v) : v;
}

/** Release that introduced each feature this product relies on or must warn about. */
export const CHASQUID_FEATURE_SINCE = {
  catchAllAliases: '1.10',
  symlinkedCertDirs: '1.12',
  aliasSuffixAndDropSemantics: '1.12',
  smtpSmugglingFix: '1.13',
  receiveOnlyUsers: '1.13',
  rejectsEmptyListenAddress: '1.13',
  nativeDkim: '1.14',
  queueLimitOptions: '1.16',
  aliasStarDestination: '1.16',
  aliasVia: '1.16',
  rejectsInvalidAliasLines: '1.16',
} as const;

export type ChasquidFeature = keyof typeof CHASQUID_FEATURE_SINCE;

export function hasFeature(v: ChasquidVersion, feature: ChasquidFeature): boolean {
  return isAtLeast(v, CHASQUID_FEATURE_SINCE[feature]);
}

export type ChasquidPath = 'native-dkim' | 'legacy' | 'unsupported';

export interface ChasquidPathDecision {
  path: ChasquidPath;
  version?: ChasquidVersion;
  /** One sentence for the user: why this path. */
  explanation: string;
  /** Known problems of this version the user should hear about. */
  warnings: string[];
}

export function decideChasquidPath(input: ChasquidVersion | string): ChasquidPathDecision {
  const v = toVersion(input);
  if (!v) {
    return {
      path: 'unsupported',
      explanation:
        `Could not read a chasquid version from ${JSON.stringify(String(input).slice(0, 80))}. ` +
        'Install chasquid from the distribution (Debian 13 ships 1.15) or an upstream release, then retry.',
      warnings: [],
    };
  }
  const name = `chasquid ${formatVersion(v)}`;
  if (hasFeature(v, 'nativeDkim')) {
    return {
      path: 'native-dkim',
      version: v,
      explanation: `${name} signs DKIM itself with the domains/<domain>/dkim:<selector>.pem keys.`,
      warnings: [],
    };
  }
  if (hasFeature(v, 'catchAllAliases')) {
    const warnings = [
      'DKIM runs in the hooks/post-data hook through dkimsign (python3-dkim), which adds 1-4 s per message.',
    ];
    if (!hasFeature(v, 'symlinkedCertDirs')) {
      warnings.push('Symlinked certificate folders are skipped: certificates must be in real folders.');
    }
    if (!hasFeature(v, 'aliasSuffixAndDropSemantics')) {
      warnings.push('With a catch-all alias, user+tag@ goes to the catch-all instead of the user.');
    }
    if (!hasFeature(v, 'smtpSmugglingFix')) {
      warnings.push(
        'This version is vulnerable to SMTP smuggling (CVE-2023-52354, fixed in 1.13): upgrade soon.',
      );
    }
    return {
      path: 'legacy',
      version: v,
      explanation: `${name} has no built-in DKIM (added in 1.14): the legacy post-data hook with python3-dkim is used.`,
      warnings,
    };
  }
  return {
    path: 'unsupported',
    version: v,
    explanation:
      `${name} is too old: it lacks catch-all aliases (1.10), which the setup relies on. ` +
      'Upgrade to chasquid 1.14 or newer (Debian 13 ships 1.15; newer Ubuntu releases and upstream ' +
      'releases work too), or at least 1.10 for the legacy DKIM path.',
    warnings: [],
  };
}
