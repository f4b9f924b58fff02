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
  type DashboardCommand,
  type DashboardState,
  type DriftDecision,
  type SavedWebviewState,
} from '../../src/panels/dashboard/messages.js';
import { copyCommand } from '../common/copy.js';
import { t } from '../common/l10n.js';
import { connectPage } from '../common/page.js';
import { render, type Commands } from './render.js';

provideVSCodeDesignSystem().register(
  vsCodeButton(),
  vsCodeDivider(),
  vsCodeProgressRing(),
  vsCodeRadio(),
  vsCodeRadioGroup(),
  vsCodeTag(),
);

let view: SavedWebviewState | undefined;
let lastError: string | undefined;

const app = document.getElementById('app')!;

const page = connectPage<DashboardState, DashboardCommand>({
  isHostMessage,
  onState: (state) => {
    // A new plan resets the choices about drifted files.
    const decisions = state.phase === 'gathering' ? {} : (view?.decisions ?? {});
    view = { state, decisions };
    page.save(view);
    show();
  },
  onReply: (reply) => {
    if (reply.ok) return;
    lastError = reply.error ?? t('The command failed.');
    show();
  },
});
view = isSavedWebviewState(page.saved) ? page.saved : undefined;

function request(command: Parameters<typeof page.request>[0]): void {
  lastError = undefined;
  page.request(command);
}

const commands: Commands = {
  apply: () => request({ type: 'apply', decisions: view?.decisions ?? {} }),
  cancel: () => request({ type: 'cancel' }),
  replan: () => request({ type: 'replan' }),
  copy: copyCommand(request),
  rerun: (from) => request({ type: 'rerun', from, decisions: view?.decisions ?? {} }),
  decide: (path: string, decision: DriftDecision) => {
    if (!view) return;
    view = { ...view, decisions: { ...view.decisions, [path]: decision } };
    page.save(view);
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

show();
