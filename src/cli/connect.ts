// Builds a connection for a CLI command from --host (a name in mailwright.yaml or user@host[:port]).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, formatIssue } from '../core/config';
import { checkSshTarget } from '../core/config/ssh-target';
import {
  defaultKnownHosts,
  EnvSecretStore,
  KnownHosts,
  chooseAgent,
  hostConnectOptions,
  RemoteConnection,
  type AuthMethod,
  type HostConnectOptions,
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

function connectionFor(host: HostConnectOptions, flags: ConnectFlags): RemoteConnection {
  return new RemoteConnection({
    ...host,
    knownHosts: knownHostsFrom(flags),
    // The command line keeps no secret beyond its run: one typed in is held in memory only.
    secrets: new EnvSecretStore(),
    promptSecret: isInteractive()
      ? (_key, prompt) => askInTurn(() => promptHidden(`${prompt}: `))
      : undefined,
    log: flags.verbose ? (line) => info(line) : undefined,
    readyTimeoutMs: readyTimeoutFrom(flags),
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

/** --host NAME picks a host from mailwright.yaml; anything else is read as [user@]host[:port]. */
export async function connectFromFlags(flags: ConnectFlags): Promise<RemoteConnection> {
  if (!flags.host)
    throw new UsageError('--host is required: a host name from mailwright.yaml or user@host[:port].');
  const configPath = resolve(flags.config ?? 'mailwright.yaml');
  if (existsSync(configPath)) {
    const loaded = await loadConfig(configPath);
    const host = loaded.config?.hosts.find((h) => h.name === flags.host);
    if (host) {
      const errors = loaded.issues.filter((i) => i.severity === 'error');
      if (errors.length > 0) throw new UsageError(errors.map(formatIssue).join('\n'));
      return connectionFor(hostConnectOptions(host, flags.identity ?? host.identityFile), flags);
    }
  }
  const parsed = checkSshTarget(flags.host);
  if (!parsed.ok) {
    throw new UsageError(
      `--host "${flags.host}" is neither a host in ${configPath} nor a valid SSH target (${parsed.reason}). Example: --host root@mail.example.com:22`,
    );
  }
  const auth: AuthMethod = flags.identity ? 'key' : chooseAgent(undefined).ok ? 'agent' : 'password';
  return connectionFor(
    { name: parsed.target.host, target: parsed.target, auth, identityFile: flags.identity },
    flags,
  );
}
