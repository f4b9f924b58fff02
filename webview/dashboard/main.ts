// The dashboard's front end: shows the state the extension sends, keeps it across hiding
// (setState), and turns clicks into typed commands. No vscode or node imports here.
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDivider,
  vsCodeProgressRing,
  vsCodeRadio,
  vsCodeRadioGroup,
  vsCodeTag,
} from '@vscode/webview-ui-toolkit';
import {
  isHostMessage,
  isSavedWebviewState,
  type DriftDecision,
  type SavedWebviewState,
  type WebviewMessage,
} from '../../src/vscode/dashboard/messages.js';
import { t } from '../common/l10n.js';
import { render, type Commands } from './render.js';

provideVSCodeDesignSystem().register(
  vsCodeButton(),
  vsCodeDivider(),
  vsCodeProgressRing(),
  vsCodeRadio(),
  vsCodeRadioGroup(),
  vsCodeTag(),
);

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

const saved = vscode.getState();
let view: SavedWebviewState | undefined = isSavedWebviewState(saved) ? saved : undefined;
let lastError: string | undefined;
let nextRequest = 1;

const app = document.getElementById('app')!;

function request(make: (requestId: number) => WebviewMessage): void {
  lastError = undefined;
  vscode.postMessage(make(nextRequest++));
}

const commands: Commands = {
  apply: () => request((requestId) => ({ type: 'apply', requestId, decisions: view?.decisions ?? {} })),
  cancel: () => request((requestId) => ({ type: 'cancel', requestId })),
  replan: () => request((requestId) => ({ type: 'replan', requestId })),
  copy: (text, what) => request((requestId) => ({ type: 'copy', requestId, text, what })),
  rerun: (from) =>
    request((requestId) => ({ type: 'rerun', requestId, from, decisions: view?.decisions ?? {} })),
  decide: (path: string, decision: DriftDecision) => {
    if (!view) return;
    view = { ...view, decisions: { ...view.decisions, [path]: decision } };
    vscode.setState(view);
    show();
  },
};

function show(): void {
  if (!view) {
    app.replaceChildren(t('Loading…'));
    return;
  }
  render(app, view, lastError, commands);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isHostMessage(message)) return; // validated: anything else is ignored
  if (message.type === 'reply') {
    if (message.ok) return;
    lastError = message.error ?? t('The command failed.');
  } else {
    // A new plan resets the choices about drifted files.
    const decisions = message.state.phase === 'gathering' ? {} : (view?.decisions ?? {});
    view = { state: message.state, decisions };
    vscode.setState(view);
  }
  show();
});

show();
vscode.postMessage({ type: 'ready' });
