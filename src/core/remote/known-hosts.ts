// Host key verification against OpenSSH known_hosts files (read) and a
// Mailwright-managed file (read and append). A key is trusted only when it is
// listed; a listed host presenting a different key is always refused.
import { createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { currentSystem, localEnv, pathsOf, type LocalSystem } from '../local-path';
import { keyTypeOf, sha256Fingerprint } from './fingerprint';

export interface KnownHostEntry {
  file: string;
  line: number;
  patterns: string;
  keyType: string;
  key: Buffer;
  marker?: '@revoked' | '@cert-authority';
}

export type HostKeyVerdict =
  | { kind: 'trusted'; entry: KnownHostEntry }
  | { kind: 'unknown' }
  | { kind: 'changed'; known: KnownHostEntry[] }
  | { kind: 'revoked'; entry: KnownHostEntry };

/** known_hosts names a non-22 port as "[host]:port". */
export function knownHostsName(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, '');
  return port === 22 ? bare : `[${bare}]:${port}`;
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields.shift() as KnownHostEntry['marker'];
    }
    const [patterns, keyType, keyBase64] = fields;
    if (!patterns || !keyType || !keyBase64) return;
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length === 0) return;
    entries.push({ file, line: index + 1, patterns, keyType, key, marker });
  });
  return entries;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function hashedMatch(pattern: string, name: string): boolean {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name))
  const [, kind, salt, hash] = pattern.split('|');
  if (kind !== '1' || !salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

/** OpenSSH semantics: comma-separated patterns, `!` negates, hashed entries start with |1|. */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|')) return hashedMatch(patterns, name);
  let matched = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1)).test(name)) return false;
    } else if (globToRegExp(p).test(name)) {
      matched = true;
    }
  }
  return matched;
}

export class KnownHosts {
  constructor(
    /** Files read for trust decisions, e.g. ~/.ssh/known_hosts. */
    readonly readOnlyFiles: string[],
    /** Mailwright's own file: read, and appended to when the user trusts a new key. */
    readonly managedFile: string,
  ) {}

  async entriesFor(host: string, port: number): Promise<KnownHostEntry[]> {
    const name = knownHostsName(host, port);
    const all: KnownHostEntry[] = [];
    for (const file of [...this.readOnlyFiles, this.managedFile]) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new Error(`Cannot read known-hosts file ${file}: ${(e as Error).message}`);
      }
      all.push(...parseKnownHosts(text, file).filter((e) => patternsMatch(e.patterns, name)));
    }
    return all.filter((e) => e.marker !== '@cert-authority');
  }

  /** Key types already known for this host, so the SSH handshake can ask for one of them first. */
  async knownKeyTypes(host: string, port: number): Promise<string[]> {
    const entries = await this.entriesFor(host, port);
    return [...new Set(entries.filter((e) => !e.marker).map((e) => e.keyType))];
  }

  async verify(host: string, port: number, keyBlob: Buffer): Promise<HostKeyVerdict> {
    const entries = await this.entriesFor(host, port);
    const revoked = entries.find((e) => e.marker === '@revoked' && e.key.equals(keyBlob));
    if (revoked) return { kind: 'revoked', entry: revoked };
    const plain = entries.filter((e) => !e.marker);
    const match = plain.find((e) => e.key.equals(keyBlob));
    if (match) return { kind: 'trusted', entry: match };
    if (plain.length > 0) return { kind: 'changed', known: plain };
    return { kind: 'unknown' };
  }

  async trust(host: string, port: number, keyBlob: Buffer): Promise<void> {
    await mkdir(dirname(this.managedFile), { recursive: true, mode: 0o700 });
    const line = `${knownHostsName(host, port)} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`;
    await appendFile(this.managedFile, line, { mode: 0o600 });
  }
}

export function describeKey(keyBlob: Buffer): string {
  return `${keyTypeOf(keyBlob)} ${sha256Fingerprint(keyBlob)}`;
}

/**
 * ~/.ssh/known_hosts is trusted read-only; Mailwright records keys the user accepts in its own
 * file: under XDG_CONFIG_HOME (default ~/.config) on Linux and macOS, under APPDATA on Windows.
 */
export function defaultKnownHosts(system: LocalSystem = currentSystem()): KnownHosts {
  const { join } = pathsOf(system);
  const configHome =
    localEnv(system, 'XDG_CONFIG_HOME') ??
    (system.platform === 'win32' ? localEnv(system, 'APPDATA') : undefined) ??
    join(system.home, '.config');
  return new KnownHosts(
    [join(system.home, '.ssh', 'known_hosts')],
    join(configHome, 'mailwright', 'known_hosts'),
  );
}
