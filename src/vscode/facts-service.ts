// Facts per host, gathered on demand (one SSH round trip each) and cached until refreshed.
import * as vscode from 'vscode';
import type { HostConfig } from '../core/config';
import type { Facts } from '../core/facts';
import { load } from './lazy';
import type { RemoteAccess } from './remote-access';

export type FactsState =
  { kind: 'loading' } | { kind: 'ok'; facts: Facts } | { kind: 'error'; message: string };

export class FactsService implements vscode.Disposable {
  private readonly states = new Map<string, FactsState>();
  private readonly inflight = new Map<string, Promise<Facts>>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the host name whose facts changed. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly remote: RemoteAccess,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  state(host: string): FactsState | undefined {
    return this.states.get(host);
  }

  /** Starts gathering in the background unless facts are cached or on their way. */
  ensure(host: HostConfig): void {
    if (!this.states.has(host.name)) void this.gather(host).catch(() => undefined);
  }

  async gather(host: HostConfig, token?: vscode.CancellationToken): Promise<Facts> {
    const running = this.inflight.get(host.name);
    if (running) return running;
    const abort = new AbortController();
    token?.onCancellationRequested(() => abort.abort());
    // Keep showing the facts we have while fresh ones are on their way.
    if (this.states.get(host.name)?.kind !== 'ok') this.set(host.name, { kind: 'loading' });
    // ssh2 and the fact script load with the first host's facts, not at activation.
    const work = Promise.all([load('remote'), this.remote.get()])
      .then(([{ gatherFacts }, connections]) => gatherFacts(connections.for(host), { signal: abort.signal }))
      .then((facts) => {
        this.set(host.name, { kind: 'ok', facts });
        this.log.info(`Facts of ${host.name}: ${facts.os.prettyName}, gathered in ${facts.durationMs} ms`);
        return facts;
      })
      .catch((e: Error) => {
        this.set(host.name, { kind: 'error', message: e.message });
        this.log.error(`Facts of ${host.name}: ${e.message}`);
        throw e;
      })
      .finally(() => this.inflight.delete(host.name));
    this.inflight.set(host.name, work);
    return work;
  }

  clear(): void {
    this.states.clear();
  }

  private set(host: string, state: FactsState): void {
    this.states.set(host, state);
    this.changed.fire(host);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
