// The received-reports store (reports: keep): the program chasquid pipes report messages to, its
// folder, and the alias lines that send a kept domain's report addresses there as well as
// wherever their alias already sends them. See src/core/reports/store.ts.
import type { AliasTarget } from '../../chasquid';
import { reportAddresses, type DomainConfig } from '../../config';
import { addressKey } from '../../names';
import { shellCommand, shellScript } from '../../remote';
import {
  KEEP_REPORT_PROGRAM,
  KEEP_REPORT_SCRIPT,
  keepReportCommand,
  REPORT_STORE_ALIAS,
  REPORT_STORE_DIR,
} from '../../reports/store';
import { managedFileAction } from '../managed-file';
import type { Action, ActionPlanner, ApplyContext } from '../types';

/** chasquid runs pipe aliases as its own user; the store is its and root's only. */
const STORE_OWNER = 'chasquid:chasquid';
const STORE_MODE = '700';

const keeps = (domain: DomainConfig) => domain.reports?.keep === true;

/** The report addresses of the domain that are on the domain itself (a report address elsewhere is kept there, or not at all). */
function keptUsers(domain: DomainConfig): string[] {
  const users = reportAddresses(domain)
    .map((r) => addressKey(r.address))
    .filter((a) => a.endsWith(`@${domain.name}`))
    .map((a) => a.slice(0, a.lastIndexOf('@')));
  return [...new Set(users)];
}

export interface ReportStoreAliases {
  /** Alias lines to set (they replace the yaml's line of the same user). */
  lines: Array<[user: string, targets: Array<string | AliasTarget>]>;
  /** What is not kept, and why. */
  notes: string[];
}

/**
 * The alias lines of a kept domain: the store alias piping to the program, and each report
 * address sent to it besides where its alias (or the catch-all) already sends it. A report
 * address that is a mail user is left alone: an alias would take its mail from its mailbox.
 */
export function reportStoreAliases(
  domain: DomainConfig,
  full: (target: string) => string,
): ReportStoreAliases {
  if (!keeps(domain)) return { lines: [], notes: [] };
  const lines: ReportStoreAliases['lines'] = [
    [
      REPORT_STORE_ALIAS,
      [{ kind: 'pipe', command: keepReportCommand(domain.name, domain.reports!.retentionDays) }],
    ],
  ];
  const notes: string[] = [];
  const store = `${REPORT_STORE_ALIAS}@${domain.name}`;
  for (const user of keptUsers(domain)) {
    if (user === REPORT_STORE_ALIAS) continue;
    const own = domain.aliases[user];
    if (!own && domain.users.includes(user)) {
      notes.push(
        `${user}@${domain.name} is a mail user, so the reports mailed to it stay in its mailbox and are not kept: point dmarc.rua at an alias (e.g. reports@${domain.name}) to keep them`,
      );
      continue;
    }
    const elsewhere = own ?? domain.aliases['*'] ?? [];
    lines.push([user, [...elsewhere.map(full), store]]);
  }
  return { lines, notes };
}

/** The hosts' kept domains, for the program and its folder. */
const keptDomains = (domains: readonly DomainConfig[]) => domains.filter(keeps);

// $1 the program, $2 the store: the program runs, the store is chasquid's alone.
const CHECK_STORE = `set -eu
[ -x "$1" ] || { echo "$1 is not executable: chasquid could not run it" >&2; exit 1; }
sh -n "$1" || { echo "$1 is not a valid shell script" >&2; exit 1; }
[ "$(stat -c '%U:%G %a' "$2")" = "$3" ] || { echo "$2 is $(stat -c '%U:%G %a' "$2"), must be $3" >&2; exit 1; }`;

async function ensureStore(actx: ApplyContext): Promise<void> {
  const [owner, group] = STORE_OWNER.split(':') as [string, string];
  await actx.run(
    shellCommand(['install', '-d', '-o', owner, '-g', group, '-m', `0${STORE_MODE}`, '--', REPORT_STORE_DIR]),
  );
}

/** The program and its folder, before the aliases that pipe to it are written. */
export const planReportStore: ActionPlanner = (ctx) => {
  const kept = keptDomains(ctx.host.domains);
  if (kept.length === 0) return [];
  const action = managedFileAction(
    ctx,
    {
      id: 'reports:store',
      kind: 'reports',
      path: KEEP_REPORT_PROGRAM,
      title: 'Install the store of received DMARC and TLS reports',
      desired: KEEP_REPORT_SCRIPT,
      reason: `${kept.map((d) => d.name).join(', ')} keep${kept.length === 1 ? 's' : ''} the reports mailed to ${kept.length === 1 ? 'its' : 'their'} report addresses (reports: keep): chasquid hands each to this program, which stores it in ${REPORT_STORE_DIR}, bounded in size and age`,
      owner: 'root:root',
      mode: '0755',
      afterWrite: ensureStore,
      verify: async (actx) => {
        const r = await actx.run(
          shellScript(CHECK_STORE, [KEEP_REPORT_PROGRAM, REPORT_STORE_DIR, `${STORE_OWNER} ${STORE_MODE}`]),
          { check: false },
        );
        if (r.exitCode !== 0) throw new Error(r.stderr.trim());
      },
    },
    undefined,
  );
  return action ? [action] : [];
};

/** No domain keeps reports any more: the program goes (after the aliases stopped naming it); the reports stay. */
export const planReportStoreRemoval: ActionPlanner = (ctx) => {
  if (keptDomains(ctx.host.domains).length > 0) return [];
  if (ctx.facts.confFiles?.[KEEP_REPORT_PROGRAM] === undefined) return [];
  const action: Action = {
    id: 'reports:store-removed',
    kind: 'reports',
    title: 'Remove the program that stores received reports',
    reason: `no domain keeps its reports any more (reports: keep); the reports already stored stay in ${REPORT_STORE_DIR}`,
    async apply(actx) {
      await actx.run(shellCommand(['rm', '-f', '--', KEEP_REPORT_PROGRAM]));
    },
    async verify(actx) {
      const r = await actx.run(shellCommand(['test', '!', '-e', KEEP_REPORT_PROGRAM]), { check: false });
      if (r.exitCode !== 0) throw new Error(`${KEEP_REPORT_PROGRAM} is still there`);
    },
  };
  return [action];
};
