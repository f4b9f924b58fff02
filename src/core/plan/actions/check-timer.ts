// The server checks itself (hosts[].monitor): a systemd timer runs the check program
// (dist/server/check.js, the same checks as `mailwright check`, bundled for the distribution's
// Node.js like the renewal program) and alerts once per problem. Its files are managed like every
// other file; the webhook address, which may hold a token, goes to the server only with the
// user's consent, root-only, outside /etc/chasquid.
import { readFileSync } from 'node:fs';
import {
  CHECK_PROGRAM_PATH,
  CHECK_SERVICE_PATH,
  CHECK_SETTINGS_PATH,
  CHECK_STATE_DIR,
  CHECK_TIMER_PATH,
  CHECK_UNIT,
  CHECK_WEBHOOK_PATH,
} from '../../checks/server-paths';
import type { HostConfig } from '../../config';
import { monitorMinutes } from '../../config/validate-monitor';
import { envNamesFor, secretKeys } from '../../remote';
import type { Action, PlanContext } from '../types';
import { serverProgramFile, startServerProgram } from './renewal-timer';
import { enableTimerAction, periodicTimer, stopTimerAction, storeSecretAction } from './timer-program';

const KIND = 'check-timer';

export const CHECK_SERVICE = `[Unit]
Description=Mailwright: check the mail server's health and alert once per problem
Wants=network-online.target
After=network-online.target
ConditionPathExists=${CHECK_SETTINGS_PATH}

[Service]
Type=oneshot
ExecStart=/usr/bin/node ${CHECK_PROGRAM_PATH} ${CHECK_SETTINGS_PATH}
TimeoutStartSec=5min
`;

/** Every `minutes`, counted from the last run; the first run a few minutes after boot. */
export function checkTimer(minutes: number): string {
  return periodicTimer({
    description: `Mailwright: check the mail server's health every ${minutes} minutes`,
    firstAfter: '5min',
    every: `${minutes}min`,
    jitter: `${Math.min(60, Math.ceil(minutes / 10))}s`,
  });
}

/** Where the built check program is (MAILWRIGHT_CHECK_PROGRAM wins: tests). */
export function checkProgramFile(): string | undefined {
  return serverProgramFile('check.js', process.env.MAILWRIGHT_CHECK_PROGRAM);
}

/** The host as the check program needs it: no SSH details, no local paths. */
export function checkSettings(host: HostConfig): string {
  // acme.caCertificate is a path on this machine: the checks need only renewBeforeDays.
  const acme = host.acme && { ...host.acme, caCertificate: undefined };
  const server: HostConfig = {
    name: host.name,
    ssh: { user: 'root', host: 'localhost', port: 22 },
    auth: 'key',
    mailHost: host.mailHost,
    domains: host.domains,
    ...(acme && { acme }),
    // The host's sending limits: the checks read their refusals only where there are limits.
    ...(host.limits && { limits: host.limits }),
    ...(host.monitor && { monitor: host.monitor }),
    // The checks judge the scheduled backups' age too.
    ...(host.backups && { backups: host.backups }),
  };
  return JSON.stringify({ host: server }, null, 2) + '\n';
}

function storeWebhook(ctx: PlanContext): Action {
  const format = ctx.host.monitor!.webhook!;
  return storeSecretAction({
    id: 'check:webhook',
    kind: KIND,
    title: `Store the ${format} webhook address for alerts on the server, in ${CHECK_WEBHOOK_PATH} (root only, 0600)`,
    reason: 'monitor.webhook is set: the server posts its alerts there itself',
    consent: `Store the alert webhook address (it may hold a token) on ${ctx.host.name}, readable by root only? Use a webhook that can only post messages.`,
    dir: CHECK_STATE_DIR,
    path: CHECK_WEBHOOK_PATH,
    async content(actx) {
      const url = await actx.secrets.get(secretKeys.monitorWebhook(ctx.host.name));
      if (!url) {
        throw new Error(
          `No webhook address for ${ctx.host.name} is stored here to copy to the server. Set it first ("Mail: Set Alert Webhook" in the editor; for the CLI, ${envNamesFor(secretKeys.monitorWebhook(ctx.host.name))[0]}).`,
        );
      }
      if (!/^https?:\/\//.test(url))
        throw new Error('The alert webhook address must start with https:// (or http://). Set it again.');
      return JSON.stringify({ url }) + '\n';
    },
  });
}

/** The webhook file goes when monitor (or its webhook) is removed; the timer when monitor is. */
function stopActions(ctx: PlanContext, timerToo: boolean): Action[] {
  const stop = stopTimerAction(ctx, {
    id: 'check:stop',
    kind: KIND,
    unit: CHECK_UNIT,
    timer: ctx.facts.checkTimer,
    stopTimer: timerToo,
    secretPath: CHECK_WEBHOOK_PATH,
    title: ({ timer, secret }) =>
      [
        ...(timer ? ['Stop the server checks timer'] : []),
        ...(secret ? ['delete the alert webhook address stored on the server'] : []),
      ].join(' and '),
    reason: timerToo
      ? 'monitor: was removed from mailwright.yaml'
      : 'monitor.webhook was removed from mailwright.yaml',
  });
  return stop ? [stop] : [];
}

export interface CheckTimerPlan {
  actions: Action[];
  notes: string[];
}

/** `planned`: the actions before (the renewal's), so Node.js is installed once. */
export function planCheckTimer(ctx: PlanContext, planned: readonly Action[] = []): CheckTimerPlan {
  const monitor = ctx.host.monitor;
  if (!monitor) return { actions: stopActions(ctx, true), notes: [] };
  const start = startServerProgram(ctx, planned, {
    prefix: 'check',
    kind: KIND,
    runs: 'the server checks',
    program: checkProgramFile(),
    because: 'monitor: is set',
    otherwise: 'Remove monitor: and run `mailwright check` from cron on another machine instead.',
    blockedNote: (blocked) =>
      `The server checks cannot run on ${ctx.host.name}: ${blocked}. Run \`mailwright check\` from cron on another machine instead, or remove monitor: to silence this note.`,
    missingNote:
      'The check program (dist/server/check.js) is missing from this installation: run `npm run build`.',
    timerFiles: ctx.facts.checkTimer?.files,
  });
  if ('notes' in start) return { actions: [], notes: start.notes };
  const { program, actions, file } = start;
  file(
    'program',
    CHECK_PROGRAM_PATH,
    `Install the check program (${CHECK_PROGRAM_PATH})`,
    readFileSync(program, 'utf8'),
    'the checks timer runs it; it holds the checks of this Mailwright version',
    '/usr/local/lib/mailwright',
  );
  file(
    'settings',
    CHECK_SETTINGS_PATH,
    `Write the check settings (${CHECK_SETTINGS_PATH}; no secrets)`,
    checkSettings(ctx.host),
    'the check program reads the mail host, its domains and where alerts go from it',
    '/etc/mailwright',
  );
  file(
    'service',
    CHECK_SERVICE_PATH,
    `Install ${CHECK_UNIT}.service`,
    CHECK_SERVICE,
    'it runs the check program',
  );
  const minutes = monitorMinutes(monitor.every) ?? 60;
  file(
    'timer',
    CHECK_TIMER_PATH,
    `Install ${CHECK_UNIT}.timer (every ${monitor.every})`,
    checkTimer(minutes),
    'it starts the checks',
  );
  const managed = ctx.facts.chasquidState?.managed ?? {};
  if (monitor.webhook && !(CHECK_WEBHOOK_PATH in managed)) actions.push(storeWebhook(ctx));
  if (!monitor.webhook) actions.push(...stopActions(ctx, false));
  const enable = enableTimerAction({
    id: 'check:enable',
    kind: KIND,
    unit: CHECK_UNIT,
    timer: ctx.facts.checkTimer,
    changed: actions.length > 0,
  });
  if (enable) actions.push(enable);
  return { actions, notes: [] };
}
