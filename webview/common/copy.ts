// The Copy button of every panel: the extension writes the clipboard (src/vscode/clipboard.ts).
import { button } from './dom.js';
import { t } from './l10n.js';

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
