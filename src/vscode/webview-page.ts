// The page shell of every webview panel: one script and one style sheet from dist/webview,
// a nonce-locked Content Security Policy, nothing remote, and the active translation bundle.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { bundleJson } from '../panels/l10n';

function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    // Hidden panels are thrown away; the webview's own setState keeps what it shows.
    retainContextWhenHidden: false,
    localResourceRoots: [webviewRoot(extensionUri)],
  };
}

/** The page of the front end `bundle` (dist/webview/<bundle>.js and <bundle>-style.css). */
export function webviewPage(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  page: { bundle: string; title: string },
): string {
  const nonce = randomBytes(16).toString('base64');
  const root = webviewRoot(extensionUri);
  const script = webview.asWebviewUri(vscode.Uri.joinPath(root, `${page.bundle}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(root, `${page.bundle}-style.css`));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const title = page.title.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  // The webview's t() (webview/common/l10n.ts) reads it. A JSON data block is never executed, so
  // the CSP needs no nonce for it.
  const bundle = vscode.l10n.bundle
    ? `<script type="application/json" id="l10n">${bundleJson(vscode.l10n.bundle)}</script>\n`
    : '';
  return `<!DOCTYPE html>
<html lang="${vscode.env.language.startsWith('zh') ? 'zh-CN' : 'en'}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>${title}</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
${bundle}<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
