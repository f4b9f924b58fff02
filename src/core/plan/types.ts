// The model's middle: a plan is the list of actions that turn what a server is (facts)
// into what mailwright.yaml asks for. Each action kind lives in its own file under
// actions/ and knows how to describe, apply and verify itself.
import type { ChasquidPath } from '../chasquid';
import type { HostConfig } from '../config';
import type { Facts } from '../facts';
import type {
  ExecOptions,
  ExecResult,
  RemoteConnection,
  SecretStore,
  ShellLine,
  WriteOptions,
} from '../remote';

/** Read-only inputs for planning: desired state and facts. Planning never touches the server. */
export interface PlanContext {
  host: HostConfig;
  facts: Facts;
  /** Which chasquid path applies, from the installed version (undefined when not installed yet). */
  chasquidPath?: ChasquidPath;
  now: Date;
}

/** A file on the server that someone changed by hand since Mailwright last wrote it. */
export interface Drift {
  path: string;
  /** Unified diff from the server's version to what Mailwright would write. */
  diff: string;
}

export type DriftDecision = 'overwrite' | 'keep';

/**
 * Something the user must give before a run (a new mail user's password): the plan lists it so
 * that every input is collected before Apply, and the action reads it from the run's secrets.
 */
export interface PlanInput {
  /** The secret key the action reads (secretKeys.userPassword…). */
  key: string;
  /** A new password: asked twice and checked with the password policy. */
  kind: 'new-password';
  /** "Password for alice@example.test (new user)". */
  label: string;
  /** "password of alice@example.test": what a run is waiting for. */
  short: string;
}

export interface Action {
  /** Stable within a plan, e.g. "users:example.test". */
  id: string;
  /** The action kind (its file name under actions/). */
  kind: string;
  /** What it does: "Install chasquid from Debian". */
  title: string;
  /** Why it is needed: 'chasquid.conf hostname is "vps", must be "smtp.example.test"'. */
  reason: string;
  drift?: Drift;
  /**
   * Set when the action needs the user's explicit yes beyond applying the plan (it stores a
   * secret on the server): the question to ask. applyPlan refuses it without that consent.
   */
  consent?: string;
  /** What the action needs from the user; collected before the run, see PlanInput. */
  inputs?: PlanInput[];
  /** Facts are gathered again after this action (e.g. after installing a package). */
  refreshesFacts?: boolean;
  /**
   * Gathers and checks what the action needs from the user (passwords, credentials) before any
   * action of the run changes anything; throws to stop the run with nothing changed.
   */
  prepare?(ctx: ApplyContext): Promise<void>;
  apply(ctx: ApplyContext): Promise<void>;
  /** Throws when the change did not take effect. */
  verify(ctx: ApplyContext): Promise<void>;
}

export interface Plan {
  host: string;
  facts: Facts;
  actions: Action[];
  /** Things the user should know that no action can fix (e.g. "set reverse DNS at your provider"). */
  notes: string[];
}

/** Records every remote file an apply run changes, for rollback and for drift detection later. */
export interface FileJournal {
  /** Atomic write that is recorded: undone when the action (or the run's service check) fails. */
  write(path: string, content: string | Buffer, opts?: WriteOptions): Promise<void>;
  /** Files changed by the current action, and by the whole run. */
  readonly changedByAction: readonly string[];
  readonly changedByRun: readonly string[];
}

/** What an action gets to do its work. */
export interface ApplyContext {
  conn: RemoteConnection;
  host: HostConfig;
  /** Refreshed after actions with refreshesFacts. */
  facts: Facts;
  chasquidPath?: ChasquidPath;
  signal: AbortSignal;
  /** One line of output, shown live under the action. Never pass a secret here. */
  log(line: string): void;
  /** Runs a command as root with output streamed to log() and cancel wired to signal. */
  run(command: ShellLine, opts?: Omit<ExecOptions, 'signal' | 'sudo'>): Promise<ExecResult>;
  files: FileJournal;
  secrets: SecretStore;
  /**
   * Asks the user for a secret (a new mail user's password) when the run's secrets lack it; the
   * editor collects a plan's inputs before Apply instead and leaves this unset.
   */
  askSecret?(key: string, prompt: string): Promise<string | undefined>;
  /** Set by actions whose change chasquid only picks up on restart. */
  requestRestart(reason: string): void;
  readonly restartReasons: readonly string[];
  now: Date;
}

export type ApplyEvent =
  | { type: 'action-start'; id: string; title: string; index: number; total: number }
  | { type: 'output'; id: string; line: string }
  | { type: 'action-done'; id: string; changedFiles: string[] }
  | { type: 'action-skipped'; id: string; reason: string }
  | {
      type: 'action-failed';
      id: string;
      message: string;
      /** What to do about it. */
      hint?: string;
      /** Files put back as they were. */
      restored: string[];
    }
  | { type: 'run-done'; applied: string[]; changedFiles: string[] }
  | { type: 'run-failed'; failedAction: string; message: string }
  | { type: 'run-cancelled'; atAction?: string };

/** An action kind: given the plan context, the actions it needs (none when all is right). */
export type ActionPlanner = (ctx: PlanContext) => Action[];
