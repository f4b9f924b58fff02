// The Reports panel's front end: shows the summary the extension sends, keeps it across hiding
// and reloads (setState), and turns clicks into typed commands. No vscode or node imports.
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeProgressRing } from '@vscode/webview-ui-toolkit';
import {
  isReportsHostMessage,
  isReportsView,
  type ReportsCommand,
  type ReportsView,
} from '../../src/panels/reports/messages.js';
import { copyCommand } from '../common/copy.js';
import { t } from '../common/l10n.js';
import { connectPage } from '../common/page.js';
import { render, type ReportsCommands } from './render.js';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeProgressRing());

let state: ReportsView | undefined;
let lastError: string | undefined;
const app = document.getElementById('app')!;

const page = connectPage<ReportsView, ReportsCommand>({
  isHostMessage: isReportsHostMessage,
  onState: (next) => {
    state = next;
    page.save(state);
    show();
  },
  onReply: (reply) => {
    if (!reply.ok) lastError = reply.error ?? t('The command failed.');
    show();
  },
});
state = isReportsView(page.saved) ? page.saved : undefined;

function request(command: Parameters<typeof page.request>[0]): void {
  lastError = undefined;
  page.request(command);
  show();
}

const commands: ReportsCommands = {
  copy: copyCommand(request),
  refresh: () => request({ type: 'refresh' }),
};

function show(): void {
  if (!state) {
    app.replaceChildren(t('Loading…'));
    return;
  }
  render(app, state, lastError, commands);
}

show();
