// Recipe steps 13 and 16: each domain of mailwright.yaml has its folder, its users (with
// passwords that only ever travel as scrypt hashes inside a file upload) and its aliases.
import { ChasquidAliases, ChasquidUsers, normalizeUserName } from '../../chasquid';
import type { DomainConfig } from '../../config';
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
import type { Action, ActionPlanner, ApplyContext, PlanContext } from '../types';
import { CHASQUID_DIR } from './conf';

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

function assertDomainName(domain: string): void {
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(domain) || domain.includes('..')) {
    throw new RangeError(`not a domain name: ${JSON.stringify(domain)}`);
  }
}

async function ensureDomainDir(
  run: (line: ReturnType<typeof shellCommand>) => Promise<unknown>,
  domain: string,
) {
  assertDomainName(domain);
  await run(shellCommand(['mkdir', '-p', '-m', '0755', '--', domainDir(domain)]));
}

/** users-file content with the change applied; the password only ever exists hashed in it. */
async function editedUsers(current: Buffer | null, edit: (db: ChasquidUsers) => Promise<void> | void) {
  const db = current ? ChasquidUsers.parse(current) : ChasquidUsers.empty();
  await edit(db);
  return db.print();
}

/** Sets (or adds) a mail user's password: read, modify, atomic write readable by chasquid. */
export async function setUserPassword(
  conn: RemoteConnection,
  domain: string,
  user: string,
  password: string,
): Promise<void> {
  await ensureDomainDir((line) => conn.exec(line, { sudo: true }), domain);
  const path = usersPath(domain);
  const content = await editedUsers(await readRemoteFileIfExists(conn, path), (db) =>
    db.addOrReplaceUser(user, password),
  );
  await writeRemoteFileAtomic(conn, path, content, { owner: FILE_OWNER, mode: FILE_MODE });
}

/** Removes a mail user; false when there was no such user. */
export async function removeUser(conn: RemoteConnection, domain: string, user: string): Promise<boolean> {
  assertDomainName(domain);
  const path = usersPath(domain);
  const current = await readRemoteFileIfExists(conn, path);
  if (!current) return false;
  let removed = false;
  const content = await editedUsers(current, (db) => {
    removed = db.removeUser(user);
  });
  if (removed) await writeRemoteFileAtomic(conn, path, content, { owner: FILE_OWNER, mode: FILE_MODE });
  return removed;
}

async function passwordFor(ctx: ApplyContext, user: string, domain: string): Promise<string> {
  const key = userPasswordKey(user, domain);
  const stored = await ctx.secrets.get(key);
  if (stored) return stored;
  const asked = await ctx.askSecret?.(key, `Password for the new mail user ${user}@${domain}`);
  if (asked) return asked;
  throw new Error(
    `No password for the new mail user ${user}@${domain}: run \`mailwright user add ${user}@${domain}\`, ` +
      `or set ${userPasswordEnvName(user, domain)}, then apply again.`,
  );
}

function usersAction(ctx: PlanContext, domain: DomainConfig): Action | undefined {
  const onServer = ctx.facts.chasquidState?.domains[domain.name]?.users ?? [];
  const wanted = domain.users.map(normalizeUserName);
  const missing = wanted.filter((u) => !onServer.includes(u));
  const extra = onServer.filter((u) => !wanted.includes(normalizeUserName(u)));
  if (missing.length === 0 && extra.length === 0) return undefined;
  const reasons: string[] = [];
  if (missing.length > 0)
    reasons.push(`${missing.join(', ')} in mailwright.yaml but not on the server: adding`);
  if (extra.length > 0)
    reasons.push(`${extra.join(', ')} on the server but not in mailwright.yaml: removing`);
  const path = usersPath(domain.name);
  return {
    id: `users:${domain.name}`,
    kind: 'domains',
    title: `Update the mail users of ${domain.name}`,
    reason: `users ${reasons.join('; ')}`,
    async apply(actx) {
      // Every password first: a missing one must fail before anything changes.
      const passwords = new Map<string, string>();
      for (const user of missing) passwords.set(user, await passwordFor(actx, user, domain.name));
      await ensureDomainDir((line) => actx.run(line), domain.name);
      const content = await editedUsers(await readRemoteFileIfExists(actx.conn, path), async (db) => {
        for (const [user, password] of passwords) await db.addOrReplaceUser(user, password);
        for (const user of extra) db.removeUser(user);
      });
      await actx.files.write(path, content, { owner: FILE_OWNER, mode: FILE_MODE });
    },
    async verify(actx) {
      const current = await readRemoteFileIfExists(actx.conn, path);
      const names = current ? ChasquidUsers.parse(current).names() : [];
      const wrong = [...missing.filter((u) => !names.includes(u)), ...extra.filter((u) => names.includes(u))];
      if (wrong.length > 0) throw new Error(`${path} does not have the expected users (${wrong.join(', ')})`);
      const r = await actx.run(shellCommand(['stat', '-c', '%U:%G %a', '--', path]));
      if (r.stdout.trim() !== 'root:chasquid 640') {
        throw new Error(`${path} is ${r.stdout.trim()}, chasquid needs root:chasquid 640 to read it`);
      }
    },
  };
}

function fullAddress(target: string, domain: string): string {
  return target.includes('@') ? target : `${target}@${domain}`;
}

/** The aliases file for the yaml: one line per alias, the catch-all last. */
export function desiredAliases(domain: DomainConfig): string {
  const aliases = ChasquidAliases.parse(
    '# Written by Mailwright from mailwright.yaml; edit the yaml, not this file.\n',
  );
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
