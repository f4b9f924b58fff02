import { ExpectedError } from '../errors';
import type { SshTarget } from '../config/types';
import type { ResolvedSsh } from './resolved-ssh';

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

/** How to get an agent running, per platform. */
function agentHint(platform: NodeJS.Platform): string {
  return platform === 'win32'
    ? 'Start the "OpenSSH Authentication Agent" service and add your key (ssh-add), or start Pageant with your key; or set identityAgent in mailwright.yaml to the agent\'s pipe.'
    : 'Start ssh-agent and add your key (eval "$(ssh-agent)"; ssh-add), or set identityAgent in mailwright.yaml to your agent\'s socket (e.g. 1Password\'s).';
}

/** Agent login, but no agent to ask; `tried` says what was looked at (agent.ts). */
export function noAgentError(label: string, tried: string, platform: NodeJS.Platform): RemoteError {
  return new AuthenticationError(
    `${label} is to be logged in to with an SSH agent, but there is no agent to ask (${tried}).`,
    `${agentHint(platform)} Or set identityFile for this host in mailwright.yaml to log in with a key file.`,
  );
}

/** The agent chosen does not answer. */
export function agentUnreachableError(
  agent: { agent: string; from: string },
  reason: string,
  platform: NodeJS.Platform,
): RemoteError {
  return new AuthenticationError(
    `Cannot reach the ssh-agent at ${agent.agent} (${agent.from}): ${reason}`,
    `${agentHint(platform)} Or set identityFile for this host in mailwright.yaml.`,
  );
}

/** Key login with no key file named anywhere. */
export function noIdentityFileError(label: string): RemoteError {
  return new AuthenticationError(
    `${label} is to be logged in to with a key, but no identityFile is named.`,
    'Add e.g. "identityFile: ~/.ssh/id_ed25519" to the host in mailwright.yaml (or IdentityFile to its Host in ~/.ssh/config), or use "auth: agent".',
  );
}

/** A wrong passphrase; `envNames` when it came from the environment (no one to ask again). */
export function wrongPassphraseError(file: string, reason: string, envNames?: string[]): RemoteError {
  return new AuthenticationError(
    `The passphrase for ${file} is wrong (${reason}); it was not kept.`,
    envNames
      ? `Set the right passphrase in ${envNames.join(' or ')}.`
      : 'Run the command again and enter the passphrase of this key.',
  );
}

export function unreadableKeyError(file: string, reason: string): RemoteError {
  return new AuthenticationError(`${file} is not a private key ssh2 can read: ${reason}`);
}

/** A jump host did not open the channel to the next hop in time. */
export function forwardTimeoutError(
  label: string,
  from: SshTarget,
  where: string,
  seconds: number,
): RemoteError {
  return new TimeoutError(
    `${label} did not open a connection to ${where} within ${seconds} s.`,
    `Check that ${from.host} can reach ${where} (address, port, firewall between them).`,
  );
}

/** A jump host refused to open the channel to the next hop. */
export function forwardRefusedError(
  label: string,
  from: SshTarget,
  where: string,
  reason: string,
): RemoteError {
  return new RemoteError(
    `${label} could not open a connection to ${where}: ${reason}.`,
    /prohibited/i.test(reason)
      ? `Its sshd does not allow TCP forwarding: set "AllowTcpForwarding yes" for ${from.user} in /etc/ssh/sshd_config on ${from.host}.`
      : `Check that ${from.host} can reach ${where} (is sshd running there, is the address and port right?).`,
  );
}

/** Why a hop (a jump host or the server) could not be connected to, short of a refused login. */
export function connectError(
  e: Error & { code?: string },
  hop: { where: string; ssh: ResolvedSsh; isJump: boolean; throughJumps: boolean; seconds: number },
): RemoteError {
  const { where, ssh, isJump, seconds } = hop;
  if (e.code === 'ECONNREFUSED')
    return new RemoteError(
      `Nothing accepts connections on ${where} (connection refused).`,
      'Is sshd running there and is the port right?',
    );
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
    if (!isJump || ssh.unknownAlias) return unknownHostError(ssh, e.code);
    return new RemoteError(
      `Cannot resolve the host name of ${where}.`,
      'Check the jump of the host in mailwright.yaml (or ProxyJump in ~/.ssh/config).',
    );
  }
  if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH')
    return new RemoteError(
      `No route to ${where} (${e.code}).`,
      hop.throughJumps || isJump
        ? 'Check the address and your network.'
        : 'Check the address and your network; a server on a private network is reached through a jump host (jump in mailwright.yaml).',
    );
  if (/timed out/i.test(e.message))
    return new TimeoutError(
      isJump
        ? `${where} did not answer within ${seconds} s (the connection or the SSH handshake did not complete).`
        : `No SSH connection to ${where} within ${seconds} s (the connection or the SSH handshake did not complete).`,
      `Check the host name or address and the port (${ssh.target.port}), that the server is up and sshd runs, and that no firewall drops the port.`,
    );
  return new RemoteError(`Cannot connect to ${where}: ${e.message}`);
}

/** The login with the agent's keys was refused: what the agent offered (`keys`), or that it did not answer. */
export function agentRefusedError(
  where: string,
  target: SshTarget,
  from: string,
  keys: string[] | Error,
  platform: NodeJS.Platform,
): RemoteError {
  if (keys instanceof Error)
    return new AuthenticationError(
      `${where} refused the login of ${target.user}: ${from} did not answer (${keys.message}), so no key was offered.`,
      `${agentHint(platform)} Or set identityFile for this host in mailwright.yaml.`,
    );
  if (keys.length === 0)
    return new AuthenticationError(
      `${where} refused the login of ${target.user}: ${from} holds no keys, so none was offered.`,
      'Add your key to the agent (ssh-add ~/.ssh/id_ed25519), or set identityFile for this host in mailwright.yaml.',
    );
  return new AuthenticationError(
    `${where} refused every key ${from} offered for ${target.user}:\n${keys.map((k) => `  ${k}`).join('\n')}`,
    `Add the public key of one of them to ~${target.user}/.ssh/authorized_keys on ${target.host}, or add the right key to the agent with ssh-add.`,
  );
}

export function passwordRefusedError(where: string): RemoteError {
  return new AuthenticationError(
    `The server ${where} refused the password login.`,
    'Check the user name and the password (it is kept in secret storage; enter it again when asked).',
  );
}
