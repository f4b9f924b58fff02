// mailwright dkim rotate: a new DKIM key, published, switched to once DNS serves it, the old one
// removed after the retention (see docs/dkim-rotation.md). Resumable: the state is on the server.
import { setMaxListeners } from 'node:events';
import { durationSeconds } from '../core/config/validate-brute-force';
import { DEFAULT_ROTATION_RETENTION, DEFAULT_ROTATION_WAIT } from '../core/dkim/rotation';
import { rotateDkim } from '../core/dkim/rotate';
import { EnvSecretStore } from '../core/remote';
import { EXIT, type CommandFn } from './command-types';
import type { ConnectFlags } from './connect';
import { withContext } from './context';
import { checkServer, domainFrom, openDnsProvider, stagePrinter } from './dns';
import { info, UsageError } from './output';

type RotateFlags = ConnectFlags & {
  domain?: string;
  authoritative?: string[];
  retention?: string;
  wait?: string;
  'dry-run'?: boolean;
};

function seconds(flag: string, text: string): number {
  const value = durationSeconds(text);
  if (value === undefined)
    throw new UsageError(
      `--${flag} "${text}" is not a duration: give a number and a unit (s, m, h, d, w), e.g. 7d.`,
    );
  return value;
}

export const dkimRotateCommand: CommandFn = async ({ flags: given }, signal) => {
  const flags = given as RotateFlags;
  setMaxListeners(0, signal);
  for (const server of flags.authoritative ?? []) checkServer(server, '--authoritative');
  const retentionSeconds = seconds('retention', flags.retention ?? DEFAULT_ROTATION_RETENTION);
  const waitMs = seconds('wait', flags.wait ?? DEFAULT_ROTATION_WAIT) * 1000;
  return withContext(flags, async (context) => {
    const host = context.host();
    const domain = domainFrom(host, flags.domain);
    const provider = domain.dns
      ? await openDnsProvider(
          { name: domain.name, dns: domain.dns },
          new EnvSecretStore(),
          flags.authoritative,
        )
      : undefined;
    const result = await rotateDkim({
      conn: await context.connection(host),
      domain,
      facts: await context.hostFacts(host, signal),
      ...(provider && { provider }),
      ...(flags.authoritative && { servers: flags.authoritative }),
      retentionSeconds,
      waitMs,
      dryRun: Boolean(flags['dry-run']),
      signal,
      log: (...lines) => info(...lines),
      onStages: stagePrinter(`DKIM rotation of ${domain.name} on ${host.name}:`),
    });
    if (flags['dry-run'] && result.state?.removedAt)
      info(`That rotation is over; running without --dry-run starts a new one.`);
    return EXIT.ok;
  });
};
