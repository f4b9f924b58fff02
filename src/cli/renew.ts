// mailwright renew: renews ACME certificates that expire within the threshold. Meant for
// cron: never asks anything, one run at a time (a lock), and says what it did in its exit code.
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readRolloverState, rolloverStatePath } from '../core/dane/rollover';
import { gatherFacts } from '../core/facts';
import { applyPlan, eventPrinter } from '../core/plan';
import { planRenewal } from '../core/plan/actions/acme-certificate';
import { EnvSecretStore } from '../core/remote';
import type { CommandFn } from './command-types';
import type { ConnectFlags } from './connect';
import { info, out, UsageError } from './output';
import { withContext } from './context';

export const RENEW_EXIT = { ok: 0, failed: 1, usage: 2, locked: 3 } as const;

/** A lock file holding our pid; a lock left by a dead process is taken over. */
export function takeLock(path: string): (() => void) | undefined {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(path, 'utf8').trim());
      try {
        if (holder > 0) process.kill(holder, 0);
        return undefined; // alive: another renew is running
      } catch {
        rmSync(path, { force: true }); // stale
      }
    }
  }
  return undefined;
}

export const renewCommand: CommandFn = async ({ flags }, signal) => {
  const values = flags as ConnectFlags & { days?: string; 'new-key'?: boolean };
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && !(Number.isInteger(days) && days >= 0 && days <= 90)) {
    throw new UsageError(
      `--days must be a whole number of days between 0 and 90, e.g. --days 30 (got "${values.days}").`,
    );
  }
  const lockPath = join(process.env.XDG_RUNTIME_DIR || join(homedir(), '.cache'), 'mailwright', 'renew.lock');
  const release = takeLock(lockPath);
  if (!release) {
    info(`Another mailwright renew is running (lock ${lockPath}); nothing done.`);
    return RENEW_EXIT.locked;
  }
  try {
    return await withContext(values, async (context) => {
      const t = await context.target();
      if (!t.host.acme) {
        info(`${t.host.name} has no acme settings in mailwright.yaml: it uses no ACME certificate to renew.`);
        return RENEW_EXIT.ok;
      }
      const newKey = values['new-key'] === true;
      // A key changed beside a rollover would leave both of its records wrong.
      const rollover = newKey ? await readRolloverState(t.conn, t.host.mailHost) : undefined;
      if (rollover && !rollover.removedAt) {
        info(
          `A DANE key rollover of ${t.host.mailHost} is under way (${rolloverStatePath(t.host.mailHost)}): it changes the key without a gap. Continue it with \`mailwright dane rollover\` instead of --new-key; nothing done.`,
        );
        return RENEW_EXIT.usage;
      }
      const plan = planRenewal(t.host, await context.hostFacts(t.host, signal), { days, newKey });
      if (plan.actions.length === 0) {
        info(`${t.host.name}: the certificate of ${t.host.mailHost} is not due for renewal.`);
        return RENEW_EXIT.ok;
      }
      info(`${t.host.name}: ${plan.actions[0]!.reason}`);
      const result = await applyPlan(plan, {
        conn: t.conn,
        host: t.host,
        secrets: new EnvSecretStore(),
        signal,
        regather: () => gatherFacts(t.conn, { signal }),
        onEvent: eventPrinter((line) => out(line)),
      });
      if (result.ok && newKey)
        info(
          'The certificate has a new key: if the zone publishes a DANE TLSA record for it, run `mailwright dns publish` now (senders that check DANE refuse the new key until then; `mailwright dane rollover` changes the key without that gap).',
        );
      return result.ok ? RENEW_EXIT.ok : RENEW_EXIT.failed;
    });
  } finally {
    release();
  }
};
