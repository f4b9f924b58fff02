// mailwright — the headless command line over the same core the extension uses.
import { parseArgs } from 'node:util';
import { gatherFacts } from '../core/facts';
import { CancelledError, RemoteError } from '../core/remote';
import { CONNECT_OPTIONS, connectFromFlags, type ConnectFlags } from './connect';
import { analyzeCommand } from './analyze';
import { dnsCommand } from './dns';
import { printJson, UsageError } from './output';
import { applyCommand, planCommand } from './provision';
import { renewCommand } from './renew';
import { sendTestCommand } from './send-test';
import { userCommand } from './users';

const USAGE = `Usage: mailwright <command> [options]

Commands:
  facts --host <name|user@host[:port]>   Gather a server's facts in one SSH round trip and print them as JSON
  plan  [--host <name>]                  Show what apply would change on a host of mailwright.yaml, and why
        [--all | --host a --host b]      several hosts at once: one combined plan, a result per host
        [--detailed-exitcode]            exit 2 when there are changes
  apply [--host <name>] [--yes]          Make the changes, verify each, commit the conf directory to git
        [--all | --host a --host b]      every host (or those named) at the same time; one question
        [--overwrite-drift|--keep-drift] what to do with files edited on the server by hand
        [--from <action id>]             start at this action (after a failure)
        [--no-commit]                    do not snapshot the conf directory into git
  renew [--host <name>] [--days N]       Renew the ACME certificate when it expires within N days
                                         (default: acme.renewBeforeDays, 30); safe from cron:
                                         exit 0 done or not due, 1 failed, 3 another run holds the lock
  user add|remove|passwd <user@domain>   Manage a mail user; the password is asked on the terminal
                                         (or read from stdin), never taken from an argument
  dns check|plan|publish|export          The domain's DNS records: compare, publish, or print as a
                                         zone-file snippet (mailwright dns --help)
  analyze <FILE|->                       Judge a received message: SPF, each DKIM signature, DMARC,
                                         ARC and each hop's TLS (mailwright analyze --help)
  send-test --host <name> --to <address> Send a test mail through the server and report each stage:
        [--from user@domain] [--port 465|587] [--json] [--timeout S]   (mailwright send-test --help)

Connection options:
  --host <name|user@host[:port]>  a host from mailwright.yaml, or an SSH target
  --config <file>                 mailwright.yaml to read (default: ./mailwright.yaml)
  -i, --identity <file>           private key file (default: ssh-agent, else MAILWRIGHT_SSH_PASSWORD)
  --accept-new-host-key           trust a host key seen for the first time (a changed key is always refused)
  --known-hosts <file>            Mailwright's known-hosts file (default: ~/.config/mailwright/known_hosts)
  -v, --verbose                   show connection progress

Secrets come from the environment only: MAILWRIGHT_SSH_PASSWORD, MAILWRIGHT_KEY_PASSPHRASE,
MAILWRIGHT_SUDO_PASSWORD (each may be suffixed with _<HOST NAME> for one host).
`;

type Command = (args: string[], signal: AbortSignal) => Promise<number>;

const commands: Record<string, Command> = {
  plan: planCommand,
  apply: applyCommand,
  user: userCommand,
  renew: renewCommand,
  dns: dnsCommand,
  analyze: analyzeCommand,
  'send-test': sendTestCommand,
  async facts(args, signal) {
    const { values } = parseArgs({ args, options: CONNECT_OPTIONS, strict: true });
    const conn = await connectFromFlags(values as ConnectFlags);
    try {
      printJson(await gatherFacts(conn, { signal }));
      return 0;
    } finally {
      conn.close();
    }
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`mailwright: unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    return await command(rest, abort.signal);
  } catch (e) {
    const err = e as Error;
    if (err instanceof CancelledError) {
      process.stderr.write('mailwright: cancelled\n');
      return 130;
    }
    if (
      err instanceof UsageError ||
      err instanceof RemoteError ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`mailwright: ${err.message}\n`);
      return err instanceof UsageError || !(err instanceof RemoteError) ? 2 : 1;
    }
    process.stderr.write(`mailwright: ${err.stack ?? err.message}\n`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
