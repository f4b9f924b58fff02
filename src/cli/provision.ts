// mailwright plan / apply: the model's loop from the command line.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { formatIssue, loadConfig, type HostConfig } from '../core/config';
import { gatherFacts } from '../core/facts';
import { applyCommitLines, serverStateOf, snapshotConf } from '../core/git';
import {
  applyFleet,
  applyPlan,
  consentsMissing,
  eventPrinter,
  fleetActionCount,
  fleetExitCode,
  formatFleetPlan,
  formatFleetResults,
  gatherWhenReady,
  oneAtATime,
  planFleet,
  planHost,
  planLines,
  refuse,
  type ApplyResult,
  type DriftDecision,
  type FleetEntry,
  type Plan,
} from '../core/plan';
import { describeTarget, EnvSecretStore, type RemoteConnection } from '../core/remote';
import type { CommandFn } from './command-types';
import { connectionForHost, type ConnectFlags } from './connect';
import { info, out, UsageError } from './output';
import { isInteractive, promptHidden, promptYesNo } from './prompt';

export interface Target {
  host: HostConfig;
  conn: RemoteConnection;
  configPath: string;
  /** mailwright.yaml git.remote: push after committing only when set. */
  gitRemote?: string;
  /** Every host of mailwright.yaml (a domain may be served by several). */
  fleet: HostConfig[];
}

/** mailwright.yaml as the flags name it, refused with every error in it; warnings are printed. */
async function loadDesired(flags: ConnectFlags): Promise<Pick<Target, 'configPath' | 'gitRemote' | 'fleet'>> {
  const configPath = resolve(flags.config ?? 'mailwright.yaml');
  if (!existsSync(configPath)) {
    throw new UsageError(`${configPath} does not exist. Create it (see README) or pass --config.`);
  }
  const loaded = await loadConfig(configPath);
  const errors = loaded.issues.filter((i) => i.severity === 'error');
  if (!loaded.config || errors.length > 0) throw new UsageError(errors.map(formatIssue).join('\n'));
  for (const w of loaded.issues.filter((i) => i.severity === 'warning')) info(formatIssue(w));
  return { configPath, gitRemote: loaded.config.git.remote, fleet: loaded.config.hosts };
}

function hostNamed(name: string, desired: Pick<Target, 'configPath' | 'fleet'>): HostConfig {
  const host = desired.fleet.find((h) => h.name === name);
  if (!host)
    throw new UsageError(
      `No host named "${name}" in ${desired.configPath} (hosts: ${desired.fleet.map((h) => h.name).join(', ') || 'none'}).`,
    );
  return host;
}

/** The host of mailwright.yaml the flags name (--host NAME, or the only host), without connecting. */
export async function hostFromFlags(
  flags: ConnectFlags,
): Promise<Pick<Target, 'host' | 'configPath' | 'gitRemote' | 'fleet'>> {
  const desired = await loadDesired(flags);
  const hosts = desired.fleet;
  const name = flags.host ?? (hosts.length === 1 ? hosts[0]!.name : undefined);
  if (!name)
    throw new UsageError(
      `${desired.configPath} has ${hosts.length} hosts: choose one with --host (${hosts.map((h) => h.name).join(', ')}).`,
    );
  return { ...desired, host: hostNamed(name, desired) };
}

export async function targetFromFlags(flags: ConnectFlags): Promise<Target> {
  const found = await hostFromFlags(flags);
  return { ...found, conn: connectionForHost(found.host, flags) };
}

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
async function fleetFromFlags(flags: FleetFlags): Promise<FleetRun | undefined> {
  const names = flags.host ?? [];
  if (flags.all && names.length > 0) throw new UsageError('Give --all or --host, not both.');
  if (!flags.all && names.length <= 1) return undefined;
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated) throw new UsageError(`--host ${repeated} is given twice.`);
  if (flags.from)
    throw new UsageError("--from names a step of one host's plan: use it with a single --host.");
  const desired = await loadDesired({ ...flags, host: undefined });
  const hosts = flags.all ? desired.fleet : names.map((name) => hostNamed(name, desired));
  if (hosts.length === 0) throw new UsageError(`${desired.configPath} has no hosts.`);
  return { ...desired, hosts, conns: new Map() };
}

interface FleetRun extends Pick<Target, 'configPath' | 'gitRemote' | 'fleet'> {
  hosts: HostConfig[];
  /** Each host's connection, opened while planning and reused to apply. */
  conns: Map<string, RemoteConnection>;
}

function closeAll(run: FleetRun): void {
  for (const conn of run.conns.values()) conn.close();
}

async function makePlan(t: Target, signal: AbortSignal, say: (line: string) => void = info): Promise<Plan> {
  const facts = await gatherWhenReady(() => gatherFacts(t.conn, { signal }), {
    signal,
    onWaiting: (reason, ms) =>
      say(`${reason} Checking again in ${Math.round(ms / 1000)} s (Ctrl-C to stop).`),
  });
  return planHost(t.host, facts);
}

/** Connects to and plans every host of the run at the same time; a host that cannot be planned is refused. */
async function planRun(run: FleetRun, flags: FleetFlags, signal: AbortSignal): Promise<FleetEntry[]> {
  return planFleet(
    run.hosts,
    async (host) => {
      const conn = connectionForHost(host, flags);
      run.conns.set(host.name, conn);
      const plan = await makePlan({ ...run, host, conn }, signal, (line) => info(`${host.name}: ${line}`));
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

function driftedPaths(plan: Plan): string[] {
  return plan.actions.filter((a) => a.drift).map((a) => a.drift!.path);
}

const CONSENT_NEEDED =
  'This step stores a secret on the server and needs your explicit consent: pass --store-credential-on-server, or set acme.renewOn: client. Nothing was changed.';

/**
 * The plan's steps that need the user's consent (a DNS credential stored on the server): given by
 * --store-credential-on-server or asked on the terminal; undefined when refused.
 */
async function collectConsents(
  plan: Plan,
  flags: FleetFlags,
  ask: Turns['ask'],
): Promise<string[] | undefined> {
  const consents: string[] = [];
  for (const { id, question } of consentsMissing(plan)) {
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
  const run = await fleetFromFlags(flags);
  if (run) {
    try {
      const entries = await planRun(run, flags, signal);
      out(...formatFleetPlan(entries).split('\n'));
      const actions = fleetActionCount(entries);
      if (actions)
        info('', `${actions} action(s). Run \`mailwright apply\` with the same hosts to make these changes.`);
      if (entries.some((e) => e.refused)) return 1;
      return flags['detailed-exitcode'] && actions > 0 ? 2 : 0;
    } finally {
      closeAll(run);
    }
  }
  const t = await targetFromFlags({ ...flags, host: flags.host?.[0] });
  try {
    const plan = await makePlan(t, signal);
    out(...planLines(plan, describeTarget(t.conn.target)));
    if (plan.actions.length)
      info('', `${plan.actions.length} action(s). Run \`mailwright apply\` to make these changes.`);
    return flags['detailed-exitcode'] && plan.actions.length > 0 ? 2 : 0;
  } finally {
    t.conn.close();
  }
};

export const applyCommand: CommandFn = async (parsed, signal) => {
  const flags = parsed.flags as FleetFlags;
  const decision = driftDecision(flags);
  const run = await fleetFromFlags(flags);
  if (run) {
    try {
      return await applyFleetCommand(run, flags, decision, signal);
    } finally {
      closeAll(run);
    }
  }
  const t = await targetFromFlags({ ...flags, host: flags.host?.[0] });
  try {
    const plan = await makePlan(t, signal);
    out(...planLines(plan, describeTarget(t.conn.target)));
    if (plan.actions.length === 0) {
      if (!flags['no-commit']) await commitSnapshot(t, plan, []);
      return 0;
    }

    const drifted = driftedPaths(plan);
    if (drifted.length > 0 && !decision) throw new UsageError(undecidedDrift(drifted.length));
    const consents = await collectConsents(plan, flags, ALONE.ask);
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
    t.conn.close();
  }
};

/** apply over several hosts: one combined plan, one question, every host at once, a result per host. */
async function applyFleetCommand(
  run: FleetRun,
  flags: FleetFlags,
  decision: DriftDecision | undefined,
  signal: AbortSignal,
): Promise<number> {
  const turns: Turns = { ask: oneAtATime(), commit: oneAtATime() };
  const consents = new Map<string, string[]>();
  const entries: FleetEntry[] = [];
  for (const planned of await planRun(run, flags, signal)) {
    let entry = planned;
    const drifted = entry.plan && !entry.refused ? driftedPaths(entry.plan) : [];
    if (drifted.length > 0 && !decision) entry = refuse(entry, undecidedDrift(drifted.length));
    if (entry.plan && !entry.refused) {
      try {
        const given = await collectConsents(entry.plan, flags, turns.ask);
        if (given) consents.set(entry.host, given);
        else entry = refuse(entry, 'You did not consent to storing a secret on the server.');
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        entry = refuse(entry, e.message);
      }
    }
    entries.push(entry);
  }
  out(...formatFleetPlan(entries).split('\n'));
  const actions = fleetActionCount(entries);
  if (actions > 0 && !flags.yes) {
    if (!isInteractive()) throw new UsageError('Not a terminal: pass --yes to apply without asking.');
    const changing = entries.filter((e) => !e.refused && e.plan && e.plan.actions.length > 0);
    const question = `Apply ${actions} action(s) to ${changing.length} host(s) (${changing.map((e) => e.host).join(', ')})?`;
    if (!(await promptYesNo(question))) {
      info('Nothing changed.');
      return 1;
    }
  }
  const outcomes = await applyFleet(entries, (entry) => {
    const host = run.hosts.find((h) => h.name === entry.host)!;
    const t: Target = { ...run, host, conn: run.conns.get(entry.host)! };
    // Hosts run side by side: each line says whose it is.
    const write = (line: string) => out(`${entry.host}: ${line}`);
    return applyHost(t, entry.plan, flags, signal, write, consents.get(entry.host) ?? [], turns);
  });
  out('', ...formatFleetResults(outcomes).split('\n'));
  return fleetExitCode(outcomes);
}

/** The conf directory goes into the workspace's git after every apply, when it differs from the last commit. */
async function commitSnapshot(t: Target, plan: Plan, applied: string[]): Promise<void> {
  const snapshot = await snapshotConf(t.conn, {
    workspaceRoot: dirname(t.configPath),
    hostName: t.host.name,
    actions: applyCommitLines(plan, applied),
    remote: t.gitRemote,
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
