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
  type MailReportView,
  type MailReportWebviewMessage,
} from '../../src/vscode/mail-report/messages.js';
import { t } from '../common/l10n.js';
import { render, type ReportCommands } from './render.js';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeProgressRing(), vsCodeTag());

interface VsCodeApi {
  postMessage(message: MailReportWebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

const saved = vscode.getState();
let state: MailReportView | undefined = isMailReportView(saved) ? saved : undefined;
let lastError: string | undefined;
let pending = 0;
let nextRequest = 1;
const app = document.getElementById('app')!;

function request(make: (requestId: number) => MailReportWebviewMessage, busy = false): void {
  lastError = undefined;
  if (busy) pending++;
  vscode.postMessage(make(nextRequest++));
  show();
}

const commands: ReportCommands = {
  copy: (text, what) => request((requestId) => ({ type: 'copy', requestId, text, what })),
  action: (id) => request((requestId) => ({ type: 'action', requestId, id }), true),
};

function show(): void {
  if (!state) {
    app.replaceChildren(t('Loading…'));
    return;
  }
  render(app, state, { error: lastError, busy: pending > 0 }, commands);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isMailReportHostMessage(message)) return; // validated: anything else is ignored
  if (message.type === 'reply') {
    pending = 0;
    if (!message.ok) lastError = message.error ?? t('The command failed.');
  } else {
    state = message.state;
    vscode.setState(state);
  }
  show();
});

show();
vscode.postMessage({ type: 'ready' });
