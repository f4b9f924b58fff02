// mailwright limits: what each user sent in the last hour and day against their sending limits,
// read from the counts the server's post-data hook keeps (see docs/sending-limits.md).
import {
  LIMITS_LOG_FILE,
  LIMITS_STATE_DIR,
  LIMITS_TABLE,
  limitWords,
  loginCounts,
  type LoginCounts,
} from '../core/chasquid';
import { CHASQUID_DIR } from '../core/chasquid/paths';
import { hasSendingLimits, SENDING_LIMIT_KEYS, type SendingLimitKey } from '../core/config';
import { shellScript } from '../core/remote';
import type { CommandFn } from './command-types';
import type { ConnectFlags } from './connect';
import { withContext } from './context';
import { out, printJson } from './output';

// $1 the table, $2 the log: the server's time, whether the table is installed, then the log.
const READ_COUNTS = `date +%s
if [ -r "$1" ]; then echo table; else echo none; fi
cat -- "$2" 2>/dev/null
exit 0`;

function cell(row: LoginCounts, key: SendingLimitKey): string {
  const limit = row.limits[key];
  return limit === undefined ? String(row.counts[key]) : `${row.counts[key]}/${limit}`;
}

function describeRow(row: LoginCounts): string {
  const [mh, md, rh, rd] = SENDING_LIMIT_KEYS.map((key) => cell(row, key));
  const reached = row.reached.map((key) => `${row.limits[key]} ${limitWords(key)}`).join(', ');
  return (
    `  ${row.login}${row.unlisted ? ' (not in mailwright.yaml)' : ''}: ` +
    `messages ${mh} in the last hour, ${md} in the last day; recipients ${rh} in the last hour, ${rd} in the last day` +
    (reached ? ` — at its limit of ${reached}: further mail is refused for now` : '')
  );
}

export const limitsCommand: CommandFn = async ({ flags }, signal) =>
  withContext(flags as ConnectFlags, async (context) => {
    const host = context.host();
    const conn = await context.connection(host);
    const r = await conn.exec(
      shellScript(READ_COUNTS, [`${CHASQUID_DIR}/${LIMITS_TABLE}`, `${LIMITS_STATE_DIR}/${LIMITS_LOG_FILE}`]),
      { sudo: true, signal },
    );
    const [time = '', table = '', ...log] = r.stdout.split('\n');
    const now = Number(time);
    const rows = loginCounts(host, log.join('\n'), Number.isFinite(now) ? now : Date.now() / 1000);
    const limitsSet = hasSendingLimits(host);
    const installed = table === 'table';
    if (flags.json) {
      printJson({ host: host.name, limitsSet, installed, now, logins: rows });
      return 0;
    }
    if (!limitsSet && !installed) {
      out(`${host.name}: no sending limits are set in mailwright.yaml, and nothing is counted.`);
      return 0;
    }
    out(`${host.name}: what each user sent (count/limit; no limit where only the count is shown)`);
    out(...rows.map(describeRow));
    if (limitsSet && !installed)
      out(
        `The server does not enforce these limits yet: provision it (mailwright apply --host ${host.name}).`,
      );
    if (!limitsSet && installed)
      out(
        `mailwright.yaml sets no limits, but the server still enforces its old ones: provision it (mailwright apply --host ${host.name}).`,
      );
    return 0;
  });
