// The providers VS Code needs registered at activation (a restored editor may ask for a
// mailwright:// file or a log document at any time), standing in for implementations that
// live in lazily loaded bundles: the first call loads the bundle, later calls go straight to it.
import * as vscode from 'vscode';

/** A FileSystemProvider whose implementation is created on first use. */
export class LazyFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  private impl?: Promise<vscode.FileSystemProvider & vscode.Disposable>;
  private forwarding?: vscode.Disposable;

  constructor(private readonly create: () => Promise<vscode.FileSystemProvider & vscode.Disposable>) {}

  private provider(): Promise<vscode.FileSystemProvider> {
    this.impl ??= this.create().then((p) => {
      this.forwarding = p.onDidChangeFile((e) => this.changed.fire(e));
      return p;
    });
    // A failed load is retried on the next call instead of being remembered forever.
    this.impl.catch(() => (this.impl = undefined));
    return this.impl;
  }

  watch(): vscode.Disposable {
    // Remote files are not watched: saves through this provider fire onDidChangeFile.
    return new vscode.Disposable(() => undefined);
  }
  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    return (await this.provider()).stat(uri);
  }
  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    return (await this.provider()).readDirectory(uri);
  }
  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return (await this.provider()).readFile(uri);
  }
  async writeFile(
    uri: vscode.Uri,
    content: Uint8Array,
    options: { readonly create: boolean; readonly overwrite: boolean },
  ): Promise<void> {
    return (await this.provider()).writeFile(uri, content, options);
  }
  async createDirectory(uri: vscode.Uri): Promise<void> {
    return (await this.provider()).createDirectory(uri);
  }
  async delete(uri: vscode.Uri, options: { readonly recursive: boolean }): Promise<void> {
    return (await this.provider()).delete(uri, options);
  }
  async rename(from: vscode.Uri, to: vscode.Uri, options: { readonly overwrite: boolean }): Promise<void> {
    return (await this.provider()).rename(from, to, options);
  }

  dispose(): void {
    this.forwarding?.dispose();
    this.changed.dispose();
    void this.impl?.then((p) => p.dispose()).catch(() => undefined);
  }
}

/** What the log documents offer beyond a content provider. */
export interface LogDocumentsLike extends vscode.TextDocumentContentProvider, vscode.Disposable {
  onDidChange: vscode.Event<vscode.Uri>;
}

/** A TextDocumentContentProvider whose implementation exists only once something loaded it. */
export class LazyContentProvider<T extends LogDocumentsLike>
  implements vscode.TextDocumentContentProvider, vscode.Disposable
{
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private impl?: Promise<T>;
  private loaded?: T;
  private forwarding?: vscode.Disposable;

  constructor(
    private readonly create: () => Promise<T>,
    /** Shown for a document nobody started (e.g. a tab restored after a reload). */
    private readonly idleText: () => string,
  ) {}

  /** The implementation, loading it if needed (a command that opens documents calls this). */
  get(): Promise<T> {
    this.impl ??= this.create().then((p) => {
      this.loaded = p;
      this.forwarding = p.onDidChange((uri) => this.changed.fire(uri));
      return p;
    });
    this.impl.catch(() => (this.impl = undefined));
    return this.impl;
  }

  provideTextDocumentContent(
    uri: vscode.Uri,
    token: vscode.CancellationToken,
  ): vscode.ProviderResult<string> {
    // Nothing could be streaming before the implementation exists: no need to load it here.
    return this.loaded ? this.loaded.provideTextDocumentContent(uri, token) : this.idleText();
  }

  dispose(): void {
    this.forwarding?.dispose();
    this.changed.dispose();
    this.loaded?.dispose();
  }
}
