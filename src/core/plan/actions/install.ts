// chasquid from the distribution's packages. The candidate version is checked
// before anything is installed, so a too-old chasquid is refused instead of half set up.
import { decideChasquidPath } from '../../chasquid';
import { printable } from '../../printable';
import { CommandError, EXIT_ON_SIGNALS, shellCommand, shellScript } from '../../remote';
import type { Action, ActionPlanner, ApplyContext } from '../types';

/** apt on a slow mirror (or a loaded sandbox) can take minutes. */
const APT_TIMEOUT_MS = 15 * 60_000;

/** The "Candidate:" of `apt-cache policy`, or undefined when apt has no installable version. */
export function aptCandidate(policyOutput: string): string | undefined {
  const m = /^\s*Candidate:\s*(\S+)/m.exec(policyOutput);
  return m && m[1] !== '(none)' ? m[1] : undefined;
}

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

async function installChasquid(ctx: ApplyContext): Promise<void> {
  const fetchFailures = await aptUpdate(ctx);
  const policy = await ctx.run(shellScript('LC_ALL=C exec apt-cache policy chasquid'), {
    timeoutMs: APT_TIMEOUT_MS,
  });
  const candidate = aptCandidate(policy.stdout);
  if (!candidate) {
    if (fetchFailures.length > 0) throw mirrorUnreachable(ctx, fetchFailures);
    throw new Error(
      'The package sources of this server offer no chasquid package. Enable the main component ' +
        '(Debian 12/13, Ubuntu 22.04+ "universe") and apply again.',
    );
  }
  const decision = decideChasquidPath(candidate);
  if (decision.path === 'unsupported') throw new Error(decision.explanation);
  ctx.log(`chasquid ${candidate} is available: ${decision.explanation}`);
  await aptInstall(ctx, packagesFor(decision.path));
}

async function verifyInstalled(ctx: ApplyContext): Promise<void> {
  const r = await ctx.run(shellCommand(['dpkg-query', '-W', '-f=${Status} ${Version}', 'chasquid']), {
    check: false,
  });
  if (r.exitCode !== 0 || !r.stdout.startsWith('install ok installed')) {
    throw new Error(`chasquid is not installed after apt-get install (dpkg says: ${r.stdout || r.stderr})`);
  }
}

export const planInstall: ActionPlanner = (ctx) => {
  if (ctx.facts.chasquid.installed) return [];
  const action: Action = {
    id: 'install:chasquid',
    kind: 'install',
    title: 'Install chasquid from the distribution packages',
    reason: ctx.facts.hasApt
      ? `chasquid is not installed on ${ctx.host.name}; the mail server needs it (1.10 or newer, 1.14+ for built-in DKIM)`
      : `chasquid is not installed and ${ctx.facts.os.prettyName || 'this system'} has no apt: install chasquid yourself, then plan again`,
    refreshesFacts: true,
    async apply(actx) {
      if (!actx.facts.hasApt) throw new Error(action.reason);
      await installChasquid(actx);
    },
    verify: verifyInstalled,
  };
  return [action];
};
