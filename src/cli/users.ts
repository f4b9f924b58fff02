// mailwright user add|remove|passwd <user@domain>: passwords from a TTY prompt or stdin only.
import {
  addUser,
  loadConfig,
  normalizeEmailAddress,
  passwordProblem,
  removeUser as removeUserFromConfig,
  saveConfig,
} from '../core/config';
import {
  removeUser as removeMailUser,
  setUserPassword as setMailUserPassword,
  userStoreOf,
} from '../core/plan/actions/domains';
import { hostFromFlags, targetFromFlags } from './provision';
import type { CommandFn } from './commands';
import type { ConnectFlags } from './connect';
import { info, UsageError } from './output';
import { readNewPassword, readPassword } from './prompt';
import { verifyUserPassword } from '../core/smtp';

function splitAddress(text: string | undefined): { user: string; domain: string } {
  const checked = text ? normalizeEmailAddress(text) : undefined;
  if (!checked?.ok) {
    throw new UsageError(
      `Give the user as user@domain, e.g. alice@example.com${checked && !checked.ok ? ` (${checked.reason})` : ''}.`,
    );
  }
  const [user, domain] = checked.value.split('@') as [string, string];
  return { user, domain };
}

/** `user add|remove|passwd <user@domain>`. */
export const userCommand =
  (verb: 'add' | 'remove' | 'passwd'): CommandFn =>
  async ({ flags, positionals }) => {
    const { user, domain } = splitAddress(positionals[0]);
    const t = await targetFromFlags(flags as ConnectFlags);
    try {
      if (!t.host.domains.some((d) => d.name === domain)) {
        throw new UsageError(
          `${domain} is not a domain of ${t.host.name} in ${t.configPath}. Add it there first.`,
        );
      }
      const address = `${user}@${domain}`;
      // A domain with mailboxes keeps its users in Dovecot's file, a forward-only one in chasquid's.
      const store = userStoreOf(t.host.domains.find((d) => d.name === domain)!);
      if (verb === 'remove') {
        await removeMailUser(t.conn, domain, user, store);
      } else {
        const password = await readNewPassword(address);
        const problem = passwordProblem(password);
        if (problem) throw new UsageError(`That password cannot be used: ${problem}.`);
        await setMailUserPassword(t.conn, domain, user, password, store);
      }
      // mailwright.yaml follows, so the next plan agrees with the server.
      const loaded = await loadConfig(t.configPath);
      const listed = t.host.domains.find((d) => d.name === domain)!.users.includes(user);
      if (verb === 'add' && !listed) addUser(loaded.document, t.host.name, domain, user);
      if (verb === 'remove' && listed) removeUserFromConfig(loaded.document, t.host.name, domain, user);
      if ((verb === 'add' && !listed) || (verb === 'remove' && listed))
        await saveConfig(t.configPath, loaded.document);
      info(
        verb === 'remove'
          ? `Removed ${address} from ${t.host.name}${store === 'dovecot' ? ' (the mail in its mailbox stays on the server)' : ''}.`
          : `${verb === 'add' ? 'Added' : 'Changed the password of'} ${address} on ${t.host.name}; ${store === 'dovecot' ? 'Dovecot uses it at once' : 'chasquid reads it within 30 seconds'}.`,
      );
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
