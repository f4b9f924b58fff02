// Runs a plan: actions in order, each applied then verified, output streamed as
// events. A failing action puts back the files it changed and stops the run; a
// cancel stops between or inside actions the same way. Running again converges.
import { ExpectedError } from '../errors';
import {
  CancelledError,
  CommandError,
  RemoteError,
  type RemoteConnection,
  type SecretStore,
} from '../remote';
import type { Facts } from '../facts';
import type { HostConfig } from '../config';
import { RestoreError, RunJournal } from './journal';
import { OutputLines } from './output-lines';
import { chasquidPathOf } from './planner';
import type { Action, ApplyContext, ApplyEvent, DriftDecision, Plan, PlanInput } from './types';

export interface ApplyOptions {
  conn: RemoteConnection;
  host: HostConfig;
  secrets: SecretStore;
  askSecret?: (key: string, prompt: string) => Promise<string | undefined>;
  signal?: AbortSignal;
  onEvent?: (event: ApplyEvent) => void;
  /** Required for every action that carries drift. */
  driftDecisions?: Record<string, DriftDecision>;
  /** Ids of the actions with `consent` the user said yes to. */
  consents?: readonly string[];
  /** Start at this action (rerun from a failed one); earlier actions are skipped. */
  startAt?: string;
  /** Gathers facts again (after an action with refreshesFacts). */
  regather: () => Promise<Facts>;
  now?: Date;
}

export interface ApplyResult {
  ok: boolean;
  cancelled: boolean;
  applied: string[];
  changedFiles: string[];
  failed?: { id: string; message: string; hint?: string };
}

export class UndecidedDriftError extends ExpectedError {
  override name = 'UndecidedDriftError';
  constructor(readonly paths: string[]) {
    super(
      `These files were edited on the server since Mailwright wrote them: ${paths.join(', ')}.\n` +
        'Decide for each: keep the server version (the action is skipped) or overwrite it.',
    );
  }
}

/** Actions that need the user's explicit yes (consent) which was not given: nothing runs. */
export class ConsentNeededError extends Error {
  override name = 'ConsentNeededError';
  constructor(readonly actions: { id: string; question: string }[]) {
    super(
      `These steps need your explicit consent, so nothing was changed:\n` +
        actions.map((a) => `  - ${a.question}`).join('\n'),
    );
  }
}

/** The actions of a plan that need consent and do not have it. */
export function consentsMissing(
  plan: Plan,
  consents: readonly string[] = [],
): { id: string; question: string }[] {
  return plan.actions
    .filter((a) => a.consent && !consents.includes(a.id))
    .map((a) => ({ id: a.id, question: a.consent! }));
}

/** Every input the plan's actions (from `startAt` on) need, each key once, in plan order. */
export function planInputs(plan: Plan, startAt?: string): PlanInput[] {
  const from =
    startAt === undefined
      ? 0
      : Math.max(
          0,
          plan.actions.findIndex((a) => a.id === startAt),
        );
  const seen = new Map<string, PlanInput>();
  for (const action of plan.actions.slice(from))
    for (const input of action.inputs ?? []) if (!seen.has(input.key)) seen.set(input.key, input);
  return [...seen.values()];
}

/** The plan's inputs that `secrets` does not hold yet: what must be asked before Apply. */
export async function inputsMissing(
  plan: Plan,
  secrets: SecretStore,
  startAt?: string,
): Promise<PlanInput[]> {
  const missing: PlanInput[] = [];
  for (const input of planInputs(plan, startAt)) if (!(await secrets.get(input.key))) missing.push(input);
  return missing;
}

function hintFor(error: Error): string | undefined {
  if (error instanceof CommandError)
    return 'The remote output above says why. Fix the cause, then apply again: finished steps are not repeated.';
  if (error instanceof RemoteError) return error.hint;
  return undefined;
}

export async function applyPlan(plan: Plan, opts: ApplyOptions): Promise<ApplyResult> {
  const undecided = plan.actions
    .filter((a) => a.drift && !opts.driftDecisions?.[a.drift.path])
    .map((a) => a.drift!.path);
  if (undecided.length > 0) throw new UndecidedDriftError(undecided);
  const missing = consentsMissing(plan, opts.consents);
  if (missing.length > 0) throw new ConsentNeededError(missing);

  const signal = opts.signal ?? new AbortController().signal;
  const emit = (e: ApplyEvent) => opts.onEvent?.(e);
  const journal = new RunJournal(opts.conn, plan.facts.chasquidState?.managed ?? {}, signal);
  const restartReasons: string[] = [];
  let currentId = '';
  const ctx: ApplyContext = {
    conn: opts.conn,
    host: opts.host,
    facts: plan.facts,
    chasquidPath: chasquidPathOf(plan.facts),
    signal,
    log: (line) => emit({ type: 'output', id: currentId, line }),
    run: (command, runOpts = {}) => {
      const output = new OutputLines((line) => ctx.log(line));
      const stream = (text: string) => output.push(text);
      return opts.conn
        .exec(command, { ...runOpts, sudo: true, signal, onStdout: stream, onStderr: stream })
        .finally(() => output.end());
    },
    files: journal,
    secrets: opts.secrets,
    askSecret: opts.askSecret,
    requestRestart: (reason) => {
      restartReasons.push(reason);
    },
    restartReasons,
    now: opts.now ?? new Date(),
  };

  const result: ApplyResult = { ok: true, cancelled: false, applied: [], changedFiles: [] };
  const from = opts.startAt === undefined ? 0 : plan.actions.findIndex((a) => a.id === opts.startAt);
  const kept = (action: Action) =>
    action.drift !== undefined && opts.driftDecisions?.[action.drift.path] === 'keep';
  const torun = from < 0 ? [] : plan.actions.slice(from).filter((a) => !kept(a));
  // Every input first: a missing password or credential stops the run before anything changes.
  for (const action of torun) {
    if (!action.prepare) continue;
    currentId = action.id;
    try {
      await action.prepare(ctx);
    } catch (e) {
      const failed = { id: action.id, message: (e as Error).message, hint: 'Nothing was changed.' };
      emit({ type: 'action-failed', ...failed, restored: [] });
      emit({ type: 'run-failed', failedAction: action.id, message: failed.message });
      return { ...result, ok: false, failed };
    }
  }
  const total = plan.actions.length;
  for (const [index, action] of plan.actions.entries()) {
    if (index < from || from < 0) continue;
    currentId = action.id;
    if (kept(action)) {
      emit({ type: 'action-skipped', id: action.id, reason: `keeping the server's ${action.drift!.path}` });
      continue;
    }
    if (signal.aborted) {
      emit({ type: 'run-cancelled', atAction: action.id });
      return { ...result, ok: false, cancelled: true };
    }
    emit({ type: 'action-start', id: action.id, title: action.title, index, total });
    journal.beginAction();
    try {
      await action.apply(ctx);
      await action.verify(ctx);
      // Part of the step: a step whose files are not recorded (the connection went away) is not done.
      if (journal.dirty) await journal.saveManagedState();
      if (action.refreshesFacts) {
        ctx.facts = await opts.regather();
        ctx.chasquidPath = chasquidPathOf(ctx.facts);
      }
    } catch (e) {
      const error = e as Error;
      const cancelled = signal.aborted || error instanceof CancelledError;
      let restored: string[] = [];
      let notRestored: string | undefined;
      try {
        restored = await journal.restore('action');
      } catch (restoreError) {
        if (restoreError instanceof RestoreError) restored = restoreError.restored;
        notRestored = (restoreError as Error).message;
        ctx.log(notRestored);
      }
      if (journal.dirty) await journal.saveManagedState().catch(() => undefined);
      if (cancelled) {
        emit({ type: 'action-failed', id: action.id, message: 'Cancelled.', restored });
        emit({ type: 'run-cancelled', atAction: action.id });
        return { ...result, ok: false, cancelled: true };
      }
      const hint = hintFor(error);
      // A RemoteError carries its hint in its message too: shown once, as the hint.
      const said =
        hint && error.message.endsWith(`\n${hint}`)
          ? error.message.slice(0, -hint.length - 1)
          : error.message;
      const failed = {
        id: action.id,
        message: notRestored ? `${said}\n${notRestored}.` : said,
        hint,
      };
      emit({ type: 'action-failed', ...failed, restored });
      emit({ type: 'run-failed', failedAction: action.id, message: failed.message });
      return { ...result, ok: false, failed };
    }
    const changed = [...journal.changedByAction];
    result.applied.push(action.id);
    result.changedFiles.push(...changed.filter((f) => !result.changedFiles.includes(f)));
    emit({ type: 'action-done', id: action.id, changedFiles: changed });
  }
  emit({ type: 'run-done', applied: result.applied, changedFiles: result.changedFiles });
  return result;
}

export { journalOf } from './journal';
