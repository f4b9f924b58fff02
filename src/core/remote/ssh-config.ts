// The user's OpenSSH client configuration (~/.ssh/config), read the way ssh(1) reads it: keywords
// in any case, `key value` or `key=value`, quoted values, CRLF files, `Include` (relative to
// ~/.ssh, with globs, conditional inside a Host block), `Host` lines with several patterns, `*`,
// `?` and `!` negation, and the first value obtained for a keyword wins. The text is parsed by the
// `ssh-config` package; which lines apply to a host, and where each line is (file and line
// number), is decided here. Nothing here runs a command: `Match` blocks are reported, never
// evaluated.
import { expandUserPath, type LocalSystem } from '../local-path';
import { readdirSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { posix, win32 } from 'node:path';
import type * as SshConfigModule from 'ssh-config' with { 'resolution-mode': 'import' };
import { SshConfigError } from './errors';
import { patternsMatch } from './known-hosts';

/** The machine the configuration is read on; injectable so Windows rules are testable anywhere. */
export interface SshEnvironment {
  platform: NodeJS.Platform;
  home: string;
  localUser: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Throws an error with `code` ENOENT when the file does not exist. */
  readFile: (path: string) => string;
  readDir: (path: string) => string[];
}

export function systemSshEnvironment(): SshEnvironment {
  let localUser: string;
  try {
    localUser = userInfo().username;
  } catch {
    localUser = process.env.USER ?? process.env.USERNAME ?? '';
  }
  return {
    platform: process.platform,
    home: homedir(),
    localUser,
    env: process.env,
    readFile: (path) => readFileSync(path, 'utf8'),
    readDir: (path) => readdirSync(path),
  };
}

export function pathsFor(env: Pick<SshEnvironment, 'platform'>): typeof posix {
  return env.platform === 'win32' ? win32 : posix;
}

/** `~/.ssh/config` of this machine (or the injected home). */
export function defaultSshConfigPath(env: Pick<SshEnvironment, 'platform' | 'home'>): string {
  return pathsFor(env).join(env.home, '.ssh', 'config');
}

/** A path as messages show it: the home folder as `~`. */
export function displayPath(path: string, env: Pick<SshEnvironment, 'platform' | 'home'>): string {
  const sep = env.platform === 'win32' ? '\\' : '/';
  return path === env.home || path.startsWith(env.home + sep) ? `~${path.slice(env.home.length)}` : path;
}

/** The local machine as expandUserPath sees it (home, platform, environment). */
export function localSystemOf(env: Pick<SshEnvironment, 'platform' | 'home' | 'env'>): LocalSystem {
  return { platform: env.platform, home: env.home, env: env.env as NodeJS.ProcessEnv };
}

/** One directive of a configuration file, where it is written. */
// The package ships CommonJS for require() but declares only its ES module's types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sshConfig = require('ssh-config') as typeof SshConfigModule;
type Line = SshConfigModule.Line;

export interface SshConfigLine {
  /** Lowercased keyword, e.g. `identityfile`. */
  keyword: string;
  /** The keyword as written, for messages. */
  written: string;
  args: string[];
  file: string;
  line: number;
}

export const INCLUDE_MAX_DEPTH = 16;

function valueArgs(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v: { val: string }) => v.val);
  return typeof value === 'string' && value !== '' ? [value] : [];
}

/** The line of the first unbalanced quote, for a parser error that names none. */
function lineOfParseProblem(text: string): number {
  const lines = text.split(/\r?\n/);
  const index = lines.findIndex((l) => (l.replace(/\\"/g, '').match(/"/g)?.length ?? 0) % 2 === 1);
  return index === -1 ? 1 : index + 1;
}

/** Parses one file's text into its directives, in order, each with its line number. */
export function parseSshConfigText(text: string, file: string, shownAs = file): SshConfigLine[] {
  let parsed: SshConfigModule.default;
  try {
    parsed = sshConfig.parse(text);
  } catch (e) {
    throw new SshConfigError(
      `${shownAs}:${lineOfParseProblem(text)} cannot be read as an SSH client configuration (${(e as Error).message}).`,
      `Fix that line (a quote left open, or a keyword without its value); \`ssh -G <host>\` shows how ssh reads the file.`,
    );
  }
  const out: SshConfigLine[] = [];
  let newlines = 0;
  const count = (s: string): number => s.split('\n').length - 1;
  const walk = (lines: readonly Line[]): void => {
    for (const node of lines) {
      newlines += count(node.before);
      const lineNo = newlines + 1;
      if (node.type === sshConfig.LineType.DIRECTIVE) {
        out.push({
          keyword: node.param.toLowerCase(),
          written: node.param,
          args: valueArgs(node.value),
          file,
          line: lineNo,
        });
      }
      newlines += count(node.after);
      if ('config' in node) walk(node.config);
    }
  };
  walk(parsed);
  return out;
}

interface ReadFileResult {
  lines: SshConfigLine[];
  shown: string;
}

/** Reads and parses a file; undefined when it does not exist. */
export function readSshConfigFile(path: string, env: SshEnvironment): ReadFileResult | undefined {
  const shown = displayPath(path, env);
  let text: string;
  try {
    text = env.readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new SshConfigError(
      `Cannot read the SSH client configuration ${shown}: ${(e as Error).message}.`,
      'Check its permissions, or choose another file (the mailwright.ssh.configFile setting, or MAILWRIGHT_SSH_CONFIG for the command line).',
    );
  }
  return { lines: parseSshConfigText(text, path, shown), shown };
}

const hasGlob = (s: string): boolean => /[*?[]/.test(s);

function globSegment(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/\\\\]*';
    else if (c === '?') re += '[^/\\\\]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close === -1) re += '\\[';
      else {
        re += `[${pattern
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** glob(3) for an Include argument: wildcards in any path component, results sorted. */
export function expandIncludeGlob(pattern: string, env: SshEnvironment): string[] {
  const paths = pathsFor(env);
  if (!hasGlob(pattern)) return [pattern];
  const root = paths.parse(pattern).root;
  const parts = pattern.slice(root.length).split(env.platform === 'win32' ? /[\\/]/ : /\//);
  let found = [root];
  for (const part of parts) {
    if (part === '') continue;
    const next: string[] = [];
    for (const dir of found) {
      if (!hasGlob(part)) {
        next.push(paths.join(dir, part));
        continue;
      }
      let names: string[];
      try {
        names = env.readDir(dir);
      } catch {
        continue;
      }
      const re = globSegment(part);
      for (const name of names.sort()) {
        if (re.test(name) && (name[0] !== '.' || part[0] === '.')) next.push(paths.join(dir, name));
      }
    }
    found = next;
  }
  return found;
}

/** An Include argument as a path: `~` expanded, relative ones under ~/.ssh (as ssh does for a user configuration). */
export function includePath(arg: string, env: SshEnvironment): string {
  const paths = pathsFor(env);
  const expanded = expandUserPath(arg, localSystemOf(env));
  return paths.isAbsolute(expanded) ? expanded : paths.join(env.home, '.ssh', expanded);
}

/** Does a `Host` line's pattern list match this name (OpenSSH: any positive pattern and no negated one)? */
export function hostPatternsMatch(patterns: readonly string[], name: string): boolean {
  return patterns.length > 0 && patternsMatch(patterns.join(','), name);
}

/** A line that applies to the host, or one met and not followed (a Match block). */
export interface AppliedLines {
  /** Every directive that applies to the host, in the order ssh reads them (Host and Include lines excluded). */
  lines: SshConfigLine[];
  /** `Match` lines met (their blocks are skipped, never evaluated). */
  matchBlocks: SshConfigLine[];
  /** A `Host` line without wildcards or negation names this host. */
  namedBy?: SshConfigLine;
}

/**
 * The directives of a configuration file (and what it includes) that apply to `name`, the host
 * as given (an alias or a host name), in order. A missing top-level file applies nothing.
 */
export function linesForHost(configPath: string, name: string, env: SshEnvironment): AppliedLines {
  const result: AppliedLines = { lines: [], matchBlocks: [] };
  const visit = (path: string, depth: number): void => {
    const read = readSshConfigFile(path, env);
    if (!read) return;
    // ssh starts each file in the active state; a Host or Match line changes it until the next one.
    let active = true;
    let inMatch = false;
    for (const line of read.lines) {
      if (line.keyword === 'host') {
        inMatch = false;
        active = hostPatternsMatch(line.args, name);
        if (active && !result.namedBy && line.args.some((a) => a.toLowerCase() === name.toLowerCase()))
          result.namedBy = line;
        continue;
      }
      if (line.keyword === 'match') {
        inMatch = true;
        active = false;
        result.matchBlocks.push(line);
        continue;
      }
      if (!active || inMatch) continue;
      if (line.keyword === 'include') {
        if (depth >= INCLUDE_MAX_DEPTH)
          throw new SshConfigError(
            `${read.shown}:${line.line}: Include is nested more than ${INCLUDE_MAX_DEPTH} deep (does a file include itself?).`,
            'Remove the Include that loops.',
          );
        for (const arg of line.args)
          for (const file of expandIncludeGlob(includePath(arg, env), env)) visit(file, depth + 1);
        continue;
      }
      result.lines.push(line);
    }
  };
  visit(configPath, 0);
  return result;
}

/** A `Host` name the user can pick: written without wildcards or negation. */
export interface SshHostAlias {
  alias: string;
  file: string;
  line: number;
}

/** Every concrete Host name of the configuration and what it includes, in file order, once each. */
export function listHostAliases(configPath: string, env: SshEnvironment): SshHostAlias[] {
  const seen = new Set<string>();
  const aliases: SshHostAlias[] = [];
  const visit = (path: string, depth: number): void => {
    if (depth > INCLUDE_MAX_DEPTH) return;
    const read = readSshConfigFile(path, env);
    if (!read) return;
    for (const line of read.lines) {
      if (line.keyword === 'include') {
        for (const arg of line.args)
          for (const file of expandIncludeGlob(includePath(arg, env), env)) visit(file, depth + 1);
      } else if (line.keyword === 'host') {
        for (const alias of line.args) {
          if (/[*?!]/.test(alias) || seen.has(alias.toLowerCase())) continue;
          seen.add(alias.toLowerCase());
          aliases.push({ alias, file: path, line: line.line });
        }
      }
    }
  };
  visit(configPath, 0);
  return aliases;
}
