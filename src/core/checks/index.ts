// The one shape of a check result, shared by every report that judges something about mail:
// the test-mail report, message analysis, and (later) server checks and alerts. A check says
// what it looked at, what it found (evidence, in plain words) and, when not passing, the fix.
import { printable } from '../printable';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface Check {
  /** Stable within a report, e.g. "dkim:rsa", "tls:hop-1", "spf". */
  id: string;
  /** Short name shown in a table: "DKIM signature (d=example.com, s=mw2026)". */
  title: string;
  status: CheckStatus;
  /** What was seen, line by line: "spf=pass smtp.mailfrom=example.com", "TLSv1.3 TLS_AES_256_GCM_SHA384". */
  evidence: string[];
  /** One sentence: what to do. Present when status is warn or fail. */
  fix?: string;
}

const ORDER: Record<CheckStatus, number> = { fail: 3, warn: 2, pass: 1, skip: 0 };

/** The worst status of a list (`skip` when the list is empty or every check was skipped). */
export function worstStatus(checks: readonly Pick<Check, 'status'>[]): CheckStatus {
  return checks.reduce<CheckStatus>(
    (worst, c) => (ORDER[c.status] > ORDER[worst] ? c.status : worst),
    'skip',
  );
}

/** How many checks have each status. */
export function countStatuses(checks: readonly Pick<Check, 'status'>[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) counts[c.status]++;
  return counts;
}

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

/** Plain-text lines of a list of checks, for the CLI and logs; remote text is made printable. */
export function formatChecks(checks: readonly Check[]): string[] {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${LABEL[c.status].padEnd(4)}  ${printable(c.title)}`);
    for (const e of c.evidence) lines.push(`        ${printable(e)}`);
    if (c.fix && c.status !== 'pass') lines.push(`        fix: ${printable(c.fix)}`);
  }
  return lines;
}
