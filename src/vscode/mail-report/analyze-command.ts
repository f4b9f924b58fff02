// "Mail: Analyze Message Source": the raw message in the active editor, or one the user opens
// or pastes (native quick pick), judged by the core's analysis with the DNS resolvers of the
// mailwright.dns.resolvers setting, shown in the Mail Report panel.
import * as vscode from 'vscode';
import { analyzeMessage, looksLikeMessage } from '../../core/analyze';
import { resolverLookup } from '../../core/dns/lookup';
import { dnsCheckSettings } from '../dns/settings';
import { ENGLISH } from '../../panels/l10n';
import { MailReportPanel, type MailReportPanelDeps } from './panel';
import { analysisView, checksSummary } from '../../panels/mail-report/view';
import type { MailReportView } from '../../panels/mail-report/messages';

interface MessageSource {
  /** Shown in the report: a workspace-relative path, a file name, or "clipboard". */
  label: string;
  /** The message as it is now (read again by "Analyze again"). */
  read(): Promise<Uint8Array | string>;
}

/** A file's bytes as saved (a DKIM body hash is over bytes), or the editor's text while it is unsaved. */
function documentSource(doc: vscode.TextDocument): MessageSource {
  const uri = doc.uri;
  return {
    label: uri.scheme === 'untitled' ? doc.fileName : vscode.workspace.asRelativePath(uri),
    async read() {
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      if (open && (open.isDirty || open.isUntitled)) return open.getText();
      return vscode.workspace.fs.readFile(uri);
    },
  };
}

async function pickSource(): Promise<MessageSource | undefined> {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && looksLikeMessage(doc.getText())) return documentSource(doc);

  const picked = await vscode.window.showQuickPick(
    [
      {
        id: 'file' as const,
        label: `$(file) ${vscode.l10n.t('Open a message file…')}`,
        detail: vscode.l10n.t(
          'A .eml file: the whole message with its headers ("Show original" in Gmail, "View source" in Thunderbird, then save).',
        ),
      },
      {
        id: 'clipboard' as const,
        label: `$(clippy) ${vscode.l10n.t('Paste from the clipboard')}`,
        detail: vscode.l10n.t('The message source you copied, headers included.'),
      },
    ],
    {
      title: vscode.l10n.t('Analyze Message Source'),
      placeHolder: vscode.l10n.t('The active editor holds no raw message: where is the message?'),
    },
  );
  if (!picked) return undefined;
  if (picked.id === 'file') {
    const [uri] =
      (await vscode.window.showOpenDialog({
        canSelectMany: false,
        openLabel: vscode.l10n.t('Analyze'),
        filters: { [vscode.l10n.t('Messages')]: ['eml', 'txt'], [vscode.l10n.t('All files')]: ['*'] },
      })) ?? [];
    if (!uri) return undefined;
    return {
      label: vscode.workspace.asRelativePath(uri),
      read: async () => vscode.workspace.fs.readFile(uri),
    };
  }
  // A copied source often starts with an empty line: the header section starts at the first field.
  const text = (await vscode.env.clipboard.readText()).replace(/^\s*\n/, '');
  if (!looksLikeMessage(text))
    throw new Error(
      vscode.l10n.t(
        'The clipboard holds no raw message: copy the whole message source ("Show original" in Gmail, "View source" in Thunderbird), headers included.',
      ),
    );
  return { label: vscode.l10n.t('clipboard'), read: () => Promise.resolve(text) };
}

/** The resolvers of mailwright.dns.resolvers (the system's when empty), as the DNS checks use them. */
function resolver() {
  const config = vscode.workspace.getConfiguration('mailwright');
  const { resolvers } = dnsCheckSettings((key) => (key === 'dns.resolvers' ? config.get(key) : undefined));
  return resolvers ? resolverLookup(resolvers, { timeoutMs: 3000 }) : undefined;
}

/** The report of the message as it is now; undefined when the user cancelled. */
async function analyze(
  deps: MailReportPanelDeps,
  source: MessageSource,
): Promise<MailReportView | undefined> {
  const raw = await source.read();
  const text = typeof raw === 'string' ? raw : Buffer.from(raw);
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Analyzing {0}…', source.label),
      cancellable: true,
    },
    async (_progress, token) => {
      const abort = new AbortController();
      const listener = token.onCancellationRequested(() => abort.abort());
      try {
        const analysis = await analyzeMessage(text, { resolver: resolver(), signal: abort.signal });
        const view = analysisView(analysis, source.label, vscode.l10n);
        // The log is in English (bug reports are read in English).
        deps.log.info(`Analyzed ${source.label}: ${checksSummary(analysis.checks, ENGLISH)}`);
        return view;
      } catch (e) {
        if (abort.signal.aborted) return undefined;
        throw e;
      } finally {
        listener.dispose();
      }
    },
  );
}

export async function analyzeMessageSource(deps: MailReportPanelDeps): Promise<void> {
  const source = await pickSource();
  if (!source) return;
  const view = await analyze(deps, source);
  if (!view) return;
  MailReportPanel.show(deps, view, {
    onAction: async (id) => (id === 'analyze-again' ? analyze(deps, source) : undefined),
  });
}
