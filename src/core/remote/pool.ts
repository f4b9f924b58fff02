// One connection per host, shared by everything that talks to that host.
import { connectionKey, RemoteConnection, type ConnectOptions } from './connection';

/** What a host of mailwright.yaml says about reaching it; the rest is the same for every host. */
type HostOptions = 'name' | 'ssh';

export class ConnectionPool {
  private readonly connections = new Map<string, RemoteConnection>();

  constructor(private readonly defaults: Omit<ConnectOptions, HostOptions>) {}

  /** The host's connection; keyed by the whole way to it (the login and every jump host's). */
  get(options: Pick<ConnectOptions, HostOptions>): RemoteConnection {
    const key = connectionKey(options);
    let conn = this.connections.get(key);
    if (!conn) {
      // A host whose settings changed gets a new connection; the old one is closed.
      for (const [k, c] of this.connections) {
        if (c.options.name === options.name) {
          c.close();
          this.connections.delete(k);
        }
      }
      conn = new RemoteConnection({ ...this.defaults, ...options });
      this.connections.set(key, conn);
    }
    return conn;
  }

  closeAll(): void {
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }
}
