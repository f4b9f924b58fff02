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
  type DnsCommand,
  type DnsPanelState,
} from '../../src/panels/dns/messages.js';
import { copyCommand } from '../common/copy.js';
import { t } from '../common/l10n.js';
import { connectPage } from '../common/page.js';
import { render, type DnsCommands } from './render.js';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeProgressRing(), vsCodeTag());

let state: DnsPanelState | undefined;
let lastError: string | undefined;
const app = document.getElementById('app')!;

const page = connectPage<DnsPanelState, DnsCommand>({
  isHostMessage: isDnsHostMessage,
  onState: (next) => {
    state = next;
    page.save(state);
    show();
  },
  onReply: (reply) => {
    if (reply.ok) return;
    lastError = reply.error ?? t('The command failed.');
    show();
  },
});
state = isDnsPanelState(page.saved) ? page.saved : undefined;

function request(command: Parameters<typeof page.request>[0]): void {
  lastError = undefined;
  page.request(command);
  show();
}

const commands: DnsCommands = {
  check: () => request({ type: 'check' }),
  copy: copyCommand(request),
  exportZone: () => request({ type: 'exportZone' }),
  planPublish: () => request({ type: 'planPublish' }),
  applyPublish: () => request({ type: 'applyPublish' }),
  cancelPublish: () => request({ type: 'cancelPublish' }),
};

function show(): void {
  if (!state) {
    app.replaceChildren(t('Loading…'));
    return;
  }
  render(app, state, lastError, commands);
}

show();
