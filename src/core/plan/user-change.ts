// Adding a mail user, changing a password, removing a user: the one path the command line and
// the editor share. mailwright.yaml changes first; a server that already serves the domain then
// gets the change through the plan engine (the same action, checks and rollback as a provision),
// and mailwright.yaml is put back when that fails. A server that does not serve the domain yet
// gets nothing: the next provision creates the user with the password kept for it.
import {
  addUser,
  editConfigFile,
  loadConfig,
  removeUser as removeUserFromConfig,
  type DomainConfig,
  type HostConfig,
  type UserRemoval,
} from '../config';
import { ExpectedError } from '../errors';
import type { Facts } from '../facts';
import { MemorySecretStore, type RemoteConnection } from '../remote';
import {
  NoSuchUserError,
  passwordAction,
  planDomains,
  userPasswordKey,
  usersOnServer,
} from './actions/domains';
import { applyPlan } from './engine';
import { chasquidPathOf } from './planner';
import type { Action, ApplyEvent, Plan } from './types';

export type UserVerb = 'add' | 'passwd' | 'remove';

export interface UserChange {
  configPath: string;
  hostName: string;
  domain: string;
  user: string;
  verb: UserVerb;
  /** For add and passwd, already checked with the password policy by the caller's prompt. */
  password?: string;
  conn: RemoteConnection;
  gather: (signal?: AbortSignal) => Promise<Facts>;
  signal?: AbortSignal;
  onEvent?: (event: ApplyEvent) => void;
}

export interface UserChangeResult {
  /** False: the server does not serve the domain yet, only mailwright.yaml changed. */
  applied: boolean;
  /** For remove: the aliases mailwright.yaml took the user out of. */
  removal?: UserRemoval;
}

/** A user change the server refused or could not take: mailwright.yaml was put back. */
export class UserChangeError extends ExpectedError {
  override name = 'UserChangeError';
}

/**
 * The plan of a user change on a server that serves the domain, or undefined when it does not
 * (chasquid not installed, no folder for the domain, Dovecot missing for a domain with mailboxes).
 */
export function userChangePlan(
  host: HostConfig,
  facts: Facts,
  change: Pick<UserChange, 'domain' | 'user' | 'verb'>,
): Plan | undefined {
  const domain = domainOf(host, change.domain);
  if (!domain)
    throw new UserChangeError(`${change.domain} is not a domain of ${host.name} in mailwright.yaml.`);
  const onServer = usersOnServer(facts, domain);
  if (onServer === undefined) return undefined;
  let actions: Action[];
  const exists = onServer.includes(change.user);
  if (change.verb === 'passwd' || (change.verb === 'add' && exists)) {
    // add of a user the server has already sets its password, as passwd does.
    if (!exists) throw new NoSuchUserError(`${change.user}@${change.domain}`);
    actions = [passwordAction(domain, change.user)];
  } else {
    // The users step a provision would run, for this one user: the others stay as they are on
    // the server (a user listed but not created yet is the next provision's, with its password).
    const others = onServer.filter((u) => u !== change.user);
    const users = change.verb === 'add' ? [...others, change.user] : others;
    const ctx = { host, facts, chasquidPath: chasquidPathOf(facts), now: new Date() };
    actions = planDomains({ ...ctx, host: { ...host, domains: [{ ...domain, users }] } }).filter(
      (a) => a.id === `users:${domain.name}`,
    );
  }
  return { host: host.name, facts, actions, notes: [] };
}

function domainOf(host: HostConfig | undefined, name: string): DomainConfig | undefined {
  return host?.domains.find((d) => d.name === name);
}

/**
 * What mailwright.yaml says about the change before anything happens: refused (UserChangeError)
 * when the domain is not the host's, or the user is not listed for passwd and remove. True when
 * the user is listed already.
 */
export async function checkUserChange(
  change: Pick<UserChange, 'configPath' | 'hostName' | 'domain' | 'user' | 'verb'>,
): Promise<boolean> {
  const { configPath, hostName, domain, user, verb } = change;
  const loaded = await loadConfig(configPath);
  if (!loaded.config)
    throw new UserChangeError(
      `${configPath} has errors: fix them first (the Problems panel or \`mailwright check\` lists them).`,
    );
  const found = domainOf(
    loaded.config.hosts.find((h) => h.name === hostName),
    domain,
  );
  if (!found)
    throw new UserChangeError(
      `${domain} is not a domain of ${hostName} in ${configPath}. Add it there first.`,
    );
  const listed = found.users.includes(user);
  if (verb !== 'add' && !listed)
    throw new UserChangeError(
      `${user}@${domain} is not a user in ${configPath}` +
        (verb === 'passwd' ? `: add it with \`mailwright user add ${user}@${domain}\`.` : '.'),
    );
  return listed;
}

/**
 * Applies a user change: mailwright.yaml, then the server when it serves the domain (put back
 * when the server's side fails). `applied` false: only mailwright.yaml changed.
 */
export async function changeMailUser(change: UserChange): Promise<UserChangeResult> {
  const { configPath, hostName, domain, user, verb } = change;
  const listed = await checkUserChange(change);
  let applied = false;
  const removal = await editConfigFile(
    configPath,
    (doc) => {
      if (verb === 'add' && !listed) addUser(doc, hostName, domain, user);
      return verb === 'remove' ? removeUserFromConfig(doc, hostName, domain, user) : undefined;
    },
    async () => {
      const loaded = await loadConfig(configPath);
      const host = loaded.config?.hosts.find((h) => h.name === hostName);
      if (!host || !domainOf(host, domain))
        throw new UserChangeError(`${domain} is not a domain of ${hostName} in ${configPath}.`);
      const facts = await change.gather(change.signal);
      const plan = userChangePlan(host, facts, change);
      if (!plan) {
        if (verb === 'passwd') throw new NoSuchUserError(`${user}@${domain}`);
        return;
      }
      applied = true;
      if (plan.actions.length === 0) return;
      const secrets = new MemorySecretStore();
      if (change.password) await secrets.set(userPasswordKey(user, domain), change.password);
      const result = await applyPlan(plan, {
        conn: change.conn,
        host,
        secrets,
        signal: change.signal,
        onEvent: change.onEvent,
        regather: () => change.gather(change.signal),
      });
      if (result.cancelled) throw new UserChangeError('Cancelled: nothing was changed on the server.');
      if (!result.ok)
        throw new UserChangeError(
          `${hostName} did not take the change: ${result.failed?.message ?? 'unknown error'}` +
            (result.failed?.hint ? `\n${result.failed.hint}` : ''),
        );
    },
  );
  return { applied, removal };
}
