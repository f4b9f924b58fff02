// chasquid's per-domain users file (domains/<domain>/users): protobuf text of userdb.ProtoDB,
// a map from user name (without @domain) to a Password oneof { scrypt, plain, denied }.
// Like chasquid-util, print() rewrites the whole file (comments are not kept).
import { timingSafeEqual } from 'node:crypto';
import { ChasquidDiagnostic, LineIndex } from './diagnostic';
import { hashPassword, ScryptHash, ScryptParams, verifyPassword as verifyScrypt } from './password';
import { parseIntLiteral, parseTextProto, PtField, PtScalar } from './prototext';
import { quoteBytes, quoteString, utf8OrUndefined } from './prototext-string';
import { ChasquidVersion, hasFeature, toVersion } from './version';

export type UserCredential =
  | ({ scheme: 'scrypt' } & ScryptHash)
  /** Debugging scheme upstream keeps; never written by this product. */
  | { scheme: 'plain'; password: Uint8Array }
  /** Receive-only user (chasquid >= 1.13): exists for delivery, never authenticates. */
  | { scheme: 'denied' }
  /** An entry without a scheme: authentication always fails. */
  | { scheme: 'none' };

interface Entry {
  credential: UserCredential;
  /** Where the entry was read (1-based), for diagnostics; undefined for added users. */
  line?: number;
}

/**
 * chasquid normalizes user names (PRECIS UsernameCaseMapped) before looking them up; this is
 * that mapping for practical names: full-width forms narrowed, lower-cased, NFC.
 */
export function normalizeUserName(name: string): string {
  return name
    .replace(/[\uFF01-\uFFEE]/g, (c) => c.normalize('NFKC'))
    .toLowerCase()
    .normalize('NFC');
}

/** Why a name cannot be a users-file key, or undefined. */
export function userNameProblem(name: string): string | undefined {
  if (name === '') return 'the user name is empty';
  if (/[\s\u0085\u00a0]/u.test(name)) return 'a user name cannot contain whitespace';
  if (/[\p{Cc}\p{Cf}]/u.test(name)) return 'a user name cannot contain control or format characters';
  if (name.includes('@')) return 'give the user name without "@domain": each domain has its own users file';
  return undefined;
}

function checkedName(name: string): string {
  if (typeof name !== 'string') throw new TypeError('the user name must be a string');
  const n = normalizeUserName(name);
  const problem = userNameProblem(n);
  if (problem) throw new RangeError(`${problem}: ${JSON.stringify(name)}`);
  return n;
}

export class ChasquidUsers {
  private readonly users = new Map<string, Entry>();
  private readonly parseDiagnostics: ChasquidDiagnostic[] = [];

  static empty(): ChasquidUsers {
    return new ChasquidUsers();
  }

  /** Reads a users file; problems (which would make chasquid reject it) are in `validate()`. */
  static parse(input: string | Uint8Array): ChasquidUsers {
    const db = new ChasquidUsers();
    const text = typeof input === 'string' ? input : utf8OrUndefined(input);
    if (text === undefined) {
      db.parseDiagnostics.push({
        severity: 'error',
        code: 'invalid-utf8',
        message: 'the users file is not valid UTF-8',
        line: 1,
        column: 1,
        endLine: 1,
        endColumn: 1,
      });
      return db;
    }
    new UsersReader(text, db.users, db.parseDiagnostics).read();
    return db;
  }

  /** Normalized names, in the order print() writes them. */
  names(): string[] {
    return sortedKeys(this.users);
  }

  has(name: string): boolean {
    return this.users.has(normalizeUserName(name));
  }

  get(name: string): UserCredential | undefined {
    return this.users.get(normalizeUserName(name))?.credential;
  }

  /** Adds the user, or replaces its credential, with a fresh scrypt hash. */
  async addOrReplaceUser(name: string, password: string, params?: ScryptParams): Promise<void> {
    const key = checkedName(name);
    const hash = await hashPassword(password, params);
    this.users.set(key, { credential: { scheme: 'scrypt', ...hash } });
  }

  /** A user that receives mail but can never log in (chasquid >= 1.13). */
  addReceiveOnlyUser(name: string): void {
    this.users.set(checkedName(name), { credential: { scheme: 'denied' } });
  }

  removeUser(name: string): boolean {
    return this.users.delete(normalizeUserName(name));
  }

  /** Same answer chasquid gives: false for unknown, receive-only and scheme-less users. */
  async verifyPassword(name: string, password: string): Promise<boolean> {
    if (typeof password !== 'string') throw new TypeError('the password must be a string');
    const c = this.get(name);
    if (c?.scheme === 'scrypt') return verifyScrypt(c, password);
    if (c?.scheme === 'plain') {
      const given = Buffer.from(password, 'utf8');
      return given.length === c.password.length && timingSafeEqual(given, c.password);
    }
    return false;
  }

  /** The file chasquid-util would write: entries sorted by name, two-space indentation. */
  print(): string {
    return this.names()
      .map(
        (name) =>
          `users: {\n  key: ${quoteString(name)}\n  value: ${printCredential((this.users.get(name) as Entry).credential)}\n}\n`,
      )
      .join('');
  }

  /** Read problems, plus what the target chasquid version cannot load. */
  validate(options: { version?: ChasquidVersion | string } = {}): ChasquidDiagnostic[] {
    const out = [...this.parseDiagnostics];
    const v = toVersion(options.version);
    for (const [name, e] of this.users) {
      if (e.line === undefined) continue;
      const at = { line: e.line, column: 1, endLine: e.line, endColumn: 1 };
      if (v && e.credential.scheme === 'denied' && !hasFeature(v, 'receiveOnlyUsers')) {
        out.push({
          ...at,
          severity: 'error',
          code: 'receive-only-unsupported',
          message: `receive-only user "${name}" needs chasquid 1.13 or newer: older ones reject the whole file`,
        });
      }
      if (normalizeUserName(name) !== name) {
        out.push({
          ...at,
          severity: 'warning',
          code: 'unnormalized-name',
          message: `chasquid looks this user up as "${normalizeUserName(name)}": "${name}" can never log in`,
        });
      }
    }
    return out.sort((a, b) => a.line - b.line || a.column - b.column);
  }
}

function sortedKeys(m: Map<string, unknown>): string[] {
  const enc = new TextEncoder();
  return [...m.keys()].sort((a, b) => Buffer.compare(enc.encode(a), enc.encode(b)));
}

function printCredential(c: UserCredential): string {
  switch (c.scheme) {
    case 'scrypt':
      return (
        `{\n    scrypt: {\n      logN: ${c.logN}\n      r: ${c.r}\n      p: ${c.p}\n      keyLen: ${c.keyLen}\n` +
        `      salt: ${quoteBytes(c.salt)}\n      encrypted: ${quoteBytes(c.encrypted)}\n    }\n  }`
      );
    case 'plain':
      return `{\n    plain: {\n      password: ${quoteBytes(c.password)}\n    }\n  }`;
    case 'denied':
      return '{\n    denied: {}\n  }';
    case 'none':
      return '{}';
  }
}

/** Walks the parsed text with userdb.proto's schema, reporting what Go's prototext would reject. */
class UsersReader {
  private readonly lines: LineIndex;

  constructor(
    private readonly text: string,
    private readonly users: Map<string, Entry>,
    private readonly diags: ChasquidDiagnostic[],
  ) {
    this.lines = new LineIndex(text);
  }

  read(): void {
    const doc = parseTextProto(this.text);
    for (const e of doc.errors)
      this.diags.push(this.lines.diagnostic(e.start, e.end, 'error', 'syntax', e.message));
    for (const f of doc.fields) {
      if (f.name !== 'users') {
        this.error(f.nameStart, f.nameEnd, 'unknown-field', `unknown field "${f.name}" (expected "users")`);
        continue;
      }
      for (const m of this.messages(f)) this.entry(m, f);
    }
  }

  private error(
    start: number,
    end: number,
    code: string,
    message: string,
    severity: 'error' | 'warning' = 'error',
  ) {
    this.diags.push(this.lines.diagnostic(start, end, severity, code, message));
  }

  /** The message values of a field (`f { }`, `f: { }` or `f: [{ }, { }]`), reporting scalars. */
  private messages(f: PtField): PtField[][] {
    const values = f.value.kind === 'list' ? f.value.items : [f.value];
    const out: PtField[][] = [];
    for (const v of values) {
      if (v.kind === 'message') out.push(v.fields);
      else this.error(v.start, v.end, 'wrong-type', `"${f.name}" must be a { } block`);
    }
    return out;
  }

  private entry(fields: PtField[], at: PtField): void {
    let name = '';
    let credential: UserCredential = { scheme: 'none' };
    const seen = new Set<string>();
    for (const f of fields) {
      if (seen.has(f.name)) this.error(f.nameStart, f.nameEnd, 'duplicate-field', `"${f.name}" is set twice`);
      seen.add(f.name);
      if (f.name === 'key') name = this.text8(f) ?? name;
      else if (f.name === 'value') credential = this.password(f) ?? credential;
      else
        this.error(
          f.nameStart,
          f.nameEnd,
          'unknown-field',
          `unknown field "${f.name}" (expected "key" or "value")`,
        );
    }
    const line = this.lines.position(at.start).line;
    if (name === '')
      this.error(at.nameStart, at.nameEnd, 'missing-key', 'this entry has no user name (key)', 'warning');
    if (credential.scheme === 'none') {
      this.error(
        at.nameStart,
        at.nameEnd,
        'missing-scheme',
        `user "${name}" has no password scheme: it can never log in`,
        'warning',
      );
    }
    const prev = this.users.get(name);
    if (prev) {
      this.error(
        at.nameStart,
        at.nameEnd,
        'duplicate-user',
        `user "${name}" is also defined on line ${prev.line}; this one wins`,
        'warning',
      );
    }
    this.users.set(name, { credential, line });
  }

  private password(f: PtField): UserCredential | undefined {
    const [fields] = this.messages(f);
    if (!fields) return undefined;
    let result: UserCredential | undefined;
    for (const s of fields) {
      let c: UserCredential | undefined;
      if (s.name === 'scrypt') c = this.scrypt(s);
      else if (s.name === 'plain') c = this.plain(s);
      else if (s.name === 'denied') c = this.denied(s);
      else this.error(s.nameStart, s.nameEnd, 'unknown-field', `unknown password scheme "${s.name}"`);
      if (c && result)
        this.error(s.nameStart, s.nameEnd, 'duplicate-scheme', 'a user can have only one password scheme');
      result = c ?? result;
    }
    return result;
  }

  private scrypt(f: PtField): UserCredential | undefined {
    const [fields] = this.messages(f);
    if (!fields) return undefined;
    const c: UserCredential & { scheme: 'scrypt' } = {
      scheme: 'scrypt',
      logN: 0,
      r: 0,
      p: 0,
      keyLen: 0,
      salt: new Uint8Array(),
      encrypted: new Uint8Array(),
    };
    const limits: Record<string, [bigint, bigint]> = {
      logN: [0n, 2n ** 64n - 1n],
      r: [-(2n ** 31n), 2n ** 31n - 1n],
      p: [-(2n ** 31n), 2n ** 31n - 1n],
      keyLen: [-(2n ** 31n), 2n ** 31n - 1n],
    };
    for (const s of fields) {
      const range = limits[s.name];
      if (range) c[s.name as 'logN'] = this.int(s, range) ?? 0;
      else if (s.name === 'salt' || s.name === 'encrypted') c[s.name] = this.bytes(s) ?? new Uint8Array();
      else this.error(s.nameStart, s.nameEnd, 'unknown-field', `unknown scrypt field "${s.name}"`);
    }
    return c;
  }

  private plain(f: PtField): UserCredential | undefined {
    const [fields] = this.messages(f);
    if (!fields) return undefined;
    let password: Uint8Array = new Uint8Array();
    for (const s of fields) {
      if (s.name === 'password') password = this.bytes(s) ?? password;
      else this.error(s.nameStart, s.nameEnd, 'unknown-field', `unknown field "${s.name}"`);
    }
    return { scheme: 'plain', password };
  }

  private denied(f: PtField): UserCredential | undefined {
    const [fields] = this.messages(f);
    if (!fields) return undefined;
    for (const s of fields) this.error(s.nameStart, s.nameEnd, 'unknown-field', `unknown field "${s.name}"`);
    return { scheme: 'denied' };
  }

  private scalar(f: PtField): PtScalar | undefined {
    if (f.value.kind === 'scalar') return f.value.scalar;
    this.error(f.value.start, f.value.end, 'wrong-type', `"${f.name}" takes a single value`);
    return undefined;
  }

  private bytes(f: PtField): Uint8Array | undefined {
    const s = this.scalar(f);
    if (s && s.kind !== 'string')
      this.error(s.start, s.end, 'wrong-type', `"${f.name}" must be a quoted string`);
    return s?.kind === 'string' ? s.bytes : undefined;
  }

  private text8(f: PtField): string | undefined {
    const b = this.bytes(f);
    const t = b && utf8OrUndefined(b);
    if (b && t === undefined)
      this.error(f.value.start, f.value.end, 'invalid-utf8', `"${f.name}" is not valid UTF-8`);
    return t;
  }

  private int(f: PtField, [min, max]: [bigint, bigint]): number | undefined {
    const s = this.scalar(f);
    if (!s) return undefined;
    const n = s.kind === 'number' ? parseIntLiteral(s.text) : undefined;
    if (n === undefined || n < min || n > max) {
      this.error(
        s.start,
        s.end,
        'wrong-type',
        `"${f.name}" must be an integer in [${min}, ${max}], found ${s.text}`,
      );
      return undefined;
    }
    return Number(n);
  }
}
