// mailwright dane rollover: a next key beside the certificate's, its TLSA record published beside
// the current one, the certificate switched to it once DNS serves the record and its TTL has
// passed, the old record removed one TTL later (see docs/dane.md). Resumable: the state is on the
// server.
import { setMaxListeners } from 'node:events';
import { durationSeconds } from '../core/config/validate-brute-force';
import { domainOfName } from '../core/config';
import { DEFAULT_ROLLOVER_WAIT } from '../core/dane/rollover';
import { rollDaneKey } from '../core/dane/roll';
import { eventPrinter } from '../core/plan';
import { EnvSecretStore } from '../core/remote';
import { EXIT, type CommandFn } from './command-types';
import type { ConnectFlags } from './connect';
import { withContext } from './context';
import { checkServer, openDnsProvider, stagePrinter } from './dns';
import { info, out, UsageError } from './output';

type RolloverFlags = ConnectFlags & {
  authoritative?: string[];
  wait?: string;
  'dry-run'?: boolean;
};

export const daneRolloverCommand: CommandFn = async ({ flags: given }, signal) => {
  const flags = given as RolloverFlags;
  setMaxListeners(0, signal);
  for (const server of flags.authoritative ?? []) checkServer(server, '--authoritative');
  const wait = durationSeconds(flags.wait ?? DEFAULT_ROLLOVER_WAIT);
  if (wait === undefined)
    throw new UsageError(
      `--wait "${flags.wait}" is not a duration: give a number and a unit (s, m, h, d, w), e.g. 2m.`,
    );
  return withContext(flags, async (context) => {
    const t = await context.target();
    const domain = domainOfName(t.host.mailHost, t.host.domains);
    const secrets = new EnvSecretStore();
    const provider = domain?.dns
      ? await openDnsProvider({ name: domain.name, dns: domain.dns }, secrets, flags.authoritative)
      : undefined;
    const result = await rollDaneKey({
      conn: t.conn,
      host: t.host,
      facts: await context.hostFacts(t.host, signal),
      ...(provider && { provider }),
      ...(flags.authoritative && { servers: flags.authoritative }),
      waitMs: wait * 1000,
      secrets,
      dryRun: Boolean(flags['dry-run']),
      signal,
      log: (...lines) => info(...lines),
      onEvent: eventPrinter((line) => out(line)),
      onStages: stagePrinter(`DANE key rollover of ${t.host.mailHost} on ${t.host.name}:`),
    });
    if (flags['dry-run'] && result.state?.removedAt)
      info(`That rollover is over; running without --dry-run starts a new one.`);
    return EXIT.ok;
  });
};
