// mailwright send-test: a test mail through the user's server, reported stage by stage.
// The sending user's password comes from MAILWRIGHT_USER_PASSWORD_<USER>_<DOMAIN>, the
// terminal (not echoed) or stdin — never from an argument.
import { readFileSync } from 'node:fs';
import { formatChecks } from '../core/checks';
import { normalizeEmailAddress } from '../core/config';
import { resolverLookup } from '../core/dns/lookup';
import { mailTestOptions, runMailTest, type MailTestReport } from '../core/mailtest';
import { userPasswordEnvName } from '../core/plan/actions/domains';
import { printable } from '../core/printable';
import { checkServer } from './dns';
import type { CommandFn } from './command-types';
import { out, printJson, UsageError } from './output';
import { CommandContext } from './context';
import { readPassword } from './prompt';

function address(text: string, what: string): { address: string; user: string; domain: string } {
  const checked = normalizeEmailAddress(text);
  if (!checked.ok)
    throw new UsageError(`${what} must be an address like alice@example.com (${checked.reason}).`);
  const [user, domain] = checked.value.split('@') as [string, string];
  return { address: checked.value, user, domain };
}

/** A recipient's password for reading its copy over IMAP: only from the environment, never asked. */
function recipientPassword(to: string): string | undefined {
  const [user, domain] = to.split('@') as [string, string];
  return process.env[userPasswordEnvName(user, domain)] || undefined;
}

async function password(user: string, domain: string, from: string): Promise<string> {
  const fromEnv = process.env[userPasswordEnvName(user, domain)];
  if (fromEnv) return fromEnv;
  return readPassword(from);
}

/** The report as plain lines: the stages, then every check; remote text made printable. */
export function formatReport(report: MailTestReport): string[] {
  const stage = (s: MailTestReport['stages'][number]) =>
    `${s.name.padEnd(9)} ${s.status.toUpperCase().padEnd(4)} ${s.ms !== undefined ? `${s.ms} ms`.padStart(8) : '       -'}  ${printable(s.detail)}`;
  return [
    `Test mail ${report.token}: ${printable(report.from)} → ${printable(report.to)}`,
    ...report.stages.map(stage),
    '',
    ...formatChecks(report.checks),
  ];
}

export const sendTestCommand: CommandFn = async ({ flags }, signal) => {
  const values = flags as {
    host?: string;
    to?: string;
    from?: string;
    port?: string;
    ca?: string;
    timeout?: string;
    json?: boolean;
    dns?: string[];
    config?: string;
  };
  if (!values.to) throw new UsageError('--to is required: the recipient, e.g. --to you@gmail.com.');
  const to = address(values.to, '--to').address;
  const port = Number(values.port ?? 465);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError('--port must be a port number: 465 (TLS) or 587 (STARTTLS).');
  for (const server of values.dns ?? []) checkServer(server, '--dns');
  const timeoutS = Number(values.timeout ?? 30);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0)
    throw new UsageError('--timeout must be a number of seconds.');

  // A host of mailwright.yaml gives the mail host and the default sender; else --host is the mail host.
  const context = await CommandContext.open({ host: values.host, config: values.config }, true);
  const named = context && values.host ? context.fleet.find((h) => h.name === values.host) : undefined;
  const fromConfig = context && (!values.host || named) ? { host: context.host() } : undefined;
  const mailHost = fromConfig?.host.mailHost ?? values.host;
  if (!mailHost)
    throw new UsageError(
      '--host is required: a host of mailwright.yaml or the mail host name, e.g. --host vps.',
    );
  const defaultFrom = fromConfig?.host.domains.flatMap((d) => d.users.map((u) => `${u}@${d.name}`)).at(0);
  if (!values.from && !defaultFrom)
    throw new UsageError('--from is required (no user of this host in mailwright.yaml).');
  const from = address(values.from ?? defaultFrom!, '--from');

  const pass = await password(from.user, from.domain, from.address);
  const ca = values.ca ? readFileSync(values.ca) : undefined;
  const timeoutMs = timeoutS * 1000;
  // With the host in mailwright.yaml: its own address (a test works before DNS is published)
  // and, for a mailbox of this server, the copy read back over IMAP. Else --host is the mail host.
  const options = fromConfig
    ? mailTestOptions({
        host: fromConfig.host,
        from: from.address,
        password: pass,
        to,
        port,
        recipientPassword: to === from.address ? undefined : recipientPassword(to),
        ...(ca && { ca }),
        timeoutMs,
      })
    : {
        submission: {
          host: mailHost,
          port,
          secure: port === 465,
          starttls: port !== 465,
          user: from.address,
          password: pass,
          from: from.address,
          to,
          servername: mailHost,
          ...(ca && { ca }),
          // The certificate is judged in the report (valid, self-signed, wrong name), not refused.
          tlsRejectUnauthorized: false,
          timeoutMs,
        },
      };
  const report = await runMailTest({
    ...options,
    ...(values.dns && values.dns.length > 0 && { resolver: resolverLookup(values.dns) }),
    signal,
  });
  if (values.json) printJson(report);
  else out(...formatReport(report));
  return report.checks.some((c) => c.status === 'fail') ? 1 : 0;
};
