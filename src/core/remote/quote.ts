// The one place where shell command lines for a remote server are built.
// Every argument is wrapped in single quotes, so nothing a user typed can be
// interpreted by the remote shell (no $(), backticks, globbing, word splitting).

export class UnsafeArgumentError extends Error {}

/** A command line built here; RemoteConnection.exec accepts nothing else. */
export type ShellLine = string & { readonly __shellLine: unique symbol };

/** Quotes one argument for a POSIX shell. NUL cannot be passed through argv at all, so it is refused. */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) {
    throw new UnsafeArgumentError('A shell argument cannot contain a NUL byte.');
  }
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Builds a command line from a program and its arguments, each quoted. */
export function shellCommand(argv: readonly string[]): ShellLine {
  if (argv.length === 0) throw new UnsafeArgumentError('An empty command cannot be run.');
  return argv.map(shellQuote).join(' ') as ShellLine;
}

/**
 * A fixed script written by Mailwright (never user input) with named arguments
 * passed as positional parameters: `sh -c SCRIPT mailwright ARG1 ARG2...`.
 * Scripts refer to them as "$1", "$2"…, so values never touch the script text.
 */
export function shellScript(script: string, args: readonly string[] = []): ShellLine {
  return shellCommand(['sh', '-c', script, 'mailwright', ...args]);
}

/**
 * For a script with an EXIT trap that cleans up (temporary files): the shell runs EXIT traps
 * only on a normal exit, and a client that goes away mid-script (killed, disconnected) makes it
 * die of SIGPIPE or SIGHUP instead. Put this line right after the EXIT trap.
 */
export const EXIT_ON_SIGNALS = `trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 141' PIPE; trap 'exit 143' TERM`;
