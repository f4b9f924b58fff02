// The renewal program's secrets on the server: the ACME account key, made here on the first
// renewal and never sent anywhere, and the DNS credential the plan stored (dns-01, with the
// user's consent). Both are JSON maps keyed like every other SecretStore, in root-only files.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SecretStore } from '../core/remote/secrets';

function readMap(path: string): Record<string, string> {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, string>) : {};
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`Cannot read ${path}: ${(e as Error).message}`);
  }
}

export class FileSecretStore implements SecretStore {
  /** `writable` takes what the program makes itself; `readOnly` files are the plan's. */
  constructor(
    private readonly writable: string,
    private readonly readOnly: readonly string[] = [],
  ) {}

  async get(key: string): Promise<string | undefined> {
    for (const file of [this.writable, ...this.readOnly]) {
      const value = readMap(file)[key];
      if (value !== undefined) return value;
    }
    return undefined;
  }

  async set(key: string, value: string): Promise<void> {
    this.save({ ...readMap(this.writable), [key]: value });
  }

  async delete(key: string): Promise<void> {
    const map = readMap(this.writable);
    delete map[key];
    this.save(map);
  }

  private save(map: Record<string, string>): void {
    mkdirSync(dirname(this.writable), { recursive: true, mode: 0o700 });
    const temp = `${this.writable}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(map, null, 2) + '\n', { mode: 0o600 });
    renameSync(temp, this.writable);
  }
}
