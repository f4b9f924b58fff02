// Where and how to log in to a host: the host's `ssh:`, `identityFile` and `auth` from
// mailwright.yaml (or the command line), completed by the user's OpenSSH client configuration
// (~/.ssh/config), resolved once into one description that the command line, the editor and the
// tests connect with. Every value says where it came from.
//
// Precedence, for each value: what mailwright.yaml (or the command line) writes, then the first
// value the SSH configuration gives for the host (ssh's own rule), then Mailwright's default.
// Identity files add up: mailwright.yaml's first, then the configuration's, tried in that order.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { closestMatch } from '../config/suggest';
import { DEFAULT_SSH_PORT, DEFAULT_SSH_USER, readSshTarget, writtenSshTarget } from '../config/ssh-target';
import type { AuthMethod, HostConfig, SshTarget } from '../config/types';
import { expandUserPath } from '../local-path';
import { SshConfigError, unknownHostError } from './errors';
import type { ResolvedSsh } from './resolved-ssh';
import {
  defaultSshConfigPath,
  displayPath,
  localSystemOf,
  linesForHost,
  listHostAliases,
  pathsFor,
  systemSshEnvironment,
  type SshConfigLine,
  type SshEnvironment,
} from './ssh-config';

export type { ResolvedSsh } from './resolved-ssh';

export interface SshRequest {
  /** `[user@]host[:port]`, or a Host alias of the SSH configuration, as written. */
  ssh: string;
  identityFile?: string;
  /** Only when written. */
  auth?: AuthMethod;
  /** Where ssh/identityFile/auth were written, e.g. `mailwright.yaml` or `--host`. */
  origin: string;
  /** Where identityFile was written, when not `origin` (e.g. `--identity`). */
  identityOrigin?: string;
  /** A connect timeout set by the user (a flag or a setting): wins over ConnectTimeout. */
  connectTimeout?: { ms: number; origin: string };
  /**
   * Jump hosts as written (mailwright.yaml's `jump:`), first hop first: each `[user@]host[:port]`
   * or a Host alias. When given they win over ProxyJump; each is logged in to with this request's
   * identityFile, auth and identityAgent, completed by the SSH configuration of its own name.
   */
  jumps?: string[];
  /** The agent (mailwright.yaml's `identityAgent:`): wins over IdentityAgent. */
  identityAgent?: string;
}

export interface ResolveOptions {
  /** The SSH client configuration to read; `null` reads none. Default: ~/.ssh/config. */
  configFile?: string | null;
  env?: SshEnvironment;
}

/** A host of mailwright.yaml as a request: its ssh (as written), identityFile and auth. */
export function hostSshRequest(
  host: Pick<HostConfig, 'ssh' | 'sshWritten' | 'identityFile' | 'auth' | 'jump' | 'identityAgent'>,
  origin = 'mailwright.yaml',
): SshRequest {
  return {
    ssh: writtenSshTarget(host.ssh, host.sshWritten),
    ...(host.identityFile !== undefined && { identityFile: host.identityFile }),
    ...(host.auth !== undefined && { auth: host.auth }),
    ...(host.jump !== undefined && host.jump.length > 0 && { jumps: host.jump }),
    ...(host.identityAgent !== undefined && { identityAgent: host.identityAgent }),
    origin,
  };
}

/** Keywords followed; every other keyword that applies is reported, never silently dropped. */
const FOLLOWED = new Set([
  'hostname',
  'user',
  'port',
  'identityfile',
  'identitiesonly',
  'identityagent',
  'proxyjump',
  'userknownhostsfile',
  'connecttimeout',
  'serveraliveinterval',
]);

const MAX_JUMPS = 8;

function origin(line: SshConfigLine, env: SshEnvironment): string {
  return `${displayPath(line.file, env)}:${line.line}`;
}

function warningFor(line: SshConfigLine, env: SshEnvironment, alias: string): string {
  const at = origin(line, env);
  const value = line.args.join(' ');
  switch (line.keyword) {
    case 'stricthostkeychecking':
      return `${at}: StrictHostKeyChecking ${value} does not change Mailwright's host-key check for ${alias}: an unknown key is still shown for you to trust, and a changed key is always refused.`;
    case 'proxycommand':
      return `${at}: ProxyCommand is not supported for ${alias} and is ignored; Mailwright connects directly (or through ProxyJump). Write the jump hosts as ProxyJump instead.`;
    default:
      return `${at}: ${line.written} is not supported by Mailwright and is ignored for ${alias}.`;
  }
}

/**
 * ssh's percent tokens (%d %u %h %r %p %n %%), `${VAR}`, and what expandUserPath expands (a leading
 * `~`; on Windows also `%VAR%`, e.g. %USERPROFILE%), which is done first.
 */
export function expandPath(
  path: string,
  tokens: { host: string; user: string; port: number; alias: string },
  env: SshEnvironment,
): string {
  let text = expandUserPath(path, localSystemOf(env));
  text = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => env.env[name] ?? whole);
  return text.replace(/%([%dhurpn])/g, (_, t: string) => {
    switch (t) {
      case 'd':
        return env.home;
      case 'u':
        return env.localUser;
      case 'h':
        return tokens.host;
      case 'r':
        return tokens.user;
      case 'p':
        return String(tokens.port);
      case 'n':
        return tokens.alias;
      default:
        return '%';
    }
  });
}

function yesNo(line: SshConfigLine, env: SshEnvironment): boolean {
  const v = (line.args[0] ?? '').toLowerCase();
  if (v === 'yes' || v === 'true') return true;
  if (v === 'no' || v === 'false') return false;
  throw new SshConfigError(
    `${origin(line, env)}: ${line.written} must be yes or no, not "${line.args.join(' ')}".`,
    `Write ${line.written} yes (or no).`,
  );
}

function seconds(line: SshConfigLine, env: SshEnvironment): number {
  const text = line.args[0] ?? '';
  if (!/^[0-9]+$/.test(text))
    throw new SshConfigError(
      `${origin(line, env)}: ${line.written} must be a number of seconds, not "${line.args.join(' ')}".`,
      `Write e.g. ${line.written} 30.`,
    );
  return Number(text) * 1000;
}

interface HopSpec {
  text: string;
  origin: string;
}

function resolveOne(
  request: SshRequest,
  configPath: string | null,
  env: SshEnvironment,
  depth: number,
): ResolvedSsh {
  const parsed = readSshTarget(request.ssh.trim());
  if (!parsed.ok)
    throw new SshConfigError(
      `"${request.ssh}" (${request.origin}) is not a valid SSH target or Host alias (${parsed.reason}).`,
      'Write [user@]host[:port], e.g. root@mail.example.com:22, or the name of a Host in your SSH configuration.',
    );
  const alias = parsed.target.host;
  const applied = configPath
    ? linesForHost(configPath, alias, env)
    : { lines: [] as SshConfigLine[], matchBlocks: [] as SshConfigLine[], namedBy: undefined };
  const first = new Map<string, SshConfigLine>();
  const identityLines: SshConfigLine[] = [];
  const warnings: string[] = [];
  for (const line of applied.lines) {
    if (line.keyword === 'identityfile') identityLines.push(line);
    else if (!first.has(line.keyword)) first.set(line.keyword, line);
    if (!FOLLOWED.has(line.keyword)) warnings.push(warningFor(line, env, alias));
  }
  for (const m of applied.matchBlocks)
    warnings.push(
      `${origin(m, env)}: Match blocks are not supported: this block is ignored for ${alias} (Mailwright does not evaluate Match conditions). Move what ${alias} needs under a Host line.`,
    );

  const origins: Record<string, string> = {};
  const take = <T>(
    key: string,
    fromRequest: T | undefined,
    keyword: string,
    read: (l: SshConfigLine) => T,
  ) => {
    if (fromRequest !== undefined) {
      origins[key] = request.origin;
      return fromRequest;
    }
    const line = first.get(keyword);
    if (!line) return undefined;
    origins[key] = origin(line, env);
    return read(line);
  };

  const hostName = first.get('hostname');
  const host = hostName
    ? expandPath(hostName.args[0] ?? alias, { host: alias, user: '', port: 0, alias }, env).replace(
        /^\[|\]$/g,
        '',
      )
    : alias;
  origins.host = hostName ? origin(hostName, env) : request.origin;
  const user =
    take('user', parsed.written.user ? parsed.target.user : undefined, 'user', (l) => l.args[0] ?? '') ??
    DEFAULT_SSH_USER;
  origins.user ??= 'default';
  const port =
    take('port', parsed.written.port ? parsed.target.port : undefined, 'port', (l) => {
      const n = Number(l.args[0]);
      if (!Number.isInteger(n) || n < 1 || n > 65535)
        throw new SshConfigError(
          `${origin(l, env)}: Port must be a number from 1 to 65535, not "${l.args.join(' ')}".`,
          'Write e.g. Port 22.',
        );
      return n;
    }) ?? DEFAULT_SSH_PORT;
  origins.port ??= 'default';
  const tokens = { host, user, port, alias };

  const identityFiles: string[] = [];
  if (request.identityFile) {
    identityFiles.push(expandPath(request.identityFile, tokens, env));
    origins['identityFiles[0]'] = request.identityOrigin ?? request.origin;
  }
  for (const line of identityLines) {
    const file = expandPath(line.args.join(' '), tokens, env);
    if (identityFiles.includes(file)) continue;
    origins[`identityFiles[${identityFiles.length}]`] = origin(line, env);
    identityFiles.push(file);
  }

  let auth: AuthMethod;
  if (request.auth) {
    auth = request.auth;
    origins.auth = request.origin;
  } else {
    auth = identityFiles.length > 0 ? 'key' : 'agent';
    origins.auth =
      identityFiles.length > 0 ? 'default (an identity file is given)' : 'default (no identity file)';
  }

  const identitiesOnly = take('identitiesOnly', undefined, 'identitiesonly', (l) => yesNo(l, env)) ?? false;
  origins.identitiesOnly ??= 'default';
  // The agent's special values (none, SSH_AUTH_SOCK, $VARIABLE, pageant) stay as written for
  // chooseAgent (agent.ts), which decides them per platform; a path is expanded here.
  const agentValue = (value: string) =>
    /^(none|SSH_AUTH_SOCK|pageant)$/i.test(value) || value.startsWith('$')
      ? value
      : expandPath(value, tokens, env);
  const agentLine = first.get('identityagent');
  let identityAgent: string | undefined;
  if (request.identityAgent !== undefined) {
    identityAgent = agentValue(request.identityAgent);
    origins.identityAgent = request.origin;
  } else if (agentLine) {
    identityAgent = agentValue(agentLine.args.join(' '));
    origins.identityAgent = origin(agentLine, env);
  }

  const knownLine = first.get('userknownhostsfile');
  const knownHostsFiles = knownLine
    ? knownLine.args.filter((a) => a.toLowerCase() !== 'none').map((a) => expandPath(a, tokens, env))
    : [];
  if (knownLine) origins.knownHostsFiles = origin(knownLine, env);

  let connectTimeoutMs: number | undefined;
  if (request.connectTimeout) {
    connectTimeoutMs = request.connectTimeout.ms;
    origins.connectTimeout = request.connectTimeout.origin;
  } else {
    connectTimeoutMs = take('connectTimeout', undefined, 'connecttimeout', (l) => seconds(l, env));
  }
  const keepaliveIntervalMs = take('keepaliveInterval', undefined, 'serveraliveinterval', (l) =>
    seconds(l, env),
  );

  const jumpLine = first.get('proxyjump');
  const written = request.jumps !== undefined && request.jumps.length > 0;
  const hops: HopSpec[] = written
    ? request.jumps!.map((text) => ({ text, origin: request.origin }))
    : jumpLine && jumpLine.args.join('').toLowerCase() !== 'none'
      ? jumpLine.args
          .join(',')
          .split(',')
          .filter((h) => h !== '')
          .map((text) => ({ text: text.replace(/^ssh:\/\//, ''), origin: origin(jumpLine, env) }))
      : [];
  if (written) origins.proxyJump = request.origin;
  else if (jumpLine) origins.proxyJump = origin(jumpLine, env);
  const jumps: ResolvedSsh[] = [];
  if (hops.length > 0 && depth >= MAX_JUMPS)
    throw new SshConfigError(
      `${origins.proxyJump}: the ProxyJump chain for ${alias} is longer than ${MAX_JUMPS} hops (does a jump host jump through itself?).`,
      'Check the ProxyJump lines of the hosts in the chain.',
    );
  hops.forEach((hop, index) => {
    // Jump hosts written in mailwright.yaml are logged in to like the host itself (its key,
    // method and agent), each completed by the SSH configuration of its own name.
    const hopRequest: SshRequest = written
      ? {
          ssh: hop.text,
          origin: hop.origin,
          ...(request.identityFile !== undefined && { identityFile: request.identityFile }),
          ...(request.identityOrigin !== undefined && { identityOrigin: request.identityOrigin }),
          ...(request.auth !== undefined && { auth: request.auth }),
          ...(request.identityAgent !== undefined && { identityAgent: request.identityAgent }),
          ...(request.connectTimeout && { connectTimeout: request.connectTimeout }),
        }
      : { ssh: hop.text, origin: hop.origin };
    const resolved = resolveOne(hopRequest, configPath, env, depth + 1);
    // Only the first hop follows its own ProxyJump (as `ssh -J a,b` does): its hops come first.
    if (index === 0) jumps.push(...resolved.jumps);
    warnings.push(...resolved.warnings.filter((w) => !warnings.includes(w)));
    jumps.push({ ...resolved, jumps: [] });
  });

  let unknownAlias: ResolvedSsh['unknownAlias'];
  if (configPath && !applied.namedBy && !hostName && isIP(alias) === 0) {
    const names = listHostAliases(configPath, env).map((a) => a.alias);
    unknownAlias = { suggestion: closestMatch(alias, names) };
  }

  return {
    target: { user, host, port },
    auth,
    identityFiles,
    identitiesOnly,
    ...(identityAgent !== undefined && { identityAgent }),
    jumps,
    knownHostsFiles,
    ...(connectTimeoutMs !== undefined && { connectTimeoutMs }),
    ...(keepaliveIntervalMs !== undefined && { keepaliveIntervalMs }),
    origins,
    warnings,
    alias,
    ...(configPath && { configFile: displayPath(configPath, env) }),
    ...(unknownAlias && { unknownAlias }),
  };
}

/** The configuration file to read: the option, else MAILWRIGHT_SSH_CONFIG, else ~/.ssh/config. */
export function sshConfigPath(configFile: string | null | undefined, env: SshEnvironment): string | null {
  if (configFile === null) return null;
  const chosen = configFile || env.env.MAILWRIGHT_SSH_CONFIG;
  if (chosen) return pathsFor(env).resolve(expandUserPath(chosen, localSystemOf(env)));
  return defaultSshConfigPath(env);
}

/** Resolves a host's SSH login once; throws SshConfigError for a configuration that cannot be used. */
export function resolveSsh(request: SshRequest, options: ResolveOptions = {}): ResolvedSsh {
  const env = options.env ?? systemSshEnvironment();
  return resolveOne(request, sshConfigPath(options.configFile, env), env, 0);
}

/** A description with no SSH configuration behind it: the target and key given, nothing else. */
export function directSsh(target: SshTarget, identityFile?: string, auth?: AuthMethod): ResolvedSsh {
  return resolveSsh(
    {
      ssh: writtenSshTarget(target),
      ...(identityFile !== undefined && { identityFile }),
      ...(auth !== undefined && { auth }),
      origin: 'given',
    },
    { configFile: null },
  );
}

/**
 * A name that is no Host of the SSH configuration must be a host name DNS knows: said before
 * anything else is tried (a key, an agent), as the first thing wrong.
 */
export async function checkHostNameKnown(ssh: ResolvedSsh): Promise<void> {
  if (!ssh.unknownAlias) return;
  await lookup(ssh.target.host).catch((e: NodeJS.ErrnoException) => {
    throw unknownHostError(ssh, e.code ?? 'ENOTFOUND');
  });
}

/**
 * Where the server itself is, for what reaches it without SSH (SMTP and IMAP probes): the SSH
 * login's host, resolved through the SSH configuration (an alias becomes its HostName). A
 * configuration that cannot be used leaves the name as written; connecting over SSH says why.
 */
export function serverAddress(
  host: Pick<HostConfig, 'ssh' | 'sshWritten' | 'identityFile' | 'auth'>,
  options: ResolveOptions = {},
): string {
  try {
    return resolveSsh(hostSshRequest(host), options).target.host;
  } catch (e) {
    if (e instanceof SshConfigError) return host.ssh.host;
    throw e;
  }
}
