// SecretStorage behind the core's SecretStore interface: passwords live in the OS keychain, never in files.
import type * as vscode from 'vscode';
import type { SecretStore } from '../core/remote';

export class VscodeSecretStore implements SecretStore {
  constructor(private readonly storage: vscode.SecretStorage) {}
  async get(key: string) {
    return this.storage.get(`mailwright:${key}`);
  }
  async set(key: string, value: string) {
    await this.storage.store(`mailwright:${key}`, value);
  }
  async delete(key: string) {
    await this.storage.delete(`mailwright:${key}`);
  }
}
