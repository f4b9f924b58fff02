// Each server's queue, read on demand (one SSH round trip) and again whenever its facts are
// gathered again (Mail: Refresh), so the Queue row refreshes with the tree. The reading code
// (src/core/queue) is in the "queue" bundle, loaded with the first host's queue.
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import type { QueueListing } from '../../core/queue/items';
import type { FactsService } from '../facts-service';
import { load } from '../lazy';
import type { RemoteAccess } from '../remote-access';

export type QueueState =
  { kind: 'loading' } | { kind: 'ok'; listing: QueueListing } | { kind: 'error'; message: string };

export class QueueService implements vscode.Disposable {
  private readonly states = new Map<string, QueueState>();
  private readonly inflight = new Map<string, Promise<QueueListing>>();
  private readonly hosts = new Map<string, HostConfig>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the host name whose queue changed. */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly remote: RemoteAccess,
    facts: FactsService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    // Fresh facts (a refresh): read the queue of that host again, if it was shown.
    this.subscription = facts.onDidChange((name) => {
      const host = this.hosts.get(name);
      if (host && facts.state(name)?.kind === 'ok' && this.states.get(name)?.kind !== 'loading')
        void this.read(host).catch(() => undefined);
    });
  }

  state(host: string): QueueState | undefined {
    return this.states.get(host);
  }

  /** Starts reading in the background unless the queue is known or on its way. */
  ensure(host: HostConfig): void {
    this.hosts.set(host.name, host);
    if (!this.states.has(host.name)) void this.read(host).catch(() => undefined);
  }

  read(host: HostConfig): Promise<QueueListing> {
    this.hosts.set(host.name, host);
    const running = this.inflight.get(host.name);
    if (running) return running;
    if (this.states.get(host.name)?.kind !== 'ok') this.set(host.name, { kind: 'loading' });
    const work = Promise.all([load('queue'), this.remote.get()])
      .then(([{ readQueue }, connections]) => readQueue(connections.for(host)))
      .then((listing) => {
        this.set(host.name, { kind: 'ok', listing });
        this.log.info(`Queue of ${host.name}: ${listing.items.length} message(s)`);
        return listing;
      })
      .catch((e: Error) => {
        this.set(host.name, { kind: 'error', message: e.message });
        this.log.error(`Queue of ${host.name}: ${e.message}`);
        throw e;
      })
      .finally(() => this.inflight.delete(host.name));
    this.inflight.set(host.name, work);
    return work;
  }

  private set(host: string, state: QueueState): void {
    this.states.set(host, state);
    this.changed.fire(host);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
