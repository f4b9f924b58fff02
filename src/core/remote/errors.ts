import { ExpectedError } from '../errors';
import type { ResolvedSsh } from './resolve-target';

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

/** The user's SSH client configuration cannot be used: the message names the file and line. */
export class SshConfigError extends RemoteError {
  override name = 'SshConfigError';
  override readonly expected = 'usage' as const;
}

/** `~/.ssh/config:12` when the value came from the configuration, else where it was written. */
function fromWhere(ssh: ResolvedSsh, key: string): string {
  return ssh.origins[key] ?? 'mailwright.yaml';
}

/** The name is neither a Host of the SSH configuration nor a host name DNS knows. */
export function unknownHostError(ssh: ResolvedSsh, code: string): RemoteError {
  const name = ssh.alias;
  if (ssh.unknownAlias && ssh.configFile) {
    const guess = ssh.unknownAlias.suggestion ? ` (did you mean ${ssh.unknownAlias.suggestion}?)` : '';
    return new RemoteError(
      `Cannot reach "${name}": it is not a Host in ${ssh.configFile}${guess} and not a host name that resolves (${code}).`,
      ssh.unknownAlias.suggestion
        ? `Write ssh: ${ssh.unknownAlias.suggestion} in mailwright.yaml, or add "Host ${name}" with its HostName to ${ssh.configFile}.`
        : `Add "Host ${name}" with its HostName to ${ssh.configFile}, or write the server's address in ssh: (e.g. root@203.0.113.10).`,
    );
  }
  const via =
    ssh.origins.host && ssh.origins.host !== 'mailwright.yaml' ? ` (HostName from ${ssh.origins.host})` : '';
  return new RemoteError(
    `Cannot resolve the host name ${ssh.target.host}${via} (${code}).`,
    via
      ? `Check the HostName at ${ssh.origins.host}.`
      : 'Check the ssh field of the host in mailwright.yaml.',
  );
}

/** An identity file that cannot be read: which one, and where it was named. */
export function unreadableIdentityError(
  ssh: ResolvedSsh,
  failures: { file: string; reason: string }[],
): RemoteError {
  const lines = failures.map((f) => {
    const index = ssh.identityFiles.indexOf(f.file);
    return `  ${f.file} (from ${fromWhere(ssh, `identityFiles[${index}]`)}): ${f.reason}`;
  });
  return new AuthenticationError(
    `Cannot read the private key${failures.length > 1 ? 's' : ''} for ${ssh.alias}:\n${lines.join('\n')}`,
    "Fix the path where it is written (identityFile in mailwright.yaml, or IdentityFile in the SSH configuration), or check the file's permissions.",
  );
}

/** The server refused every key offered: which were tried, and where each came from. */
export function keysRefusedError(ssh: ResolvedSsh, where: string, tried: string[]): RemoteError {
  const list = tried.length > 0 ? tried.map((t) => `  ${t}`).join('\n') : '  (none)';
  return new AuthenticationError(
    `The server ${where} refused the login of ${ssh.target.user} (from ${fromWhere(ssh, 'user')}) with every key tried:\n${list}`,
    `Add the public key (the .pub file) to ~${ssh.target.user}/.ssh/authorized_keys on the server (ssh-copy-id does it), or name the right key with identityFile in mailwright.yaml or IdentityFile in the SSH configuration.`,
  );
}

/** The agent answers but holds no key. */
export function agentWithoutKeysError(ssh: ResolvedSsh, socket: string): RemoteError {
  const from = ssh.origins.identityAgent ? ` (IdentityAgent at ${ssh.origins.identityAgent})` : '';
  return new AuthenticationError(
    `The ssh-agent at ${socket}${from} holds no keys, so there is nothing to log in to ${ssh.alias} with.`,
    'Add your key to it (ssh-add ~/.ssh/id_ed25519), or set identityFile for this host in mailwright.yaml.',
  );
}
