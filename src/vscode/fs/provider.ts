// mailwright://<host>/etc/chasquid/…: chasquid's configuration opened in normal editors, over
// the host's SSH connection (as root through sudo). Saving runs the checked pipeline in save.ts.
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import { readRemoteFile, shellScript } from '../../core/remote';
import type { Connections } from '../connections';
import type { FactsService } from '../facts-service';
import type { WorkspaceConfig } from '../workspace-config';
import { checkConfPath, SCHEME } from './remote-paths';
import { saveConfFile, showProblems } from './save';
import { generatedFromYaml } from '../../core/plan/actions/domains';
import { chasquidSocketUnits } from '../../core/plan/actions/service';

// One line "type size mtime" for the path, or "missing"; -L follows symlinked cert folders.
const STAT_SCRIPT = `if [ -e "$1" ]; then stat -L -c '%F|%s|%Y' -- "$1"; else echo missing; fi`;
const LIST_SCRIPT = `find -L "$1" -mindepth 1 -maxdepth 1 -printf '%y %f\\n' 2>/dev/null | grep -v '^. \\.git$' || true`;

export function confUri(hostName: string, path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, authority: hostName, path });
}

export class MailFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  readonly diagnostics = vscode.languages.createDiagnosticCollection('chasquid');

  private readonly listeners: vscode.Disposable[];

  constructor(
    private readonly config: WorkspaceConfig,
    private readonly connections: Connections,
    private readonly facts: FactsService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    // The problems follow the text: a revert or an edit back to valid content clears them, and
    // a closed file has none.
    this.listeners = [
      vscode.workspace.onDidChangeTextDocument((e) => this.recheck(e.document)),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc.uri.scheme === SCHEME) this.diagnostics.delete(doc.uri);
      }),
    ];
  }

  private recheck(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== SCHEME || checkConfPath(doc.uri.path, vscode.l10n)) return;
    const facts = this.facts.state(doc.uri.authority);
    const version = facts?.kind === 'ok' ? facts.facts.chasquid.version : undefined;
    showProblems(this.diagnostics, doc.uri, doc.uri.path, doc.getText(), version);
  }

  private async target(uri: vscode.Uri): Promise<{ host: HostConfig; path: string }> {
    const problem = checkConfPath(uri.path, vscode.l10n);
    if (problem)
      throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('{0}: {1}', uri.toString(), problem));
    const host = (await this.config.get())?.hosts.find((h) => h.name === uri.authority);
    if (!host)
      throw vscode.FileSystemError.Unavailable(
        vscode.l10n.t('No host "{0}" in mailwright.yaml', uri.authority),
      );
    return { host, path: uri.path.replace(/\/+$/, '') || '/' };
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const { host, path } = await this.target(uri);
    const r = await this.connections.for(host).exec(shellScript(STAT_SCRIPT, [path]), { sudo: true });
    const line = r.stdout.trim();
    if (line === 'missing') throw vscode.FileSystemError.FileNotFound(uri);
    const [kind = '', size = '0', mtime = '0'] = line.split('|');
    return {
      type: kind === 'directory' ? vscode.FileType.Directory : vscode.FileType.File,
      size: Number(size),
      ctime: Number(mtime) * 1000,
      mtime: Number(mtime) * 1000,
      // Generated from mailwright.yaml: a save here would contradict it.
      ...(generatedFromYaml(path) ? { permissions: vscode.FilePermission.Readonly } : {}),
    };
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    const { host, path } = await this.target(uri);
    const r = await this.connections.for(host).exec(shellScript(LIST_SCRIPT, [path]), { sudo: true });
    return r.stdout
      .split('\n')
      .filter((l) => l.length > 2)
      .map((l) => [l.slice(2), l[0] === 'd' ? vscode.FileType.Directory : vscode.FileType.File]);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const { host, path } = await this.target(uri);
    try {
      return await readRemoteFile(this.connections.for(host), path);
    } catch (e) {
      throw vscode.FileSystemError.FileNotFound(`${uri.toString()}: ${(e as Error).message}`);
    }
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const { host, path } = await this.target(uri);
    if (generatedFromYaml(path))
      throw vscode.FileSystemError.Unavailable(
        vscode.l10n.t(
          '{0} is generated from mailwright.yaml: change mailwright.yaml and provision instead.',
          uri.path,
        ),
      );
    const facts = this.facts.state(host.name);
    await saveConfFile({
      uri,
      host,
      path,
      content,
      conn: this.connections.for(host),
      chasquidVersion: facts?.kind === 'ok' ? facts.facts.chasquid.version : undefined,
      socketUnits: facts?.kind === 'ok' ? chasquidSocketUnits(facts.facts) : undefined,
      diagnostics: this.diagnostics,
      log: this.log,
    });
    this.changed.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  watch(): vscode.Disposable {
    // Remote changes are not pushed; saves through this provider fire onDidChangeFile.
    return new vscode.Disposable(() => undefined);
  }

  createDirectory(): void {
    throw vscode.FileSystemError.NoPermissions(
      vscode.l10n.t('Create folders on the server through provisioning.'),
    );
  }

  delete(): void {
    throw vscode.FileSystemError.NoPermissions(
      vscode.l10n.t('Mailwright does not delete server files from the editor.'),
    );
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions(
      vscode.l10n.t('Mailwright does not rename server files from the editor.'),
    );
  }

  dispose(): void {
    for (const l of this.listeners) l.dispose();
    this.changed.dispose();
    this.diagnostics.dispose();
  }
}
