// Always last: chasquid enabled, (re)started when a change needs it, and checked from the
// outside. A restart that fails puts back every file of the run and starts chasquid again
// with the previous configuration, so a bad change never leaves the server without mail.
import { splitLogLine } from '../../logs';
import { printable } from '../../printable';
import { shellCommand, shellScript, type RemoteConnection, type ShellLine } from '../../remote';
import { MAIL_PORT_NUMBERS } from '../../ports';
import { sleep } from '../../sleep';
import { journalOf } from '../journal';
import { changedSinceStart, confLoadProblem, readChasquidFileHashes } from '../running';
import { CHASQUID_CONF_PATH } from '../../chasquid/paths';
import { readRemoteFileIfExists } from '../../remote';
import type { Facts } from '../../facts';
import type { Action, ActionPlanner, ApplyContext } from '../types';
import { planCertificate } from './certificate';
import { hasSocketUnits, planConf } from './conf';
import { planDkim } from './dkim';
import { planDomains } from './domains';
import { planInstall } from './install';
import { probeAddress, probeMailPorts, probeOrigin } from './service-probe';

const MAIL_PORTS = MAIL_PORT_NUMBERS;
/** chasquid exits within a second on a bad configuration; systemd then restarts it (Restart=always). */
const SETTLE_MS = 3_000;

/** chasquid's socket units (socket activation), reset with it. */
export function chasquidSocketUnits(facts: Pick<Facts, 'chasquidUnits'>): string[] {
  return Object.keys(facts.chasquidUnits).filter((u) => /^chasquid-.*\.socket$/.test(u));
}

const socketUnitsOf = (ctx: ApplyContext) => chasquidSocketUnits(ctx.facts);

/**
 * Active, and still the same process after a pause of "$1" seconds (a crash loop shows up as a
 * new MainPID). Exit 0 when running.
 */
export const CHASQUID_RUNNING_SCRIPT = `set -u
pid1=$(systemctl show -p MainPID --value chasquid)
sleep "$1"
pid2=$(systemctl show -p MainPID --value chasquid)
state=$(systemctl is-active chasquid)
echo "$state $pid1 $pid2"
[ "$state" = active ] && [ "$pid1" = "$pid2" ] && [ "$pid1" != 0 ]
`;

/**
 * The one restart of chasquid, for a provision's service step and for a file saved from the
 * editor: reset a failed state, restart, let a crash show, then the running check above. `run`
 * executes a command as root (the run's streamed ctx.run, or the connection's exec). True when
 * chasquid keeps running.
 */
export async function restartChasquid(
  run: (
    command: ShellLine,
    opts: { check: false; timeoutMs: number },
  ) => Promise<{ exitCode: number | null }>,
  socketUnits: readonly string[],
  signal?: AbortSignal,
): Promise<boolean> {
  await run(shellCommand(['systemctl', 'reset-failed', 'chasquid', ...socketUnits]), {
    check: false,
    timeoutMs: 30_000,
  });
  await run(shellCommand(['systemctl', 'restart', 'chasquid']), { check: false, timeoutMs: 60_000 });
  await sleep(SETTLE_MS - 2_000, signal);
  const r = await run(shellScript(CHASQUID_RUNNING_SCRIPT, ['2']), { check: false, timeoutMs: 30_000 });
  return r.exitCode === 0;
}

const restart = (ctx: ApplyContext) => restartChasquid(ctx.run, socketUnitsOf(ctx), ctx.signal);

/** The last lines of chasquid's journal, for error messages. */
export async function chasquidLog(conn: RemoteConnection, lines = 30): Promise<string> {
  const r = await conn.exec(
    shellCommand(['journalctl', '-u', 'chasquid', '-n', String(lines), '--no-pager', '-o', 'short-iso']),
    { sudo: true, check: false },
  );
  return r.stdout.trim();
}

const recentLog = (ctx: ApplyContext) => chasquidLog(ctx.conn);

/**
 * Refuses to (re)start chasquid on a chasquid.conf it would not load: chasquid exits at once
 * on one, so a restart would take mail down. Every file of the run is put back (the run may be
 * what broke the file) and a running chasquid keeps what it started with.
 */
async function assertStartable(ctx: ApplyContext): Promise<void> {
  const conf = await readRemoteFileIfExists(ctx.conn, CHASQUID_CONF_PATH);
  if (conf === null) return;
  const problem = await confLoadProblem(ctx, conf.toString('utf8'));
  if (problem === undefined) return;
  const restored = await journalOf(ctx).restore('run');
  const active = ctx.facts.chasquid.active === 'active';
  throw new Error(
    `chasquid is not ${active ? 'restarted' : 'started'}: ${problem}. ` +
      (restored.length > 0 ? `Put back ${restored.join(', ')}. ` : '') +
      (active
        ? 'chasquid keeps running with the configuration it started with. '
        : 'chasquid stays stopped. ') +
      `Fix ${CHASQUID_CONF_PATH} on the server, or let Mailwright rewrite it (overwrite its drift), then apply again.`,
  );
}

const PROBLEM = /error|fatal|fail|cannot|can't|denied|invalid|no such|refused|in use|not found/i;

/**
 * Why chasquid stopped, from its journal (`chasquidLog`): its own last complaint, without the
 * journal's and Go's timestamps. Undefined when chasquid said nothing.
 */
export function startFailureCause(journal: string): string | undefined {
  const own = journal
    .split('\n')
    .filter((line) => /\schasquid\[\d+\]:/.test(line))
    .map((line) =>
      printable(splitLogLine(line).message)
        .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(?:\.\d+)? /, '')
        .trim(),
    )
    .filter(Boolean);
  const cause = own.filter((line) => PROBLEM.test(line)).at(-1) ?? own.at(-1);
  return cause && cause.length > 300 ? `${cause.slice(0, 299)}…` : cause;
}

/** "a, b and 3 more": the files a message names, without a list longer than the message. */
function someOf(paths: readonly string[]): string {
  return paths.length <= 3
    ? paths.join(', ')
    : `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more`;
}

async function applyService(ctx: ApplyContext): Promise<void> {
  await ctx.run(shellCommand(['systemctl', 'enable', 'chasquid', ...socketUnitsOf(ctx)]));
  const active = ctx.facts.chasquid.active === 'active';
  const journal = journalOf(ctx);
  // What chasquid will start with: the files as they are now, this run's changes included.
  const files = await readChasquidFileHashes(ctx.conn);
  const changed = changedSinceStart(journal.managed, files);
  const reasons = [
    ...ctx.restartReasons,
    ...(changed.length > 0 ? [`${changed.join(', ')} changed since chasquid started`] : []),
  ];
  if (reasons.length === 0 && active) {
    await ctx.run(shellCommand(['systemctl', 'start', 'chasquid']));
    return;
  }
  await assertStartable(ctx);
  if (reasons.length > 0) ctx.log(`Restarting chasquid: ${reasons.join(', ')}`);
  if (await restart(ctx)) {
    journal.recordRunning(files);
    return;
  }

  const log = await recentLog(ctx);
  const restored = await journal.restore('run');
  const recovered = restored.length > 0 && (await restart(ctx));
  if (recovered) journal.recordRunning(await readChasquidFileHashes(ctx.conn));
  const cause = startFailureCause(log);
  throw new Error(
    `chasquid does not start with the new configuration` +
      (cause ? `; it says: "${cause}". ` : ' and wrote nothing about why. ') +
      (restored.length > 0
        ? `Put back ${someOf(restored)}; chasquid ${recovered ? 'runs again with the previous configuration' : 'does not start with the previous configuration either'}.`
        : 'No file of this run to put back.') +
      ` Fix the cause, then apply again (chasquid's whole log: journalctl -u chasquid).`,
  );
}

async function verifyService(ctx: ApplyContext): Promise<void> {
  const r = await ctx.run(shellCommand(['systemctl', 'is-active', 'chasquid']), { check: false });
  if (r.stdout.trim() !== 'active') {
    throw new Error(`chasquid is ${r.stdout.trim() || 'not running'}.\n${await recentLog(ctx)}`);
  }
  // Sockets answer at once; a few tries cover a slow first TLS handshake under load.
  let last: Error | undefined;
  for (let attempt = 0; attempt < 3 && !ctx.signal.aborted; attempt++) {
    try {
      return await probeMailPorts(probeAddress(ctx), ctx.host.mailHost, probeOrigin(ctx));
    } catch (e) {
      last = e as Error;
      await sleep(2_000, ctx.signal);
    }
  }
  throw last ?? new Error('cancelled');
}

/** The service action itself, also for plans built by hand (tests). */
export function serviceAction(reason: string): Action {
  return {
    id: 'service:chasquid',
    kind: 'service',
    title: 'Enable and (re)start chasquid, then check 25, 587 and 465 from here',
    reason,
    apply: applyService,
    verify: verifyService,
  };
}

export const planService: ActionPlanner = (ctx) => {
  const { chasquid, listening } = ctx.facts;
  const reasons: string[] = [];
  const earlier = [planInstall, planConf, planDomains, planDkim, planCertificate].some(
    (p) => p(ctx).length > 0,
  );
  if (earlier) reasons.push('the changes above need chasquid (re)started');
  if (chasquid.installed && chasquid.active !== 'active')
    reasons.push(`chasquid is ${chasquid.active ?? 'not running'}, must be active`);
  if (chasquid.installed && chasquid.enabled !== 'enabled')
    reasons.push(`chasquid is ${chasquid.enabled ?? 'not enabled'} at boot, must be enabled`);
  const changed = changedSinceStart(ctx.facts.chasquidState?.managed ?? {}, ctx.facts.confFiles ?? {});
  if (chasquid.installed && changed.length > 0)
    reasons.push(`chasquid started before ${changed.join(', ')} changed: it must be restarted to use them`);
  const closed = MAIL_PORTS.filter((p) => !listening.some((l) => l.port === p));
  if (chasquid.installed && closed.length > 0) reasons.push(`nothing listens on port ${closed.join(', ')}`);
  if (chasquid.installed && hasSocketUnits(ctx.facts.chasquidUnits)) {
    const disabled = Object.entries(ctx.facts.chasquidUnits).filter(
      ([u, state]) => u.endsWith('.socket') && state !== 'enabled' && state !== 'static',
    );
    if (disabled.length > 0 && reasons.length > 0)
      reasons.push(`socket units ${disabled.map(([u]) => u).join(', ')} are not enabled`);
  }
  return reasons.length > 0 ? [serviceAction(reasons.join('; '))] : [];
};
