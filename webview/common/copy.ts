// The Copy button of every panel: a `copy` command of the page's protocol (src/panels/protocol.ts),
// sent with the page's request(); the extension writes the clipboard (src/vscode/clipboard.ts).
import type { CommandBody, CopyCommand } from '../../src/panels/protocol.js';
import { button } from './dom.js';
import { t } from './l10n.js';

/** The page's copy command, sent through its request() (connectPage). */
export function copyCommand(
  request: (command: CommandBody<CopyCommand>) => void,
): (text: string, what: string) => void {
  return (text, what) => request({ type: 'copy', text, what });
}

/** `what` names the text in the host's "Copied {0}"; `tooltip` says what the button does. */
export function copyButton(
  text: string,
  what: string,
  tooltip: string,
  cls: string,
  copy: (text: string, what: string) => void,
): HTMLElement {
  return button(t('Copy'), () => copy(text, what), {
    class: `copy ${cls}`,
    appearance: 'secondary',
    title: tooltip,
    'aria-label': tooltip,
  });
}
