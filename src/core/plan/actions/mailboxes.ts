// Mailboxes for the domains with `mailboxes: true`: Dovecot from the distribution stores the
// mail chasquid hands over through LMTP (mda-lmtp), serves it over IMAPS on 993 with the
// certificate chasquid serves, and answers chasquid's SMTP AUTH and user lookups through its
// auth sockets. The users themselves are written by the domains action (one model of users).
import { certDir } from '../../chasquid/paths';
import { hasMailboxes, type HostConfig } from '../../config';
import {
  DOVECOT_CONF_PATH,
  DOVECOT_RELOAD,
  IMAPS_PORT,
  LMTP_SOCKET,
  MAIL_STORE_DIR,
  MAIL_STORE_USER,
  dovecotConf,
  dovecotMajor,
} from '../../dovecot';
import { shellCommand, shellScript } from '../../remote';
import { sleep } from '../../sleep';
import { journalOf } from '../journal';
import { managedFileAction } from '../managed-file';
import type { Action, ActionPlanner, ApplyContext, PlanContext } from '../types';
import { aptInstall, aptUpdate } from './install';
import { probeAddress, probeImaps, probeOrigin, seenFrom } from './service-probe';

/** dovecot-core comes with both. */
export const MAILBOX_PACKAGES = ['dovecot-imapd', 'dovecot-lmtpd'];
const STORE_STATE = `${MAIL_STORE_USER}:${MAIL_STORE_USER} 750`;

function installAction(ctx: PlanContext): Action {
  return {
    id: 'install:dovecot',
    kind: 'mailboxes',
    title: `Install Dovecot (${MAILBOX_PACKAGES.join(', ')}) from the distribution packages`,
    reason: `mailboxes are on for ${mailboxDomains(ctx.host)}: Dovecot stores their mail and serves it over IMAP`,
    refreshesFacts: true,
    async apply(actx) {
      if (!actx.facts.hasApt)
        throw new Error('This system has no apt: install Dovecot yourself, then plan again.');
      await aptUpdate(actx);
      await aptInstall(actx, MAILBOX_PACKAGES);
    },
    async verify(actx) {
      const r = await actx.run(
        shellCommand(['dpkg-query', '-W', '-f=${Status}\\n', 'dovecot-core', ...MAILBOX_PACKAGES]),
        { check: false },
      );
      if (
        r.exitCode !== 0 ||
        !r.stdout
          .split('\n')
          .filter(Boolean)
          .every((l) => l === 'install ok installed')
      ) {
        throw new Error(
          `Dovecot is not installed after apt-get install (dpkg says: ${r.stdout || r.stderr})`,
        );
      }
    },
  };
}

const mailboxDomains = (host: HostConfig) =>
  host.domains
    .filter((d) => d.mailboxes)
    .map((d) => d.name)
    .join(', ');

// $1 user, $2 folder: a system user without login owning the folder of every mailbox.
const STORE_SCRIPT = `set -eu
user=$1 dir=$2
getent passwd "$user" >/dev/null ||
  useradd --system --user-group --home-dir "$dir" --no-create-home --shell /usr/sbin/nologin "$user"
mkdir -p -- "$dir"
chown "$user:$user" -- "$dir"
# g-s: /var/mail is set-group-ID on Debian, and a new folder in it inherits that.
chmod 0750 -- "$dir"
chmod g-s -- "$dir"
`;

function storeAction(ctx: PlanContext): Action | undefined {
  const { storeUser, storeDir } = ctx.facts.dovecot;
  if (storeUser && storeDir === STORE_STATE) return undefined;
  return {
    id: 'mailboxes:store',
    kind: 'mailboxes',
    title: `Create the mail store ${MAIL_STORE_DIR}, owned by the system user ${MAIL_STORE_USER}`,
    reason: !storeUser
      ? `there is no user ${MAIL_STORE_USER} to own the mailboxes`
      : `${MAIL_STORE_DIR} is ${storeDir ?? 'missing'}, must be ${STORE_STATE}`,
    async apply(actx) {
      await actx.run(shellScript(STORE_SCRIPT, [MAIL_STORE_USER, MAIL_STORE_DIR]));
    },
    async verify(actx) {
      const r = await actx.run(shellCommand(['stat', '-c', '%U:%G %a', '--', MAIL_STORE_DIR]));
      if (r.stdout.trim() !== STORE_STATE)
        throw new Error(`${MAIL_STORE_DIR} is ${r.stdout.trim()}, must be ${STORE_STATE}`);
    },
  };
}

/** Dovecot and its mail store, before chasquid is pointed at them. */
export const planMailboxStore: ActionPlanner = (ctx) => {
  if (!hasMailboxes(ctx.host)) return [];
  return [ctx.facts.dovecot.installed ? undefined : installAction(ctx), storeAction(ctx)].filter(
    (a): a is Action => a !== undefined,
  );
};

/** Still active a second after the restart (Dovecot exits at once on a configuration it cannot use). */
const DOVECOT_RUNNING_SCRIPT = `sleep 1
state=$(systemctl is-active dovecot)
echo "dovecot is $state"
[ "$state" = active ]
`;

async function restartDovecot(ctx: ApplyContext): Promise<boolean> {
  await ctx.run(shellCommand(['systemctl', 'reset-failed', 'dovecot']), { check: false });
  await ctx.run(shellCommand(['systemctl', 'restart', 'dovecot']), { check: false, timeoutMs: 60_000 });
  const r = await ctx.run(shellScript(DOVECOT_RUNNING_SCRIPT), { check: false, timeoutMs: 30_000 });
  return r.exitCode === 0;
}

async function dovecotLog(ctx: ApplyContext): Promise<string> {
  const r = await ctx.conn.exec(
    shellCommand(['journalctl', '-u', 'dovecot', '-n', '20', '--no-pager', '-o', 'short-iso']),
    { sudo: true, check: false },
  );
  return r.stdout.trim();
}

/** `doveconf -n` on the file just written: exit 0 when Dovecot accepts it. */
async function checkConf(ctx: ApplyContext): Promise<void> {
  const r = await ctx.run(shellCommand(['doveconf', '-n', '-c', DOVECOT_CONF_PATH]), {
    check: false,
    timeoutMs: 30_000,
  });
  if (r.exitCode !== 0)
    throw new Error(`doveconf refuses ${DOVECOT_CONF_PATH}: ${(r.stderr || r.stdout).trim()}`);
}

/** After the file is written: check it, restart Dovecot; on failure put the previous file back and restart again. */
async function takeConf(ctx: ApplyContext): Promise<void> {
  await checkConf(ctx);
  if (await restartDovecot(ctx)) return;
  const log = await dovecotLog(ctx);
  const restored = await journalOf(ctx).restore('action');
  const recovered = restored.length > 0 && (await restartDovecot(ctx));
  throw new Error(
    `Dovecot does not start with the new ${DOVECOT_CONF_PATH}. Put back ${restored.join(', ') || 'nothing'}; ` +
      `Dovecot ${recovered ? 'runs again with the previous configuration' : 'does not run with the previous configuration either'}.\n` +
      `Dovecot's log:\n${log}`,
  );
}

/** The whole dovecot.conf for the installed Dovecot; undefined when Mailwright cannot configure its version. */
export function desiredDovecotConf(host: HostConfig, version: string): string | undefined {
  const major = dovecotMajor(version);
  const dir = certDir(host.mailHost);
  return major && dovecotConf(major, { certFile: `${dir}/fullchain.pem`, keyFile: `${dir}/privkey.pem` });
}

function unsupported(version: string): Error {
  return new Error(
    `Dovecot ${version} is neither 2.3 nor 2.4: Mailwright writes the configuration of these two only.`,
  );
}

function confAction(ctx: PlanContext): Action | undefined {
  const title = `Write ${DOVECOT_CONF_PATH}: IMAPS on ${IMAPS_PORT}, LMTP and auth sockets for chasquid`;
  const version = ctx.facts.dovecot.version;
  if (!ctx.facts.dovecot.installed || !version) {
    // Written once the package is there: its version decides the syntax.
    let planned: Action | undefined;
    return {
      id: 'mailboxes:dovecot.conf',
      kind: 'mailboxes',
      title,
      reason: `Dovecot will be configured for ${mailboxDomains(ctx.host)} after install`,
      async apply(actx) {
        const fresh: PlanContext = {
          host: actx.host,
          facts: actx.facts,
          chasquidPath: actx.chasquidPath,
          now: actx.now,
        };
        if (!actx.facts.dovecot.installed || !actx.facts.dovecot.version)
          throw new Error(`Dovecot is not installed (${MAILBOX_PACKAGES.join(', ')}).`);
        planned = confAction(fresh);
        await planned?.apply(actx);
      },
      async verify(actx) {
        await planned?.verify(actx);
      },
    };
  }
  const desired = desiredDovecotConf(ctx.host, version);
  if (desired === undefined) {
    return {
      id: 'mailboxes:dovecot.conf',
      kind: 'mailboxes',
      title,
      reason: unsupported(version).message,
      apply: () => Promise.reject(unsupported(version)),
      verify: () => Promise.resolve(),
    };
  }
  return managedFileAction(
    ctx,
    {
      id: 'mailboxes:dovecot.conf',
      kind: 'mailboxes',
      path: DOVECOT_CONF_PATH,
      title,
      desired,
      reason:
        ctx.facts.dovecot.conf === undefined
          ? `${DOVECOT_CONF_PATH} is missing`
          : ctx.facts.chasquidState?.managed[DOVECOT_CONF_PATH] === undefined
            ? `${DOVECOT_CONF_PATH} is the distribution's; Mailwright writes the whole file (the distribution's is kept as the previous version)`
            : `${DOVECOT_CONF_PATH} differs from what Mailwright writes for Dovecot ${dovecotMajor(version)}`,
      owner: 'root:root',
      mode: '0644',
      afterWrite: takeConf,
    },
    ctx.facts.dovecot.conf,
  );
}

// $1 LMTP socket: Dovecot is active, enabled, and the socket chasquid delivers to exists.
const SERVICE_CHECK_SCRIPT = `state=$(systemctl is-active dovecot) boot=$(systemctl is-enabled dovecot)
[ "$state" = active ] || { echo "dovecot is $state, must be active" >&2; exit 1; }
[ "$boot" = enabled ] || { echo "dovecot is $boot at boot, must be enabled" >&2; exit 1; }
[ -S "$1" ] || { echo "$1 does not exist: chasquid cannot deliver" >&2; exit 1; }
`;

async function verifyDovecot(ctx: ApplyContext): Promise<void> {
  const r = await ctx.run(shellScript(SERVICE_CHECK_SCRIPT, [LMTP_SOCKET]), { check: false });
  if (r.exitCode !== 0) throw new Error(`${(r.stderr || r.stdout).trim()}\n${await dovecotLog(ctx)}`);
  let last: Error | undefined;
  for (let attempt = 0; attempt < 3 && !ctx.signal.aborted; attempt++) {
    try {
      return await probeImaps(probeAddress(ctx), IMAPS_PORT, ctx.host.mailHost, probeOrigin(ctx)?.dial);
    } catch (e) {
      last = e as Error;
      await sleep(2_000, ctx.signal);
    }
  }
  throw new Error(
    `${seenFrom(probeOrigin(ctx))}, ${probeAddress(ctx)}: ${(last ?? new Error('cancelled')).message}`,
  );
}

function serviceAction(reason: string): Action {
  return {
    id: 'service:dovecot',
    kind: 'mailboxes',
    title: `Enable and start Dovecot, then check IMAPS on ${IMAPS_PORT} from here`,
    reason,
    async apply(actx) {
      await actx.run(shellCommand(['systemctl', 'enable', 'dovecot']));
      const r = await actx.run(shellCommand(['systemctl', 'is-active', 'dovecot']), { check: false });
      if (r.stdout.trim() !== 'active' && !(await restartDovecot(actx))) {
        throw new Error(`Dovecot does not start.\n${await dovecotLog(actx)}`);
      }
    },
    verify: verifyDovecot,
  };
}

/** dovecot.conf and the running service: after the certificate, which the configuration names. */
export const planDovecot: ActionPlanner = (ctx) => {
  if (!hasMailboxes(ctx.host)) return [];
  const { dovecot, listening } = ctx.facts;
  const conf = confAction(ctx);
  const reasons: string[] = [];
  if (conf) reasons.push(`${DOVECOT_CONF_PATH} changes`);
  if (dovecot.installed && dovecot.active !== 'active')
    reasons.push(`dovecot is ${dovecot.active ?? 'not running'}, must be active`);
  if (dovecot.installed && dovecot.enabled !== 'enabled')
    reasons.push(`dovecot is ${dovecot.enabled ?? 'not enabled'} at boot, must be enabled`);
  if (!listening.some((l) => l.port === IMAPS_PORT)) reasons.push(`nothing listens on port ${IMAPS_PORT}`);
  return [conf, reasons.length > 0 ? serviceAction(reasons.join('; ')) : undefined].filter(
    (a): a is Action => a !== undefined,
  );
};

/**
 * Dovecot reads the certificate files when it (re)loads its configuration: after a certificate
 * of the mail host changes, a running Dovecot of a host with mailboxes is reloaded.
 */
export async function reloadDovecotForCertificate(ctx: ApplyContext): Promise<void> {
  if (!hasMailboxes(ctx.host)) return;
  ctx.log('Reloading Dovecot for the new certificate');
  await ctx.run(DOVECOT_RELOAD, { check: false });
}
