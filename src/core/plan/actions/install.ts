// chasquid from the distribution's packages. The candidate version is checked
// before anything is installed, so a too-old chasquid is refused instead of half set up.
import { decideChasquidPath } from '../../chasquid';
import { shellCommand, shellScript } from '../../remote';
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
 * apt's locks (bounded) instead of failing on "Could not get lock".
 */
const APT_WAITING = `try=0
until "$@"; do
  rc=$?; try=$((try + 1))
  [ "$rc" -eq 100 ] && [ "$try" -lt 60 ] || exit "$rc"
  echo "apt is busy or failed (exit 100); trying again in 5 s ($try/60)"
  sleep 5
done`;

/** `apt-get update`, waiting for apt's locks. */
export async function aptUpdate(ctx: ApplyContext): Promise<void> {
  await ctx.run(shellScript(APT_WAITING, ['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'update']), {
    timeoutMs: APT_TIMEOUT_MS,
  });
}

/** Installs packages without recommends, non-interactively, waiting for apt's locks. */
export async function aptInstall(ctx: ApplyContext, packages: readonly string[]): Promise<void> {
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
}

async function installChasquid(ctx: ApplyContext): Promise<void> {
  await aptUpdate(ctx);
  const policy = await ctx.run(shellScript('LC_ALL=C exec apt-cache policy chasquid'), {
    timeoutMs: APT_TIMEOUT_MS,
  });
  const candidate = aptCandidate(policy.stdout);
  if (!candidate) {
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
