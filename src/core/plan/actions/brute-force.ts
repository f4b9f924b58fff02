// Brute-force protection of SMTP AUTH (mailwright.yaml: bruteForce, on by default): fail2ban
// from the distribution with Mailwright's filter and jail (core/brute-force). The files are
// written before fail2ban is installed, so that it starts with them; each is checked with
// `fail2ban-client -t` before fail2ban restarts, and put back when the check fails. With
// `enabled: false` the files go again (fail2ban itself stays). Why fail2ban: docs/brute-force.md.
import {
  BRUTE_FORCE_FILES,
  BRUTE_FORCE_PACKAGES,
  FILTER_CONF,
  FILTER_PATH,
  JAIL_NAME,
  JAIL_PATH,
  jailConf,
  switchesSshdOff,
} from '../../brute-force/jail';
import { bruteForceSettings } from '../../config';
import { MAIL_PORT_NUMBERS } from '../../ports';
import { shellCommand, shellScript } from '../../remote';
import { journalOf } from '../journal';
import { managedFileAction } from '../managed-file';
import type { Action, ActionPlanner, ApplyContext, PlanContext } from '../types';
import { aptInstall, aptUpdate } from './install';

const KIND = 'brute-force';

// Checks fail2ban's whole configuration as it would start with it; skipped before it is installed.
const CONFIG_TEST = `command -v fail2ban-client >/dev/null || exit 0
fail2ban-client -t >/dev/null 2>"$1.err" || { cat "$1.err" >&2; rm -f "$1.err"; exit 1; }
rm -f "$1.err"`;

async function configTest(ctx: ApplyContext): Promise<void> {
  const r = await ctx.run(shellScript(CONFIG_TEST, ['/run/mailwright-fail2ban-test']), { check: false });
  if (r.exitCode !== 0)
    throw new Error(
      `fail2ban refuses its configuration with Mailwright's files, so they are put back: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`,
    );
}

// $1 jail: fail2ban answers for it within 20 s of its start.
const JAIL_CHECK = `i=0
until fail2ban-client status "$1" >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -lt 40 ] || { echo "fail2ban does not run the jail $1: see journalctl -u fail2ban" >&2; exit 1; }
  sleep 0.5
done
systemctl is-enabled --quiet fail2ban || { echo "fail2ban.service is not enabled" >&2; exit 1; }`;

function installAction(missing: string[]): Action {
  return {
    id: 'brute-force:install',
    kind: KIND,
    title: `Install ${missing.join(', ')} from the distribution (blocks addresses that keep failing SMTP AUTH)`,
    reason: `bruteForce is on, and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed`,
    refreshesFacts: true,
    async apply(actx) {
      await aptUpdate(actx);
      await aptInstall(actx, BRUTE_FORCE_PACKAGES);
    },
    async verify(actx) {
      await configTest(actx);
    },
  };
}

function serviceAction(reason: string): Action {
  return {
    id: 'brute-force:service',
    kind: KIND,
    title: `Enable and restart fail2ban, then check that it runs the jail ${JAIL_NAME}`,
    reason,
    async apply(actx) {
      await configTest(actx);
      await actx.run(shellCommand(['systemctl', 'enable', 'fail2ban']));
      // Blocks in force are kept: fail2ban puts them back from its database when it starts.
      await actx.run(shellCommand(['systemctl', 'restart', 'fail2ban']));
    },
    async verify(actx) {
      await actx.run(shellScript(JAIL_CHECK, [JAIL_NAME]));
    },
  };
}

/** bruteForce.enabled: false after true: Mailwright's files go, fail2ban runs on without the jail. */
function removeAction(present: string[]): Action {
  return {
    id: 'brute-force:remove',
    kind: KIND,
    title: `Remove Mailwright's fail2ban jail (${present.join(', ')}); fail2ban itself stays installed`,
    reason: 'bruteForce.enabled is false',
    async apply(actx) {
      await actx.run(shellCommand(['rm', '-f', '--', ...present]));
      for (const path of present) journalOf(actx).forget(path);
      // Without the jail the other jails (if any) go on; with none left fail2ban may stop.
      await actx.run(shellScript('systemctl try-restart fail2ban || true'));
    },
    async verify(actx) {
      const r = await actx.run(shellScript('for f in "$@"; do [ ! -e "$f" ] || echo "$f"; done', present));
      if (r.stdout.trim()) throw new Error(`Still on the server: ${r.stdout.trim()}.`);
    },
  };
}

function describeSettings(ctx: PlanContext): string {
  const s = bruteForceSettings(ctx.host);
  const client = ctx.facts.bruteForce?.sshClient;
  const never = ['loopback', ...(client ? [`${client} (this SSH login)`] : []), ...s.ignore];
  return (
    `${s.maxRetry} failed logins within ${s.findTime} block an address for ${s.banTime} on ports ` +
    `${MAIL_PORT_NUMBERS.join(', ')} (never: ${never.join(', ')})`
  );
}

export const planBruteForce: ActionPlanner = (ctx) => {
  const settings = bruteForceSettings(ctx.host);
  const facts = ctx.facts.bruteForce ?? { packages: {}, files: {} };
  const present = BRUTE_FORCE_FILES.filter((f) => f in facts.files);
  if (!settings.enabled) return present.length > 0 ? [removeAction(present)] : [];
  // fail2ban reads chasquid's failed logins from the journal, which only systemd has.
  if (!ctx.facts.systemd || !ctx.facts.hasApt) return [];
  // Mailwright's fail2ban files are hashed by their own facts section, not with /etc/chasquid.
  const fileCtx: PlanContext = {
    ...ctx,
    facts: { ...ctx.facts, confFiles: { ...ctx.facts.confFiles, ...facts.files } },
  };
  const mkdirs = async (actx: ApplyContext) => {
    await actx.run(shellCommand(['mkdir', '-p', '/etc/fail2ban/filter.d', '/etc/fail2ban/jail.d']));
  };
  // Only the jail is tested: fail2ban reads a filter when a jail names it, and the test of the
  // filter alone would judge the jails as they were (Debian 12's sshd jail cannot start).
  const file = (id: string, path: string, title: string, desired: string, reason: string, test: boolean) => {
    const action = managedFileAction(
      fileCtx,
      {
        ...{ id, kind: KIND, path, title, desired, reason, owner: 'root:root', mode: '0644' },
        ...(test && { verify: configTest }),
      },
      path === JAIL_PATH ? facts.jail : undefined,
    );
    if (action) {
      const write = action.apply.bind(action);
      action.apply = async (actx) => {
        await mkdirs(actx);
        await write(actx);
      };
    }
    return action;
  };
  const actions = [
    file(
      'brute-force:filter',
      FILTER_PATH,
      "Write fail2ban's filter for chasquid's failed logins",
      FILTER_CONF,
      'fail2ban must recognise the line chasquid logs for each failed SMTP AUTH ("<address>:<port> auth failed for <user>")',
      false,
    ),
    file(
      'brute-force:jail',
      JAIL_PATH,
      `Write fail2ban's jail ${JAIL_NAME}`,
      jailConf(
        settings,
        facts.sshClient,
        switchesSshdOff({
          fail2banRunning: 'fail2ban' in facts.packages && facts.active === 'active',
          jailPresent: JAIL_PATH in facts.files,
          jail: facts.jail,
        }),
      ),
      describeSettings(ctx),
      true,
    ),
  ].filter((a): a is Action => a !== undefined);
  const missing = BRUTE_FORCE_PACKAGES.filter((p) => !(p in facts.packages));
  if (missing.length > 0) actions.push(installAction(missing));
  const running = facts.active === 'active' && facts.enabled === 'enabled';
  if (actions.length > 0 || !running)
    actions.push(
      serviceAction(
        actions.length > 0
          ? 'fail2ban reads its configuration when it starts'
          : `fail2ban is ${facts.active ?? 'not running'} and ${facts.enabled ?? 'not enabled'}`,
      ),
    );
  return actions;
};
