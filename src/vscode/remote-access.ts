// The connections to the hosts, created on first use: the pool and ssh2 live in the "remote"
// bundle, which activation does not load. One instance per extension, so one pool.
import type * as vscode from 'vscode';
import type { Connections } from './connections';
import { load } from './lazy';

export class RemoteAccess implements vscode.Disposable {
  private connections?: Promise<Connections>;
  private disposed = false;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The connection pool, loading ssh2 the first time. */
  get(): Promise<Connections> {
    this.connections ??= load('remote').then((m) => new m.Connections(this.secrets, this.log));
    this.connections.catch(() => (this.connections = undefined));
    return this.connections;
  }

  /** Settings changed: drop every connection (only if any could exist). */
  reset(): void {
    void this.connections?.then((c) => c.reset()).catch(() => undefined);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.connections?.then((c) => c.dispose()).catch(() => undefined);
  }
}
