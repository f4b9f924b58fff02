// `[user@]host[:port]` — the SSH target of a host, as written in mailwright.yaml.
import { UsageError } from '../errors';
import { isIPv4, isIPv6 } from 'node:net';
import type { SshTarget } from './types';

export const DEFAULT_SSH_USER = 'root';
export const DEFAULT_SSH_PORT = 22;
export const SSH_TARGET_FORMAT = '[user@]host[:port]';
export const SSH_TARGET_EXAMPLE = 'root@mail.example.com:22';

export type SshTargetCheck = { ok: true; target: SshTarget } | { ok: false; reason: string };

/** Which parts of a target were written; the others hold the defaults (root, 22). */
export interface SshTargetWritten {
  user: boolean;
  port: boolean;
}

export class SshTargetError extends UsageError {
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(
      `"${text}" is not a valid SSH target (${reason}). Expected ${SSH_TARGET_FORMAT}, e.g. ${SSH_TARGET_EXAMPLE}`,
    );
    this.name = 'SshTargetError';
  }
}

/** Parses `[user@]host[:port]`; IPv6 hosts go in brackets. Throws SshTargetError. */
export function parseSshTarget(text: string): SshTarget {
  const result = checkSshTarget(text);
  if (!result.ok) throw new SshTargetError(text, result.reason);
  return result.target;
}

/** Like parseSshTarget, but returns the reason instead of throwing (for validation and input boxes). */
export function checkSshTarget(text: string): SshTargetCheck {
  const read = readSshTarget(text);
  return read.ok ? { ok: true, target: read.target } : read;
}

/** checkSshTarget, also telling which parts were written (an SSH client configuration may give the others). */
export function readSshTarget(
  text: string,
): { ok: true; target: SshTarget; written: SshTargetWritten } | { ok: false; reason: string } {
  if (text.trim() === '') return fail('it is empty');
  if (/\s/.test(text)) return fail('it contains spaces');

  const at = text.indexOf('@');
  if (at !== -1 && text.indexOf('@', at + 1) !== -1) return fail('it contains more than one "@"');
  const user = at === -1 ? DEFAULT_SSH_USER : text.slice(0, at);
  const written = { user: at !== -1, port: false };
  const hostAndPort = at === -1 ? text : text.slice(at + 1);
  const userProblem = checkUser(user);
  if (userProblem) return fail(userProblem);

  const split = splitHostAndPort(hostAndPort);
  if (!split.ok) return split;
  const hostProblem = split.bracketed ? checkBracketedHost(split.host) : checkPlainHost(split.host);
  if (hostProblem) return fail(hostProblem);
  if (split.portText === undefined)
    return { ok: true, target: { user, host: split.host, port: DEFAULT_SSH_PORT }, written };
  const port = parsePort(split.portText);
  if (typeof port === 'string') return fail(port);
  return { ok: true, target: { user, host: split.host, port }, written: { ...written, port: true } };
}

/** The canonical text form, always with user and port: `root@[fd00::2]:22`. */
export function formatSshTarget(target: SshTarget): string {
  const host = isIPv6(target.host) ? `[${target.host}]` : target.host;
  return `${target.user}@${host}:${target.port}`;
}

/** The target as mailwright.yaml writes it: only the parts given (`myvps`, `admin@myvps`, `root@[fd00::2]:22`). */
export function writtenSshTarget(
  target: SshTarget,
  written: SshTargetWritten = { user: true, port: true },
): string {
  const host = isIPv6(target.host) ? `[${target.host}]` : target.host;
  return `${written.user ? `${target.user}@` : ''}${host}${written.port ? `:${target.port}` : ''}`;
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

type HostAndPort =
  | { ok: true; host: string; bracketed: boolean; portText: string | undefined }
  | { ok: false; reason: string };

function splitHostAndPort(text: string): HostAndPort {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1)
      return { ok: false, reason: 'the "[" before the IPv6 address is never closed with "]"' };
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':'))
      return { ok: false, reason: `unexpected "${rest}" after the bracketed address` };
    return {
      ok: true,
      host: text.slice(1, close),
      bracketed: true,
      portText: rest === '' ? undefined : rest.slice(1),
    };
  }
  const colons = text.split(':').length - 1;
  // Two or more colons means an IPv6 address: without brackets its last group would read as a port.
  if (colons > 1)
    return { ok: false, reason: 'an IPv6 address must be written in brackets, like [fd00::2]:22' };
  const colon = text.indexOf(':');
  if (colon === -1) return { ok: true, host: text, bracketed: false, portText: undefined };
  return { ok: true, host: text.slice(0, colon), bracketed: false, portText: text.slice(colon + 1) };
}

function checkUser(user: string): string | undefined {
  if (user === '') return 'the user before "@" is empty';
  if (!/^[A-Za-z0-9._][A-Za-z0-9._-]{0,31}$/.test(user))
    return `"${user}" is not a valid user name (letters, digits, ".", "_", "-"; at most 32)`;
  return undefined;
}

function checkBracketedHost(host: string): string | undefined {
  return isIPv6(host) ? undefined : `"[${host}]" is not a valid IPv6 address`;
}

function checkPlainHost(host: string): string | undefined {
  if (host === '') return 'the host is empty';
  if (isIPv4(host)) return undefined;
  if (/^[0-9.]+$/.test(host)) return `"${host}" is not a valid IPv4 address`;
  if (host.length > 253) return 'the host name is longer than 253 characters';
  for (const label of host.replace(/\.$/, '').split('.')) {
    if (label === '') return `"${host}" has an empty label (two dots in a row, or a leading dot)`;
    if (label.length > 63) return `the label "${label}" is longer than 63 characters`;
    if (!/^[A-Za-z0-9-]+$/.test(label)) return `"${host}" is not a valid host name, IPv4 or [IPv6] address`;
    if (label.startsWith('-') || label.endsWith('-'))
      return `the label "${label}" of "${host}" starts or ends with "-"`;
  }
  return undefined;
}

function parsePort(text: string): number | string {
  if (text === '') return 'the port after ":" is empty';
  if (!/^[0-9]+$/.test(text)) return `the port "${text}" is not a number`;
  const port = Number(text);
  if (port < 1 || port > 65535) return `the port ${text} is outside 1-65535`;
  return port;
}
