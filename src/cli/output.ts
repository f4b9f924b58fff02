// How the CLI talks to its user: results on stdout, progress and errors on stderr. Everything the
// CLI prints leaves through here, one line per argument, and every line is made printable on the
// way out: text from a server, a DNS answer or a message can neither drive the terminal (escape
// sequences, carriage returns) nor start a line of its own. Only the colours the product paints
// (core/printable's paint) reach the terminal as escape sequences.
import { isExpectedError, UsageError } from '../core/errors';
import { CancelledError } from '../core/remote/errors';
import { renderLine, type TextLine } from '../core/printable';
import { EXIT } from './command-types';

export { UsageError };
export type { TextLine };

function write(stream: NodeJS.WriteStream, lines: readonly TextLine[]): void {
  const color = Boolean(stream.isTTY) && !process.env.NO_COLOR;
  stream.write(lines.map((l) => renderLine(l, { color }) + '\n').join(''));
}

/** Result lines, on stdout. */
export function out(...lines: TextLine[]): void {
  write(process.stdout, lines);
}

/** Progress and messages, on stderr (stdout stays for the result). */
export function info(...lines: TextLine[]): void {
  write(process.stderr, lines);
}

/** Text the product wrote over several lines (a help text, an error with its hint), line by line. */
export const linesOf = (text: string): string[] => text.replace(/\n$/, '').split('\n');

/**
 * JSON on stdout. JSON.stringify escapes C0 controls but leaves DEL, the C1 controls and the
 * line/paragraph separators as they are: those are escaped too, so the output stays valid JSON
 * and inert on a terminal.
 */
export function printJson(value: unknown): void {
  process.stdout.write(jsonText(value) + '\n');
}

export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The one place that decides how a failed command is told and with which exit code:
 * cancelled → 130; an error the user can fix (ExpectedError) → its message as one paragraph,
 * exit 2 for usage or mailwright.yaml, 1 otherwise; anything else is a bug → its stack and a
 * request to report it, exit 1. With debug, every error shows its stack.
 */
export function reportError(error: unknown, opts: { debug?: boolean } = {}): number {
  const err = error instanceof Error ? error : new Error(String(error));
  const stack = opts.debug && err.stack ? ['', ...linesOf(err.stack)] : [];
  if (err instanceof CancelledError) {
    info('mailwright: cancelled.', ...stack);
    return EXIT.interrupted;
  }
  if (isExpectedError(err)) {
    info(...linesOf(`mailwright: ${err.message}`), ...stack);
    return err.expected === 'usage' ? EXIT.usage : EXIT.failed;
  }
  info(
    'mailwright: unexpected error:',
    ...linesOf(err.stack ?? `${err.name}: ${err.message}`),
    'This is a bug in Mailwright. Please report it with the lines above and the command you ran.',
  );
  return EXIT.failed;
}
