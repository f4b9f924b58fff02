// Several hosts at once: each host is planned and applied on its own, all of them at the same
// time, and a host that cannot be reached, is refused or fails does not stop the others. The
// combined plan and the per-host results read the same in the CLI and the editor.
import { printable } from '../printable';
import type { SshTarget } from '../config';
import { CancelledError, describeTarget } from '../remote';
import { UsageError } from '../errors';
import { consentsMissing, type ApplyResult } from './engine';
import { formatPlan } from './format';
import type { DriftDecision, Plan } from './types';

/** One host's part of the combined plan: its plan, or why there is none. */
export interface FleetEntry {
  host: string;
  /** The SSH target as shown to the user (user@host:port), when known. */
  target?: string;
  plan?: Plan;
  /** Why this host has no plan (unreachable, refused by the planner, not ready): shown, never applied. */
  refused?: string;
}

export type FleetStatus = 'ok' | 'nothing' | 'failed' | 'cancelled';

/** How one host's run ended. */
export interface FleetOutcome {
  host: string;
  status: FleetStatus;
  /** Applied actions (ok), or the reason (failed), in plain words. */
  detail: string;
}

/** The message of anything thrown, one or more lines, without control characters from a server. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return printable(message, { keepNewlines: true });
}

/**
 * Plans every host at the same time. A host whose planning throws gets `refused` with the reason;
 * the others are planned all the same. When `signal` is aborted, throws CancelledError (Ctrl-C
 * cancels every host, not just the one that noticed).
 */
export async function planFleet<H extends { name: string; ssh?: SshTarget }>(
  hosts: readonly H[],
  planOne: (host: H) => Promise<{ plan: Plan; target?: string }>,
  signal?: AbortSignal,
): Promise<FleetEntry[]> {
  const settled = await Promise.allSettled(hosts.map((host) => planOne(host)));
  if (signal?.aborted) throw new CancelledError();
  return settled.map((result, index) => {
    const { name: host, ssh } = hosts[index]!;
    // The target the connection used, else the one mailwright.yaml names (a host never reached).
    const target =
      (result.status === 'fulfilled' ? result.value.target : undefined) ?? (ssh && describeTarget(ssh));
    return result.status === 'fulfilled'
      ? { host, ...(target && { target }), plan: result.value.plan }
      : { host, ...(target && { target }), refused: reasonOf(result.reason) };
  });
}

/** Marks an entry refused (e.g. files edited by hand and no drift decision), keeping its plan shown. */
export function refuse(entry: FleetEntry, reason: string): FleetEntry {
  return { ...entry, refused: reason };
}

/** The files of a plan edited on the server by hand since Mailwright wrote them. */
export function driftedPaths(plan: Plan): string[] {
  return plan.actions.filter((a) => a.drift).map((a) => a.drift!.path);
}

/** Why a host is refused when the user said no to a step that needs consent. */
export const CONSENT_DECLINED = 'You did not consent to storing a secret on the server.';

/** What decides, per host, whether its plan may run: the same for the CLI and the editor. */
export interface FleetGates {
  /** What to do with files edited by hand ('keep' or 'overwrite' them all); undefined refuses such a host. */
  driftDecision?: DriftDecision;
  /** Why a host with files edited by hand is refused when there is no decision. */
  driftRefusal: (paths: string[]) => string;
  /**
   * Asks for the consents a host's plan needs (consentsMissing): the ids given, or undefined when
   * the user said no (the host is refused with CONSENT_DECLINED), or a thrown UsageError whose
   * message becomes the refusal (nobody can be asked, say). Called one host at a time.
   */
  consent: (host: string, missing: { id: string; question: string }[]) => Promise<string[] | undefined>;
}

/**
 * The refusals of a combined plan, decided once for every front end: a host with files edited by
 * hand and no decision is refused, then each remaining host with steps needing consent is asked,
 * one host after the other; a no refuses that host alone. Returns the entries and each host's consents.
 */
export async function gateFleet(
  entries: readonly FleetEntry[],
  gates: FleetGates,
): Promise<{ entries: FleetEntry[]; consents: Map<string, string[]> }> {
  const consents = new Map<string, string[]>();
  const gated: FleetEntry[] = [];
  for (let entry of entries) {
    const drifted = entry.plan && !entry.refused ? driftedPaths(entry.plan) : [];
    if (drifted.length > 0 && !gates.driftDecision) entry = refuse(entry, gates.driftRefusal(drifted));
    const missing = entry.plan && !entry.refused ? consentsMissing(entry.plan) : [];
    if (missing.length > 0) {
      try {
        const given = await gates.consent(entry.host, missing);
        if (given) consents.set(entry.host, given);
        else entry = refuse(entry, CONSENT_DECLINED);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        entry = refuse(entry, e.message);
      }
    }
    gated.push(entry);
  }
  return { entries: gated, consents };
}

/** The hosts the combined plan would change: planned, not refused, with something to do. */
export function changingEntries(entries: readonly FleetEntry[]): (FleetEntry & { plan: Plan })[] {
  return entries.filter(
    (e): e is FleetEntry & { plan: Plan } => !e.refused && !!e.plan && e.plan.actions.length > 0,
  );
}

/** The number of actions the combined plan would apply (refused hosts' plans are not applied). */
export function fleetActionCount(entries: readonly FleetEntry[]): number {
  return entries.reduce((n, e) => n + (e.refused || !e.plan ? 0 : e.plan.actions.length), 0);
}

/** The combined plan: a header per host, its plan or why it has none, then one line for the whole. */
export function formatFleetPlan(entries: readonly FleetEntry[]): string {
  const out: string[] = [];
  for (const entry of entries) {
    out.push(`=== ${entry.host}${entry.target ? ` (${entry.target})` : ''} ===`);
    if (entry.plan) out.push(formatPlan(entry.plan, entry.target ?? entry.host));
    if (entry.refused)
      out.push(
        `REFUSED: ${entry.host} will not be changed:`,
        ...entry.refused.split('\n').map((l) => `  ${l}`),
      );
    out.push('');
  }
  const changing = changingEntries(entries);
  const right = entries.filter((e) => !e.refused && e.plan && e.plan.actions.length === 0);
  const refused = entries.filter((e) => e.refused);
  const parts = [
    `${changing.length} to change (${fleetActionCount(entries)} action(s))`,
    `${right.length} already right`,
    ...(refused.length ? [`${refused.length} refused (${refused.map((e) => e.host).join(', ')})`] : []),
  ];
  out.push(`${entries.length} host(s): ${parts.join(', ')}.`);
  return out.join('\n');
}

/**
 * Applies every planned host at the same time through `applyOne`; refused hosts are reported as
 * failed without being touched, and an empty plan is "nothing to do". A host whose run throws
 * or fails does not stop the others.
 */
export async function applyFleet(
  entries: readonly FleetEntry[],
  applyOne: (entry: FleetEntry & { plan: Plan }) => Promise<ApplyResult>,
): Promise<FleetOutcome[]> {
  return Promise.all(
    entries.map(async (entry): Promise<FleetOutcome> => {
      const host = entry.host;
      if (entry.refused || !entry.plan) return { host, status: 'failed', detail: entry.refused ?? 'no plan' };
      if (entry.plan.actions.length === 0)
        return { host, status: 'nothing', detail: 'the server already matches mailwright.yaml' };
      try {
        const result = await applyOne({ ...entry, plan: entry.plan });
        if (result.ok) return { host, status: 'ok', detail: `${result.applied.length} action(s) applied` };
        if (result.cancelled)
          return { host, status: 'cancelled', detail: `cancelled after ${result.applied.length} action(s)` };
        const failed = result.failed;
        return {
          host,
          status: 'failed',
          detail: failed
            ? `stopped at "${failed.id}": ${printable(failed.message)}${failed.hint ? ` (${printable(failed.hint)})` : ''}`
            : 'the run failed',
        };
      } catch (error) {
        return { host, status: 'failed', detail: reasonOf(error) };
      }
    }),
  );
}

const STATUS_WORD: Record<FleetStatus, string> = {
  ok: 'ok',
  nothing: 'nothing to do',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
};

/** One line per host (a multi-line reason indented under it), then the count that matters. */
export function formatFleetResults(outcomes: readonly FleetOutcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.host.length), 4);
  const out = ['Results:'];
  for (const o of outcomes) {
    const [first = '', ...rest] = o.status === 'nothing' ? [] : o.detail.split('\n');
    out.push(`  ${o.host.padEnd(width)}  ${STATUS_WORD[o.status]}${first ? `: ${first}` : ''}`);
    for (const line of rest) out.push(`  ${' '.repeat(width)}      ${line}`);
  }
  const bad = outcomes.filter((o) => o.status === 'failed' || o.status === 'cancelled');
  out.push(
    bad.length === 0
      ? `All ${outcomes.length} host(s) succeeded.`
      : `${bad.length} of ${outcomes.length} host(s) did not succeed: ${bad.map((o) => o.host).join(', ')}.`,
  );
  return out.join('\n');
}

/** 0 when every host succeeded (or had nothing to do), 130 when cancelled, else 1. */
export function fleetExitCode(outcomes: readonly FleetOutcome[]): number {
  if (outcomes.some((o) => o.status === 'cancelled')) return 130;
  return outcomes.every((o) => o.status === 'ok' || o.status === 'nothing') ? 0 : 1;
}

/** Runs the given tasks one at a time, in call order (e.g. commits into one workspace repository). */
export function oneAtATime(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>) => {
    const next = tail.then(task, task);
    tail = next.catch(() => undefined);
    return next;
  };
}
