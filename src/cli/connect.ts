// Builds a connection for a CLI command from --host (a name in mailwright.yaml, a Host alias of the
// SSH configuration, or user@host[:port]), resolved once through resolveSsh.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, formatIssue, type HostConfig } from '../core/config';
import {
  defaultKnownHosts,
  EnvSecretStore,
  hostSshRequest,
  KnownHosts,
  chooseAgent,
  RemoteConnection,
  resolveSsh,
  type ResolvedSsh,
  type SshRequest,
  type UnknownHostKey,
} from '../core/remote';
import { oneAtATime } from '../core/plan/fleet';
import { info, UsageError } from './output';
import { isInteractive, promptHidden } from './prompt';

export interface ConnectFlags {
  host?: string;
  config?: string;
  identity?: string;
  'accept-new-host-key'?: boolean;
  'known-hosts'?: string;
  verbose?: boolean;
  'connect-timeout'?: string;
  'ssh-config'?: string;
}

/** --connect-timeout in milliseconds (default 20 s). */
function readyTimeoutFrom(flags: ConnectFlags): number | undefined {
  const text = flags['connect-timeout'];
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!(Number.isFinite(seconds) && seconds > 0 && seconds <= 600))
    throw new UsageError(
      `--connect-timeout must be a number of seconds from 1 to 600, e.g. --connect-timeout 30 (got "${text}").`,
    );
  return Math.round(seconds * 1000);
}

function knownHostsFrom(flags: ConnectFlags): KnownHosts {
  const defaults = defaultKnownHosts();
  return flags['known-hosts'] ? new KnownHosts([], resolve(flags['known-hosts'])) : defaults;
}

/** The terminal's questions while connecting, one at a time (the hosts of a fleet connect side by side). */
const askInTurn = oneAtATime();

/** What the command line's flags say about every login: they win over mailwright.yaml and the SSH configuration. */
function commonRequest(flags: Omit<ConnectFlags, 'host'>): Partial<SshRequest> {
  const timeout = readyTimeoutFrom(flags);
  return {
    ...(flags.identity !== undefined && { identityFile: flags.identity, identityOrigin: '--identity' }),
    ...(timeout !== undefined && { connectTimeout: { ms: timeout, origin: '--connect-timeout' } }),
  };
}

export interface ResolvedHost {
  /** The host's name in mailwright.yaml, or the --host text. */
  name: string;
  ssh: ResolvedSsh;
}

/**
 * --host NAME picks a host from mailwright.yaml; anything else is read as a Host alias of the SSH
 * configuration or [user@]host[:port]. Nothing connects: this is the login as it will be used.
 */
export async function resolveFromFlags(flags: ConnectFlags): Promise<ResolvedHost> {
  if (!flags.host)
    throw new UsageError(
      '--host is required: a host name from mailwright.yaml, a Host of your SSH configuration, or user@host[:port].',
    );
  const configPath = resolve(flags.config ?? 'mailwright.yaml');
  const common = commonRequest(flags);
  const sshConfig = { configFile: flags['ssh-config'] };
  if (existsSync(configPath)) {
    const loaded = await loadConfig(configPath);
    const host = loaded.config?.hosts.find((h) => h.name === flags.host);
    if (host) {
      const errors = loaded.issues.filter((i) => i.severity === 'error');
      if (errors.length > 0) throw new UsageError(errors.map(formatIssue).join('\n'));
      return { name: host.name, ssh: resolveSsh({ ...hostSshRequest(host), ...common }, sshConfig) };
    }
  }
  let ssh: ResolvedSsh;
  try {
    ssh = resolveSsh({ ssh: flags.host, origin: '--host', ...common }, sshConfig);
  } catch (e) {
    if (!(e instanceof Error) || !/is not a valid SSH target/.test(e.message)) throw e;
    throw new UsageError(
      `--host "${flags.host}" is neither a host in ${configPath} nor a valid SSH target. ${e.message}`,
    );
  }
  // Without a key or an agent, the CLI falls back to a password (MAILWRIGHT_SSH_PASSWORD).
  if (ssh.auth === 'agent' && ssh.origins.auth?.startsWith('default') && !chooseAgent(ssh.identityAgent).ok)
    ssh = { ...ssh, auth: 'password', origins: { ...ssh.origins, auth: 'default (no key and no agent)' } };
  return { name: ssh.alias, ssh };
}

function connectionFromResolved(
  name: string,
  ssh: ResolvedSsh,
  flags: Omit<ConnectFlags, 'host'>,
): RemoteConnection {
  for (const warning of ssh.warnings) info(`mailwright: ${warning}`);
  return new RemoteConnection({
    name,
    ssh,
    knownHosts: knownHostsFrom(flags),
    // The command line keeps no secret beyond its run: one typed in is held in memory only.
    secrets: new EnvSecretStore(),
    promptSecret: isInteractive()
      ? (_key, prompt) => askInTurn(() => promptHidden(`${prompt}: `))
      : undefined,
    log: flags.verbose ? (line) => info(line) : undefined,
    confirmUnknownHostKey: async (key) => {
      if (flags['accept-new-host-key']) {
        info(`Trusting new host key of ${whose(key)}: ${key.keyType} ${key.fingerprint}`);
        return true;
      }
      info(
        `The host key of ${whose(key)} is not known: ${key.keyType} ${key.fingerprint}`,
        'Check it against the fingerprint your provider shows, then run again with --accept-new-host-key.',
      );
      return false;
    },
  });
}

/** "bastion:22", or "jump host bastion (hop 1 of 2), bastion:22" for a jump host's key. */
function whose(key: UnknownHostKey): string {
  return key.jumpHost ? `${key.jumpHost}, ${key.host}:${key.port}` : `${key.host}:${key.port}`;
}

export async function connectFromFlags(flags: ConnectFlags): Promise<RemoteConnection> {
  const { name, ssh } = await resolveFromFlags(flags);
  return connectionFromResolved(name, ssh, flags);
}

/** The connection to a host of a mailwright.yaml already loaded (and refused if it has errors). */
export function connectionForHost(host: HostConfig, flags: Omit<ConnectFlags, 'host'>): RemoteConnection {
  return connectionFromResolved(
    host.name,
    resolveSsh({ ...hostSshRequest(host), ...commonRequest(flags) }, { configFile: flags['ssh-config'] }),
    flags,
  );
}
