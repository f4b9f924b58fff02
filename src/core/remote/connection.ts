// One SSH connection to one server: connect with verified host key, run
// commands with streamed output, timeouts and cancellation that reaches the
// remote process, sudo when the login user is not root, and SFTP.
import { readFile } from 'node:fs/promises';
import {
  Client,
  OpenSSHAgent,
  utils,
  type AuthHandlerMiddleware,
  type ClientChannel,
  type ConnectConfig,
  type ParsedKey,
  type SFTPWrapper,
} from 'ssh2';
import type { AuthMethod, SshTarget } from '../config/types';
import {
  agentWithoutKeysError,
  AuthenticationError,
  keysRefusedError,
  unknownHostError,
  unreadableIdentityError,
  CancelledError,
  CommandError,
  commandSummary,
  HostKeyError,
  RemoteError,
  TimeoutError,
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
}

export interface ConnectOptions {
  /** The host's name in mailwright.yaml; secrets are stored under it. */
  name: string;
  /** Where and how to log in, resolved once from mailwright.yaml and the SSH configuration (resolveSsh). */
  ssh: ResolvedSsh;
  knownHosts: KnownHosts;
  secrets: SecretStore;
  /** Asked once for a host key nobody has trusted yet; resolve true to trust and remember it. */
  confirmUnknownHostKey: (key: UnknownHostKey) => Promise<boolean>;
  /** Asked when a secret is missing (the extension shows an input box); undefined = give up. */
  promptSecret?: (key: string, prompt: string) => Promise<string | undefined>;
  /** The connect timeout when the SSH login names none (ConnectTimeout or a flag). */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
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

/** How many keys the agent at this socket holds. */
function agentKeyCount(socket: string): Promise<number> {
  return new Promise((resolve, reject) => {
    new OpenSSHAgent(socket).getIdentities((err, keys) => {
      if (err)
        reject(
          new AuthenticationError(
            `Cannot reach the ssh-agent at ${socket}: ${err.message}`,
            'Start ssh-agent (eval "$(ssh-agent)") and add your key with ssh-add, or set identityFile for this host in mailwright.yaml.',
          ),
        );
      else resolve(keys?.length ?? 0);
    });
  });
}

export function describeTarget(t: SshTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.user}@${host}:${t.port}`;
}

export class RemoteConnection {
  readonly stats: ConnectionStats = { connects: 0, execChannels: 0, sftpChannels: 0 };
  private client?: Client;
  private connecting?: Promise<Client>;
  private sftpChannel?: Promise<SFTPWrapper>;
  private sudoMode?: SudoMode;
  private readonly openChannels = new Set<ClientChannel>();
  private readonly disconnectListeners = new Set<() => void>();

  constructor(readonly options: ConnectOptions) {}

  get target(): SshTarget {
    return this.options.ssh.target;
  }

  get isRoot(): boolean {
    return this.target.user === 'root';
  }

  /** The known-hosts files: those the SSH configuration names (UserKnownHostsFile) replace ~/.ssh/known_hosts. */
  private get knownHosts(): KnownHosts {
    const files = this.options.ssh.knownHostsFiles;
    return files.length > 0
      ? new KnownHosts(files, this.options.knownHosts.managedFile)
      : this.options.knownHosts;
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** How long a connection attempt (TCP connect and SSH handshake) may take. */
  get readyTimeoutMs(): number {
    return this.options.ssh.connectTimeoutMs ?? this.options.readyTimeoutMs ?? 20_000;
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

  /** What was offered to the server on the last attempt (key files with their origin, or the agent). */
  private offered: string[] = [];

  private async authConfig(): Promise<Partial<ConnectConfig>> {
    const { ssh, name } = this.options;
    this.offered = [];
    if (ssh.auth === 'agent') {
      const sock = ssh.identityAgent ?? process.env.SSH_AUTH_SOCK;
      if (!sock) {
        throw new AuthenticationError(
          `Host "${name}" uses ssh-agent authentication, but no agent is running (SSH_AUTH_SOCK is not set).`,
          'Start ssh-agent and add your key (ssh-add), or set identityFile for this host in mailwright.yaml.',
        );
      }
      if ((await agentKeyCount(sock)) === 0) throw agentWithoutKeysError(ssh, sock);
      this.offered = [`the keys of the ssh-agent at ${sock}`];
      return { agent: sock };
    }
    if (ssh.auth === 'password') {
      const password = await this.secret(
        secretKeys.sshPassword(name),
        `SSH password for ${describeTarget(this.target)}`,
      );
      return { password };
    }
    if (ssh.identityFiles.length === 0) {
      throw new AuthenticationError(
        `Host "${name}" uses key authentication but names no identityFile.`,
        'Add e.g. "identityFile: ~/.ssh/id_ed25519" to the host in mailwright.yaml (or IdentityFile to its Host in ~/.ssh/config), or use "auth: agent".',
      );
    }
    const keys: { file: string; key: ParsedKey }[] = [];
    const unreadable: { file: string; reason: string }[] = [];
    for (const file of ssh.identityFiles) {
      let keyData: Buffer;
      try {
        keyData = await readFile(file);
      } catch (e) {
        unreadable.push({ file, reason: (e as Error).message });
        continue;
      }
      keys.push({ file, key: await this.parseKey(file, keyData) });
    }
    if (keys.length === 0) throw unreadableIdentityError(ssh, unreadable);
    for (const u of unreadable) this.options.log?.(`Skipping the private key ${u.file}: ${u.reason}`);
    const pending = [...keys];
    const authHandler: AuthHandlerMiddleware = (_left, _partial, next) => {
      const k = pending.shift();
      if (!k) return next(false as never);
      const index = ssh.identityFiles.indexOf(k.file);
      this.offered.push(`${k.file} (from ${ssh.origins[`identityFiles[${index}]`] ?? 'mailwright.yaml'})`);
      next({ type: 'publickey', username: ssh.target.user, key: k.key });
    };
    return { authHandler };
  }

  private async parseKey(path: string, keyData: Buffer): Promise<ParsedKey> {
    const { name } = this.options;
    let parsed = utils.parseKey(keyData);
    if (parsed instanceof Error && /passphrase/i.test(parsed.message)) {
      const passphrase = await this.secret(secretKeys.keyPassphrase(name), `Passphrase for ${path}`);
      parsed = utils.parseKey(keyData, passphrase);
      if (parsed instanceof Error) {
        await this.options.secrets.delete(secretKeys.keyPassphrase(name));
        throw new AuthenticationError(`The passphrase for ${path} is wrong (${parsed.message}).`);
      }
    }
    if (parsed instanceof Error) {
      throw new AuthenticationError(`${path} is not a private key ssh2 can read: ${parsed.message}`);
    }
    return Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
  }

  /** A secret from the store, or asked for (and remembered) when the store has none. */
  async secret(key: string, prompt: string): Promise<string> {
    const stored = await this.options.secrets.get(key);
    if (stored !== undefined) return stored;
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
    await this.options.secrets.set(key, asked);
    return asked;
  }

  private cancelledConnecting(): CancelledError {
    return new CancelledError(`Cancelled while connecting to ${describeTarget(this.target)}.`);
  }

  private async open(signal?: AbortSignal): Promise<Client> {
    const { log, ssh } = this.options;
    const { target, knownHosts } = this;
    await checkHostNameKnown(ssh);
    const auth = await this.authConfig();
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
      readyTimeout: this.readyTimeoutMs,
      keepaliveInterval: this.options.ssh.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: 3,
      algorithms: { serverHostKey: serverHostKey as never },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        this.checkHostKey(key).then(
          (ok) => verify(ok),
          (e: Error) => {
            hostKeyProblem = e;
            verify(false);
          },
        );
      },
      ...auth,
    };

    log?.(`Connecting to ${describeTarget(target)}`);
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error & { level?: string; code?: string }) => {
        signal?.removeEventListener('abort', onAbort);
        client.removeAllListeners('ready');
        client.end();
        reject(hostKeyProblem ?? this.explainConnectError(e));
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

    this.stats.connects++;
    this.client = client;
    client.on('error', (e) => log?.(`SSH connection error: ${e.message}`));
    client.on('close', () => {
      if (this.client === client) {
        this.client = undefined;
        this.sftpChannel = undefined;
        log?.(`Connection to ${describeTarget(target)} closed`);
      }
      this.notifyDisconnected();
    });
    log?.(`Connected to ${describeTarget(target)}`);
    return client;
  }

  private async checkHostKey(key: Buffer): Promise<boolean> {
    const { target, knownHosts } = this;
    const verdict = await knownHosts.verify(target.host, target.port, key);
    const presented = `${keyTypeOf(key)} ${sha256Fingerprint(key)}`;
    switch (verdict.kind) {
      case 'trusted':
        return true;
      case 'revoked':
        throw new HostKeyError(
          `The host key of ${target.host}:${target.port} (${presented}) is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}. Refusing to connect.`,
        );
      case 'changed': {
        const known = verdict.known
          .map((e) => `  ${e.keyType} ${sha256Fingerprint(e.key)} (${e.file}:${e.line})`)
          .join('\n');
        throw new HostKeyError(
          `HOST KEY CHANGED for ${target.host}:${target.port}: the server presented ${presented}, but the known key is:\n${known}\nRefusing to connect: this may be an attack or a reinstalled server.`,
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
        });
        if (!accepted) {
          throw new HostKeyError(
            `The host key of ${target.host}:${target.port} (${presented}) is not known and was not trusted.`,
            'Compare the fingerprint with the one your provider shows (or `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the server) and trust it when it matches.',
          );
        }
        await knownHosts.trust(target.host, target.port, key);
        return true;
      }
    }
  }

  private explainConnectError(e: Error & { level?: string; code?: string }): Error {
    const where = describeTarget(this.target);
    if (e.level === 'client-authentication') {
      if (this.options.ssh.auth !== 'password')
        return keysRefusedError(this.options.ssh, where, this.offered);
      return new AuthenticationError(
        `The server ${where} refused the password login.`,
        'Check the user name and the password.',
      );
    }
    if (e.code === 'ECONNREFUSED') {
      return new RemoteError(
        `Nothing accepts connections on ${where} (connection refused).`,
        'Is sshd running there and is the port right?',
      );
    }
    if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return unknownHostError(this.options.ssh, e.code);
    if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') {
      return new RemoteError(`No route to ${where} (${e.code}).`, 'Check the address and your network.');
    }
    if (/timed out/i.test(e.message)) {
      return new TimeoutError(
        `No SSH connection to ${where} within ${Math.round(this.readyTimeoutMs / 1000)} s (the connection or the SSH handshake did not complete).`,
        `Check the host name or address and the port (${this.target.port}), that the server is up and sshd runs, and that no firewall drops the port.`,
      );
    }
    return new RemoteError(`Cannot connect to ${where}: ${e.message}`);
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
    this.client = undefined;
    this.sftpChannel = undefined;
    client?.destroy();
    this.notifyDisconnected();
  }

  close(): void {
    const client = this.client;
    this.client = undefined;
    this.sftpChannel = undefined;
    client?.end();
  }
}
