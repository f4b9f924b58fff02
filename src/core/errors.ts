// Errors a user meets in normal use (a wrong setting, an unreachable server, refused
// credentials): their message says what is wrong and how to fix it, so they are shown as they
// are, without a stack trace. Anything else is a bug in Mailwright and is shown with its stack.

/** 'usage': the command line or mailwright.yaml must change; 'runtime': something outside it failed. */
export type ExpectedErrorKind = 'usage' | 'runtime';

export class ExpectedError extends Error {
  readonly expected: ExpectedErrorKind = 'runtime';
}

/** The command line or mailwright.yaml is wrong: nothing was changed. */
export class UsageError extends ExpectedError {
  override name = 'UsageError';
  override readonly expected: ExpectedErrorKind = 'usage';
}

export function isExpectedError(e: unknown): e is ExpectedError {
  return e instanceof ExpectedError;
}
