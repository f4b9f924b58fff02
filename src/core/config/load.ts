// Reading mailwright.yaml: never throws on what the user wrote, only on I/O failures.
import { ExpectedError } from '../errors';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { CONFIG_FILE_NAME, type ConfigIssue, type MailwrightConfig } from './types';
import { validateDocument } from './validate';

export interface LoadedConfig {
  /** Typed and normalized; undefined when any issue is an error. */
  config: MailwrightConfig | undefined;
  /** Errors and warnings, each with file, line and column. */
  issues: ConfigIssue[];
  /** The parsed document, for edits that keep comments and order (see edit.ts). */
  document: Document;
  /** Maps offsets in `document` to lines and columns. */
  lineCounter: LineCounter;
}

/** The file could not be read or written (missing, permissions, …); `code` is the Node error code. */
export class ConfigFileError extends ExpectedError {
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    action: string,
    cause: unknown,
  ) {
    super(`Cannot ${action} ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ConfigFileError';
  }
}

export function configPath(workspaceRoot: string): string {
  return join(workspaceRoot, CONFIG_FILE_NAME);
}

/** Parses and validates config text; `file` is only used in issues. */
export function parseConfig(text: string, file: string = CONFIG_FILE_NAME): LoadedConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const { config, issues } = validateDocument(document, text, file, lineCounter);
  return { config, issues, document, lineCounter };
}

/** Reads and validates a mailwright.yaml. Throws ConfigFileError only when the file cannot be read. */
export async function loadConfig(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigFileError(path, (error as NodeJS.ErrnoException).code, 'read', error);
  }
  return parseConfig(text, path);
}
