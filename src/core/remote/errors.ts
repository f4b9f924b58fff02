import { ExpectedError } from '../errors';

/** Errors a user can act on: each says what happened and what to do. */
export class RemoteError extends ExpectedError {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message}\n${hint}` : message);
    this.name = 'RemoteError';
  }
}

export class HostKeyError extends RemoteError {
  override name = 'HostKeyError';
}

export class AuthenticationError extends RemoteError {
  override name = 'AuthenticationError';
}

export class CommandError extends RemoteError {
  override name = 'CommandError';
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    message?: string,
  ) {
    const tail = stderr.trim().split('\n').slice(-5).join('\n');
    super(
      message ??
        `Remote command failed (exit ${exitCode ?? 'signal'}): ${commandSummary(command)}${tail ? `\n${tail}` : ''}`,
    );
  }
}

/** The shell's own quoting, read back: 'it'\''s' -> it's. Only for lines built by shellCommand. */
function unquote(line: string): string[] {
  const words = line.match(/(?:'[^']*'|\\'|[^\s'\\]+)+/g) ?? [];
  return words.map((w) =>
    w.replace(/'([^']*)'|\\(')/g, (_, quoted: string | undefined, q: string) => quoted ?? q),
  );
}

const SUMMARY_MAX = 160;

/**
 * A command as an error shows it: a script Mailwright sends (`sh -c SCRIPT mailwright ARGS`) by its
 * arguments only, since its text says nothing to the user; anything else on one line, shortened.
 */
export function commandSummary(command: string): string {
  const words = command.startsWith('sh -c ') ? unquote(command) : [];
  const text =
    words[0] === 'sh' && words[1] === '-c' && words[3] === 'mailwright'
      ? `a Mailwright script (arguments: ${words.slice(4).join(' ') || 'none'})`
      : command.replace(/\s+/g, ' ').trim();
  return text.length > SUMMARY_MAX ? `${text.slice(0, SUMMARY_MAX - 1)}…` : text;
}

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(message = 'Cancelled.') {
    super(message);
  }
}

export class TimeoutError extends RemoteError {
  override name = 'TimeoutError';
}
