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
      message ?? `Remote command failed (exit ${exitCode ?? 'signal'}): ${command}${tail ? `\n${tail}` : ''}`,
    );
  }
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
