// The shapes of the command table and of a command, apart from the table itself: the commands
// import these, and the table imports the commands (when run), so neither depends on the other.

export interface FlagSpec {
  name: string;
  short?: string;
  type: 'string' | 'boolean';
  /** How the value is shown in help: `<file>`. */
  value?: string;
  help: string;
  default?: string;
  /** May be given several times (`--host a --host b`); the values come in order. */
  repeatable?: boolean;
}

export type Flags = { readonly [name: string]: string | string[] | boolean | undefined };

export interface ParsedCommand {
  flags: Flags;
  positionals: string[];
}

export type CommandFn = (parsed: ParsedCommand, signal: AbortSignal) => Promise<number>;

export interface CommandSpec {
  /** "apply", or "dns check" for a command of a group. */
  name: string;
  summary: string;
  /** More about it, shown in its help after the summary. */
  details?: string;
  /** The one argument it takes, if any: `<user@domain>`. */
  argument?: { name: string; help: string };
  flags: readonly FlagSpec[];
  examples: readonly string[];
  /** Exit codes beyond the common ones (EXIT_CODES), or the common ones with a meaning of their own. */
  exits?: readonly (readonly [number, string])[];
  load: () => Promise<CommandFn>;
}

/** Exit codes of every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;
