// One SSH connection to one server: connect with verified host key, run
// commands with streamed output, timeouts and cancellation that reaches the
// remote process, sudo when the login user is not root, and SFTP.
import { readFile } from 'node:fs/promises';
import type { Duplex, Readable, Writable } from 'node:stream';
import {
  Client,
  utils,
  type AuthHandlerMiddleware,
  type ClientChannel,
  type ConnectConfig,
  type ParsedKey,
  type SFTPWrapper,
} from 'ssh2';
import type { AuthMethod, SshTarget } from '../config/types';
import { currentSystem, type LocalSystem } from '../local-path';
import { agentKeys, chooseAgent } from './agent';
import {
  agentRefusedError,
  agentUnreachableError,
  agentWithoutKeysError,
  AuthenticationError,
  CancelledError,
  CommandError,
  commandSummary,
  connectError,
  forwardRefusedError,
  forwardTimeoutError,
  HostKeyError,
  keysRefusedError,
  noAgentError,
  noIdentityFileError,
  passwordRefusedError,
  RemoteError,
  TimeoutError,
  unreadableIdentityError,
  unreadableKeyError,
  wrongPassphraseError,
} from './errors';
import { keyTypeOf, sha256Fingerprint } from './fingerprint';
import { KnownHosts } from './known-hosts';
import { shellCommand, shellQuote, shellScript, type ShellLine } from './quote';
import { checkHostNameKnown, type ResolvedSsh } from './resolve-target';
import { envNamesFor, secretKeys, type SecretStore } from './secrets';

export type { AuthMethod, SshTarget };

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
  /**
   * Where and how to log in, resolved once from mailwright.yaml and the SSH configuration
   * (resolveSsh): `ssh.jumps` are the jump hosts, first hop first, each verified and logged in to
   * with its own keys, agent and known-hosts files.
   */
  ssh: ResolvedSsh;
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
  /** The connect timeout when the SSH login names none (ConnectTimeout or a flag). */
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
  /**
   * Binary output (an archive): stdout is piped into this stream, with flow control (the server
   * waits while it is full), instead of being collected as text. It is ended with the output.
   */
  stdoutSink?: Writable;
  /** Binary input (an archive) piped to stdin with flow control, after `stdin` if both are given. */
  stdinSource?: Readable;
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
  ssh: ResolvedSsh;
  target: SshTarget;
  auth: AuthMethod;
  /** The name a password is stored under. */
  secretName: string;
  /** How messages name it: "jump host bastion.example (hop 1 of 2)", or the server's user@host:port. */
  label: string;
  isJump: boolean;
}

/** What a login offers the server, and how to say so when the server refuses it. */
interface HopAuth {
  config: Partial<ConnectConfig>;
  /** "the keys of SSH_AUTH_SOCK", "the password of root" … */
  offered: string;
  agent?: { agent: string; from: string };
  /** Key files, offered in order (one authHandler per handshake). */
  keys?: { file: string; key: ParsedKey; shown: string }[];
}

/** The hops of a connection, first first. */
function hopsOf(options: Pick<ConnectOptions, 'name' | 'ssh'>): Hop[] {
  const { ssh, name } = options;
  const count = ssh.jumps.length + 1;
  const hops: Hop[] = ssh.jumps.map((jump, i) => ({
    ssh: jump,
    target: jump.target,
    auth: jump.auth,
    secretName: `${name}-jump${i + 1}`,
    label: `jump host ${jump.alias} (hop ${i + 1} of ${count})`,
    isJump: true,
  }));
  const via = ssh.jumps.map((j) => j.alias).join(', ');
  hops.push({
    ssh,
    target: ssh.target,
    auth: ssh.auth,
    secretName: name,
    label: count > 1 ? `${describeTarget(ssh.target)} (through ${via})` : describeTarget(ssh.target),
    isJump: false,
  });
  return hops;
}

/** A login without what only explains it (origins, warnings), jump hosts included. */
function loginOf(ssh: ResolvedSsh): unknown {
  return { ...ssh, origins: undefined, warnings: undefined, jumps: ssh.jumps.map(loginOf) };
}

/** The key under which the pool keeps a connection: every setting that changes how it is made, the whole jump chain included. */
export function connectionKey(options: Pick<ConnectOptions, 'name' | 'ssh'>): string {
  return JSON.stringify([options.name, loginOf(options.ssh)]);
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
    return this.options.ssh.target;
  }

  get isRoot(): boolean {
    return this.target.user === 'root';
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** How long a connection attempt (TCP connect and SSH handshake) to the server may take. */
  get readyTimeoutMs(): number {
    return this.timeoutOf(this.options.ssh);
  }

  /** A hop's connect timeout: its ConnectTimeout (or a flag), else the default. */
  private timeoutOf(ssh: ResolvedSsh): number {
    return ssh.connectTimeoutMs ?? this.options.readyTimeoutMs ?? 20_000;
  }

  /** A hop's known-hosts files: those the SSH configuration names (UserKnownHostsFile) replace ~/.ssh/known_hosts. */
  private knownHostsOf(ssh: ResolvedSsh): KnownHosts {
    const files = ssh.knownHostsFiles;
    return files.length > 0
      ? new KnownHosts(files, this.options.knownHosts.managedFile)
      : this.options.knownHosts;
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

  private async authFor(hop: Hop, readKey: (file: string) => Promise<ParsedKey | Error>): Promise<HopAuth> {
    const { auth, secretName, label, ssh } = hop;
    if (auth === 'agent') {
      const choice = chooseAgent(ssh.identityAgent, { system: this.system });
      if (!choice.ok) {
        throw noAgentError(label, choice.tried, this.system.platform);
      }
      const keys = await agentKeys(choice.agent);
      if (keys instanceof Error) throw agentUnreachableError(choice, keys.message, this.system.platform);
      if (keys.length === 0) throw agentWithoutKeysError(ssh, choice.agent);
      return { config: { agent: choice.agent }, offered: `the keys of ${choice.from}`, agent: choice };
    }
    if (auth === 'password') {
      const password = await this.secret(secretKeys.sshPassword(secretName), `SSH password for ${label}`);
      return { config: { password }, offered: `the password of ${hop.target.user}` };
    }
    if (ssh.identityFiles.length === 0) {
      throw noIdentityFileError(label);
    }
    const keys: NonNullable<HopAuth['keys']> = [];
    const unreadable: { file: string; reason: string }[] = [];
    for (const file of ssh.identityFiles) {
      const key = await readKey(file);
      if (key instanceof Error) {
        unreadable.push({ file, reason: key.message });
        continue;
      }
      const index = ssh.identityFiles.indexOf(file);
      keys.push({
        file,
        key,
        shown: `${file} (from ${ssh.origins[`identityFiles[${index}]`] ?? 'mailwright.yaml'})`,
      });
    }
    if (keys.length === 0) throw unreadableIdentityError(ssh, unreadable);
    for (const u of unreadable) this.options.log?.(`Skipping the private key ${u.file}: ${u.reason}`);
    return { config: {}, offered: keys.map((k) => k.shown).join(', '), keys };
  }

  /** A private key file, its passphrase asked once (stored under `secretName`); an Error when it cannot be read. */
  private async readKey(file: string, secretName: string): Promise<ParsedKey | Error> {
    let keyData: Buffer;
    try {
      keyData = await readFile(file);
    } catch (e) {
      return e as Error;
    }
    let parsed = utils.parseKey(keyData);
    if (parsed instanceof Error && /passphrase/i.test(parsed.message)) {
      const passphrase = await this.passphrase(secretName, file);
      parsed = utils.parseKey(keyData, passphrase);
      if (parsed instanceof Error) {
        await this.forgetPassphrase(secretName);
        throw wrongPassphraseError(
          file,
          parsed.message,
          this.options.promptSecret ? undefined : envNamesFor(secretKeys.keyPassphrase(secretName)),
        );
      }
    }
    if (parsed instanceof Error) {
      throw unreadableKeyError(file, parsed.message);
    }
    return Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
  }

  /** Offers the keys in order, one per attempt, as ssh does. */
  private authHandler(hop: Hop, auth: HopAuth, offered: string[]): AuthHandlerMiddleware {
    const pending = [...(auth.keys ?? [])];
    return (_left, _partial, next) => {
      const k = pending.shift();
      if (!k) return next(false as never);
      offered.push(k.shown);
      next({ type: 'publickey', username: hop.target.user, key: k.key });
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
    const { log, name, ssh } = this.options;
    const target = this.target;
    const hops = hopsOf(this.options);
    // The first hop is the one this machine looks up: an unknown name is said before anything else.
    await checkHostNameKnown(hops[0]!.ssh);
    // A key file is read (and its passphrase asked) once, also when several hops use it; the
    // server's keys keep their passphrase under the host's name, a jump host's own key under its hop.
    const keys = new Map<string, Promise<ParsedKey | Error>>();
    const readKey = (hop: Hop) => (file: string) => {
      let key = keys.get(file);
      if (!key) {
        const secretName = ssh.identityFiles.includes(file) ? name : hop.secretName;
        keys.set(file, (key = this.readKey(file, secretName)));
      }
      return key;
    };
    const auths = new Map<string, Promise<HopAuth>>();
    const clients: Client[] = [];
    try {
      let sock: Duplex | undefined;
      for (const [i, hop] of hops.entries()) {
        const authKey = JSON.stringify([
          hop.auth,
          hop.ssh.identityFiles,
          hop.ssh.identityAgent ?? '',
          hop.auth === 'password' ? hop.secretName : '',
        ]);
        let auth = auths.get(authKey);
        if (!auth) auths.set(authKey, (auth = this.authFor(hop, readKey(hop))));
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
    const { log } = this.options;
    const { target } = hop;
    const knownHosts = this.knownHostsOf(hop.ssh);
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
      readyTimeout: this.timeoutOf(hop.ssh),
      keepaliveInterval: hop.ssh.keepaliveIntervalMs ?? 15_000,
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
    const offered: string[] = [];
    if (auth.keys) config.authHandler = this.authHandler(hop, auth, offered);

    log?.(`Connecting to ${hop.label}`);
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error & { level?: string; code?: string }) => {
        signal?.removeEventListener('abort', onAbort);
        client.removeAllListeners('ready');
        // ssh2 may report the end of a half-open connection once more: nobody is listening now.
        client.on('error', () => undefined);
        client.end();
        if (hostKeyProblem) reject(hostKeyProblem);
        else this.explainConnectError(hop, auth, offered, e).then(reject, reject);
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
              forwardTimeoutError(hop.label, hop.target, where, Math.round(this.timeoutOf(next.ssh) / 1000)),
            ),
          ),
        this.timeoutOf(next.ssh),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      client.forwardOut('127.0.0.1', 0, next.target.host, next.target.port, (err, channel) => {
        if (err) {
          settle(() => reject(forwardRefusedError(hop.label, hop.target, where, err.message)));
          return;
        }
        if (settled) channel.close();
        else settle(() => resolve(channel));
      });
    });
  }

  private async checkHostKey(hop: Hop, key: Buffer): Promise<boolean> {
    const knownHosts = this.knownHostsOf(hop.ssh);
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
    offered: string[],
    e: Error & { level?: string; code?: string },
  ): Promise<Error> {
    const { label: where, target } = hop;
    if (e.level !== 'client-authentication')
      return connectError(e, {
        where,
        ssh: hop.ssh,
        isJump: hop.isJump,
        throughJumps: this.options.ssh.jumps.length > 0,
        seconds: Math.round(this.timeoutOf(hop.ssh) / 1000),
      });
    // The server refused the login: say what was offered (which keys) and what to do.
    if (auth.agent) {
      const keys = await agentKeys(auth.agent.agent);
      return agentRefusedError(where, target, auth.agent.from, keys, this.system.platform);
    }
    if (hop.auth === 'key') return keysRefusedError(hop.ssh, where, offered);
    return passwordRefusedError(where);
  }

  /**
   * Where the server's other ports are reached from when it sits behind jump hosts: a TCP
   * connection opened by the last jump host, as a client on that network would open it.
   * Undefined without jump hosts (then they are reached directly from this machine).
   */
  get jumpDialer(): JumpDialer | undefined {
    const jumps = this.options.ssh.jumps;
    if (jumps.length === 0) return undefined;
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

      if (opts.stdoutSink) {
        const sink = opts.stdoutSink;
        channel.pipe(sink);
        sink.once('error', (e: Error) => stop(e));
      } else {
        channel.on('data', (data: Buffer) => {
          const text = data.toString('utf8');
          stdout += text;
          opts.onStdout?.(text);
        });
      }
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
      if (opts.stdinSource) {
        opts.stdinSource.once('error', (e: Error) => stop(e));
        opts.stdinSource.pipe(channel);
      } else {
        channel.end();
      }
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
