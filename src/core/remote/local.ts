// The same connection, on the server itself: code that runs there from a timer (certificate
// renewal) gathers facts, writes files through the journal and restarts services exactly as
// an SSH session would, with `sh -c` and the local file system in place of SSH channels and
// SFTP. It runs as root (a systemd service), so `sudo` is never needed.
import { spawn } from 'node:child_process';
import { createWriteStream, readFile } from 'node:fs';
import type { SFTPWrapper } from 'ssh2';
import { RemoteConnection } from './connection';
import { CancelledError, CommandError, TimeoutError } from './errors';
import { KnownHosts } from './known-hosts';
import type { ExecOptions, ExecResult } from './connection';
import type { ShellLine } from './quote';
import { MemorySecretStore } from './secrets';

/** The subset of SFTP that reading and writing files uses, on the local file system. */
const localFiles = {
  createWriteStream: (path: string, opts: { mode: number }) => createWriteStream(path, { mode: opts.mode }),
  readFile: (path: string, cb: (err: Error | undefined, data: Buffer) => void) =>
    readFile(path, (err, data) => cb(err ?? undefined, data)),
} as unknown as SFTPWrapper;

export class LocalConnection extends RemoteConnection {
  constructor(name: string) {
    super({
      name,
      // Never used to log in: the commands run here.
      ssh: {
        target: { user: 'root', host: '127.0.0.1', port: 0 },
        auth: 'key',
        identityFiles: [],
        identitiesOnly: true,
        jumps: [],
        knownHostsFiles: [],
        origins: {},
        warnings: [],
        alias: '127.0.0.1',
      },
      knownHosts: new KnownHosts([], '/dev/null'),
      secrets: new MemorySecretStore(),
      confirmUnknownHostKey: async () => false,
    });
  }

  override get isRoot(): boolean {
    return true;
  }

  override get connected(): boolean {
    return true;
  }

  override async connect(): Promise<never> {
    return undefined as never;
  }

  override async sftp(): Promise<SFTPWrapper> {
    return localFiles;
  }

  override exec(command: ShellLine, opts: ExecOptions = {}): Promise<ExecResult> {
    if (opts.signal?.aborted) return Promise.reject(new CancelledError());
    return new Promise((resolve, reject) => {
      // Its own process group, so a cancel or timeout ends everything the command started.
      const child = spawn('sh', ['-c', command], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let stopped: Error | undefined;
      const stop = (reason: Error) => {
        stopped ??= reason;
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          // already gone
        }
      };
      const onAbort = () => stop(new CancelledError(`Cancelled: ${command}`));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = opts.timeoutMs
        ? setTimeout(
            () =>
              stop(new TimeoutError(`Timed out after ${Math.round(opts.timeoutMs! / 1000)} s: ${command}`)),
            opts.timeoutMs,
          )
        : undefined;
      if (opts.stdoutSink) {
        // Binary output (an archive) with flow control: the command waits while the sink is full.
        child.stdout.pipe(opts.stdoutSink);
        opts.stdoutSink.once('error', (e: Error) => stop(e));
      } else {
        child.stdout.on('data', (d: Buffer) => {
          const text = d.toString('utf8');
          stdout += text;
          opts.onStdout?.(text);
        });
      }
      child.stderr.on('data', (d: Buffer) => {
        const text = d.toString('utf8');
        stderr += text;
        opts.onStderr?.(text);
      });
      child.on('error', (e) => stop(e));
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (stopped) return reject(stopped);
        const result: ExecResult = { stdout, stderr, exitCode: code, signal: signal ?? undefined };
        if ((opts.check ?? true) && code !== 0) reject(new CommandError(command, code, stderr));
        else resolve(result);
      });
      child.stdin.on('error', () => undefined); // a command that does not read its input
      if (opts.stdinSource) {
        if (opts.stdin !== undefined) child.stdin.write(opts.stdin);
        opts.stdinSource.once('error', (e: Error) => stop(e));
        opts.stdinSource.pipe(child.stdin);
      } else {
        child.stdin.end(opts.stdin ?? '');
      }
    });
  }

  override onceDisconnected(): () => void {
    return () => undefined;
  }

  override close(): void {}

  override destroy(): void {}
}
