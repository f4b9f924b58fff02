// The Mail Report panel's front end: shows the report the extension sends, keeps it across
// hiding and reloads (setState), and turns clicks into typed commands. No vscode or node imports.
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeProgressRing,
  vsCodeTag,
} from '@vscode/webview-ui-toolkit';
import {
  isMailReportHostMessage,
  isMailReportView,
  type MailReportCommand,
  type MailReportView,
} from '../../src/panels/mail-report/messages.js';
import { copyCommand } from '../common/copy.js';
import { t } from '../common/l10n.js';
import { connectPage } from '../common/page.js';
import { render, type ReportCommands } from './render.js';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeProgressRing(), vsCodeTag());

let state: MailReportView | undefined;
let lastError: string | undefined;
let pending = 0;
const app = document.getElementById('app')!;

const page = connectPage<MailReportView, MailReportCommand>({
  isHostMessage: isMailReportHostMessage,
  onState: (next) => {
    state = next;
    page.save(state);
    show();
  },
  onReply: (reply) => {
    pending = 0;
    if (!reply.ok) lastError = reply.error ?? t('The command failed.');
    show();
  },
});
state = isMailReportView(page.saved) ? page.saved : undefined;

function request(command: Parameters<typeof page.request>[0], busy = false): void {
  lastError = undefined;
  if (busy) pending++;
  page.request(command);
  show();
}

const commands: ReportCommands = {
  copy: copyCommand(request),
  action: (id) => request({ type: 'action', id }, true),
};

function show(): void {
  if (!state) {
    app.replaceChildren(t('Loading…'));
    return;
  }
  render(app, state, { error: lastError, busy: pending > 0 }, commands);
}

show();
