// chasquid's per-domain aliases file (domains/<domain>/aliases), kept line for line.
// Format (upstream docs/aliases.md): `user: target, target`, `user: | command`, `*: …` as
// catch-all, `#` comment lines. chasquid reads lines with Go's bufio.Scanner: "\n" ends a
// line and a trailing "\r" is dropped.
import { ChasquidDiagnostic } from './diagnostic';
import { normalizeUserName } from './users';
import { ChasquidVersion, hasFeature, toVersion } from './version';

export type AliasTarget =
  | { kind: 'email'; address: string }
  | { kind: 'pipe'; command: string }
  /** `address via host1/host2` (chasquid >= 1.16): deliver through those servers. */
  | { kind: 'forward'; address: string; via: string[] };

interface LineBase {
  /** Exact text of the line including its line break; joining all gives the file back. */
  raw: string;
  line: number;
}

export type AliasEntry =
  | (LineBase & { kind: 'blank' })
  | (LineBase & { kind: 'comment' })
  | (LineBase & {
      kind: 'alias';
      user: string;
      targets: AliasTarget[];
      userColumn: number;
      rhsColumn: number;
    })
  | (LineBase & { kind: 'invalid'; problem: string; code: string; column: number; endColumn: number });

export interface AliasSemantics {
  /** chasquid.conf suffix_separators (default "+"). */
  suffixSeparators?: string;
  /** chasquid.conf drop_characters (default "."). */
  dropCharacters?: string;
}

const defaults = (o: AliasSemantics = {}): Required<AliasSemantics> => ({
  suffixSeparators: o.suffixSeparators ?? '+',
  dropCharacters: o.dropCharacters ?? '.',
});

/**
 * The key chasquid files an alias under (>= 1.12): drop characters removed up to the first
 * suffix separator, the suffix kept, then normalized. "Juana.Perez+x" -> "juanaperez+x".
 */
export function aliasKey(user: string, semantics?: AliasSemantics): string {
  const { suffixSeparators, dropCharacters } = defaults(semantics);
  const chars = [...user];
  let cut = chars.findIndex((c) => suffixSeparators.includes(c));
  if (cut < 0) cut = chars.length;
  const head = chars.slice(0, cut).filter((c) => !dropCharacters.includes(c));
  return normalizeUserName(head.join('') + chars.slice(cut).join(''));
}

/** The user without suffix and drop characters ("juana.perez+fruta" -> "juanaperez"). */
export function cleanUser(user: string, semantics?: AliasSemantics): string {
  const { suffixSeparators, dropCharacters } = defaults(semantics);
  let u = user;
  for (const sep of suffixSeparators) {
    const i = u.indexOf(sep);
    if (i >= 0) u = u.slice(0, i);
  }
  return normalizeUserName([...u].filter((c) => !dropCharacters.includes(c)).join(''));
}

export type AliasMatch = 'exact' | 'without-suffix' | 'user' | 'catch-all';

export class ChasquidAliases {
  private list: AliasEntry[] = [];

  private constructor(text: string) {
    this.list = parseLines(text);
  }

  static parse(text: string): ChasquidAliases {
    return new ChasquidAliases(text);
  }

  get entries(): readonly AliasEntry[] {
    return this.list;
  }

  print(): string {
    return this.list.map((e) => e.raw).join('');
  }

  /** Targets of the alias chasquid uses for exactly this left side (the last line wins). */
  get(user: string, semantics?: AliasSemantics): AliasTarget[] | undefined {
    return this.matching(user, semantics).at(-1)?.targets;
  }

  /**
   * How chasquid (>= 1.12) resolves mail to `user@<this domain>`: the exact alias, then
   * without suffix, then an existing user (pass `isUser`), then the catch-all.
   */
  resolve(
    user: string,
    options: AliasSemantics & { isUser?: (cleanUser: string) => boolean } = {},
  ): { match: AliasMatch; targets: AliasTarget[] } | undefined {
    const exact = this.get(user, options);
    if (exact) return { match: 'exact', targets: exact };
    const clean = cleanUser(user, options);
    const bare = this.get(clean, options);
    if (bare) return { match: 'without-suffix', targets: bare };
    if (options.isUser?.(clean)) return { match: 'user', targets: [{ kind: 'email', address: clean }] };
    const all = this.get('*', options);
    return all ? { match: 'catch-all', targets: all } : undefined;
  }

  /** Replaces the user's line in place (dropping duplicates), or appends one. */
  set(user: string, targets: readonly (string | AliasTarget)[], semantics?: AliasSemantics): void {
    const lhsProblem = leftSideProblem(user.trim());
    if (lhsProblem) throw new RangeError(`${lhsProblem}: ${JSON.stringify(user)}`);
    const rhs = formatTargets(targets);
    const [first, ...rest] = this.matching(user, semantics);
    this.list = this.list.filter((e) => !(rest as AliasEntry[]).includes(e));
    if (first) {
      const eol = /\r?\n$/.exec(first.raw)?.[0] ?? '';
      const raw = first.raw.slice(0, first.rhsColumn - 1) + rhs + eol;
      this.list[this.list.indexOf(first)] = { ...first, raw, targets: parseTargets(rhs).targets };
    } else {
      const last = this.list.at(-1);
      if (last && !last.raw.endsWith('\n')) last.raw += this.eol();
      this.list.push(...parseLines(`${user.trim()}: ${rhs}${this.eol()}`));
    }
    this.renumber();
  }

  remove(user: string, semantics?: AliasSemantics): boolean {
    const found = this.matching(user, semantics);
    this.list = this.list.filter((e) => !(found as AliasEntry[]).includes(e));
    this.renumber();
    return found.length > 0;
  }

  validate(options: AliasSemantics & { version?: ChasquidVersion | string } = {}): ChasquidDiagnostic[] {
    return validateAliases(this.list, options);
  }

  private matching(user: string, semantics?: AliasSemantics): (AliasEntry & { kind: 'alias' })[] {
    const key = aliasKey(user.trim(), semantics);
    return this.list.filter(
      (e): e is AliasEntry & { kind: 'alias' } => e.kind === 'alias' && aliasKey(e.user, semantics) === key,
    );
  }

  private eol(): string {
    return this.list.find((e) => e.raw.endsWith('\n'))?.raw.endsWith('\r\n') ? '\r\n' : '\n';
  }

  private renumber(): void {
    this.list = parseLines(this.print());
  }
}

function leftSideProblem(lhs: string): string | undefined {
  if (lhs === '') return 'the user is empty';
  if (lhs.includes('@')) return 'the left side cannot contain "@": write the user without the domain';
  if (/[\s,:]/.test(lhs)) return 'a user cannot contain spaces, ":" or ","';
  return undefined;
}

function formatTargets(targets: readonly (string | AliasTarget)[]): string {
  const ts = targets.map((t): AliasTarget =>
    typeof t === 'string' ? { kind: 'email', address: t.trim() } : t,
  );
  if (ts.length === 0) throw new RangeError('an alias needs at least one target');
  const pipe = ts.find((t) => t.kind === 'pipe');
  if (pipe) {
    if (ts.length > 1) throw new RangeError('a pipe alias must be the only target of its line');
    if (!pipe.command.trim() || /[\r\n]/.test(pipe.command)) throw new RangeError('invalid pipe command');
    return `| ${pipe.command.trim()}`;
  }
  return ts
    .map((t) => {
      const t2 = t as Exclude<AliasTarget, { kind: 'pipe' }>;
      const bad =
        addressProblem(t2.address) ??
        (t2.address.startsWith('|') ? 'a "|" target must be a pipe target' : undefined) ??
        (t2.kind === 'forward' && t2.via.some((v) => !v || /[\s/,]/.test(v))
          ? 'invalid "via" server'
          : undefined);
      if (bad) throw new RangeError(`invalid alias target ${JSON.stringify(t2.address)}: ${bad}`);
      return t2.kind === 'forward' ? `${t2.address} via ${t2.via.join('/')}` : t2.address;
    })
    .join(', ');
}

/** Splits the right side like chasquid 1.16; `problem` is what 1.16 rejects the file for. */
function parseTargets(rhs: string): {
  targets: AliasTarget[];
  problem?: string;
  offset?: number;
  length?: number;
} {
  if (rhs.startsWith('|')) {
    const command = rhs.slice(1).trim();
    return command
      ? { targets: [{ kind: 'pipe', command }] }
      : { targets: [], problem: 'the pipe alias has no command', offset: 0, length: 1 };
  }
  const targets: AliasTarget[] = [];
  let offset = 0;
  for (const part of rhs.split(',')) {
    const a = part.trim();
    const at = offset + part.indexOf(a);
    offset += part.length + 1;
    if (a === '') continue;
    const via = a.indexOf(' via ');
    if (via >= 0) {
      const address = a.slice(0, via).trim();
      const servers = a
        .slice(via + 5)
        .split('/')
        .map((s) => s.trim());
      if (!address || servers.some((s) => !s)) {
        return {
          targets,
          problem: 'a "via" target needs "address via server1/server2"',
          offset: at,
          length: a.length,
        };
      }
      targets.push({ kind: 'forward', address, via: servers });
      continue;
    }
    const problem = addressProblem(a);
    if (problem) return { targets, problem, offset: at, length: a.length };
    targets.push({ kind: 'email', address: a });
  }
  return { targets };
}

function addressProblem(a: string): string | undefined {
  if (a === '') return 'the address is empty';
  if (a.includes(',')) return `"${a}" contains ","`;
  if (/\s/.test(a)) return `"${a}" contains spaces: separate targets with ","`;
  const parts = a.split('@');
  if (parts.length > 2) return `"${a}" has more than one "@"`;
  if (parts[0] === '') return `"${a}" has no user part`;
  if (parts.length === 2 && parts[1] === '') return `"${a}" has no domain after "@"`;
  return undefined;
}

function parseLines(text: string): AliasEntry[] {
  const out: AliasEntry[] = [];
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  lines.forEach((raw, i) => {
    const line = i + 1;
    const content = raw.replace(/\n$/, '').replace(/\r$/, '');
    const trimmed = content.trim();
    const lead = content.length - content.trimStart().length;
    const invalid = (code: string, problem: string, from: number, len: number): AliasEntry => ({
      kind: 'invalid',
      raw,
      line,
      code,
      problem,
      column: from + 1,
      endColumn: from + 1 + Math.max(len, 1),
    });
    if (trimmed === '') return void out.push({ kind: 'blank', raw, line });
    if (trimmed.startsWith('#')) return void out.push({ kind: 'comment', raw, line });
    const colon = content.indexOf(':');
    if (colon < 0)
      return void out.push(
        invalid('missing-colon', 'missing ":" between user and targets', lead, trimmed.length),
      );
    const user = content.slice(0, colon).trim();
    const afterColon = content.slice(colon + 1);
    const rhs = afterColon.trim();
    const rhsStart = colon + 1 + (afterColon.length - afterColon.trimStart().length);
    if (!user) return void out.push(invalid('missing-user', 'the user (left of ":") is missing', lead, 1));
    if (!rhs) return void out.push(invalid('missing-target', `"${user}" has no targets after ":"`, colon, 1));
    const lhsProblem = leftSideProblem(user);
    if (lhsProblem) return void out.push(invalid('invalid-user', lhsProblem, lead, user.length));
    const parsed = parseTargets(rhs);
    if (parsed.problem) {
      return void out.push(
        invalid(
          'invalid-target',
          parsed.problem,
          rhsStart + (parsed.offset ?? 0),
          parsed.length ?? rhs.length,
        ),
      );
    }
    out.push({
      kind: 'alias',
      raw,
      line,
      user,
      targets: parsed.targets,
      userColumn: lead + 1,
      rhsColumn: rhsStart + 1,
    });
  });
  return out;
}

function validateAliases(
  entries: readonly AliasEntry[],
  options: AliasSemantics & { version?: ChasquidVersion | string },
): ChasquidDiagnostic[] {
  const v = toVersion(options.version);
  const out: ChasquidDiagnostic[] = [];
  const at = (line: number, column: number, endColumn: number) => ({
    line,
    column,
    endLine: line,
    endColumn,
  });
  const lastByKey = new Map<string, AliasEntry & { kind: 'alias' }>();
  for (const e of entries) {
    if (e.kind === 'invalid') {
      const older =
        v && !hasFeature(v, 'rejectsInvalidAliasLines')
          ? ' (this chasquid version silently ignores the line)'
          : '';
      out.push({
        ...at(e.line, e.column, e.endColumn),
        severity: 'error',
        code: e.code,
        message: e.problem + older,
      });
    }
    if (e.kind !== 'alias') continue;
    const key = aliasKey(e.user, options);
    const prev = lastByKey.get(key);
    if (prev) {
      out.push({
        ...at(prev.line, prev.userColumn, prev.userColumn + prev.user.length),
        severity: 'warning',
        code: 'overridden',
        message: `"${prev.user}" is defined again on line ${e.line}, which wins`,
      });
    }
    lastByKey.set(key, e);
    const whole = at(e.line, e.rhsColumn, e.raw.replace(/\s+$/, '').length + 1);
    if (v && e.targets.some((t) => t.kind === 'forward') && !hasFeature(v, 'aliasVia')) {
      out.push({
        ...whole,
        severity: 'error',
        code: 'via-unsupported',
        message: '"via" targets need chasquid 1.16 or newer',
      });
    }
    if (
      v &&
      e.targets.some((t) => t.kind !== 'pipe' && t.address.startsWith('*@')) &&
      !hasFeature(v, 'aliasStarDestination')
    ) {
      out.push({
        ...whole,
        severity: 'warning',
        code: 'star-target-unsupported',
        message:
          'a "*@domain" target keeps the sender user only on chasquid 1.16 or newer; here it is a literal address',
      });
    }
    const special = [...e.user].filter((c) =>
      (defaults(options).dropCharacters + defaults(options).suffixSeparators).includes(c),
    );
    if (v && special.length > 0 && !hasFeature(v, 'aliasSuffixAndDropSemantics')) {
      out.push({
        ...at(e.line, e.userColumn, e.userColumn + e.user.length),
        severity: 'warning',
        code: 'legacy-never-matches',
        message: `before chasquid 1.12 a user containing "${special.join('')}" never matches: write it without them`,
      });
    }
    if (v && e.user === '*' && !hasFeature(v, 'catchAllAliases')) {
      out.push({
        ...at(e.line, e.userColumn, e.userColumn + 1),
        severity: 'error',
        code: 'catch-all-unsupported',
        message: 'catch-all aliases need chasquid 1.10 or newer',
      });
    } else if (v && e.user === '*' && !hasFeature(v, 'aliasSuffixAndDropSemantics')) {
      out.push({
        ...at(e.line, e.userColumn, e.userColumn + 1),
        severity: 'info',
        code: 'catch-all-suffix',
        message: 'on this chasquid version, user+tag@ goes to the catch-all instead of the user',
      });
    }
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}
