// The webviews' one translator. A webview cannot call vscode.l10n: its panel puts VS Code's active
// translation bundle (vscode.l10n.bundle, none in English) in the page as
// <script type="application/json" id="l10n"> (src/vscode/webview-page.ts), and t() looks the English
// text up in it, falling back to the English text itself.
import { formatMessage, type L10n, type L10nArg } from '../../src/panels/l10n.js';

export type L10nBundle = Record<string, string>;

/** The page's bundle, read on the first t(); a page without one (English) gets {}. */
let bundle: L10nBundle | undefined;

function isBundle(v: unknown): v is L10nBundle {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((s) => typeof s === 'string')
  );
}

/** The bundle the panel put in the page; {} when there is none (English) or it is not a bundle. */
export function pageBundle(
  page: Pick<Document, 'getElementById'> | undefined = typeof document === 'undefined' ? undefined : document,
): L10nBundle {
  const text = page?.getElementById('l10n')?.textContent;
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isBundle(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** Uses this bundle instead of the page's (tests; undefined: English). */
export function useBundle(contents: L10nBundle | undefined): void {
  bundle = contents ?? {};
}

/** The text in the editor's language: `message` is the English text, `{0}`… take the arguments. */
export function t(message: string, ...args: L10nArg[]): string {
  bundle ??= pageBundle();
  // Own keys only: "constructor" is English text too, not the object's prototype.
  return formatMessage(Object.hasOwn(bundle, message) ? bundle[message]! : message, args);
}

/** t() for the modules shared with the extension, which take an L10n. */
export const l10n: L10n = { t };
