// One SSH connection to one server: connect with verified host key, run
// commands with streamed output, timeouts and cancellation that reaches the
// remote process, sudo when the login user is not root, and SFTP.
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { Client, utils, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import {
  AuthenticationError,
  CancelledError,
  CommandError,
  commandSummary,
  HostKeyError,
  RemoteError,
  TimeoutError,
} from './errors';
import { currentSystem, expandUserPath, type LocalSystem } from '../local-path';
import { agentKeys, chooseAgent } from './agent';
import { keyTypeOf, sha256Fingerprint } from './fingerprint';
import type { KnownHosts } from './known-hosts';
import { shellCommand, shellQuote, shellScript, type ShellLine } from './quote';
import { envNamesFor, secretKeys, type SecretStore } from './secrets';

export interface SshTarget {
  user: string;
  host: string;
  port: number;
}

export type AuthMethod = 'key' | 'agent' | 'password';

/** A jump host: the connection to the server (or to the next jump host) is opened through it. */
export interface JumpHost {
  target: SshTarget;
  /** Default: the server's own method (and key file). */
  auth?: AuthMethod;
  identityFile?: string;
  /** How messages call it; default: its host name. */
  name?: string;
}

export interface UnknownHostKey {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  /** Set when the key is a jump host's, e.g. "jump host bastion.example (hop 1 of 2)". */
  jumpHost?: string;
}

export interface ConnectOptions {
  /** The host's name in mailwright.yaml; secrets are stored under it. */
  name: string;
  target: SshTarget;
  auth: AuthMethod;
  identityFile?: string;
  /** Jump hosts, first hop first; each is verified and logged in to like the server itself. */
  jumps?: JumpHost[];
  /** OpenSSH's IdentityAgent: a socket or pipe path, `SSH_AUTH_SOCK`, `$VARIABLE` or `none`. */
  identityAgent?: string;
  knownHosts: KnownHosts;
  secrets: SecretStore;
  /** Asked once for a host key nobody has trusted yet; resolve true to trust and remember it. */
  confirmUnknownHostKey: (key: UnknownHostKey) => Promise<boolean>;
  /** Asked when a secret is missing (the extension shows an input box); undefined = give up. */
  promptSecret?: (key: string, prompt: string) => Promise<string | undefined>;
  /**
   * Asked after a key's passphrase was entered: true keeps it in the secret store. Without this
   * question the passphrase is kept in memory for this connection only.
   */
  rememberPassphrase?: (key: string, keyFile: string) => Promise<boolean>;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
  /** The local machine: platform, environment and home folder (tests inject other platforms). */
  system?: LocalSystem;
}

/** Opens TCP connections from a jump host; `from` names it ("jump host bastion (hop 1 of 2)"). */
export interface JumpDialer {
  from: string;
  dial: (host: string, port: number) => Promise<Duplex>;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Run as root: directly when logged in as root, else through sudo. */
  sudo?: boolean;
  /** Throw CommandError on a non-zero exit (default true). */
  check?: boolean;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal?: string;
}

export type SudoMode = 'root' | 'nopasswd' | 'password' | 'none';

export interface ConnectionStats {
  connects: number;
  execChannels: number;
  sftpChannels: number;
}

const PID_MARK = '\x1emailwright-pid:';
const KILL_GRACE_MS = 1500;
const LOST_HINT =
  'The command may or may not have finished there. Once the server answers again, run it again: Mailwright checks what is done.';

/** How to get an agent running, per platform. */
function agentHint(system: LocalSystem): string {
  return system.platform === 'win32'
    ? 'Start the "OpenSSH Authentication Agent" service and add your key (ssh-add), or start Pageant with your key; or set identityAgent in mailwright.yaml to the agent\'s pipe.'
    : 'Start ssh-agent and add your key (eval "$(ssh-agent)"; ssh-add), or set identityAgent in mailwright.yaml to your agent\'s socket (e.g. 1Password\'s).';
}

/** ssh2's host-key algorithm names for a known_hosts key type. */
function algorithmsFor(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}
const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

export function describeTarget(t: SshTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.user}@${host}:${t.port}`;
}

/** One SSH login on the way to the server: the jump hosts first, the server last. */
interface Hop {
  target: SshTarget;
  auth: AuthMethod;
  identityFile?: string;
  /** The name its password or key passphrase is stored under. */
  secretName: string;
  /** How messages name it: "jump host bastion.example (hop 1 of 2)", or the server's user@host:port. */
  label: string;
  isJump: boolean;
}

/** What a login offers the server, and how to say so when the server refuses it. */
interface HopAuth {
  config: Partial<ConnectConfig>;
  /** "the key ~/.ssh/id_ed25519 (ssh-ed25519 SHA256:…)", "the agent at SSH_AUTH_SOCK" … */
  offered: string;
  agent?: { agent: string; from: string };
}

/** The hops of a connection, first first. */
function hopsOf(options: ConnectOptions): Hop[] {
  const { jumps = [], target, auth, identityFile, name } = options;
  const count = jumps.length + 1;
  const hops: Hop[] = jumps.map((jump, i) => {
    const jumpAuth = jump.auth ?? auth;
    const jumpKey = jump.identityFile ?? (jumpAuth === 'key' ? identityFile : undefined);
    return {
      target: jump.target,
      auth: jumpAuth,
      identityFile: jumpKey,
      // The server's key file keeps the server's passphrase; another key or a password has its own.
      secretName: jumpAuth === 'key' && jumpKey === identityFile ? name : `${name}-jump${i + 1}`,
      label: `jump host ${jump.name ?? jump.target.host} (hop ${i + 1} of ${count})`,
      isJump: true,
    };
  });
  const via = jumps.map((j) => j.name ?? j.target.host).join(', ');
  hops.push({
    target,
    auth,
    identityFile,
    secretName: name,
    label: count > 1 ? `${describeTarget(target)} (through ${via})` : describeTarget(target),
    isJump: false,
  });
  return hops;
}

/** The key under which the pool keeps a connection: every setting that changes how it is made. */
export function connectionKey(
  options: Pick<ConnectOptions, 'name' | 'target' | 'auth' | 'identityFile' | 'jumps' | 'identityAgent'>,
): string {
  return JSON.stringify([
    options.name,
    describeTarget(options.target),
    options.auth,
    options.identityFile ?? '',
    options.identityAgent ?? '',
    (options.jumps ?? []).map((j) => [describeTarget(j.target), j.auth ?? '', j.identityFile ?? '']),
  ]);
}

export class RemoteConnection {
  readonly stats: ConnectionStats = { connects: 0, execChannels: 0, sftpChannels: 0 };
  private client?: Client;
  /** The jump hosts' connections under `client`, first hop first. */
  private jumpClients: Client[] = [];
  private connecting?: Promise<Client>;
  private sftpChannel?: Promise<SFTPWrapper>;
  private sudoMode?: SudoMode;
  /** Passphrases entered during this connection's life but not kept in the secret store. */
  private readonly enteredPassphrases = new Map<string, string>();
  private readonly openChannels = new Set<ClientChannel>();
  private readonly disconnectListeners = new Set<() => void>();

  constructor(readonly options: ConnectOptions) {}

  get target(): SshTarget {
    return this.options.target;
  }

  get isRoot(): boolean {
    return this.options.target.user === 'root';
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** How long a connection attempt (TCP connect and SSH handshake) may take, per hop. */
  get readyTimeoutMs(): number {
    return this.options.readyTimeoutMs ?? 20_000;
  }

  private get system(): LocalSystem {
    return this.options.system ?? currentSystem();
  }

  /**
   * Connects if needed; a dropped connection is re-established on the next call. An abort
   * (Ctrl-C) ends the attempt at once, also in the middle of the TCP connect or the handshake.
   */
  async connect(signal?: AbortSignal): Promise<Client> {
    if (signal?.aborted) throw this.cancelledConnecting();
    if (this.client) return this.client;
    this.connecting ??= this.open(signal).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async authFor(hop: Hop): Promise<HopAuth> {
    const { auth, identityFile, secretName, label } = hop;
    if (auth === 'agent') {
      const choice = chooseAgent(this.options.identityAgent, { system: this.system });
      if (!choice.ok) {
        throw new AuthenticationError(
          `${label} is to be logged in to with an SSH agent, but there is no agent to ask (${choice.tried}).`,
          `${agentHint(this.system)} Or set identityFile for this host in mailwright.yaml to log in with a key file.`,
        );
      }
      return { config: { agent: choice.agent }, offered: `the keys of ${choice.from}`, agent: choice };
    }
    if (auth === 'password') {
      const password = await this.secret(secretKeys.sshPassword(secretName), `SSH password for ${label}`);
      return { config: { password }, offered: `the password of ${hop.target.user}` };
    }
    if (!identityFile) {
      throw new AuthenticationError(
        `${label} is to be logged in to with a key, but no identityFile is named.`,
        'Add e.g. "identityFile: ~/.ssh/id_ed25519" to the host in mailwright.yaml, or use "auth: agent".',
      );
    }
    const path = expandUserPath(identityFile, this.system);
    let keyData: Buffer;
    try {
      keyData = await readFile(path);
    } catch (e) {
      throw new AuthenticationError(
        `Cannot read the private key ${path} for ${label}: ${(e as Error).message}`,
        'Check identityFile in mailwright.yaml.',
      );
    }
    let parsed = utils.parseKey(keyData);
    let passphrase: string | undefined;
    if (parsed instanceof Error && /passphrase/i.test(parsed.message)) {
      passphrase = await this.passphrase(secretName, path);
      parsed = utils.parseKey(keyData, passphrase);
      if (parsed instanceof Error) {
        await this.forgetPassphrase(secretName);
        throw new AuthenticationError(
          `The passphrase for ${path} is wrong (${parsed.message}); it was not kept.`,
          this.options.promptSecret
            ? 'Run the command again and enter the passphrase of this key.'
            : `Set the right passphrase in ${envNamesFor(secretKeys.keyPassphrase(secretName)).join(' or ')}.`,
        );
      }
    }
    if (parsed instanceof Error) {
      throw new AuthenticationError(`${path} is not a private key ssh2 can read: ${parsed.message}`);
    }
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    const blob = key?.getPublicSSH();
    const offered = `the key ${path}${blob ? ` (${keyTypeOf(blob)} ${sha256Fingerprint(blob)})` : ''}`;
    return {
      config: passphrase === undefined ? { privateKey: keyData } : { privateKey: keyData, passphrase },
      offered,
    };
  }

  /** A key's passphrase: stored, entered earlier on this connection, or asked (and kept only if the user agrees). */
  private async passphrase(secretName: string, keyFile: string): Promise<string> {
    const key = secretKeys.keyPassphrase(secretName);
    const entered = this.enteredPassphrases.get(key);
    if (entered !== undefined) return entered;
    const stored = await this.options.secrets.get(key);
    if (stored !== undefined) return stored;
    const asked = await this.ask(key, `Passphrase for ${keyFile}`);
    if (this.options.rememberPassphrase && (await this.options.rememberPassphrase(key, keyFile))) {
      await this.options.secrets.set(key, asked);
    } else {
      this.enteredPassphrases.set(key, asked);
    }
    return asked;
  }

  private async forgetPassphrase(secretName: string): Promise<void> {
    const key = secretKeys.keyPassphrase(secretName);
    this.enteredPassphrases.delete(key);
    await this.options.secrets.delete(key);
  }

  /** A secret from the store, or asked for (and remembered) when the store has none. */
  async secret(key: string, prompt: string): Promise<string> {
    const stored = await this.options.secrets.get(key);
    if (stored !== undefined) return stored;
    const asked = await this.ask(key, prompt);
    await this.options.secrets.set(key, asked);
    return asked;
  }

  private async ask(key: string, prompt: string): Promise<string> {
    const asked = await this.options.promptSecret?.(key, prompt);
    if (asked === undefined) {
      const names = envNamesFor(key);
      throw new AuthenticationError(
        `${prompt} is needed but none was given.`,
        this.options.promptSecret
          ? 'Run the command again and enter it when asked.'
          : `Set it in the environment variable ${names.join(' or ')}.`,
      );
    }
    return asked;
  }

  private cancelledConnecting(): CancelledError {
    return new CancelledError(`Cancelled while connecting to ${describeTarget(this.target)}.`);
  }

  /** Logs in to every hop in turn, each through a channel of the one before; all or nothing. */
  private async open(signal?: AbortSignal): Promise<Client> {
    const { target, log } = this.options;
    const hops = hopsOf(this.options);
    const auths = new Map<string, Promise<HopAuth>>();
    const clients: Client[] = [];
    try {
      let sock: Duplex | undefined;
      for (const [i, hop] of hops.entries()) {
        // A key file or agent shared by several hops is read (and its passphrase asked) once.
        const authKey = `${hop.auth}|${hop.identityFile ?? ''}|${hop.auth === 'password' ? hop.secretName : ''}`;
        let auth = auths.get(authKey);
        if (!auth) auths.set(authKey, (auth = this.authFor(hop)));
        const client = await this.handshake(hop, await auth, sock, signal);
        clients.push(client);
        const next = hops[i + 1];
        if (next) sock = await this.forward(client, hop, next, signal);
      }
    } catch (e) {
      for (const c of clients.reverse()) c.end();
      throw e;
    }
    const client = clients.pop()!;
    const jumpClients = clients;
    this.stats.connects++;
    this.client = client;
    this.jumpClients = jumpClients;
    for (const [i, jump] of jumpClients.entries()) {
      jump.on('error', (e) => log?.(`SSH connection error on ${hops[i]!.label}: ${e.message}`));
      // A jump host that goes away takes the connection through it along.
      jump.on('close', () => client.end());
    }
    client.on('error', (e) => log?.(`SSH connection error: ${e.message}`));
    client.on('close', () => {
      for (const jump of [...jumpClients].reverse()) jump.end();
      if (this.client === client) {
        this.client = undefined;
        this.jumpClients = [];
        this.sftpChannel = undefined;
        log?.(`Connection to ${describeTarget(target)} closed`);
      }
      this.notifyDisconnected();
    });
    log?.(`Connected to ${hops.at(-1)!.label}`);
    return client;
  }

  /** The SSH handshake and login with one hop, over `sock` (a channel of the hop before) or TCP. */
  private async handshake(
    hop: Hop,
    auth: HopAuth,
    sock: Duplex | undefined,
    signal?: AbortSignal,
  ): Promise<Client> {
    const { knownHosts, log } = this.options;
    const { target } = hop;
    if (signal?.aborted) throw this.cancelledConnecting();
    const knownTypes = await knownHosts.knownKeyTypes(target.host, target.port);
    const preferred = knownTypes.flatMap(algorithmsFor);
    const serverHostKey = [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS])];
    let hostKeyProblem: Error | undefined;

    const client = new Client();
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      ...(sock && { sock }),
      readyTimeout: this.readyTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      algorithms: { serverHostKey: serverHostKey as never },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        this.checkHostKey(hop, key).then(
          (ok) => verify(ok),
          (e: Error) => {
            hostKeyProblem = e;
            verify(false);
          },
        );
      },
      ...auth.config,
    };

    log?.(`Connecting to ${hop.label}`);
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error & { level?: string; code?: string }) => {
        signal?.removeEventListener('abort', onAbort);
        client.removeAllListeners('ready');
        // ssh2 may report the end of a half-open connection once more: nobody is listening now.
        client.on('error', () => undefined);
        client.end();
        if (hostKeyProblem) reject(hostKeyProblem);
        else this.explainConnectError(hop, auth, e).then(reject, reject);
      };
      const onAbort = () => {
        client.removeAllListeners('ready');
        client.removeListener('error', fail);
        // An error after the socket is gone (a late handshake timeout) has no one to tell.
        client.on('error', () => undefined);
        client.destroy();
        reject(this.cancelledConnecting());
      };
      client.once('ready', () => {
        signal?.removeEventListener('abort', onAbort);
        client.removeListener('error', fail);
        resolve();
      });
      client.once('error', fail);
      signal?.addEventListener('abort', onAbort, { once: true });
      client.connect(config);
    });
    return client;
  }

  /** A channel from one hop to the next one's SSH port, within the connect timeout. */
  private forward(client: Client, hop: Hop, next: Hop, signal?: AbortSignal): Promise<Duplex> {
    const where = `${next.target.host.includes(':') ? `[${next.target.host}]` : next.target.host}:${next.target.port}`;
    return new Promise<Duplex>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => settle(() => reject(this.cancelledConnecting()));
      const timer = setTimeout(
        () =>
          settle(() =>
            reject(
              new TimeoutError(
                `${hop.label} did not open a connection to ${where} within ${Math.round(this.readyTimeoutMs / 1000)} s.`,
                `Check that ${hop.target.host} can reach ${where} (address, port, firewall between them).`,
              ),
            ),
          ),
        this.readyTimeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      client.forwardOut('127.0.0.1', 0, next.target.host, next.target.port, (err, channel) => {
        if (err) {
          settle(() =>
            reject(
              new RemoteError(
                `${hop.label} could not open a connection to ${where}: ${err.message}.`,
                /prohibited/i.test(err.message)
                  ? `Its sshd does not allow TCP forwarding: set "AllowTcpForwarding yes" for ${hop.target.user} in /etc/ssh/sshd_config on ${hop.target.host}.`
                  : `Check that ${hop.target.host} can reach ${where} (is sshd running there, is the address and port right?).`,
              ),
            ),
          );
          return;
        }
        if (settled) channel.close();
        else settle(() => resolve(channel));
      });
    });
  }

  private async checkHostKey(hop: Hop, key: Buffer): Promise<boolean> {
    const { knownHosts } = this.options;
    const { target } = hop;
    const verdict = await knownHosts.verify(target.host, target.port, key);
    const presented = `${keyTypeOf(key)} ${sha256Fingerprint(key)}`;
    const owner = hop.isJump
      ? `${hop.label}, ${target.host}:${target.port}`
      : `${target.host}:${target.port}`;
    switch (verdict.kind) {
      case 'trusted':
        return true;
      case 'revoked':
        throw new HostKeyError(
          `The host key of ${owner} (${presented}) is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}. Refusing to connect.`,
        );
      case 'changed': {
        const known = verdict.known
          .map((e) => `  ${e.keyType} ${sha256Fingerprint(e.key)} (${e.file}:${e.line})`)
          .join('\n');
        throw new HostKeyError(
          `HOST KEY CHANGED for ${owner}: the server presented ${presented}, but the known key is:\n${known}\nRefusing to connect: this may be an attack or a reinstalled server.`,
          'If you reinstalled the server and trust the new key, delete the line(s) named above and connect again.',
        );
      }
      case 'unknown': {
        const fingerprint = sha256Fingerprint(key);
        const accepted = await this.options.confirmUnknownHostKey({
          host: target.host,
          port: target.port,
          keyType: keyTypeOf(key),
          fingerprint,
          ...(hop.isJump && { jumpHost: hop.label }),
        });
        if (!accepted) {
          throw new HostKeyError(
            `The host key of ${owner} (${presented}) is not known and was not trusted.`,
            'Compare the fingerprint with the one your provider shows (or `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the server) and trust it when it matches.',
          );
        }
        await knownHosts.trust(target.host, target.port, key);
        return true;
      }
    }
  }

  private async explainConnectError(
    hop: Hop,
    auth: HopAuth,
    e: Error & { level?: string; code?: string },
  ): Promise<Error> {
    const { label: where, target } = hop;
    if (e.level === 'client-authentication') return this.explainRefusedLogin(hop, auth);
    if (e.code === 'ECONNREFUSED') {
      return new RemoteError(
        `Nothing accepts connections on ${where} (connection refused).`,
        'Is sshd running there and is the port right?',
      );
    }
    if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
      return new RemoteError(
        `Cannot resolve the host name of ${where}.`,
        hop.isJump
          ? 'Check the jump of the host in mailwright.yaml (or ProxyJump in ~/.ssh/config).'
          : 'Check the ssh field of the host in mailwright.yaml.',
      );
    }
    if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') {
      return new RemoteError(
        `No route to ${where} (${e.code}).`,
        this.options.jumps?.length || hop.isJump
          ? 'Check the address and your network.'
          : 'Check the address and your network; a server on a private network is reached through a jump host (jump in mailwright.yaml).',
      );
    }
    if (/timed out/i.test(e.message)) {
      const seconds = Math.round(this.readyTimeoutMs / 1000);
      return new TimeoutError(
        hop.isJump
          ? `${where} did not answer within ${seconds} s (the connection or the SSH handshake did not complete).`
          : `No SSH connection to ${where} within ${seconds} s (the connection or the SSH handshake did not complete).`,
        `Check the host name or address and the port (${target.port}), that the server is up and sshd runs, and that no firewall drops the port.`,
      );
    }
    return new RemoteError(`Cannot connect to ${where}: ${e.message}`);
  }

  /** The server refused the login: say what was offered (which keys) and what to do. */
  private async explainRefusedLogin(hop: Hop, auth: HopAuth): Promise<Error> {
    const { label: where, target } = hop;
    const authorizedKeys = `~${target.user}/.ssh/authorized_keys on ${target.host}`;
    if (auth.agent) {
      const keys = await agentKeys(auth.agent.agent);
      if (keys instanceof Error) {
        return new AuthenticationError(
          `${where} refused the login of ${target.user}: ${auth.agent.from} did not answer (${keys.message}), so no key was offered.`,
          `${agentHint(this.system)} Or set identityFile for this host in mailwright.yaml.`,
        );
      }
      if (keys.length === 0) {
        return new AuthenticationError(
          `${where} refused the login of ${target.user}: ${auth.agent.from} holds no keys, so none was offered.`,
          'Add your key to the agent (ssh-add ~/.ssh/id_ed25519), or set identityFile for this host in mailwright.yaml.',
        );
      }
      return new AuthenticationError(
        `${where} refused every key ${auth.agent.from} offered for ${target.user}:\n${keys.map((k) => `  ${k}`).join('\n')}`,
        `Add the public key of one of them to ${authorizedKeys}, or add the right key to the agent with ssh-add.`,
      );
    }
    if (hop.auth === 'key') {
      return new AuthenticationError(
        `${where} refused ${auth.offered} for ${target.user}.`,
        `Is the public key of ${hop.identityFile} in ${authorizedKeys}?`,
      );
    }
    return new AuthenticationError(
      `${where} refused ${auth.offered}.`,
      'Check the user name and the password (it is kept in secret storage; enter it again when asked).',
    );
  }

  /**
   * Where the server's other ports are reached from when it sits behind jump hosts: a TCP
   * connection opened by the last jump host, as a client on that network would open it.
   * Undefined without jump hosts (then they are reached directly from this machine).
   */
  get jumpDialer(): JumpDialer | undefined {
    const jumps = this.options.jumps ?? [];
    const last = jumps.at(-1);
    if (!last) return undefined;
    const label = hopsOf(this.options)[jumps.length - 1]!.label;
    return {
      from: label,
      dial: async (host, port) => {
        await this.connect();
        const client = this.jumpClients.at(-1);
        if (!client) throw new RemoteError(`The connection through ${label} was lost.`, LOST_HINT);
        return new Promise<Duplex>((resolve, reject) =>
          client.forwardOut('127.0.0.1', 0, host, port, (err, channel) =>
            err
              ? reject(new Error(`${label} could not open a connection to ${host}:${port}: ${err.message}`))
              : resolve(channel),
          ),
        );
      },
    };
  }

  /** How this login reaches root, found once per connection. */
  async sudo(): Promise<SudoMode> {
    if (this.isRoot) return 'root';
    if (this.sudoMode) return this.sudoMode;
    const probe = await this.execRaw(shellCommand(['sudo', '-n', 'true']), { check: false });
    this.sudoMode = probe.exitCode === 0 ? 'nopasswd' : /password/i.test(probe.stderr) ? 'password' : 'none';
    return this.sudoMode;
  }

  /** Wraps a command so it runs as root (if asked), reporting its process group first so cancel can kill it. */
  private async wrap(command: ShellLine, opts: ExecOptions): Promise<{ line: string; stdinPrefix?: string }> {
    const report = `printf '${PID_MARK}%s\\n' "$$" >&2; exec `;
    if (!opts.sudo || this.isRoot) return { line: `${report}sh -c ${shellQuote(command)}` };
    const mode = await this.sudo();
    if (mode === 'nopasswd') return { line: `${report}sudo -n -- sh -c ${shellQuote(command)}` };
    if (mode === 'password') {
      const password = await this.secret(
        secretKeys.sudoPassword(this.options.name),
        `sudo password for ${this.target.user} on ${this.target.host}`,
      );
      return { line: `${report}sudo -S -p '' -- sh -c ${shellQuote(command)}`, stdinPrefix: `${password}\n` };
    }
    throw new RemoteError(
      `User ${this.target.user} on ${this.target.host} cannot become root with sudo.`,
      'Log in as root, or give this user sudo rights (e.g. add it to the sudo group).',
    );
  }

  /** Runs a command built with shellCommand/shellScript. Output is streamed and collected. */
  async exec(command: ShellLine, opts: ExecOptions = {}): Promise<ExecResult> {
    if (opts.signal?.aborted) throw new CancelledError();
    const { line, stdinPrefix } = await this.wrap(command, opts);
    return this.execRaw(line, opts, stdinPrefix, command);
  }

  private async execRaw(
    line: string,
    opts: ExecOptions,
    stdinPrefix?: string,
    shown: string = line,
  ): Promise<ExecResult> {
    const client = await this.connect(opts.signal);
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      client.exec(line, (err, ch) =>
        err ? reject(new RemoteError(`Cannot open a channel: ${err.message}`)) : resolve(ch),
      );
    });
    this.stats.execChannels++;
    this.openChannels.add(channel);

    return new Promise<ExecResult>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      let pid: number | undefined;
      let stderrHead = '';
      let headDone = false;
      let settled = false;
      let stopReason: Error | undefined;
      let timer: NodeJS.Timeout | undefined;
      const sudo = opts.sudo && !this.isRoot;

      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        unsubscribe();
        this.openChannels.delete(channel);
        fn();
      };
      const unsubscribe = this.onceDisconnected(() =>
        finish(() =>
          reject(
            new RemoteError(
              `The connection to ${describeTarget(this.target)} was lost while running: ${commandSummary(shown)}.`,
              LOST_HINT,
            ),
          ),
        ),
      );

      const stop = (reason: Error) => {
        if (stopReason || settled) return;
        stopReason = reason;
        void this.killRemote(pid, sudo).finally(() => {
          channel.close();
          finish(() => reject(reason));
        });
      };
      const onAbort = () => stop(new CancelledError(`Cancelled: ${commandSummary(shown)}`));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs) {
        timer = setTimeout(
          () =>
            stop(
              new TimeoutError(
                `Timed out after ${Math.round(opts.timeoutMs! / 1000)} s: ${commandSummary(shown)}`,
              ),
            ),
          opts.timeoutMs,
        );
      }

      channel.on('data', (data: Buffer) => {
        const text = data.toString('utf8');
        stdout += text;
        opts.onStdout?.(text);
      });
      channel.stderr.on('data', (data: Buffer) => {
        let text = data.toString('utf8');
        if (!headDone) {
          // The wrapper's first stderr line carries the remote process id; it is not command output.
          stderrHead += text;
          const nl = stderrHead.indexOf('\n');
          if (nl < 0 && stderrHead.length < 64) return;
          if (stderrHead.startsWith(PID_MARK) && nl >= 0) {
            pid = Number(stderrHead.slice(PID_MARK.length, nl));
            text = stderrHead.slice(nl + 1);
          } else {
            text = stderrHead;
          }
          headDone = true;
          if (!text) return;
        }
        stderr += text;
        opts.onStderr?.(text);
      });
      channel.on('exit', () => undefined);
      channel.on('close', (code: number | null, signal?: string) => {
        if (stopReason) return;
        finish(() => {
          const result: ExecResult = { stdout, stderr, exitCode: code ?? null, signal: signal ?? undefined };
          if (code === null && !signal && !this.client) {
            reject(
              new RemoteError(
                `The connection to ${describeTarget(this.target)} was lost while running: ${commandSummary(shown)}.`,
                LOST_HINT,
              ),
            );
          } else if ((opts.check ?? true) && code !== 0) {
            reject(new CommandError(shown, code ?? null, stderr));
          } else {
            resolve(result);
          }
        });
      });

      if (stdinPrefix) channel.write(stdinPrefix);
      if (opts.stdin !== undefined) channel.write(opts.stdin);
      channel.end();
    });
  }

  /** Ends the remote process group: TERM, then KILL after a grace period. */
  private async killRemote(pid: number | undefined, sudo: boolean | undefined): Promise<void> {
    if (!pid || !this.client) return;
    // TERM first; KILL only if the group is still there after the grace period.
    const script = `kill -s TERM -- "-$1" 2>/dev/null || exit 0
i=0; while kill -s 0 -- "-$1" 2>/dev/null && [ $i -lt "$2" ]; do sleep 0.1; i=$((i+1)); done
kill -s KILL -- "-$1" 2>/dev/null; exit 0`;
    try {
      await this.exec(shellScript(script, [String(pid), String(KILL_GRACE_MS / 100)]), {
        sudo,
        check: false,
        timeoutMs: 10_000,
      });
    } catch {
      // The connection may be gone; closing the channel below is all that is left to do.
    }
  }

  /** One SFTP session per connection, opened on first use. */
  async sftp(): Promise<SFTPWrapper> {
    const client = await this.connect();
    this.sftpChannel ??= new Promise<SFTPWrapper>((resolve, reject) => {
      client.sftp((err, sftp) => {
        if (err) {
          this.sftpChannel = undefined;
          reject(new RemoteError(`Cannot start SFTP on ${describeTarget(this.target)}: ${err.message}`));
          return;
        }
        this.stats.sftpChannels++;
        sftp.on('close', () => {
          this.sftpChannel = undefined;
        });
        resolve(sftp);
      });
    });
    return this.sftpChannel;
  }

  /**
   * Calls listener once when the current connection goes away, so work in flight on it
   * (an upload, a command) fails at once instead of waiting forever. Returns an unsubscribe.
   */
  onceDisconnected(listener: () => void): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  private notifyDisconnected(): void {
    const listeners = [...this.disconnectListeners];
    this.disconnectListeners.clear();
    for (const l of listeners) l();
  }

  /** Drops the TCP connection at once (tests use it to simulate a network failure). */
  destroy(): void {
    const client = this.client;
    const jumps = this.jumpClients;
    this.client = undefined;
    this.jumpClients = [];
    this.sftpChannel = undefined;
    client?.destroy();
    for (const jump of jumps.reverse()) jump.destroy();
    this.notifyDisconnected();
  }

  /** Ends the connection and those to its jump hosts. */
  close(): void {
    const client = this.client;
    const jumps = this.jumpClients;
    this.client = undefined;
    this.jumpClients = [];
    this.sftpChannel = undefined;
    client?.end();
    for (const jump of jumps.reverse()) jump.end();
  }
}
