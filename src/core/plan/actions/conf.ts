// chasquid.conf's hostname is the mail host (the name PTR points at), and
// chasquid listens on 25, 587 and 465. Only those fields are touched; the rest of the file
// stays as the user (or Debian) wrote it.
import { ChasquidConf, type ConfValue } from '../../chasquid';
import { CHASQUID_CONF_PATH } from '../../chasquid/paths';
import { hasMailboxes } from '../../config';
import { CHASQUID_LISTEN_PORTS } from '../../ports';
import { AUTH_CLIENT_SOCKET, AUTH_USERDB_SOCKET, LMTP_SOCKET } from '../../dovecot';
import { backupPathFor, readRemoteFileIfExists } from '../../remote';
import { managedFileAction } from '../managed-file';
import { confLoadProblem, confRefusal } from '../running';
import type { Action, ActionPlanner, ApplyContext, PlanContext } from '../types';

export { CHASQUID_CONF_PATH, CHASQUID_DIR } from '../../chasquid/paths';

/** The listen-address fields and the port each must serve. */
export const MAIL_PORTS = CHASQUID_LISTEN_PORTS;
type ListenField = keyof typeof MAIL_PORTS;

/**
 * Whether chasquid gets its sockets from systemd ("systemd" addresses). Debian's and Ubuntu's
 * packages ship the socket units, and chasquid runs unprivileged there, so it cannot bind
 * :25 itself: without unit facts, socket activation is assumed.
 */
export function hasSocketUnits(units: Record<string, string>): boolean {
  const names = Object.keys(units);
  return names.length === 0 || names.some((u) => /^chasquid-.*\.socket$/.test(u));
}

function describe(values: readonly ConfValue[]): string {
  return values.length === 0
    ? 'not set (default "systemd")'
    : values.map((v) => JSON.stringify(v)).join(', ');
}

/** A listen field is fine when it lets chasquid serve its port: through systemd sockets or explicitly. */
function listenFieldProblem(
  field: ListenField,
  values: readonly ConfValue[],
  socketUnits: boolean,
): string | undefined {
  const port = MAIL_PORTS[field];
  const ok = (v: ConfValue) =>
    (v === 'systemd' && socketUnits) || (typeof v === 'string' && v.endsWith(`:${port}`));
  if (values.length === 0 ? socketUnits : values.some(ok)) return undefined;
  return `${field} is ${describe(values)}, must serve port ${port}`;
}

export interface DesiredConf {
  content: string;
  /** Found vs wanted, one phrase per changed field; empty when nothing changes. */
  changes: string[];
}

/**
 * With mailboxes, chasquid hands local mail to Dovecot over LMTP (mda-lmtp ships with chasquid)
 * and asks Dovecot's auth sockets about users and passwords.
 */
export const MAILBOX_CONF: ReadonlyArray<readonly [field: string, values: readonly ConfValue[]]> = [
  ['mail_delivery_agent_bin', ['/usr/bin/mda-lmtp']],
  ['mail_delivery_agent_args', ['--addr', LMTP_SOCKET, '-f', '%from%', '-d', '%to%']],
  ['dovecot_auth', [true]],
  ['dovecot_userdb_path', [AUTH_USERDB_SOCKET]],
  ['dovecot_client_path', [AUTH_CLIENT_SOCKET]],
];

const sameValues = (a: readonly ConfValue[], b: readonly ConfValue[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** The delivery and auth fields: Dovecot's with mailboxes; without, Mailwright's own values are taken out. */
function mailboxFields(conf: ChasquidConf, mailboxes: boolean, changes: string[]): void {
  for (const [field, values] of MAILBOX_CONF) {
    const found = conf.getAll(field);
    if (mailboxes && !sameValues(found, values)) {
      changes.push(
        `${field} is ${describeAny(found)}, must be ${values.map((v) => JSON.stringify(v)).join(', ')} (mailboxes)`,
      );
      conf.setAll(field, values);
    } else if (!mailboxes && found.length > 0 && sameValues(found, values)) {
      changes.push(`${field} points at Dovecot, but no domain has mailboxes`);
      conf.remove(field);
    }
  }
}

const describeAny = (values: readonly ConfValue[]) =>
  values.length === 0 ? 'not set' : values.map((v) => JSON.stringify(v)).join(', ');

/** What a chasquid.conf that chasquid cannot load is replaced with, before the fields Mailwright sets. */
const REWRITE_HEADER =
  '# chasquid configuration, rewritten by Mailwright: the previous file did not load.\n' +
  `# The previous version is kept as ${backupPathFor(CHASQUID_CONF_PATH)}.\n`;

/**
 * chasquid.conf with the hostname and listen addresses Mailwright needs, everything else kept —
 * unless chasquid cannot load the file (`version`: the installed chasquid's): then it is a new
 * file holding only those fields, since nothing of a file that does not load can be trusted.
 */
export function desiredConf(
  current: string,
  mailHost: string,
  socketUnits: boolean,
  mailboxes = false,
  version?: string,
): DesiredConf {
  const refusal = confRefusal(current, version);
  if (refusal !== undefined) {
    const fresh = desiredConf(REWRITE_HEADER, mailHost, socketUnits, mailboxes, version);
    return { content: fresh.content, changes: [`${refusal}; a complete new file replaces it`] };
  }
  const conf = ChasquidConf.parse(current);
  const changes: string[] = [];
  const hostname = conf.get('hostname');
  if (hostname !== mailHost) {
    changes.push(
      hostname === undefined
        ? `chasquid.conf has no hostname, must be "${mailHost}"`
        : `chasquid.conf hostname is "${String(hostname)}", must be "${mailHost}"`,
    );
    conf.set('hostname', mailHost);
  }
  for (const field of Object.keys(MAIL_PORTS) as ListenField[]) {
    const problem = listenFieldProblem(field, conf.getAll(field), socketUnits);
    if (!problem) continue;
    changes.push(problem);
    conf.setAll(field, [socketUnits ? 'systemd' : `:${MAIL_PORTS[field]}`]);
  }
  mailboxFields(conf, mailboxes, changes);
  return { content: conf.print(), changes };
}

/** Throws when chasquid would not accept the file (our parser, then chasquid-util's own reading). */
async function verifyConf(ctx: ApplyContext, content: string): Promise<void> {
  const problem = await confLoadProblem(ctx, content);
  if (problem !== undefined) throw new Error(problem);
}

function confAction(ctx: PlanContext, current: string): Action | undefined {
  const wanted = desiredConf(
    current,
    ctx.host.mailHost,
    hasSocketUnits(ctx.facts.chasquidUnits),
    hasMailboxes(ctx.host),
    ctx.facts.chasquid.version,
  );
  return managedFileAction(
    ctx,
    {
      id: 'conf:chasquid.conf',
      kind: 'conf',
      path: CHASQUID_CONF_PATH,
      title: `Set chasquid's hostname to ${ctx.host.mailHost}`,
      desired: wanted.content,
      reason:
        wanted.changes.length > 0
          ? wanted.changes.join('; ')
          : 'chasquid.conf differs from what Mailwright wrote',
      needsRestart: true,
      verify: (actx) => verifyConf(actx, wanted.content),
    },
    current,
  );
}

export const planConf: ActionPlanner = (ctx) => {
  const current = ctx.facts.chasquidState?.conf;
  if (ctx.facts.chasquid.installed && current !== undefined) {
    const action = confAction(ctx, current);
    return action ? [action] : [];
  }
  // Not installed yet: the package brings the stock file, which is edited once it exists.
  let planned: Action | undefined;
  return [
    {
      id: 'conf:chasquid.conf',
      kind: 'conf',
      title: `Set chasquid's hostname to ${ctx.host.mailHost}`,
      reason: `chasquid.conf will be set to hostname "${ctx.host.mailHost}" after install`,
      async apply(actx) {
        const bytes = await readRemoteFileIfExists(actx.conn, CHASQUID_CONF_PATH);
        const fresh: PlanContext = {
          host: actx.host,
          facts: actx.facts,
          chasquidPath: actx.chasquidPath,
          now: actx.now,
        };
        planned = confAction(fresh, bytes?.toString('utf8') ?? '');
        await planned?.apply(actx);
      },
      async verify(actx) {
        await planned?.verify(actx);
      },
    },
  ];
};
