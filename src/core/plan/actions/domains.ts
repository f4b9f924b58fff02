// Each domain of mailwright.yaml has its folder, its users (with
// passwords that only ever travel as scrypt hashes inside a file upload) and its aliases.
import { ChasquidAliases, ChasquidUsers, normalizeUserName } from '../../chasquid';
import { normalizeDomainName, normalizeUserAddress, passwordRefusal, type DomainConfig } from '../../config';
import {
  DOVECOT_RELOAD,
  MAILBOX_USERS_MODE,
  MAILBOX_USERS_OWNER,
  MAILBOX_USERS_PATH,
  MailboxUsers,
  usersOfDomain,
} from '../../dovecot';
import {
  envNamesFor,
  readRemoteFileIfExists,
  secretKeys,
  shellCommand,
  shellScript,
  writeRemoteFileAtomic,
  type RemoteConnection,
} from '../../remote';
import { managedFileAction } from '../managed-file';
import type { Facts } from '../../facts';
import type { Action, ActionPlanner, ApplyContext, PlanContext, PlanInput } from '../types';
import { CHASQUID_DIR } from './conf';
import { reportStoreAliases } from './reports';

/** chasquid runs as user chasquid: it must read users and aliases, nobody else should. */
const FILE_OWNER = 'root:chasquid';
const FILE_MODE = '0640';

export const domainDir = (domain: string) => `${CHASQUID_DIR}/domains/${domain}`;
export const usersPath = (domain: string) => `${domainDir(domain)}/users`;
export const aliasesPath = (domain: string) => `${domainDir(domain)}/aliases`;

/** Where a new mail user's password is looked up (the CLI maps it to MAILWRIGHT_USER_PASSWORD_<USER>_<DOMAIN>). */
export const userPasswordKey = (user: string, domain: string) => secretKeys.userPassword(`${user}@${domain}`);

export function userPasswordEnvName(user: string, domain: string): string {
  return envNamesFor(userPasswordKey(user, domain))[0]!;
}

/**
 * A user and domain as mailwright.yaml holds them (the one address rule, normalizeUserAddress),
 * or a RangeError: nothing else is ever written to a server's users or put in a path.
 */
function checkedAddress(user: string, domain: string): void {
  const check = normalizeUserAddress(`${user}@${domain}`);
  if (!check.ok || check.user !== user || check.domain !== domain)
    throw new RangeError(
      `not a mail user address: ${JSON.stringify(`${user}@${domain}`)}${check.ok ? ' (not normalized)' : ` (${check.reason})`}`,
    );
}

function assertDomainName(domain: string): void {
  const check = normalizeDomainName(domain);
  if (!check.ok || check.value !== domain)
    throw new RangeError(`not a domain name: ${JSON.stringify(domain)}`);
}

/** `user passwd` for a user the server does not have: passwords are changed, never users created. */
export class NoSuchUserError extends Error {
  override name = 'NoSuchUserError';
  constructor(address: string) {
    super(`${address} does not exist on the server: add it with \`mailwright user add ${address}\` instead.`);
  }
}

async function ensureDomainDir(
  run: (line: ReturnType<typeof shellCommand>) => Promise<unknown>,
  domain: string,
) {
  assertDomainName(domain);
  await run(shellCommand(['mkdir', '-p', '-m', '0755', '--', domainDir(domain)]));
}

/**
 * Where a domain's users and their passwords live: chasquid's users file for a forward-only
 * domain, Dovecot's passwd-file (SHA512-CRYPT) for a domain with mailboxes.
 */
export type UserStore = 'chasquid' | 'dovecot';
export const userStoreOf = (domain: Pick<DomainConfig, 'mailboxes'>): UserStore =>
  domain.mailboxes ? 'dovecot' : 'chasquid';

/** The file a store keeps a domain's users in, and who may read it. */
function storeFile(store: UserStore, domain: string): { path: string; owner: string; mode: string } {
  return store === 'dovecot'
    ? { path: MAILBOX_USERS_PATH, owner: MAILBOX_USERS_OWNER, mode: MAILBOX_USERS_MODE }
    : { path: usersPath(domain), owner: FILE_OWNER, mode: FILE_MODE };
}

/**
 * A store's file with passwords set and users removed (the passwords only ever exist hashed in
 * it), and which of `remove` were there.
 */
async function editedStore(
  store: UserStore,
  current: Buffer | null,
  domain: string,
  set: ReadonlyMap<string, string>,
  remove: readonly string[],
): Promise<{ content: string; removed: string[] }> {
  if (store === 'dovecot') {
    const db = MailboxUsers.parse(current);
    for (const [user, password] of set) db.setPassword(user, domain, password);
    return { removed: remove.filter((user) => db.remove(user, domain)), content: db.print() };
  }
  const db = current ? ChasquidUsers.parse(current) : ChasquidUsers.empty();
  for (const [user, password] of set) await db.addOrReplaceUser(user, password);
  return { removed: remove.filter((user) => db.removeUser(user)), content: db.print() };
}

/** The user names a store's file holds for a domain. */
function namesInStore(store: UserStore, current: Buffer | null, domain: string): string[] {
  if (store === 'dovecot') return MailboxUsers.parse(current).usersOf(domain);
  return current ? ChasquidUsers.parse(current).names() : [];
}

async function writeMailboxUsers(conn: RemoteConnection, content: string): Promise<void> {
  const group = MAILBOX_USERS_OWNER.split(':')[1]!;
  const found = await conn.exec(shellCommand(['getent', 'group', group]), { sudo: true, check: false });
  if (found.exitCode !== 0) {
    throw new Error(
      `Dovecot is not installed on this server yet (no group ${group}): apply the plan first, which installs it for the domains with mailboxes.`,
    );
  }
  await writeRemoteFileAtomic(conn, MAILBOX_USERS_PATH, content, {
    owner: MAILBOX_USERS_OWNER,
    mode: MAILBOX_USERS_MODE,
  });
  await conn.exec(DOVECOT_RELOAD, { sudo: true, check: false });
}

/**
 * Sets a mail user's password in the domain's store: read, modify, atomic write. `mode` 'add'
 * creates the user when missing; 'change' refuses (NoSuchUserError) a user the store lacks.
 */
export async function setUserPassword(
  conn: RemoteConnection,
  domain: string,
  user: string,
  password: string,
  store: UserStore = 'chasquid',
  mode: 'add' | 'change' = 'add',
): Promise<void> {
  checkedAddress(user, domain);
  const refusal = passwordRefusal(password);
  if (refusal) throw new RangeError(refusal);
  const file = storeFile(store, domain);
  const current = await readRemoteFileIfExists(conn, file.path);
  if (mode === 'change' && !namesInStore(store, current, domain).includes(user))
    throw new NoSuchUserError(`${user}@${domain}`);
  await ensureDomainDir((line) => conn.exec(line, { sudo: true }), domain);
  const { content } = await editedStore(store, current, domain, new Map([[user, password]]), []);
  if (store === 'dovecot') {
    await writeMailboxUsers(conn, content);
    // chasquid checks its own users file before asking Dovecot: no stale password there.
    await removeUser(conn, domain, user, 'chasquid');
    return;
  }
  await writeRemoteFileAtomic(conn, file.path, content, { owner: file.owner, mode: file.mode });
}

/** Removes a mail user from the domain's store; false when there was no such user. Mail already stored stays. */
export async function removeUser(
  conn: RemoteConnection,
  domain: string,
  user: string,
  store: UserStore = 'chasquid',
): Promise<boolean> {
  checkedAddress(user, domain);
  const file = storeFile(store, domain);
  const current = await readRemoteFileIfExists(conn, file.path);
  if (!current) return false;
  const { content, removed } = await editedStore(store, current, domain, new Map(), [user]);
  if (removed.length === 0) return false;
  if (store === 'dovecot') await writeMailboxUsers(conn, content);
  else await writeRemoteFileAtomic(conn, file.path, content, { owner: file.owner, mode: file.mode });
  return true;
}

/** Who a password is for, as the plan's input and the messages name them. */
function passwordWho(
  user: string,
  domain: string,
  moved: boolean,
): { label: string; short: string; who: string } {
  const address = `${user}@${domain}`;
  return moved
    ? {
        label: `Password for ${address} (${userMoveText(domain)})`,
        short: `password of ${address}`,
        who: `${address} (${userMoveText(domain)})`,
      }
    : {
        label: `Password for ${address} (new user)`,
        short: `password of ${address}`,
        who: `the new mail user ${address}`,
      };
}

/** The input a user's password is asked with before the run. */
function passwordInput(user: string, domain: string, moved = false, change = false): PlanInput {
  const { label, short } = passwordWho(user, domain, moved);
  return {
    key: userPasswordKey(user, domain),
    kind: 'new-password',
    label: change ? `New password for ${user}@${domain}` : label,
    short,
  };
}

/**
 * A user's password from the run's secrets (collected before Apply from the plan's inputs), or
 * from `askSecret` where a prompt can answer (the CLI); `moved`: the user exists in the other
 * store, whose hash this one cannot read.
 */
async function passwordFor(ctx: ApplyContext, user: string, domain: string, moved = false): Promise<string> {
  const key = userPasswordKey(user, domain);
  const { label, who } = passwordWho(user, domain, moved);
  const stored = await ctx.secrets.get(key);
  if (stored) {
    const refusal = passwordRefusal(
      stored,
      `The password stored for ${who} (${userPasswordEnvName(user, domain)} for the CLI)`,
    );
    if (refusal) throw new Error(refusal);
    return stored;
  }
  const asked = await ctx.askSecret?.(key, label);
  if (asked) {
    const refusal = passwordRefusal(asked, `The password given for ${who}`);
    if (refusal) throw new Error(refusal);
    return asked;
  }
  throw new Error(
    `No password for ${who}: run \`mailwright user add ${user}@${domain}\`, ` +
      `or set ${userPasswordEnvName(user, domain)}, then apply again.`,
  );
}

const userMoveText = (domain: string) =>
  `moving between forward-only and mailboxes on ${domain}: its password is needed again`;

interface StoreChange {
  store: UserStore;
  path: string;
  missing: string[];
  extra: string[];
}

/** What each store has of the domain's users, and what it must have. */
function storeChanges(ctx: PlanContext, domain: DomainConfig): StoreChange[] {
  const wanted = domain.users.map(normalizeUserName);
  const found: Record<UserStore, string[]> = {
    chasquid: ctx.facts.chasquidState?.domains[domain.name]?.users ?? [],
    dovecot: usersOfDomain(ctx.facts.dovecot.users ?? [], domain.name),
  };
  return (['chasquid', 'dovecot'] as const).flatMap((store) => {
    const want = store === userStoreOf(domain) ? wanted : [];
    const onServer = found[store];
    const missing = want.filter((u) => !onServer.includes(u));
    const extra = onServer.filter((u) => !want.includes(normalizeUserName(u)));
    const { path } = storeFile(store, domain.name);
    return missing.length > 0 || extra.length > 0 ? [{ store, path, missing, extra }] : [];
  });
}

const STORE_NAMES: Record<UserStore, string> = {
  chasquid: "chasquid's users file",
  dovecot: "Dovecot's mailbox users",
};

function usersAction(ctx: PlanContext, domain: DomainConfig): Action | undefined {
  const changes = storeChanges(ctx, domain);
  if (changes.length === 0) return undefined;
  const target = changes.find((c) => c.store === userStoreOf(domain));
  const leaving = changes.find((c) => c.store !== userStoreOf(domain));
  const moved = (target?.missing ?? []).filter((u) => leaving?.extra.includes(u));
  const reasons: string[] = [];
  if (moved.length > 0)
    reasons.push(
      `${moved.join(', ')} ${domain.mailboxes ? 'get a mailbox' : 'lose their mailbox'}: ${STORE_NAMES[userStoreOf(domain)]} cannot read the password kept in ${STORE_NAMES[leaving!.store]}, so it is asked again`,
    );
  for (const c of changes) {
    const added = c.missing.filter((u) => !moved.includes(u));
    const removed = c.extra.filter((u) => !moved.includes(u));
    if (added.length > 0)
      reasons.push(`${added.join(', ')} in mailwright.yaml but not on the server: adding`);
    if (removed.length > 0)
      reasons.push(
        c.store === userStoreOf(domain)
          ? `${removed.join(', ')} on the server but not in mailwright.yaml: removing`
          : `${removed.join(', ')} in ${STORE_NAMES[c.store]}, but ${domain.name} ${domain.mailboxes ? 'has mailboxes' : 'is forward-only'}: removing there`,
      );
  }
  // Collected before the run (inputs) and read in prepare, before any action changes anything.
  let passwords: Map<string, string> | undefined;
  const prepare = async (actx: ApplyContext) => {
    passwords = new Map<string, string>();
    for (const user of target?.missing ?? [])
      passwords.set(user, await passwordFor(actx, user, domain.name, moved.includes(user)));
  };
  return {
    id: `users:${domain.name}`,
    kind: 'domains',
    title: `Update the mail users of ${domain.name}`,
    reason: `users ${reasons.join('; ')}`,
    inputs: (target?.missing ?? []).map((user) => passwordInput(user, domain.name, moved.includes(user))),
    prepare,
    async apply(actx) {
      if (!passwords) await prepare(actx);
      await ensureDomainDir((line) => actx.run(line), domain.name);
      for (const c of changes) {
        const current = await readRemoteFileIfExists(actx.conn, c.path);
        const adding = c === target ? passwords! : new Map<string, string>();
        const { content } = await editedStore(c.store, current, domain.name, adding, c.extra);
        const { owner, mode } = storeFile(c.store, domain.name);
        await actx.files.write(c.path, content, { owner, mode });
        if (c.store === 'dovecot') await actx.run(DOVECOT_RELOAD, { check: false });
      }
    },
    async verify(actx) {
      for (const c of changes) {
        const current = await readRemoteFileIfExists(actx.conn, c.path);
        const names = namesInStore(c.store, current, domain.name);
        const wrong = [
          ...(c === target ? c.missing : []).filter((u) => !names.includes(u)),
          ...c.extra.filter((u) => names.includes(u)),
        ];
        if (wrong.length > 0)
          throw new Error(`${c.path} does not have the expected users (${wrong.join(', ')})`);
        if (!current) continue;
        const { owner, mode } = storeFile(c.store, domain.name);
        const r = await actx.run(shellCommand(['stat', '-c', '%U:%G %a', '--', c.path]));
        const expected = `${owner} ${mode.replace(/^0/, '')}`;
        if (r.stdout.trim() !== expected) {
          throw new Error(
            `${c.path} is ${r.stdout.trim()}, must be ${expected} (readable by its server only)`,
          );
        }
      }
    },
  };
}

/** The users a domain's store has on the server; undefined when the store is not there yet. */
export function usersOnServer(facts: Facts, domain: DomainConfig): string[] | undefined {
  if (userStoreOf(domain) === 'dovecot')
    return facts.dovecot.installed ? usersOfDomain(facts.dovecot.users ?? [], domain.name) : undefined;
  if (!facts.chasquid.installed) return undefined;
  return facts.chasquidState?.domains[domain.name]?.users;
}

/** A new password for a user the server has, through the run's journal like every other write. */
export function passwordAction(domain: DomainConfig, user: string): Action {
  checkedAddress(user, domain.name);
  const store = userStoreOf(domain);
  const file = storeFile(store, domain.name);
  let password: string | undefined;
  const prepare = async (actx: ApplyContext) => {
    password = await passwordFor(actx, user, domain.name);
  };
  return {
    id: `password:${user}@${domain.name}`,
    kind: 'domains',
    title: `Set a new password for ${user}@${domain.name}`,
    reason: 'a new password was given',
    inputs: [passwordInput(user, domain.name, false, true)],
    prepare,
    async apply(actx) {
      if (!password) await prepare(actx);
      const current = await readRemoteFileIfExists(actx.conn, file.path);
      if (!namesInStore(store, current, domain.name).includes(user))
        throw new NoSuchUserError(`${user}@${domain.name}`);
      const { content } = await editedStore(store, current, domain.name, new Map([[user, password!]]), []);
      await actx.files.write(file.path, content, { owner: file.owner, mode: file.mode });
      if (store === 'dovecot') await actx.run(DOVECOT_RELOAD, { check: false });
    },
    async verify(actx) {
      const current = await readRemoteFileIfExists(actx.conn, file.path);
      if (!namesInStore(store, current, domain.name).includes(user))
        throw new Error(`${file.path} no longer has ${user}`);
    },
  };
}

function fullAddress(target: string, domain: string): string {
  return target.includes('@') ? target : `${target}@${domain}`;
}

/**
 * The first line of a file generated from mailwright.yaml, saying what a save does: the editor
 * opens these read-only (there is no save), and a provision writes them again from the yaml.
 */
export const GENERATED_HEADER =
  '# Generated from mailwright.yaml by Mailwright: opened read-only in the editor; change mailwright.yaml and provision.';

/**
 * Whether a server file is generated from mailwright.yaml (a domain's aliases and users): edits
 * there would contradict the yaml and be undone by the next provision.
 */
export function generatedFromYaml(path: string): { domain: string; what: 'aliases' | 'users' } | undefined {
  const prefix = domainDir('');
  if (!path.startsWith(prefix)) return undefined;
  const [domain, what, ...rest] = path.slice(prefix.length).split('/');
  if (!domain || rest.length > 0 || (what !== 'aliases' && what !== 'users')) return undefined;
  return { domain, what };
}

/** The aliases file for the yaml: one line per alias, the catch-all last. */
export function desiredAliases(domain: DomainConfig): string {
  const aliases = ChasquidAliases.parse(`${GENERATED_HEADER}\n`);
  const users = Object.keys(domain.aliases)
    .filter((u) => u !== '*')
    .sort();
  for (const user of [...users, ...('*' in domain.aliases ? ['*'] : [])]) {
    const targets = domain.aliases[user] ?? [];
    if (targets.length > 0)
      aliases.set(
        user,
        targets.map((t) => fullAddress(t, domain.name)),
      );
  }
  for (const [user, targets] of reportStoreAliases(domain, (t) => fullAddress(t, domain.name)).lines)
    aliases.set(user, targets);
  return aliases.print();
}

/** What the user should know about this domain's forwarding (SRS without ARC); lost mail is refused by the planner. */
export function aliasWarnings(domain: DomainConfig): string[] {
  const warnings: string[] = [];
  const targets = Object.values(domain.aliases).flat();
  if (targets.some((t) => t.includes('@') && !t.endsWith(`@${domain.name}`))) {
    warnings.push(
      'forwarding to an outside mailbox (e.g. Gmail) works through SRS, which chasquid does, but without ARC: some forwarded mail may be filed as spam',
    );
  }
  return warnings;
}

function aliasesAction(ctx: PlanContext, domain: DomainConfig): Action | undefined {
  const found = ctx.facts.chasquidState?.domains[domain.name]?.aliases;
  const reason = [
    found === undefined
      ? `${domain.name} has no aliases file`
      : `the aliases of ${domain.name} differ from mailwright.yaml`,
    ...aliasWarnings(domain),
  ].join('. Note: ');
  return managedFileAction(
    ctx,
    {
      id: `aliases:${domain.name}`,
      kind: 'domains',
      path: aliasesPath(domain.name),
      title: `Write the aliases of ${domain.name}`,
      desired: desiredAliases(domain),
      reason,
      owner: FILE_OWNER,
      mode: FILE_MODE,
    },
    found,
  );
}

function domainDirAction(domain: DomainConfig): Action {
  const dir = domainDir(domain.name);
  return {
    id: `domain:${domain.name}`,
    kind: 'domains',
    title: `Add the domain ${domain.name} to chasquid`,
    reason: `${dir} does not exist; chasquid accepts mail only for domains it has a folder for`,
    async apply(actx) {
      await ensureDomainDir((line) => actx.run(line), domain.name);
    },
    async verify(actx) {
      await actx.run(shellScript('[ -d "$1" ] || { echo "$1 is missing" >&2; exit 1; }', [dir]));
    },
  };
}

export const planDomains: ActionPlanner = (ctx) =>
  ctx.host.domains.flatMap((domain) => {
    const exists = ctx.facts.chasquidState?.domains[domain.name] !== undefined;
    return [
      exists ? undefined : domainDirAction(domain),
      usersAction(ctx, domain),
      aliasesAction(ctx, domain),
    ].filter((a): a is Action => a !== undefined);
  });
