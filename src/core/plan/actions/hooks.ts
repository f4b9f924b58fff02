// chasquid's post-data hook: Mailwright's sending limits (see chasquid/sending-limits.ts) and check
// against backscatter from forwarding (see chasquid/forward-guard.ts), with the tables they read.
// The hook that was there first (the distribution's) is kept beside it and still runs after them.
import {
  FORWARD_GUARD_HOOK,
  FORWARDING_TABLE,
  forwardingTable,
  HOOK_MARKER,
  LIMITS_STATE_DIR,
  LIMITS_TABLE,
  limitsTable,
  POST_DATA_HOOK,
  PREVIOUS_POST_DATA_HOOK,
} from '../../chasquid';
import { MANAGED_STATE_DIR } from '../../facts';
import { readRemoteFileIfExists, shellCommand, shellScript } from '../../remote';
import { journalOf } from '../journal';
import { managedFileAction } from '../managed-file';
import type { Action, ActionPlanner, ApplyContext } from '../types';
import { CHASQUID_DIR } from './conf';

const HOOK_PATH = `${CHASQUID_DIR}/${POST_DATA_HOOK}`;
const PREVIOUS_HOOK_PATH = `${CHASQUID_DIR}/${PREVIOUS_POST_DATA_HOOK}`;
const TABLE_PATH = `${CHASQUID_DIR}/${FORWARDING_TABLE}`;
const LIMITS_PATH = `${CHASQUID_DIR}/${LIMITS_TABLE}`;

// $1 the counts' folder, $2 its parent: the hook (user chasquid) must reach, lock and write it.
const MAKE_STATE_DIR = `set -eu
install -d -m 0700 -o chasquid -g chasquid "$1"
chmod 0711 "$2"
command -v flock >/dev/null || { echo "flock is not installed (package util-linux): the hook cannot count" >&2; exit 1; }
runuser -u chasquid -- touch "$1/lock" || { echo "user chasquid cannot write $1" >&2; exit 1; }`;

// $1 the hook: executable, valid sh, and running the previous hook when there is one.
const CHECK_HOOK = `set -eu
[ -x "$1" ] || { echo "$1 is not executable: chasquid would not run it" >&2; exit 1; }
sh -n "$1" || { echo "$1 is not a valid shell script" >&2; exit 1; }`;

/** Keeps the hook found on the server (unless it is Mailwright's own) for the new one to run. */
async function keepPreviousHook(ctx: ApplyContext): Promise<void> {
  const current = await readRemoteFileIfExists(ctx.conn, HOOK_PATH);
  if (!current || current.toString('utf8').includes(HOOK_MARKER)) return;
  if (await readRemoteFileIfExists(ctx.conn, PREVIOUS_HOOK_PATH)) return;
  await ctx.files.write(PREVIOUS_HOOK_PATH, current, { mode: '0755', owner: 'root:root' });
  ctx.log(`kept the previous hook as ${PREVIOUS_HOOK_PATH}; it still runs after Mailwright's check`);
}

export const planHooks: ActionPlanner = (ctx) => {
  // Planned before chasquid is installed too: the hook works the same on every supported version.
  if (ctx.chasquidPath === 'unsupported') return [];
  const table = managedFileAction(
    ctx,
    {
      id: 'hooks:forwarding',
      kind: 'hooks',
      path: TABLE_PATH,
      title: 'Write the table of forwarded addresses',
      desired: forwardingTable(ctx.host.domains),
      reason: 'the post-data hook refuses unverified senders for the addresses that forward to other servers',
      owner: 'root:chasquid',
      mode: '0640',
    },
    undefined,
  );
  const hook = managedFileAction(
    ctx,
    {
      id: 'hooks:post-data',
      kind: 'hooks',
      path: HOOK_PATH,
      title: "Install Mailwright's post-data hook (sending limits, no bounces to forged senders)",
      desired: FORWARD_GUARD_HOOK,
      reason:
        'chasquid bounces a forwarded message that the next server refuses to its envelope sender, which for spam is forged: the hook refuses such messages while the sender is still connected; it also enforces the sending limits when mailwright.yaml sets some',
      owner: 'root:root',
      mode: '0755',
      verify: async (actx) => {
        const r = await actx.run(shellScript(CHECK_HOOK, [HOOK_PATH]), { check: false });
        if (r.exitCode !== 0) throw new Error(r.stderr.trim());
      },
    },
    undefined,
  );
  if (hook) {
    const write = hook.apply.bind(hook);
    hook.apply = async (actx) => {
      await keepPreviousHook(actx);
      await write(actx);
    };
  }
  return [table, planLimits(ctx), hook].filter((a): a is Action => a !== undefined);
};

/** The table of sending limits (with the folder of counts), or its removal once no limit is set. */
function planLimits(ctx: Parameters<ActionPlanner>[0]): Action | undefined {
  const desired = limitsTable(ctx.host);
  if (desired === undefined) {
    if (ctx.facts.confFiles?.[LIMITS_PATH] === undefined) return undefined;
    return {
      id: 'hooks:limits',
      kind: 'hooks',
      title: 'Remove the sending limits',
      reason: 'mailwright.yaml sets no sending limit any more: the post-data hook stops counting',
      apply: async (actx) => {
        await actx.run(shellCommand(['rm', '-f', '--', LIMITS_PATH]));
        await actx.run(shellCommand(['rm', '-rf', '--', LIMITS_STATE_DIR]));
        journalOf(actx).forget(LIMITS_PATH);
      },
      verify: async (actx) => {
        const r = await actx.run(shellCommand(['test', '!', '-e', LIMITS_PATH]), { check: false });
        if (r.exitCode !== 0) throw new Error(`${LIMITS_PATH} is still there`);
      },
    };
  }
  return managedFileAction(
    ctx,
    {
      id: 'hooks:limits',
      kind: 'hooks',
      path: LIMITS_PATH,
      title: 'Write the sending limits of each user',
      desired,
      reason:
        'chasquid has no sending limit of its own: the post-data hook counts what each user sends and refuses for a while once a limit of mailwright.yaml is reached, so a stolen password cannot send without end',
      owner: 'root:chasquid',
      mode: '0640',
      afterWrite: async (actx) => {
        await actx.run(shellScript(MAKE_STATE_DIR, [LIMITS_STATE_DIR, MANAGED_STATE_DIR]));
      },
    },
    undefined,
  );
}
