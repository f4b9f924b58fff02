// mailwright user add|remove|passwd <user@domain>: passwords from a TTY prompt or stdin only.
import { ConfigEditError, normalizeUserAddress, passwordProblem, userRemovalText } from '../core/config';
import { gatherFacts } from '../core/facts';
import { changeMailUser, checkUserChange, UserChangeError } from '../core/plan';
import { NoSuchUserError, userPasswordEnvName, userStoreOf } from '../core/plan/actions/domains';
import { hostFromFlags, targetFromFlags } from './provision';
import type { CommandFn } from './command-types';
import type { ConnectFlags } from './connect';
import { info, UsageError } from './output';
import { readNewPassword, readPassword } from './prompt';
import { verifyUserPassword } from '../core/smtp';

function splitAddress(text: string | undefined): { user: string; domain: string } {
  const checked = text ? normalizeUserAddress(text) : undefined;
  if (!checked?.ok) {
    throw new UsageError(
      `Give the user as user@domain, e.g. alice@example.com${checked && !checked.ok ? ` (${checked.reason})` : ''}.`,
    );
  }
  return { user: checked.user, domain: checked.domain };
}

/** A refused change is the user's to fix, not a crash. */
function asUsage(e: unknown): never {
  if (e instanceof ConfigEditError || e instanceof UserChangeError || e instanceof NoSuchUserError)
    throw new UsageError(e.message);
  throw e;
}

/** `user add|remove|passwd <user@domain>`, through the same core change as the editor's tree. */
export const userCommand =
  (verb: 'add' | 'remove' | 'passwd'): CommandFn =>
  async ({ flags, positionals }) => {
    const { user, domain } = splitAddress(positionals[0]);
    const address = `${user}@${domain}`;
    // Everything that can be refused is refused before connecting or asking for a password.
    const { host, configPath } = await hostFromFlags(flags as ConnectFlags);
    const change = { configPath, hostName: host.name, domain, user, verb };
    await checkUserChange(change).catch(asUsage);
    const domainConfig = host.domains.find((d) => d.name === domain)!;
    // A domain with mailboxes keeps its users in Dovecot's file, a forward-only one in chasquid's.
    const store = userStoreOf(domainConfig);
    let password: string | undefined;
    if (verb !== 'remove') {
      password = await readNewPassword(address);
      const problem = passwordProblem(password);
      if (problem) throw new UsageError(`That password cannot be used: ${problem}.`);
    }
    const t = await targetFromFlags(flags as ConnectFlags);
    try {
      // mailwright.yaml changes first and is put back if the server's side fails.
      const result = await changeMailUser({
        ...change,
        password,
        conn: t.conn,
        gather: (signal) => gatherFacts(t.conn, { signal }),
      }).catch(asUsage);
      if (!result.applied) {
        info(
          `${verb === 'remove' ? 'Removed' : 'Added'} ${address} in ${configPath}; ${t.host.name} does not serve ${domain} yet. ` +
            (verb === 'remove'
              ? 'Nothing to do on the server.'
              : `Run \`mailwright apply\` to create it there (it asks for the password again, or set ${userPasswordEnvName(user, domain)}).`),
        );
      } else if (verb === 'remove') {
        info(
          `Removed ${address} from ${t.host.name}${store === 'dovecot' ? ' (the mail in its mailbox stays on the server)' : ''}.`,
        );
      } else {
        info(
          `${verb === 'add' ? 'Added' : 'Changed the password of'} ${address} on ${t.host.name}; ${store === 'dovecot' ? 'Dovecot uses it at once' : 'chasquid reads it within 30 seconds'}.`,
        );
      }
      const aliases = result.removal ? userRemovalText(user, domain, result.removal) : '';
      if (aliases) info(`${aliases} Run \`mailwright apply\` to write the aliases on the server.`);
      return 0;
    } finally {
      t.conn.close();
    }
  };

/**
 * `user verify <user@domain> [--port 465|587]`: checks a password the way a mail program would,
 * with SMTP AUTH over TLS on the server's submission port. Nothing on the server changes.
 */
export const verifyCommand: CommandFn = async ({ flags, positionals }) => {
  const values = flags as ConnectFlags & { port?: string };
  const { user, domain } = splitAddress(positionals[0]);
  const port = values.port === undefined ? 465 : Number(values.port);
  if (port !== 465 && port !== 587) throw new UsageError('--port is 465 (TLS) or 587 (STARTTLS).');
  const { host } = await hostFromFlags(values);
  if (!host.domains.some((d) => d.name === domain))
    throw new UsageError(`${domain} is not a domain of ${host.name} in mailwright.yaml.`);
  const address = `${user}@${domain}`;
  const password = await readPassword(address);
  const result = await verifyUserPassword({ host, address, password, port });
  info(result.message);
  return result.accepted ? 0 : 1;
};
