// mailwright check: the server's health in one report — certificate, every expected DNS record
// and the blocklists (the same report as `mailwright dns check`), chasquid and Dovecot running
// and listening, free space where mail is kept. Exit 0: all pass; 1: a check failed; 2: warnings only.
import { setMaxListeners } from 'node:events';
import { countStatuses, formatChecks } from '../core/checks';
import { runServerChecks } from '../core/checks/run';
import { checkExitCode, type ServerCheckReport } from '../core/checks/server';
import { printable } from '../core/printable';
import type { CommandFn } from './command-types';
import type { ConnectFlags } from './connect';
import { withContext } from './context';
import { checkServer } from './dns';
import { out, printJson } from './output';

type CheckFlags = ConnectFlags & {
  resolver?: string[];
  authoritative?: string[];
  'no-dnsbl'?: boolean;
  json?: boolean;
};

export const checkCommand: CommandFn = async ({ flags: given }, signal) => {
  const flags = given as CheckFlags;
  setMaxListeners(0, signal);
  for (const server of [...(flags.resolver ?? []), ...(flags.authoritative ?? [])]) checkServer(server);
  return withContext(flags, async (context) => {
    const host = context.host();
    const conn = await context.connection(host);
    const report = await runServerChecks(conn, host, {
      ranOn: 'client',
      facts: await context.hostFacts(host, signal),
      fleet: context.fleet,
      expectation: (domain) => context.expectation(host, domain, signal),
      dns: {
        ...(flags.resolver && { resolvers: flags.resolver }),
        ...(flags.authoritative && { authoritative: flags.authoritative }),
        ...(flags['no-dnsbl'] && { dnsbl: false as const }),
      },
      signal,
    });
    if (flags.json) printJson(report);
    else out(...checkReportLines(report));
    return checkExitCode(report.checks);
  });
};

/** The report as text: one block per check, then the counts. */
export function checkReportLines(report: ServerCheckReport): string[] {
  const counts = countStatuses(report.checks);
  return [
    `Checks of ${printable(report.host)} (${printable(report.mailHost)}), ${report.checkedAt}, ${report.durationMs} ms`,
    '',
    ...formatChecks(report.checks),
    '',
    `${counts.pass} passed, ${counts.warn} warning(s), ${counts.fail} failed${counts.skip ? `, ${counts.skip} skipped` : ''}.`,
  ];
}
