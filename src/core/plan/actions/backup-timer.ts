// Scheduled backups (hosts[].backups.schedule): a systemd timer runs the backup program
// (dist/server/backup.js, the archive of `mailwright backup` made on the server, bundled for the
// distribution's Node.js like the renewal and check programs). Its files are managed like every
// other file. Nothing secret goes to the server: the archives are locked for an age public key.
import { readFileSync } from 'node:fs';
import { backupSettings } from '../../backup/schedule';
import {
  BACKUP_PROGRAM_PATH,
  BACKUP_SERVICE_PATH,
  BACKUP_SETTINGS_PATH,
  BACKUP_TIMER_PATH,
  BACKUP_UNIT,
} from '../../backup/server-paths';
import { backupEverySeconds } from '../../config/validate-backups';
import type { Action, PlanContext } from '../types';
import { serverProgramFile, startServerProgram } from './renewal-timer';
import { enableTimerAction, periodicTimer, stopTimerAction } from './timer-program';

const KIND = 'backup-timer';

export const BACKUP_SERVICE = `[Unit]
Description=Mailwright: write an encrypted backup archive of the mail server
ConditionPathExists=${BACKUP_SETTINGS_PATH}

[Service]
Type=oneshot
ExecStart=/usr/bin/node ${BACKUP_PROGRAM_PATH} ${BACKUP_SETTINGS_PATH}
Nice=10
IOSchedulingClass=idle
TimeoutStartSec=6h
`;

/**
 * Every `seconds`, counted from the last run; the first run a quarter of an hour after boot, or
 * at once when the timer is enabled on a server that has been up longer.
 */
export function backupTimer(seconds: number, every: string): string {
  return periodicTimer({
    description: `Mailwright: back up the mail server every ${every}`,
    firstAfter: '15min',
    every: `${seconds}s`,
    jitter: `${Math.min(3600, Math.ceil(seconds / 20))}s`,
  });
}

/** Where the built backup program is (MAILWRIGHT_BACKUP_PROGRAM wins: tests). */
export function backupProgramFile(): string | undefined {
  return serverProgramFile('backup.js', process.env.MAILWRIGHT_BACKUP_PROGRAM);
}

function stopActions(ctx: PlanContext): Action[] {
  const stop = stopTimerAction(ctx, {
    id: 'backup:stop',
    kind: KIND,
    unit: BACKUP_UNIT,
    timer: ctx.facts.backupTimer,
    stopTimer: true,
    title: () => 'Stop the scheduled backups (the archives already written stay)',
    reason: 'backups.schedule was removed from mailwright.yaml',
  });
  return stop ? [stop] : [];
}

export interface BackupTimerPlan {
  actions: Action[];
  notes: string[];
}

/** `planned`: the actions before (the renewal's, the checks'), so Node.js is installed once. */
export function planBackupTimer(ctx: PlanContext, planned: readonly Action[] = []): BackupTimerPlan {
  const schedule = ctx.host.backups?.schedule;
  if (!schedule) return { actions: stopActions(ctx), notes: [] };
  const start = startServerProgram(ctx, planned, {
    prefix: 'backup',
    kind: KIND,
    runs: 'the scheduled backups',
    program: backupProgramFile(),
    because: 'backups.schedule is set',
    otherwise: 'Remove backups.schedule and run `mailwright backup` from cron on another machine instead.',
    blockedNote: (blocked) =>
      `Scheduled backups cannot run on ${ctx.host.name}: ${blocked}. Run \`mailwright backup\` from cron on another machine instead, or remove backups.schedule to silence this note.`,
    missingNote:
      'The backup program (dist/server/backup.js) is missing from this installation: run `npm run build`.',
    timerFiles: ctx.facts.backupTimer?.files,
  });
  if ('notes' in start) return { actions: [], notes: start.notes };
  const { program, actions, file } = start;
  file(
    'program',
    BACKUP_PROGRAM_PATH,
    `Install the backup program (${BACKUP_PROGRAM_PATH})`,
    readFileSync(program, 'utf8'),
    'the backup timer runs it; it writes the archive format of this Mailwright version',
    '/usr/local/lib/mailwright',
  );
  file(
    'settings',
    BACKUP_SETTINGS_PATH,
    `Write the backup settings (${BACKUP_SETTINGS_PATH}: ${schedule.dir}, keep ${schedule.keep}, the public key; no secrets)`,
    backupSettings(ctx.host),
    'the backup program reads the folder, how many archives to keep, the public key and the host from it',
    '/etc/mailwright',
  );
  file(
    'service',
    BACKUP_SERVICE_PATH,
    `Install ${BACKUP_UNIT}.service`,
    BACKUP_SERVICE,
    'it runs the backup program',
  );
  file(
    'timer',
    BACKUP_TIMER_PATH,
    `Install ${BACKUP_UNIT}.timer (every ${schedule.every})`,
    backupTimer(backupEverySeconds(schedule), schedule.every),
    'it starts the backups',
  );
  const enable = enableTimerAction({
    id: 'backup:enable',
    kind: KIND,
    unit: BACKUP_UNIT,
    timer: ctx.facts.backupTimer,
    changed: actions.length > 0,
  });
  if (enable) actions.push(enable);
  return { actions, notes: [] };
}
