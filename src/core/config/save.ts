// Writing mailwright.yaml atomically, so a crash or a full disk never leaves half a file.
import { randomBytes } from 'node:crypto';
import { open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Document, ToStringOptions } from 'yaml';
import { ConfigFileError } from './load';

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
