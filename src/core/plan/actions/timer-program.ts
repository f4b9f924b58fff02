// The steps every program of Mailwright's that runs on the server from a systemd timer shares
// (the certificate renewal, the server checks): its files written like every managed file, a
// secret stored root-only with consent, the timer enabled, and all of it stopped again. Each
// feature says what its files and secret are; how they reach the server is decided here once.
import { shellCommand, shellScript } from '../../remote';
import { journalOf } from '../journal';
import { managedFileAction } from '../managed-file';
import type { Action, ApplyContext, PlanContext } from '../types';

export async function daemonReload(ctx: ApplyContext): Promise<void> {
  await ctx.run(shellCommand(['systemctl', 'daemon-reload']));
}

// $1 unit: the service knows its program, the timer is enabled and waiting.
export const TIMER_CHECK = `set -eu
systemctl is-enabled --quiet "$1.timer" || { echo "$1.timer is not enabled" >&2; exit 1; }
systemctl is-active --quiet "$1.timer" || { echo "$1.timer is not active" >&2; exit 1; }
node --version >/dev/null`;

/**
 * A timer that starts its service every `every`, counted from the last run, the first time
 * `firstAfter` boot (or at once when enabled on a server that has been up longer), each start
 * moved by up to `jitter` so that many servers do not run at the same moment. Values are systemd
 * time spans ("5min", "86400s").
 */
export function periodicTimer(spec: {
  description: string;
  firstAfter: string;
  every: string;
  jitter: string;
}): string {
  return `[Unit]
Description=${spec.description}

[Timer]
OnBootSec=${spec.firstAfter}
OnUnitActiveSec=${spec.every}
RandomizedDelaySec=${spec.jitter}

[Install]
WantedBy=timers.target
`;
}

/** What the facts say of a timer's unit. */
export interface TimerState {
  timerEnabled?: string;
  timerActive?: string;
}

const timerOn = (t: TimerState | undefined) => t?.timerEnabled === 'enabled' || t?.timerActive === 'active';

/**
 * How a program's planner writes its files: each call plans one file (see programFileAction)
 * with the id `<prefix>:<name>` and pushes it onto `actions` unless it is already in place.
 */
export function programFiles(fileCtx: PlanContext, prefix: string, kind: Action['kind'], actions: Action[]) {
  return (name: string, path: string, title: string, desired: string, reason: string, dir?: string): void => {
    const action = programFileAction(fileCtx, {
      id: `${prefix}:${name}`,
      kind,
      path,
      title,
      desired,
      reason,
      ...(dir && { dir }),
    });
    if (action) actions.push(action);
  };
}

/**
 * A file of the program (root:root 0644), written through the managed-file rules; `dir` is made
 * first when given, and systemd reloads after a unit file changes. Undefined when it is in place.
 */
export function programFileAction(
  fileCtx: PlanContext,
  spec: {
    id: string;
    kind: Action['kind'];
    path: string;
    title: string;
    desired: string;
    reason: string;
    dir?: string;
  },
): Action | undefined {
  const action = managedFileAction(
    fileCtx,
    {
      id: spec.id,
      kind: spec.kind,
      path: spec.path,
      title: spec.title,
      desired: spec.desired,
      reason: spec.reason,
      owner: 'root:root',
      mode: '0644',
      ...(spec.path.startsWith('/etc/systemd/') && { afterWrite: daemonReload }),
    },
    undefined,
  );
  if (action && spec.dir) {
    const write = action.apply.bind(action);
    const dir = spec.dir;
    action.apply = async (actx) => {
      await actx.run(shellCommand(['mkdir', '-p', '-m', '0755', dir]));
      await write(actx);
    };
  }
  return action;
}

/**
 * A secret (a DNS credential, a webhook address) copied from this machine's secret store to
 * `path` on the server, root:root 0600 in a root-only `dir`; the action carries the consent
 * question. `content` reads the secret and throws, saying how to store it, when it is missing.
 */
export function storeSecretAction(spec: {
  id: string;
  kind: Action['kind'];
  title: string;
  reason: string;
  consent: string;
  dir: string;
  path: string;
  content: (actx: ApplyContext) => Promise<string>;
}): Action {
  return {
    id: spec.id,
    kind: spec.kind,
    title: spec.title,
    reason: spec.reason,
    consent: spec.consent,
    async apply(actx) {
      const content = await spec.content(actx);
      await actx.run(shellCommand(['install', '-d', '-m', '0700', '-o', 'root', '-g', 'root', spec.dir]));
      await actx.files.write(spec.path, content, { mode: '0600', owner: 'root:root' });
    },
    async verify(actx) {
      const r = await actx.run(shellCommand(['stat', '-c', '%U:%G %a', spec.path]));
      if (r.stdout.trim() !== 'root:root 600')
        throw new Error(`${spec.path} is ${r.stdout.trim()}, must be root:root 600.`);
    },
  };
}

/** Enables the timer when a file changed above or it is not enabled and running; else undefined. */
export function enableTimerAction(spec: {
  id: string;
  kind: Action['kind'];
  unit: string;
  timer: TimerState | undefined;
  changed: boolean;
}): Action | undefined {
  const { timer, unit } = spec;
  const running = timer?.timerEnabled === 'enabled' && timer.timerActive === 'active';
  if (!spec.changed && running) return undefined;
  return {
    id: spec.id,
    kind: spec.kind,
    title: `Enable ${unit}.timer`,
    reason: running
      ? 'its files changed above'
      : `it is ${timer?.timerEnabled ?? 'not installed'} and ${timer?.timerActive ?? 'inactive'}`,
    async apply(actx) {
      await actx.run(shellCommand(['systemctl', 'daemon-reload']));
      await actx.run(shellCommand(['systemctl', 'enable', '--now', `${unit}.timer`]));
    },
    async verify(actx) {
      await actx.run(shellScript(TIMER_CHECK, [unit]));
    },
  };
}

/**
 * Stops the timer (when `stopTimer` and it runs) and deletes the stored secret (when Mailwright
 * wrote it); undefined when neither is there. `title` says what goes, given which of the two do.
 */
export function stopTimerAction(
  ctx: PlanContext,
  spec: {
    id: string;
    kind: Action['kind'];
    unit: string;
    timer: TimerState | undefined;
    stopTimer: boolean;
    /** A secret the feature stored on the server, if it has one. */
    secretPath?: string;
    title: (stops: { timer: boolean; secret: boolean }) => string;
    reason: string;
  },
): Action | undefined {
  const managed = ctx.facts.chasquidState?.managed ?? {};
  const timer = spec.stopTimer && timerOn(spec.timer);
  const secret = spec.secretPath !== undefined && spec.secretPath in managed;
  if (!timer && !secret) return undefined;
  const secretPath = secret ? spec.secretPath! : '';
  const args = [timer ? 'yes' : 'no', spec.unit, secretPath];
  return {
    id: spec.id,
    kind: spec.kind,
    title: spec.title({ timer, secret }),
    reason: spec.reason,
    async apply(actx) {
      await actx.run(
        shellScript(
          '[ "$1" = no ] || systemctl disable --now "$2.timer" 2>/dev/null || true; [ -z "$3" ] || rm -f -- "$3"',
          args,
        ),
      );
      if (secret) journalOf(actx).forget(secretPath);
    },
    async verify(actx) {
      const r = await actx.run(
        shellScript(
          '[ "$1" = no ] || systemctl is-enabled "$2.timer" 2>/dev/null; [ -z "$3" ] || [ ! -e "$3" ]',
          args,
        ),
        { check: false },
      );
      if (r.stdout.trim() === 'enabled' || r.exitCode !== 0)
        throw new Error(
          `${spec.unit}.timer is still enabled${secret ? ` or ${secretPath} still exists` : ''}.`,
        );
    },
  };
}
