// Where passwords and passphrases come from. The extension backs this with
// VS Code SecretStorage; the CLI with environment variables. Secrets stay in memory.

export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Secret keys are namespaced per host so two servers never share a password by accident. */
export const secretKeys = {
  sshPassword: (hostName: string) => `ssh-password:${hostName}`,
  keyPassphrase: (hostName: string) => `key-passphrase:${hostName}`,
  sudoPassword: (hostName: string) => `sudo-password:${hostName}`,
  /** A mail user's password, needed once when the user is created on the server. */
  userPassword: (address: string) => `user-password:${address}`,
  /** A DNS provider's credential for a domain: TSIG secret, API token, or "AccessKeyId:AccessKeySecret". */
  dnsSecret: (domain: string) => `dns-secret:${domain}`,
  /** The ACME account key (PEM) for one CA directory URL, reused across orders. */
  acmeAccountKey: (directoryUrl: string) => `acme-account:${directoryUrl}`,
  /** The address the server's checks post alerts to (monitor.webhook): it may hold a token. */
  monitorWebhook: (hostName: string) => `monitor-webhook:${hostName}`,
};

const envNames: Record<string, string> = {
  'ssh-password': 'MAILWRIGHT_SSH_PASSWORD',
  'key-passphrase': 'MAILWRIGHT_KEY_PASSPHRASE',
  'sudo-password': 'MAILWRIGHT_SUDO_PASSWORD',
  'user-password': 'MAILWRIGHT_USER_PASSWORD',
  'dns-secret': 'MAILWRIGHT_DNS_SECRET',
  'acme-account': 'MAILWRIGHT_ACME_ACCOUNT_KEY',
  'monitor-webhook': 'MAILWRIGHT_MONITOR_WEBHOOK',
};

/** Secrets that must never fall back to a variable shared by every host or user. */
const PER_NAME_ONLY = new Set(['user-password', 'dns-secret', 'monitor-webhook']);

/** Env var for a secret key: the per-host variable (e.g. MAILWRIGHT_SUDO_PASSWORD_SANDBOX) wins over the generic one. */
export function envNamesFor(key: string): string[] {
  const [kind, host = ''] = key.split(':', 2);
  const base = envNames[kind ?? ''];
  if (!base) return [];
  const suffix = host.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  if (PER_NAME_ONLY.has(kind ?? '')) return suffix ? [`${base}_${suffix}`] : [];
  return suffix ? [`${base}_${suffix}`, base] : [base];
}

export class EnvSecretStore implements SecretStore {
  private readonly memory = new Map<string, string>();
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}
  async get(key: string): Promise<string | undefined> {
    if (this.memory.has(key)) return this.memory.get(key);
    for (const name of envNamesFor(key)) {
      const v = this.env[name];
      if (v !== undefined && v !== '') return v;
    }
    return undefined;
  }
  async set(key: string, value: string): Promise<void> {
    this.memory.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.memory.delete(key);
  }
}

export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();
  async get(key: string) {
    return this.values.get(key);
  }
  async set(key: string, value: string) {
    this.values.set(key, value);
  }
  async delete(key: string) {
    this.values.delete(key);
  }
}

/** Several stores read in order (the first that has a key answers); writes go to the first. */
export class LayeredSecretStore implements SecretStore {
  private readonly layers: SecretStore[];
  constructor(...layers: [SecretStore, ...SecretStore[]]) {
    this.layers = layers;
  }
  async get(key: string) {
    for (const layer of this.layers) {
      const value = await layer.get(key);
      if (value !== undefined && value !== '') return value;
    }
    return undefined;
  }
  async set(key: string, value: string) {
    await this.layers[0]!.set(key, value);
  }
  async delete(key: string) {
    await this.layers[0]!.delete(key);
  }
}
