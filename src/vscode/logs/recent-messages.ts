// "Mail: Show Recent Messages": chasquid's last deliveries parsed from its log, in a quick pick.
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import { recentMessages, type Outcome } from '../../core/logs';
import { shellScript } from '../../core/remote';
import type { Connections } from '../connections';

const READ_SCRIPT = `if command -v journalctl >/dev/null 2>&1 && [ -n "$(journalctl -u chasquid -n 1 -q --no-pager 2>/dev/null)" ]; then
  journalctl -u chasquid -n "$1" --no-pager -o short-iso
elif [ -e /var/log/mail.log ]; then tail -n "$1" /var/log/mail.log
else tail -n "$1" /var/log/syslog; fi`;

const ICONS: Record<Outcome, string> = {
  sent: '$(pass)',
  queued: '$(clock)',
  'temporary failure': '$(warning)',
  failed: '$(error)',
  rejected: '$(circle-slash)',
};

function outcomeLabel(outcome: Outcome): string {
  switch (outcome) {
    case 'sent':
      return vscode.l10n.t('sent');
    case 'queued':
      return vscode.l10n.t('queued');
    case 'temporary failure':
      return vscode.l10n.t('temporary failure');
    case 'failed':
      return vscode.l10n.t('failed');
    case 'rejected':
      return vscode.l10n.t('rejected');
  }
}

export async function showRecentMessages(connections: Connections, host: HostConfig): Promise<void> {
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t("Reading chasquid's log on {0}…", host.name),
    },
    () => connections.for(host).exec(shellScript(READ_SCRIPT, ['5000']), { sudo: true, check: false }),
  );
  const rows = recentMessages(result.stdout.split('\n'));
  if (rows.length === 0) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('No messages in the recent log of {0}.', host.name),
    );
    return;
  }
  const picked = await vscode.window.showQuickPick(
    rows.map((r) => ({
      label: `${ICONS[r.result]} ${r.from || '<>'} → ${r.to.join(', ')}`,
      description: `${outcomeLabel(r.result)}${r.queueId ? ` · ${r.queueId}` : ''}`,
      // The time and the detail are chasquid's log, as it wrote them.
      detail: [
        r.time,
        ...Object.entries(r.deliveries).map(([to, o]) => vscode.l10n.t('{0}: {1}', to, outcomeLabel(o))),
        r.detail,
      ]
        .filter(Boolean)
        .join(' · '),
      row: r,
    })),
    {
      title: vscode.l10n.t('Recent messages on {0}', host.name),
      matchOnDescription: true,
      matchOnDetail: true,
    },
  );
  if (picked?.row.queueId) {
    await vscode.env.clipboard.writeText(picked.row.queueId);
    void vscode.window.showInformationMessage(vscode.l10n.t('Queue ID {0} copied.', picked.row.queueId));
  }
}
