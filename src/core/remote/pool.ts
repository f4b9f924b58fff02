// One connection per host, shared by everything that talks to that host.
import { RemoteConnection, type ConnectOptions } from './connection';

export class ConnectionPool {
  private readonly connections = new Map<string, RemoteConnection>();

  constructor(private readonly defaults: Omit<ConnectOptions, 'name' | 'ssh'>) {}

  get(options: Pick<ConnectOptions, 'name' | 'ssh'>): RemoteConnection {
    // Everything that decides the login is in the key; warnings and origins are not.
    const key = `${options.name}|${JSON.stringify({ ...options.ssh, origins: undefined, warnings: undefined })}`;
    let conn = this.connections.get(key);
    if (!conn) {
      // A host whose settings changed gets a new connection; the old one is closed.
      for (const [k, c] of this.connections) {
        if (k.startsWith(`${options.name}|`)) {
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
