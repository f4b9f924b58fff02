// The whole file: YAML syntax, then the schema from the top (version, hosts, git).
import { isMap, type Document, type LineCounter, type Node, type YAMLError } from 'yaml';
import { hasErrors, IssueCollector } from './issues';
import { CONFIG_SCHEMA_VERSION, type ConfigIssue, type GitConfig, type MailwrightConfig } from './types';
import { readHosts } from './validate-host';
import { childPath, ConfigReader } from './yaml-reader';

export const ROOT_KEYS = ['version', 'hosts', 'git'] as const;
export const GIT_KEYS = ['history', 'remote'] as const;
export const GIT_REMOTE_PATTERN = /^[A-Za-z0-9._][A-Za-z0-9._/-]*$/;

export interface ValidationResult {
  /** Undefined when there is any error: a half-read desired state must never be applied. */
  config: MailwrightConfig | undefined;
  issues: ConfigIssue[];
}

export function validateDocument(
  document: Document,
  source: string,
  file: string,
  lineCounter: LineCounter,
): ValidationResult {
  const issues = new IssueCollector(file, source, lineCounter);
  reportSyntaxProblems(issues, document, source);
  // Schema checks on a broken parse would mostly repeat the syntax error in confusing ways.
  if (hasErrors(issues.issues)) return { config: undefined, issues: inFileOrder(issues.issues) };
  const config = readRoot(new ConfigReader(document, issues, source), document.contents);
  return { config: hasErrors(issues.issues) ? undefined : config, issues: inFileOrder(issues.issues) };
}

function inFileOrder(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.column - b.column);
}

function readRoot(reader: ConfigReader, root: Node | null): MailwrightConfig | undefined {
  const starter = `version: ${CONFIG_SCHEMA_VERSION} on the first line, then hosts: (a list of servers)`;
  const contents = reader.resolve(root);
  if (contents === undefined) {
    reader.issues.error(undefined, '', 'the file is empty.', `Start with ${starter}.`);
    return undefined;
  }
  if (!isMap(contents)) {
    reader.issues.error(
      contents,
      '',
      'the file must be a mapping with the keys version, hosts and git.',
      `Start with ${starter}.`,
    );
    return undefined;
  }
  const fields = reader.fields(contents, '', ROOT_KEYS, starter);
  if (fields === undefined) return undefined;
  const versionNode = reader.required(fields, contents, '', 'version', `version: ${CONFIG_SCHEMA_VERSION}`);
  const version = versionNode && readVersion(reader, versionNode);
  const hostsNode = fields.get('hosts')?.value;
  const hosts = hostsNode ? readHosts(reader, hostsNode, 'hosts') : [];
  const gitNode = fields.get('git')?.value;
  const git = gitNode ? readGit(reader, gitNode) : {};
  return version && hosts && git ? { version, hosts, git } : undefined;
}

function readVersion(reader: ConfigReader, node: Node): 1 | undefined {
  const text = reader.text(node, 'version', `${CONFIG_SCHEMA_VERSION}`);
  if (text === undefined) return undefined;
  if (text === `${CONFIG_SCHEMA_VERSION}`) return CONFIG_SCHEMA_VERSION;
  reader.issues.error(
    node,
    'version',
    `version ${text} is not supported; this Mailwright reads version ${CONFIG_SCHEMA_VERSION}.`,
    `Write version: ${CONFIG_SCHEMA_VERSION}, or update Mailwright if the file came from a newer one.`,
  );
  return undefined;
}

function readGit(reader: ConfigReader, node: Node): GitConfig | undefined {
  const fields = reader.fields(node, 'git', GIT_KEYS, '{ remote: origin }');
  if (fields === undefined) return undefined;
  const historyNode = fields.get('history')?.value;
  const history = historyNode
    ? reader.flag(historyNode, childPath('git', 'history'), 'history: true')
    : undefined;
  if (historyNode && history === undefined) return undefined;
  const kept = history === undefined ? {} : { history };
  const remoteNode = fields.get('remote')?.value;
  if (remoteNode === undefined) return kept;
  const path = childPath('git', 'remote');
  const remote = reader.text(remoteNode, path, 'origin');
  if (remote === undefined) return undefined;
  if (GIT_REMOTE_PATTERN.test(remote)) return { ...kept, remote };
  reader.issues.error(
    remoteNode,
    path,
    `"${remote}" is not a git remote name.`,
    'Use the name of a remote of the workspace repository (see git remote), e.g. remote: origin',
  );
  return undefined;
}

const CATCH_ALL_LINE = /^\s*(-\s+)?\*\s*:/;

function reportSyntaxProblems(issues: IssueCollector, document: Document, source: string): void {
  const catchAllLines = new Set<number>();
  // An unquoted `*:` key yields a cryptic parse error; say what it really is, once per line.
  const reportedAsCatchAll = (problem: YAMLError): boolean => {
    const lineStart = source.lastIndexOf('\n', problem.pos[0] - 1) + 1;
    const lineEnd = source.indexOf('\n', lineStart);
    const lineText = source.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
    if (!CATCH_ALL_LINE.test(lineText)) return false;
    if (!catchAllLines.has(lineStart)) {
      catchAllLines.add(lineStart);
      const star = lineStart + lineText.indexOf('*');
      issues.error(
        { start: star, end: star + 1 },
        '',
        'an unquoted * starts a YAML alias, so the catch-all key cannot be read.',
        `Quote it: '*': you@example.com`,
      );
    }
    return true;
  };
  // One mistake often derails the parser for the rest of its line: keep the first error per line.
  const errorLines = new Set<number>();
  for (const error of document.errors) {
    const line = source.slice(0, error.pos[0]).split('\n').length;
    if (errorLines.has(line)) continue;
    errorLines.add(line);
    if (!reportedAsCatchAll(error))
      issues.error(
        spanOf(error),
        '',
        `YAML syntax error: ${describeError(error, source)}`,
        syntaxHint(error),
      );
  }
  for (const warning of document.warnings) {
    if (!reportedAsCatchAll(warning))
      issues.warning(
        spanOf(warning),
        '',
        `YAML: ${sentence(warning.message)}`,
        'Check the YAML near this position.',
      );
  }
}

function spanOf(error: YAMLError): { start: number; end: number } {
  const [start, end] = error.pos;
  return { start, end: Math.max(start, end) };
}

function describeError(error: YAMLError, source: string): string {
  const key = /^[^\s:#]+/.exec(source.slice(error.pos[0]))?.[0];
  if (error.code === 'DUPLICATE_KEY' && key) return `the key "${key}" appears twice in the same mapping.`;
  return sentence(error.message);
}

function sentence(message: string): string {
  const firstLine = message.split('\n')[0] ?? message;
  return /[.!?]$/.test(firstLine) ? firstLine : `${firstLine}.`;
}

function syntaxHint(error: YAMLError): string {
  switch (error.code) {
    case 'DUPLICATE_KEY':
      return 'Each key may appear once per mapping: merge the two entries or remove one.';
    case 'TAB_AS_INDENT':
      return 'Indent with spaces; YAML does not allow tabs.';
    case 'MULTIPLE_DOCS':
      return 'Keep a single document: remove the second "---" line and what follows, or merge it.';
    default:
      return 'Check the indentation (spaces only, children indented under their key) and that quotes and brackets are closed.';
  }
}
