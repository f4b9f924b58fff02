// The check program the server's timer runs (mailwright-check.service): the same checks as
// `mailwright check` — facts, each domain's DNS report, services, free space — on the server
// itself through a local connection. Alerts go out once per new problem and once when it is
// resolved (core/checks/alerts.ts); the state and the last results stay in CHECK_STATE_PATH,
// where the editor reads them. Output goes to the journal: `journalctl -u mailwright-check`.
// Exit 0: the checks ran and every alert owed was told; 1: the checks could not run, or an
// alert could not be delivered (it is tried again at the next run).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatChecks } from '../core/checks';
import { alertsFor, nextCheckState, parseCheckState, type Alert } from '../core/checks/alerts';
import { alertSubject, mailAlert, postWebhook, webhookRequest, webhookShown } from '../core/checks/notify';
import { runServerChecks } from '../core/checks/run';
import { CHECK_SETTINGS_PATH, CHECK_STATE_PATH, CHECK_WEBHOOK_PATH } from '../core/checks/server-paths';
import type { HostConfig } from '../core/config/types';
import { LocalConnection } from '../core/remote/local';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Written whole or not at all, root-only: the state names the server's problems. */
function writeState(text: string): void {
  mkdirSync(dirname(CHECK_STATE_PATH), { recursive: true, mode: 0o700 });
  const temp = `${CHECK_STATE_PATH}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  renameSync(temp, CHECK_STATE_PATH);
}

/** The webhook address the plan stored (with the user's consent), if any. */
function webhookUrl(): string | undefined {
  const text = readText(CHECK_WEBHOOK_PATH);
  if (!text) return undefined;
  const url = (JSON.parse(text) as { url?: unknown }).url;
  return typeof url === 'string' && url !== '' ? url : undefined;
}

async function main(settingsPath: string): Promise<number> {
  const { host } = JSON.parse(readFileSync(settingsPath, 'utf8')) as { host: HostConfig };
  const monitor = host.monitor ?? { every: '1h' };
  const conn = new LocalConnection(host.name);
  const report = await runServerChecks(conn, host, { ranOn: 'server' });
  for (const line of formatChecks(report.checks)) console.log(line);

  const state = parseCheckState(readText(CHECK_STATE_PATH));
  const alerts = alertsFor(state, report);
  const url = monitor.webhook ? webhookUrl() : undefined;
  if (monitor.webhook && !url)
    console.error(`No webhook address in ${CHECK_WEBHOOK_PATH}: run mailwright apply to store it.`);
  const delivered: Alert[] = [];
  let undelivered = 0;
  for (const alert of alerts) {
    // Told when at least one way worked; an alert no way could tell is owed to the next run.
    const ways: Array<[string, () => Promise<void>]> = [];
    if (monitor.webhook && url)
      ways.push([
        `webhook ${webhookShown(url)}`,
        () => postWebhook(webhookRequest(monitor.webhook!, url, alert)),
      ]);
    if (monitor.mailTo) ways.push([`mail to ${monitor.mailTo}`, () => mailAlert(alert, monitor.mailTo!)]);
    let told = ways.length === 0;
    for (const [way, send] of ways) {
      try {
        await send();
        told = true;
        console.log(`Alert sent (${way}): ${alertSubject(alert)}`);
      } catch (e) {
        console.error(`Alert not sent (${way}): ${(e as Error).message}`);
      }
    }
    if (told) delivered.push(alert);
    else undelivered++;
  }
  writeState(JSON.stringify(nextCheckState(state, report, delivered), null, 2) + '\n');
  if (alerts.length === 0) console.log('No new problem and none resolved: no alert.');
  return undelivered > 0 ? 1 : 0;
}

main(process.argv[2] ?? CHECK_SETTINGS_PATH).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`The checks could not run: ${e.message}`);
    process.exit(1);
  },
);
