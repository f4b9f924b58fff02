// Opening a backup: decrypt and read it whole once, checking every entry against the manifest,
// before anything is done with it. The configuration files (small) are kept in memory for the
// restore; mail is only hashed here and read again from the file when it is restored.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cryptoProblem, decryptStream, type OpenKey } from './crypto';
import {
  BACKUP_CONFIG_ENTRY,
  BACKUP_MANIFEST_ENTRY,
  BackupFormatError,
  isBackupPath,
  isMailPath,
  parseManifest,
  type BackupManifest,
  type ManifestFile,
} from './manifest';
import { TAR_END, TarFormatError, tarHeader, tarPadding, TarReader, type TarEntry } from './tar';

/** A configuration file larger than this is not one Mailwright writes: the archive is refused. */
const MAX_CONFIG_FILE = 16 * 1024 * 1024;
const MAX_META_FILE = 4 * 1024 * 1024;

export interface BackupFile extends ManifestFile {
  content: Buffer;
}

export interface OpenedBackup {
  file: string;
  manifest: BackupManifest;
  /** The mailwright.yaml the backup was made with. */
  config: string;
  /** Configuration files and folders (not mail), in archive order. */
  files: BackupFile[];
  mail: { files: number; bytes: number };
  /**
   * The mail entries alone, as a tar stream read again from the file (the passphrase or identity is
   * kept in this closure only); each file checked against its sha256 as it passes.
   */
  readMail(): Promise<Readable>;
}

/** Opens the plaintext stream of `file` (decrypting it with a passphrase or an identity). */
export async function openPlaintext(file: string, key: OpenKey): Promise<Readable> {
  try {
    await stat(file);
  } catch {
    throw new BackupFormatError(`${file} does not exist or cannot be read.`);
  }
  const cipher = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
  const plain = await decryptStream(cipher, key, file);
  return Readable.fromWeb(plain as import('node:stream/web').ReadableStream);
}

/**
 * Decrypts `file` and checks it whole: the age MAC of every chunk, a complete tar, every entry
 * listed in the manifest with the same size and sha256, and nothing listed missing. Throws an
 * error saying which, with nothing changed anywhere.
 */
export async function openBackup(file: string, key: OpenKey): Promise<OpenedBackup> {
  const plain = await openPlaintext(file, key);
  const seen: (ManifestFile & { content?: Buffer })[] = [];
  let meta: Map<string, Buffer> = new Map();
  let current:
    { entry: TarEntry; hash: ReturnType<typeof createHash>; chunks?: Buffer[]; size: number } | undefined;
  let metaAfter = false;
  const reader = new TarReader({
    entry: (e) => {
      const isMeta = e.path === BACKUP_CONFIG_ENTRY || e.path === BACKUP_MANIFEST_ENTRY;
      if (!isMeta) {
        if (metaAfter)
          throw new BackupFormatError(`${file}: a file follows the manifest, which must come last`);
        if (!isBackupPath(`/${e.path}`) || (e.type !== 'file' && e.type !== 'directory'))
          throw new BackupFormatError(`${file} holds /${e.path}, which a Mailwright backup never holds`);
      } else {
        metaAfter = true;
      }
      const keep = isMeta || !isMailPath(`/${e.path}`);
      if (keep && e.size > (isMeta ? MAX_META_FILE : MAX_CONFIG_FILE))
        throw new BackupFormatError(`${file}: /${e.path} is ${e.size} bytes, more than a configuration file`);
      current = { entry: e, hash: createHash('sha256'), size: 0, ...(keep && { chunks: [] }) };
    },
    data: (chunk) => {
      current!.hash.update(chunk);
      current!.chunks?.push(chunk);
      current!.size += chunk.length;
    },
    end: (e) => {
      const c = current!;
      current = undefined;
      if (e.path === BACKUP_CONFIG_ENTRY || e.path === BACKUP_MANIFEST_ENTRY) {
        meta.set(e.path, Buffer.concat(c.chunks!));
        return;
      }
      seen.push({
        path: `/${e.path}`,
        type: e.type === 'file' ? 'file' : 'directory',
        size: c.size,
        ...(e.type === 'file' && { sha256: c.hash.digest('hex') }),
        mode: '',
        owner: '',
        ...(c.chunks && { content: Buffer.concat(c.chunks) }),
      });
    },
  });
  try {
    await pipeline(
      plain,
      new Writable({
        write(chunk: Buffer, _enc, done) {
          try {
            reader.push(chunk);
            done();
          } catch (e) {
            done(e as Error);
          }
        },
      }),
    );
    reader.finish();
  } catch (e) {
    if (e instanceof TarFormatError)
      throw new BackupFormatError(
        `${file} is not a whole Mailwright backup: ${e.message}. Nothing was changed.`,
      );
    throw cryptoProblem(e, file, typeof key === 'object' && 'identity' in key ? 'identity' : 'passphrase');
  }
  const manifestText = meta.get(BACKUP_MANIFEST_ENTRY);
  const config = meta.get(BACKUP_CONFIG_ENTRY);
  if (!manifestText || !config)
    throw new BackupFormatError(
      `${file} has no manifest or no mailwright.yaml: it is not a whole Mailwright backup.`,
    );
  meta = new Map();
  const manifest = parseManifest(manifestText.toString('utf8'), file);
  const problems = compareWithManifest(seen, manifest);
  if (createHash('sha256').update(config).digest('hex') !== manifest.config.sha256)
    problems.push('mailwright.yaml does not match its checksum');
  if (problems.length)
    throw new BackupFormatError(
      `${file} does not match its manifest, so it is not used (nothing was changed):\n` +
        problems
          .slice(0, 10)
          .map((p) => `  - ${p}`)
          .join('\n') +
        (problems.length > 10 ? `\n  - and ${problems.length - 10} more` : ''),
    );
  const byPath = new Map(manifest.files.map((f) => [f.path, f]));
  const files: BackupFile[] = [];
  const mail = { files: 0, bytes: 0 };
  for (const s of seen) {
    if (isMailPath(s.path)) {
      if (s.type === 'file') mail.files++;
      mail.bytes += s.size;
      continue;
    }
    files.push({ ...byPath.get(s.path)!, content: s.content ?? Buffer.alloc(0) });
  }
  const readMail = () => mailStream(file, key, byPath);
  return { file, manifest, config: config.toString('utf8'), files, mail, readMail };
}

/** Every difference between the entries read and the manifest, one line each. */
export function compareWithManifest(seen: readonly ManifestFile[], manifest: BackupManifest): string[] {
  const problems: string[] = [];
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const found = new Set<string>();
  for (const s of seen) {
    const m = listed.get(s.path);
    found.add(s.path);
    if (!m) problems.push(`${s.path} is in the archive but not in its manifest`);
    else if (m.type !== s.type)
      problems.push(`${s.path} is a ${s.type} in the archive, a ${m.type} in the manifest`);
    else if (m.size !== s.size) problems.push(`${s.path} has ${s.size} bytes, the manifest says ${m.size}`);
    else if (m.sha256 !== s.sha256) problems.push(`${s.path} does not match its sha256 checksum`);
  }
  for (const m of manifest.files)
    if (!found.has(m.path)) problems.push(`${m.path} is missing from the archive`);
  return problems;
}

/** The mail entries of `file` as a tar of their own; fails (and stops) at a file that does not match its checksum. */
async function mailStream(file: string, key: OpenKey, listed: Map<string, ManifestFile>): Promise<Readable> {
  const plain = await openPlaintext(file, key);
  const out = new PassThrough();
  let current: { entry: TarEntry; hash: ReturnType<typeof createHash> } | undefined;
  let pending: Buffer[] = [];
  const reader = new TarReader({
    entry: (e) => {
      current = isMailPath(`/${e.path}`) ? { entry: e, hash: createHash('sha256') } : undefined;
      if (current) pending.push(tarHeader(e));
    },
    data: (chunk) => {
      if (!current) return;
      current.hash.update(chunk);
      pending.push(chunk);
    },
    end: (e) => {
      if (!current) return;
      const expected = listed.get(`/${e.path}`);
      if (e.type === 'file' && expected?.sha256 !== current.hash.digest('hex'))
        throw new BackupFormatError(
          `${file}: /${e.path} no longer matches its checksum (the file changed since it was checked)`,
        );
      pending.push(tarPadding(e.size));
      current = undefined;
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      try {
        reader.push(chunk);
      } catch (e) {
        done(e as Error);
        return;
      }
      const data = Buffer.concat(pending);
      pending = [];
      if (data.length === 0 || out.write(data)) done();
      else out.once('drain', () => done());
    },
    final(done) {
      try {
        reader.finish();
      } catch (e) {
        done(e as Error);
        return;
      }
      out.end(TAR_END);
      done();
    },
  });
  pipeline(plain, sink).catch((e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))));
  return out;
}
