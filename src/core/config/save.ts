// Writing mailwright.yaml atomically, so a crash or a full disk never leaves half a file.
import { randomBytes } from 'node:crypto';
import { open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Document, ToStringOptions } from 'yaml';
import { readFile } from 'node:fs/promises';
import { ConfigEditError } from './edit-nodes';
import { formatIssues } from './issues';
import { ConfigFileError, loadConfig, parseConfig } from './load';

/** Keep long values on one line, `[a, b]` tight and quotes single, as a person would write them. */
export const CONFIG_TEXT_OPTIONS: ToStringOptions = {
  lineWidth: 0,
  flowCollectionPadding: false,
  singleQuote: true,
};

export function configToText(document: Document): string {
  if (document.errors.length > 0)
    throw new Error(
      'mailwright.yaml has YAML syntax errors; it cannot be written back until they are fixed.',
    );
  return document.toString(CONFIG_TEXT_OPTIONS);
}

export async function saveConfig(path: string, document: Document): Promise<void> {
  await writeFileAtomic(path, configToText(document));
}

/** Writes a temp file next to `path`, flushes it, then renames it over `path` (keeping its mode). */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  // Replace the file a symlink points to, not the symlink.
  const target = await realpath(path).catch(() => path);
  const temp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    const mode = await stat(target).then(
      (stats) => stats.mode & 0o777,
      () => 0o666, // New file: the umask applies.
    );
    const file = await open(temp, 'wx', mode);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new ConfigFileError(path, (error as NodeJS.ErrnoException).code, 'write', error);
  }
}

/**
 * An edit of mailwright.yaml that goes with a change on a server: the edited file must validate
 * and is saved first, then `then` runs (the server's side); when that fails the file is put back
 * as it was, so the yaml never ends up behind or ahead of the server. Returns what `edit` did.
 */
export async function editConfigFile<T>(
  path: string,
  edit: (document: Document) => T,
  then: (result: T) => Promise<void>,
): Promise<T> {
  const loaded = await loadConfig(path);
  const before = String(loaded.document.toString(CONFIG_TEXT_OPTIONS));
  const original = await readFile(path, 'utf8');
  const result = edit(loaded.document);
  const text = configToText(loaded.document);
  const changed = text !== before;
  if (changed) {
    const errors = parseConfig(text, path).issues.filter((i) => i.severity === 'error');
    if (errors.length > 0)
      throw new ConfigEditError(`This change would make ${path} invalid:\n${formatIssues(errors)}`);
    await writeFileAtomic(path, text);
  }
  try {
    await then(result);
  } catch (error) {
    if (!changed) throw error;
    await writeFileAtomic(path, original);
    const e = error as Error;
    e.message = `${e.message}\n${path} was put back as it was.`;
    throw e;
  }
  return result;
}
