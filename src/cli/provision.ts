// mailwright plan / apply: the model's loop from the command line.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatIssue, loadConfig, type HostConfig } from '../core/config';
import { gatherFacts } from '../core/facts';
import { applyCommitLines, snapshotConf } from '../core/git';
import {
  applyPlan,
  eventPrinter,
  formatPlan,
  gatherWhenReady,
  planHost,
  type DriftDecision,
  type Plan,
} from '../core/plan';
import { describeTarget, EnvSecretStore, type RemoteConnection } from '../core/remote';
import { CONNECT_OPTIONS, connectFromFlags, type ConnectFlags } from './connect';
import { info, UsageError } from './output';
import { isInteractive, promptHidden, promptYesNo } from './prompt';

export const PROVISION_OPTIONS = {
  ...CONNECT_OPTIONS,
  yes: { type: 'boolean', short: 'y' },
  'overwrite-drift': { type: 'boolean' },
  'keep-drift': { type: 'boolean' },
  from: { type: 'string' },
  'detailed-exitcode': { type: 'boolean' },
  'no-commit': { type: 'boolean' },
} as const;

export interface Target {
  host: HostConfig;
  conn: RemoteConnection;
  configPath: string;
  /** mailwright.yaml git.remote: push after committing only when set. */
  gitRemote?: string;
}

/** The host to work on: --host NAME, or the only host of mailwright.yaml. */
/** The host of mailwright.yaml the flags name, without connecting (for work that needs no SSH). */
export async function hostFromFlags(
  flags: ConnectFlags,
): Promise<Pick<Target, 'host' | 'configPath' | 'gitRemote'>> {
  const configPath = resolve(flags.config ?? 'mailwright.yaml');
  if (!existsSync(configPath)) {
    throw new UsageError(`${configPath} does not exist. Create it (see README) or pass --config.`);
  }
  const loaded = await loadConfig(configPath);
  const errors = loaded.issues.filter((i) => i.severity === 'error');
  if (!loaded.config || errors.length > 0) throw new UsageError(errors.map(formatIssue).join('\n'));
  for (const w of loaded.issues.filter((i) => i.severity === 'warning')) info(formatIssue(w));
  const hosts = loaded.config.hosts;
  const name = flags.host ?? (hosts.length === 1 ? hosts[0]!.name : undefined);
  if (!name)
    throw new UsageError(
      `${configPath} has ${hosts.length} hosts: choose one with --host (${hosts.map((h) => h.name).join(', ')}).`,
    );
  const host = hosts.find((h) => h.name === name);
  if (!host)
    throw new UsageError(
      `No host named "${name}" in ${configPath} (hosts: ${hosts.map((h) => h.name).join(', ') || 'none'}).`,
    );
  return { host, configPath, gitRemote: loaded.config.git.remote };
}

export async function targetFromFlags(flags: ConnectFlags): Promise<Target> {
  const found = await hostFromFlags(flags);
  const conn = await connectFromFlags({ ...flags, host: found.host.name, config: found.configPath });
  return { ...found, conn };
}

async function makePlan(t: Target, signal: AbortSignal): Promise<Plan> {
  const facts = await gatherWhenReady(() => gatherFacts(t.conn, { signal }), {
    signal,
    onWaiting: (reason, ms) =>
      info(`${reason} Checking again in ${Math.round(ms / 1000)} s (Ctrl-C to stop).`),
  });
  return planHost(t.host, facts);
}

export async function planCommand(args: string[], signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({ args, options: PROVISION_OPTIONS, strict: true });
  const t = await targetFromFlags(values as ConnectFlags);
  try {
    const plan = await makePlan(t, signal);
    process.stdout.write(formatPlan(plan, describeTarget(t.conn.target)) + '\n');
    if (plan.actions.length)
      info(`\n${plan.actions.length} action(s). Run \`mailwright apply\` to make these changes.`);
    return values['detailed-exitcode'] && plan.actions.length > 0 ? 2 : 0;
  } finally {
    t.conn.close();
  }
}

export async function applyCommand(args: string[], signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({ args, options: PROVISION_OPTIONS, strict: true });
  if (values['overwrite-drift'] && values['keep-drift'])
    throw new UsageError('Choose one of --overwrite-drift and --keep-drift.');
  const t = await targetFromFlags(values as ConnectFlags);
  try {
    const plan = await makePlan(t, signal);
    process.stdout.write(formatPlan(plan, describeTarget(t.conn.target)) + '\n');
    if (plan.actions.length === 0) {
      if (!values['no-commit']) await commitSnapshot(t, plan, []);
      return 0;
    }

    const drifted = plan.actions.filter((a) => a.drift).map((a) => a.drift!.path);
    const decision: DriftDecision | undefined = values['overwrite-drift']
      ? 'overwrite'
      : values['keep-drift']
        ? 'keep'
        : undefined;
    if (drifted.length > 0 && !decision) {
      throw new UsageError(
        `${drifted.length} file(s) were edited on the server (diff above). Run again with --keep-drift to leave them as they are, or --overwrite-drift to replace them.`,
      );
    }
    if (!values.yes) {
      if (!isInteractive()) throw new UsageError('Not a terminal: pass --yes to apply without asking.');
      if (!(await promptYesNo(`Apply ${plan.actions.length} action(s) to ${t.host.name}?`))) {
        info('Nothing changed.');
        return 1;
      }
    }
    const result = await applyPlan(plan, {
      conn: t.conn,
      host: t.host,
      secrets: new EnvSecretStore(),
      askSecret: isInteractive() ? (_key, prompt) => promptHidden(`${prompt}: `) : undefined,
      signal,
      startAt: values.from,
      driftDecisions: decision ? Object.fromEntries(drifted.map((p) => [p, decision])) : undefined,
      regather: () => gatherFacts(t.conn, { signal }),
      onEvent: eventPrinter((line) => process.stdout.write(line + '\n')),
    });
    // Whatever this run changed: the snapshot commits when the server differs from the last commit.
    if (!values['no-commit']) {
      await commitSnapshot(t, plan, result.applied).catch((e: unknown) => {
        if (result.ok) throw e;
        info(`Could not commit conf/${t.host.name}/: ${(e as Error).message}`);
      });
    }
    return result.ok ? 0 : result.cancelled ? 130 : 1;
  } finally {
    t.conn.close();
  }
}

/** The conf directory goes into the workspace's git after every apply, when it differs from the last commit. */
async function commitSnapshot(t: Target, plan: Plan, applied: string[]): Promise<void> {
  const snapshot = await snapshotConf(t.conn, {
    workspaceRoot: dirname(t.configPath),
    hostName: t.host.name,
    actions: applyCommitLines(plan, applied),
    remote: t.gitRemote,
  });
  if (snapshot.committed) {
    info(
      `Committed conf/${t.host.name}/ (${snapshot.changed.length} file(s)) as ${snapshot.commit?.slice(0, 10)}.`,
    );
  }
  if (snapshot.push && !snapshot.push.ok)
    info(`Push to ${snapshot.push.remote} failed: ${snapshot.push.error}`);
}
