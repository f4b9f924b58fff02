// chasquid from the distribution's packages or the pinned Debian 13 package, as the host's
// `chasquid:` setting and the facts decide (chasquid/source.ts). The choice is made in the plan,
// so a server that cannot get a working chasquid is refused before anything changes; when apt's
// lists are empty (a fresh VPS) it is made again after `apt-get update`.
import {
  compareDebianVersions,
  decideChasquidPath,
  decideChasquidSource,
  PINNED_CHASQUID,
  pinnedDebUrl,
  type ChasquidSourceDecision,
  type ChasquidSourceFacts,
  type PinnedDeb,
} from '../../chasquid';
import type { HostConfig } from '../../config';
import { parseAptPolicy, type Facts } from '../../facts';
import { printable } from '../../printable';
import { CommandError, EXIT_ON_SIGNALS, shellCommand, shellScript } from '../../remote';
import type { Action, ActionPlanner, ApplyContext } from '../types';

/** apt on a slow mirror (or a loaded sandbox) can take minutes. */
const APT_TIMEOUT_MS = 15 * 60_000;

/** Packages for a path: the legacy path signs DKIM with dkimsign from python3-dkim. */
export function packagesFor(path: 'native-dkim' | 'legacy'): string[] {
  // openssl: the certificate action creates the bootstrap certificate on the server.
  return ['chasquid', 'openssl', ...(path === 'legacy' ? ['python3-dkim'] : [])];
}

/**
 * A fresh VPS often runs unattended-upgrades or cloud-init's apt at first boot: wait for
 * apt's locks (bounded) instead of failing on "Could not get lock". Any other failure (a
 * mirror that cannot be reached) ends at once: trying again would only repeat it.
 * apt's error output still reaches stderr, and is kept in a file to tell the two apart.
 */
const APT_WAITING = `err=$(mktemp) && trap 'rm -f -- "$err" "$err.rc"' EXIT
${EXIT_ON_SIGNALS}
exec 3>&1
try=0
while :; do
  { "$@" 2>&1 1>&3; echo "$?" >"$err.rc"; } | tee "$err" >&2
  rc=$(cat "$err.rc")
  [ "$rc" -ne 0 ] || exit 0
  try=$((try + 1))
  grep -q 'Could not get lock' "$err" && [ "$try" -lt 60 ] || exit "$rc"
  echo "apt is busy (another program holds its lock); trying again in 5 s ($try/60)"
  sleep 5
done`;

/** What apt could not download (its "Failed to fetch" lines name the mirror and the reason). */
export function aptFetchFailures(output: string): string[] {
  return printable(output, { keepNewlines: true })
    .split('\n')
    .filter((l) => /^(?:W|E): (?:Failed to fetch|Unable to fetch)/.test(l))
    .map((l) => l.replace(/\s+/g, ' ').trim());
}

function mirrorUnreachable(ctx: ApplyContext, failures: string[]): Error {
  return new Error(
    `apt on ${ctx.host.name} could not download from its package mirror: ${failures[0]!.replace(/^[WE]: /, '')}. ` +
      'Check that the server reaches the mirror in its apt sources (network, DNS, a proxy), then apply again.',
  );
}

/** `apt-get update`, waiting for apt's locks; returns what it could not download (it still exits 0). */
export async function aptUpdate(ctx: ApplyContext): Promise<string[]> {
  const r = await ctx.run(shellScript(APT_WAITING, ['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'update']), {
    timeoutMs: APT_TIMEOUT_MS,
  });
  return aptFetchFailures(r.stdout + r.stderr);
}

/** Installs packages without recommends, non-interactively, waiting for apt's locks. */
export async function aptInstall(ctx: ApplyContext, packages: readonly string[]): Promise<void> {
  try {
    await ctx.run(
      shellScript(`export DEBIAN_FRONTEND=noninteractive\n${APT_WAITING}`, [
        'apt-get',
        '-o',
        'DPkg::Lock::Timeout=300',
        'install',
        '-y',
        '--no-install-recommends',
        ...packages,
      ]),
      { timeoutMs: APT_TIMEOUT_MS },
    );
  } catch (error) {
    const failures = error instanceof CommandError ? aptFetchFailures(error.stderr) : [];
    if (failures.length > 0) throw mirrorUnreachable(ctx, failures);
    throw error;
  }
}

/** What the source decision needs from the facts. */
export function chasquidSourceFacts(facts: Facts): ChasquidSourceFacts {
  // Read from the server: shown in titles and messages, so made printable.
  const version = (v: string | undefined) => (v === undefined ? undefined : printable(v));
  return {
    installed: version(facts.chasquid.version),
    installedFrom: facts.chasquid.installedFrom,
    candidate: version(facts.chasquid.offered) ?? 'unknown',
    arch: printable(facts.packageArch),
    system: printable(facts.os.prettyName),
  };
}

/** Where this host's chasquid comes from; a chasquid installed without dpkg (built by hand) stays. */
export function chasquidSourceOf(host: HostConfig, facts: Facts): ChasquidSourceDecision {
  if (facts.chasquid.installed && facts.chasquid.version === undefined) return { kind: 'keep' };
  return decideChasquidSource(host.chasquid ?? 'auto', chasquidSourceFacts(facts));
}

// $1 URL, $2 sha256, $3 file name, then the apt-get command the file's path is appended to. The
// file is checked before dpkg sees it and removed whatever happens; apt installs what it depends on.
// apt runs in a subshell, as it does in aptInstall (no set -e, which would stop the lock-waiting
// loop before it reads apt's exit code), and the loop's own EXIT trap does not replace the one
// that removes the download.
const INSTALL_DEB = `set -eu
${EXIT_ON_SIGNALS}
url=$1 sha=$2 name=$3; shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "Downloading $url"
if command -v curl >/dev/null; then curl -fsS --retry 3 -o "$dir/$name" "$url"
else wget -q -O "$dir/$name" "$url"; fi
( cd "$dir" && printf '%s  %s\\n' "$sha" "$name" | sha256sum -c - ) || {
  echo "$name does not have the sha256 Mailwright pins ($sha): not installed" >&2; exit 1; }
set -- "$@" "$dir/$name"
export DEBIAN_FRONTEND=noninteractive
(
set +e
${APT_WAITING}
)`;

/** Downloads the pinned package, checks its sha256 and installs it with apt (which resolves libc6). */
async function installPinned(ctx: ApplyContext, deb: PinnedDeb): Promise<void> {
  const tool = await ctx.run(shellScript('command -v curl >/dev/null || command -v wget >/dev/null'), {
    check: false,
  });
  if (tool.exitCode !== 0) await aptInstall(ctx, ['curl']);
  const name = deb.filename.slice(deb.filename.lastIndexOf('/') + 1);
  await ctx.run(
    shellScript(INSTALL_DEB, [
      pinnedDebUrl(deb),
      deb.sha256,
      name,
      'apt-get',
      '-o',
      'DPkg::Lock::Timeout=300',
      // An upgrade keeps the configuration files Mailwright wrote (chasquid.conf, the post-data
      // hook) instead of stopping at dpkg's question about them.
      '-o',
      'Dpkg::Options::=--force-confdef',
      '-o',
      'Dpkg::Options::=--force-confold',
      'install',
      '-y',
      '--no-install-recommends',
      // openssl: the certificate action creates the bootstrap certificate on the server.
      ...packagesFor('native-dkim').filter((p) => p !== 'chasquid'),
    ]),
    { timeoutMs: APT_TIMEOUT_MS },
  );
}

async function installFromDistribution(ctx: ApplyContext, version: string): Promise<void> {
  const decision = decideChasquidPath(version);
  if (decision.path === 'unsupported') throw new Error(decision.explanation);
  ctx.log(`chasquid ${version} is available: ${decision.explanation}`);
  await aptInstall(ctx, packagesFor(decision.path));
}

async function installChasquid(ctx: ApplyContext): Promise<void> {
  const fetchFailures = await aptUpdate(ctx);
  const policy = await ctx.run(shellScript('LC_ALL=C exec apt-cache policy chasquid'), {
    timeoutMs: APT_TIMEOUT_MS,
  });
  const offered = parseAptPolicy(policy.stdout).offered;
  // An update that could not reach the mirror leaves lists that cannot be trusted to be complete.
  if (!offered && fetchFailures.length > 0) throw mirrorUnreachable(ctx, fetchFailures);
  // The lists are fresh now: what they offer (or not) is final.
  const decision = decideChasquidSource(ctx.host.chasquid ?? 'auto', {
    ...chasquidSourceFacts(ctx.facts),
    candidate: offered ?? 'none',
  });
  switch (decision.kind) {
    case 'refused':
      throw new Error(decision.message);
    case 'keep':
    case 'after-update':
      return;
    case 'distribution':
      return installFromDistribution(ctx, decision.version!);
    case 'pinned':
      ctx.log(
        `Installing ${PINNED_CHASQUID.release}'s chasquid ${PINNED_CHASQUID.version}: ${decision.why}.`,
      );
      return installPinned(ctx, decision.deb);
  }
}

async function verifyInstalled(ctx: ApplyContext, atLeast?: string): Promise<void> {
  const r = await ctx.run(shellCommand(['dpkg-query', '-W', '-f=${Status}|${Version}', 'chasquid']), {
    check: false,
  });
  const [status = '', version = ''] = r.stdout.split('|');
  if (r.exitCode !== 0 || status !== 'install ok installed') {
    throw new Error(`chasquid is not installed after apt-get install (dpkg says: ${r.stdout || r.stderr})`);
  }
  if (atLeast && compareDebianVersions(version, atLeast) < 0) {
    throw new Error(`chasquid ${version} is installed, not ${atLeast}: the upgrade did not take place`);
  }
}

function describe(decision: Exclude<ChasquidSourceDecision, { kind: 'keep' | 'refused' }>, facts: Facts) {
  const pinned = `${PINNED_CHASQUID.release}'s package, sha256-pinned`;
  switch (decision.kind) {
    case 'pinned':
      return decision.upgradeFrom
        ? {
            title: `Upgrade chasquid ${decision.upgradeFrom} → ${PINNED_CHASQUID.version} (${pinned})`,
            reason: `${decision.why}; Mailwright's pinned chasquid is ${PINNED_CHASQUID.version}`,
          }
        : {
            title: `Install chasquid ${PINNED_CHASQUID.version} (${pinned})`,
            reason: `chasquid is not installed; ${decision.why}, so ${PINNED_CHASQUID.release}'s package is used`,
          };
    case 'distribution':
      return {
        title: 'Install chasquid from the distribution packages',
        reason: `chasquid is not installed; ${facts.os.prettyName || 'the distribution'} offers ${decision.version ?? 'it'} and ${decision.why}`,
      };
    case 'after-update':
      return {
        title: 'Install chasquid',
        reason:
          'chasquid is not installed; the mail server needs it (1.10 or newer, 1.14+ for built-in DKIM). ' +
          "apt's package lists are empty: which package is decided after apt-get update",
      };
  }
}

export const planInstall: ActionPlanner = (ctx) => {
  const decision = chasquidSourceOf(ctx.host, ctx.facts);
  if (decision.kind === 'keep' || decision.kind === 'refused') return [];
  const { title, reason } = describe(decision, ctx.facts);
  const noApt = `chasquid is not installed and ${ctx.facts.os.prettyName || 'this system'} has no apt: install chasquid yourself, then plan again`;
  const action: Action = {
    id: 'install:chasquid',
    kind: 'install',
    title,
    reason: ctx.facts.hasApt ? reason : noApt,
    refreshesFacts: true,
    async apply(actx) {
      if (!actx.facts.hasApt) throw new Error(noApt);
      if (decision.kind === 'pinned') {
        await aptUpdate(actx);
        await installPinned(actx, decision.deb);
      } else {
        await installChasquid(actx);
      }
    },
    verify: (actx) => verifyInstalled(actx, decision.kind === 'pinned' ? PINNED_CHASQUID.version : undefined),
  };
  return [action];
};
