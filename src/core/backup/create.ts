// Making a backup: the server's files come as one tar stream over the SSH channel (no file is
// written on the server), each file is hashed as it passes, Mailwright's own entries (the
// mailwright.yaml and the manifest) are added at the end, and the whole is encrypted into a
// temporary file next to the destination, which is renamed into place when complete.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import type { HostConfig } from '../config';
import type { Facts } from '../facts';
import { CommandError, shellScript, WRITE_TEMP_PATTERNS, type RemoteConnection } from '../remote';
import { CHASQUID_DIR } from '../chasquid/paths';
import { encryptStream, DEFAULT_SCRYPT_LOG_N } from './crypto';
import {
  BACKUP_CONFIG_ENTRY,
  BACKUP_CONFIG_PATHS,
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BACKUP_MAIL_PATH,
  BACKUP_MANIFEST_ENTRY,
  BackupFormatError,
  isBackupPath,
  type BackupManifest,
  type ManifestFile,
} from './manifest';
import { TAR_END, tarFile, TarFormatError, TarReader, type TarEntry } from './tar';

const MAIL_SIZE_MARK = 'mailwright-mail-bytes:';

// $1 "mail" to include the mail store; then the paths to take, the mail store last. Prints the
// mail store's size on stderr first, then the archive on stdout. tar follows symlinks (-h): a
// certificate folder linked from elsewhere is taken with its content.
const COLLECT_SCRIPT = `cd / || exit 1
with=$1; shift
mail=$1; shift
bytes=0
[ -d "$mail" ] && bytes=$(du -sb "$mail" | cut -f1)
printf '${MAIL_SIZE_MARK}%s\\n' "$bytes" >&2
set --
for p in ${BACKUP_CONFIG_PATHS.map((p) => p.slice(1)).join(' ')}; do [ -e "$p" ] && set -- "$@" "$p"; done
[ "$with" = mail ] && [ -d "$mail" ] && set -- "$@" "\${mail#/}"
[ $# -gt 0 ] || { echo "${CHASQUID_DIR} does not exist: there is nothing to back up" >&2; exit 3; }
exec tar --format=pax -c -h -f - --exclude=${CHASQUID_DIR.slice(1)}/.git ${WRITE_TEMP_PATTERNS.map((p) => `--exclude='${p}'`).join(' ')} -- "$@"
`;

export interface BackupProgress {
  /** Archive bytes received so far. */
  bytes: number;
  /** The mail store's size on the server (whether it is included or not), once known. */
  mailBytes?: number;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const octal = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;

/**
 * Passes the server's tar through unchanged up to its end-of-archive blocks, hashing every file
 * and refusing paths that are not a backup's; at the end adds mailwright.yaml and the manifest.
 */
class Collector extends Transform {
  readonly files: ManifestFile[] = [];
  received = 0;
  private hash: ReturnType<typeof createHash> | undefined;
  private readonly reader: TarReader;

  constructor(private readonly finish: (files: ManifestFile[]) => Buffer) {
    super();
    this.reader = new TarReader({
      entry: (e) => this.onEntry(e),
      data: (chunk) => this.hash?.update(chunk),
      end: (e) => this.onEnd(e),
      raw: (chunk) => this.push(chunk),
    });
  }

  private onEntry(e: TarEntry): void {
    const path = `/${e.path}`;
    if (!isBackupPath(path) || (e.type !== 'file' && e.type !== 'directory'))
      throw new BackupFormatError(`the server sent ${path} (${e.type}), which a backup does not hold`);
    this.hash = e.type === 'file' ? createHash('sha256') : undefined;
  }

  private onEnd(e: TarEntry): void {
    this.files.push({
      path: `/${e.path}`,
      type: e.type === 'file' ? 'file' : 'directory',
      size: e.size,
      ...(this.hash && { sha256: this.hash.digest('hex') }),
      mode: octal(e.mode),
      owner: `${e.uname}:${e.gname}`,
    });
    this.hash = undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    try {
      this.reader.push(chunk);
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.reader.finish();
      this.push(this.finish(this.files));
      done();
    } catch (e) {
      done(e as Error);
    }
  }
}

export interface ArchiveOptions {
  host: HostConfig;
  /** The server the files come from, as the manifest records it. */
  server: BackupManifest['server'];
  /** mailwright.yaml as it is now: it goes into the archive. */
  config: Buffer;
  /** The archive is locked with a passphrase, or for an age public key (`age1…`): one of the two. */
  passphrase?: string;
  recipient?: string;
  /** The archive to write (replaced atomically when it exists). */
  out: string;
  withMail: boolean;
  scryptLogN?: number;
  now?: Date;
}

export interface ArchiveWriter {
  /** Where the server's tar stream goes. */
  sink: Writable;
  /** Archive bytes received so far. */
  received(): number;
  /** Resolves once the archive is complete and renamed into place. */
  done: Promise<{ manifest: BackupManifest; bytes: number }>;
  /** Stops and removes the temporary file. */
  discard(reason: Error): Promise<void>;
}

/**
 * Starts an encrypted archive at `opts.out`: the server's tar goes into `sink`; the archive is
 * written to a temporary file (mode 0600) beside it and renamed into place only when whole.
 */
export async function startArchive(opts: ArchiveOptions): Promise<ArchiveWriter> {
  const now = opts.now ?? new Date();
  let manifest: BackupManifest | undefined;
  const mtime = Math.floor(now.getTime() / 1000);
  const meta = { mode: 0o600, uname: 'root', gname: 'root', mtime };
  const collector = new Collector((files) => {
    manifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_FORMAT_VERSION,
      createdAt: now.toISOString(),
      host: {
        name: opts.host.name,
        mailHost: opts.host.mailHost,
        domains: opts.host.domains.map((d) => d.name),
      },
      server: opts.server,
      withMail: opts.withMail,
      files,
      config: { size: opts.config.length, sha256: sha256(opts.config) },
    };
    return Buffer.concat([
      tarFile({ path: BACKUP_CONFIG_ENTRY, ...meta }, opts.config),
      tarFile(
        { path: BACKUP_MANIFEST_ENTRY, ...meta },
        Buffer.from(JSON.stringify(manifest, null, 2) + '\n'),
      ),
      TAR_END,
    ]);
  });
  const temp = join(dirname(opts.out), `.${basename(opts.out)}.${randomBytes(6).toString('hex')}.part`);
  const encrypted = await encryptStream(
    Readable.toWeb(collector) as ReadableStream<Uint8Array>,
    opts.recipient !== undefined
      ? { recipient: opts.recipient }
      : { passphrase: opts.passphrase ?? '', scryptLogN: opts.scryptLogN ?? DEFAULT_SCRYPT_LOG_N },
  );
  const file = createWriteStream(temp, { mode: 0o600, flags: 'wx' });
  let written = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      written += chunk.length;
      callback(null, chunk);
    },
  });
  const writing = pipeline(Readable.fromWeb(encrypted as NodeReadableStream), counted, file);
  const done = writing.then(async () => {
    if (!manifest) throw new BackupFormatError('The archive ended before its manifest: nothing was written.');
    await chmod(temp, 0o600);
    await rename(temp, opts.out);
    return { manifest, bytes: written };
  });
  // The caller awaits `done` (or discards): no unhandled rejection meanwhile.
  done.catch(() => undefined);
  return {
    sink: collector,
    received: () => collector.received,
    done,
    async discard(reason) {
      collector.destroy(reason);
      await writing.catch(() => undefined);
      await rm(temp, { force: true });
    },
  };
}

export interface CreateBackupOptions extends Omit<ArchiveOptions, 'server'> {
  conn: RemoteConnection;
  facts: Facts;
  signal?: AbortSignal;
  onProgress?(progress: BackupProgress): void;
}

export interface CreatedBackup {
  path: string;
  manifest: BackupManifest;
  /** Size of the encrypted archive. */
  bytes: number;
  /** The mail store's size on the server. */
  mailBytes: number;
}

/** Writes an encrypted backup of the host's server to `opts.out` (mode 0600), in one SSH command. */
export async function createBackup(opts: CreateBackupOptions): Promise<CreatedBackup> {
  let mailBytes = 0;
  const archive = await startArchive({
    ...opts,
    server: {
      os: opts.facts.os.prettyName,
      ...(opts.facts.chasquid.version && { chasquidVersion: opts.facts.chasquid.version }),
      addresses: { ipv4: opts.facts.addresses.ipv4, ipv6: opts.facts.addresses.ipv6 },
    },
  });
  const report = () => opts.onProgress?.({ bytes: archive.received(), mailBytes });
  const ticker = setInterval(report, 500);
  let stderrHead = '';
  // What the server's script said on stderr, without the size line: the reason an archive ended early.
  const said = () =>
    stderrHead
      .split('\n')
      .filter((l) => l && !l.startsWith(MAIL_SIZE_MARK))
      .join('\n');
  try {
    const result = await opts.conn.exec(
      shellScript(COLLECT_SCRIPT, [opts.withMail ? 'mail' : 'config', BACKUP_MAIL_PATH]),
      {
        sudo: true,
        check: false,
        signal: opts.signal,
        stdoutSink: archive.sink,
        onStderr: (text) => {
          stderrHead += text;
          const m = new RegExp(`${MAIL_SIZE_MARK}(\\d+)`).exec(stderrHead);
          if (m) mailBytes = Number(m[1]);
          report();
        },
      },
    );
    const stderr = said();
    // GNU tar exits 1 when a file changed while it was read (mail arriving): the archive is whole.
    if (result.exitCode !== 0 && !(result.exitCode === 1 && opts.withMail))
      throw new CommandError('tar (the backup on the server)', result.exitCode, stderr);
    const { manifest, bytes } = await archive.done;
    report();
    return { path: opts.out, manifest, bytes, mailBytes };
  } catch (e) {
    await archive.discard(e as Error);
    // A tar that stopped (nothing to back up, a file it could not read) ends the stream early:
    // what it said is the reason, not the cut-off archive.
    if ((e instanceof TarFormatError || e instanceof BackupFormatError) && said())
      throw new CommandError(
        'tar (the backup on the server)',
        null,
        said(),
        `The backup on the server stopped before its end: ${said().split('\n').slice(-5).join('\n')}`,
      );
    throw e;
  } finally {
    clearInterval(ticker);
  }
}
