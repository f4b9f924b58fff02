// The DNS Records panel's front end: shows the state the extension sends, keeps it across
// hiding and reloads (setState), and turns clicks into typed commands. No vscode or node imports.
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeProgressRing,
  vsCodeTag,
} from '@vscode/webview-ui-toolkit';
import {
  isDnsHostMessage,
  isDnsPanelState,
  type DnsPanelState,
  type DnsWebviewMessage,
} from '../../src/vscode/dns/messages.js';
import { t } from '../common/l10n.js';
import { render, type DnsCommands } from './render.js';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeProgressRing(), vsCodeTag());

interface VsCodeApi {
  postMessage(message: DnsWebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

const saved = vscode.getState();
let state: DnsPanelState | undefined = isDnsPanelState(saved) ? saved : undefined;
let lastError: string | undefined;
let nextRequest = 1;
const app = document.getElementById('app')!;

function request(make: (requestId: number) => DnsWebviewMessage): void {
  lastError = undefined;
  vscode.postMessage(make(nextRequest++));
  show();
}

const commands: DnsCommands = {
  check: () => request((requestId) => ({ type: 'check', requestId })),
  copy: (text, what) => request((requestId) => ({ type: 'copy', requestId, text, what })),
  exportZone: () => request((requestId) => ({ type: 'exportZone', requestId })),
  planPublish: () => request((requestId) => ({ type: 'planPublish', requestId })),
  applyPublish: () => request((requestId) => ({ type: 'applyPublish', requestId })),
  cancelPublish: () => request((requestId) => ({ type: 'cancelPublish', requestId })),
};

function show(): void {
  if (!state) {
    app.replaceChildren(t('Loading…'));
    return;
  }
  render(app, state, lastError, commands);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isDnsHostMessage(message)) return; // validated: anything else is ignored
  if (message.type === 'reply') {
    if (message.ok) return;
    lastError = message.error ?? t('The command failed.');
  } else {
    state = message.state;
    vscode.setState(state);
  }
  show();
});

show();
vscode.postMessage({ type: 'ready' });
