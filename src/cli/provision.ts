// mailwright plan / apply: the model's loop from the command line.
import { dirname } from 'node:path';
import type { HostConfig } from '../core/config';
import { gatherFacts } from '../core/facts';
import { applyCommitLines, historyChoice, preloadGit, serverStateOf, snapshotConf } from '../core/git';
import {
  applyFleet,
  applyPlan,
  changingEntries,
  consentsMissing,
  driftedPaths,
  eventPrinter,
  fleetActionCount,
  fleetExitCode,
  formatFleetPlan,
  formatFleetResults,
  gateFleet,
  gatherWhenReady,
  oneAtATime,
  planFleet,
  planHost,
  planLines,
  type ApplyResult,
  type DriftDecision,
  type FleetEntry,
  type Plan,
} from '../core/plan';
import { describeTarget, EnvSecretStore } from '../core/remote';
import type { CommandFn } from './command-types';
import type { ConnectFlags } from './connect';
import { CommandContext, type Target } from './context';
import { info, out, UsageError } from './output';
import { isInteractive, promptHidden, promptYesNo } from './prompt';

/** plan and apply take several hosts: --host repeated (in order), or --all of mailwright.yaml. */
type FleetFlags = Omit<ConnectFlags, 'host'> & {
  host?: string[];
  all?: boolean;
  yes?: boolean;
  'overwrite-drift'?: boolean;
  'keep-drift'?: boolean;
  from?: string;
  'detailed-exitcode'?: boolean;
  'no-commit'?: boolean;
  /** Consent to the plan's steps that store a secret on the server (a DNS credential for renewal). */
  'store-credential-on-server'?: boolean;
};

/** The hosts the flags name when they name several (--all, or --host twice or more); else undefined. */
function fleetHosts(flags: FleetFlags, context: CommandContext): HostConfig[] | undefined {
  const names = flags.host ?? [];
  if (!flags.all && names.length <= 1) return undefined;
  const hosts = flags.all ? context.fleet : names.map((name) => context.hostNamed(name));
  if (hosts.length === 0) throw new UsageError(`${context.configPath} has no hosts.`);
  return hosts;
}

/** The flags' refusals that need no mailwright.yaml: told before it is read. */
function checkFleetFlags(flags: FleetFlags): void {
  const names = flags.host ?? [];
  if (flags.all && names.length > 0) throw new UsageError('Give --all or --host, not both.');
  if (!flags.all && names.length <= 1) return;
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated) throw new UsageError(`--host ${repeated} is given twice.`);
  if (flags.from)
    throw new UsageError("--from names a step of one host's plan: use it with a single --host.");
}

/** The context of plan and apply: --host may be repeated, so the one host is the first one. */
function openContext(flags: FleetFlags): Promise<CommandContext> {
  checkFleetFlags(flags);
  return CommandContext.open({ ...flags, host: flags.host?.[0] });
}

async function makePlan(
  context: CommandContext,
  host: HostConfig,
  signal: AbortSignal,
  say: (line: string) => void = info,
): Promise<Plan> {
  const facts = await context.hostFacts(host, signal, (conn) =>
    gatherWhenReady(() => gatherFacts(conn, { signal }), {
      signal,
      onWaiting: (reason, ms) =>
        say(`${reason} Checking again in ${Math.round(ms / 1000)} s (Ctrl-C to stop).`),
    }),
  );
  return planHost(host, facts);
}

/** Connects to and plans every host of the run at the same time; a host that cannot be planned is refused. */
async function planRun(
  context: CommandContext,
  hosts: HostConfig[],
  signal: AbortSignal,
): Promise<FleetEntry[]> {
  return planFleet(
    hosts,
    async (host) => {
      const conn = await context.connection(host);
      const plan = await makePlan(context, host, signal, (line) => info(`${host.name}: ${line}`));
      return { plan, target: describeTarget(conn.target) };
    },
    signal,
  );
}

function driftDecision(flags: FleetFlags): DriftDecision | undefined {
  if (flags['overwrite-drift'] && flags['keep-drift'])
    throw new UsageError('Choose one of --overwrite-drift and --keep-drift.');
  return flags['overwrite-drift'] ? 'overwrite' : flags['keep-drift'] ? 'keep' : undefined;
}

const CONSENT_NEEDED =
  'This step stores a secret on the server and needs your explicit consent: pass --store-credential-on-server, or set acme.renewOn: client (a DNS credential) or remove monitor.webhook (an alert webhook). Nothing was changed.';

/**
 * The consents a plan's steps need (a DNS credential stored on the server): given by
 * --store-credential-on-server or asked on the terminal; undefined when refused.
 */
async function collectConsents(
  missing: { id: string; question: string }[],
  flags: FleetFlags,
  ask: Turns['ask'],
): Promise<string[] | undefined> {
  const consents: string[] = [];
  for (const { id, question } of missing) {
    if (flags['store-credential-on-server']) consents.push(id);
    else if (flags.yes || !isInteractive()) throw new UsageError(`${question}\n${CONSENT_NEEDED}`);
    else if (await ask(() => promptYesNo(question))) consents.push(id);
    else return undefined;
  }
  return consents;
}

function undecidedDrift(count: number): string {
  return `${count} file(s) were edited on the server (diff above). Run again with --keep-drift to leave them as they are, or --overwrite-drift to replace them.`;
}

/** Where hosts running side by side take turns: the terminal's questions, and the workspace repository. */
interface Turns {
  ask: <T>(task: () => Promise<T>) => Promise<T>;
  commit: <T>(task: () => Promise<T>) => Promise<T>;
}

const ALONE: Turns = { ask: (task) => task(), commit: (task) => task() };

/** Runs one host's plan, printing its progress through `write`, and commits what changed. */
async function applyHost(
  t: Target,
  plan: Plan,
  flags: FleetFlags,
  signal: AbortSignal,
  write: (line: string) => void,
  consents: string[],
  turns: Turns = ALONE,
): Promise<ApplyResult> {
  const decision = driftDecision(flags);
  const drifted = driftedPaths(plan);
  const result = await applyPlan(plan, {
    conn: t.conn,
    host: t.host,
    secrets: new EnvSecretStore(),
    askSecret: isInteractive() ? (_key, prompt) => turns.ask(() => promptHidden(`${prompt}: `)) : undefined,
    signal,
    startAt: flags.from,
    consents,
    driftDecisions: decision ? Object.fromEntries(drifted.map((p) => [p, decision])) : undefined,
    regather: () => gatherFacts(t.conn, { signal }),
    onEvent: eventPrinter(write),
  });
  // Whatever this run changed: the snapshot commits when the server differs from the last commit.
  if (!flags['no-commit']) {
    await turns
      .commit(() => commitSnapshot(t, plan, result.applied))
      .catch((e: unknown) => {
        if (result.ok) throw e;
        info(`Could not commit conf/${t.host.name}/: ${(e as Error).message}`);
      });
  }
  return result;
}

export const planCommand: CommandFn = async (parsed, signal) => {
  const flags = parsed.flags as FleetFlags;
  const context = await openContext(flags);
  try {
    const hosts = fleetHosts(flags, context);
    if (hosts) {
      const entries = await planRun(context, hosts, signal);
      out(...formatFleetPlan(entries).split('\n'));
      const actions = fleetActionCount(entries);
      if (actions)
        info('', `${actions} action(s). Run \`mailwright apply\` with the same hosts to make these changes.`);
      if (entries.some((e) => e.refused)) return 1;
      return flags['detailed-exitcode'] && actions > 0 ? 2 : 0;
    }
    const t = await context.target();
    const plan = await makePlan(context, t.host, signal);
    out(...planLines(plan, describeTarget(t.conn.target)));
    if (plan.actions.length)
      info('', `${plan.actions.length} action(s). Run \`mailwright apply\` to make these changes.`);
    return flags['detailed-exitcode'] && plan.actions.length > 0 ? 2 : 0;
  } finally {
    await context.close();
  }
};

export const applyCommand: CommandFn = async (parsed, signal) => {
  const flags = parsed.flags as FleetFlags;
  const decision = driftDecision(flags);
  const context = await openContext(flags);
  try {
    const hosts = fleetHosts(flags, context);
    if (hosts) return await applyFleetCommand(context, hosts, flags, decision, signal);
    const t = await context.target();
    // Every apply ends with git (the snapshot): its module loads while the facts are on their way.
    if (!flags['no-commit']) preloadGit();
    const plan = await makePlan(context, t.host, signal);
    out(...planLines(plan, describeTarget(t.conn.target)));
    if (plan.actions.length === 0) {
      if (!flags['no-commit']) await commitSnapshot(t, plan, []);
      return 0;
    }

    const drifted = driftedPaths(plan);
    if (drifted.length > 0 && !decision) throw new UsageError(undecidedDrift(drifted.length));
    const consents = await collectConsents(consentsMissing(plan), flags, ALONE.ask);
    if (!consents) {
      info('Nothing changed. Set acme.renewOn: client to renew from this machine instead.');
      return 1;
    }
    if (!flags.yes) {
      if (!isInteractive()) throw new UsageError('Not a terminal: pass --yes to apply without asking.');
      if (!(await promptYesNo(`Apply ${plan.actions.length} action(s) to ${t.host.name}?`))) {
        info('Nothing changed.');
        return 1;
      }
    }
    const result = await applyHost(t, plan, flags, signal, (line) => out(line), consents);
    return result.ok ? 0 : result.cancelled ? 130 : 1;
  } finally {
    await context.close();
  }
};

/** apply over several hosts: one combined plan, one question, every host at once, a result per host. */
async function applyFleetCommand(
  context: CommandContext,
  hosts: HostConfig[],
  flags: FleetFlags,
  decision: DriftDecision | undefined,
  signal: AbortSignal,
): Promise<number> {
  const turns: Turns = { ask: oneAtATime(), commit: oneAtATime() };
  const { entries, consents } = await gateFleet(await planRun(context, hosts, signal), {
    driftDecision: decision,
    driftRefusal: (paths) => undecidedDrift(paths.length),
    consent: (_host, missing) => collectConsents(missing, flags, turns.ask),
  });
  out(...formatFleetPlan(entries).split('\n'));
  const actions = fleetActionCount(entries);
  if (actions > 0 && !flags.yes) {
    if (!isInteractive()) throw new UsageError('Not a terminal: pass --yes to apply without asking.');
    const changing = changingEntries(entries);
    const question = `Apply ${actions} action(s) to ${changing.length} host(s) (${changing.map((e) => e.host).join(', ')})?`;
    if (!(await promptYesNo(question))) {
      info('Nothing changed.');
      return 1;
    }
  }
  const outcomes = await applyFleet(entries, async (entry) => {
    const t = await context.target(context.hostNamed(entry.host));
    // Hosts run side by side: each line says whose it is.
    const write = (line: string) => out(`${entry.host}: ${line}`);
    return applyHost(t, entry.plan, flags, signal, write, consents.get(entry.host) ?? [], turns);
  });
  out('', ...formatFleetResults(outcomes).split('\n'));
  return fleetExitCode(outcomes);
}

/** The conf directory goes into the workspace's git after every apply, when it differs from the last commit. */
async function commitSnapshot(t: Target, plan: Plan, applied: string[]): Promise<void> {
  if (historyChoice(t.git) === false) return; // git.history: false in mailwright.yaml
  const snapshot = await snapshotConf(t.conn, {
    workspaceRoot: dirname(t.configPath),
    hostName: t.host.name,
    actions: applyCommitLines(plan, applied),
    remote: t.git.remote,
    // An empty plan changed nothing since the facts: a server as at the last snapshot is not fetched again.
    serverState: plan.actions.length === 0 ? serverStateOf(plan.facts) : undefined,
  });
  if (snapshot.committed) {
    info(
      `Committed conf/${t.host.name}/ (${snapshot.changed.length} file(s)) as ${snapshot.commit?.slice(0, 10)}.`,
    );
  }
  if (snapshot.push && !snapshot.push.ok)
    info(`Push to ${snapshot.push.remote} failed: ${snapshot.push.error}`);
}
