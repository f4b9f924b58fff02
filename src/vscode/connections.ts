// Connections to the hosts of mailwright.yaml, with VS Code asking the user
// about unknown host keys and missing secrets. One connection per host.
import * as vscode from 'vscode';
import type { HostConfig } from '../core/config';
import { expandUserPath } from '../core/local-path';
import {
  ConnectionPool,
  defaultKnownHosts,
  hostSshRequest,
  KnownHosts,
  MemorySecretStore,
  resolveSsh,
  serverAddress,
  type RemoteConnection,
} from '../core/remote';
import { VscodeSecretStore } from './secrets';

/** The OpenSSH client configuration chosen in the settings (mailwright.ssh.configFile); undefined: the default. */
export function sshConfigFileSetting(): string | undefined {
  return vscode.workspace.getConfiguration('mailwright').get<string>('ssh.configFile', '') || undefined;
}

/** Where the host's server is for SMTP and IMAP: its SSH host through the chosen SSH configuration. */
export function serverAddressOf(host: HostConfig): string {
  return serverAddress(host, { configFile: sshConfigFileSetting() });
}

export class Connections implements vscode.Disposable {
  private pool: ConnectionPool;
  /**
   * Inputs given for a later run and kept in memory only (a user added before the server serves
   * its domain: its password, for the next provision). The dashboard reads them before asking.
   */
  readonly pendingInputs = new MemorySecretStore();
  private readonly warned = new Set<string>();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.pool = this.createPool();
  }

  private createPool(): ConnectionPool {
    const settings = vscode.workspace.getConfiguration('mailwright');
    const customFile = settings.get<string>('knownHostsFile', '');
    const defaults = defaultKnownHosts();
    const knownHosts = customFile
      ? new KnownHosts(defaults.readOnlyFiles, expandUserPath(customFile))
      : defaults;
    return new ConnectionPool({
      knownHosts,
      secrets: new VscodeSecretStore(this.secrets),
      readyTimeoutMs: settings.get<number>('connectTimeoutSeconds', 20) * 1000,
      log: (line) => this.log.info(line),
      confirmUnknownHostKey: async (key) => {
        // The dialog focuses its first button and Enter presses it: "Don't Connect" comes first,
        // so that only a deliberate click trusts the key. Escape and the close button answer
        // undefined, like "Don't Connect". The detail is plain text (a modal shows no markdown).
        const dontConnect = vscode.l10n.t("Don't Connect");
        const trust = vscode.l10n.t('Trust and Connect');
        const answer = await vscode.window.showWarningMessage(
          key.jumpHost
            ? // The jump host's description comes from src/core, in English.
              vscode.l10n.t(
                'Mailwright: unknown host key for {0}:{1} ({2})',
                key.host,
                key.port,
                key.jumpHost,
              )
            : vscode.l10n.t('Mailwright: unknown host key for {0}:{1}', key.host, key.port),
          {
            modal: true,
            detail: vscode.l10n.t(
              'The server presents this {0} key:\n\n{1}\n\nCompare it with the fingerprint your provider shows, or with what this command prints on the server console:\n\nssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\n\nTrust it only if they match.',
              key.keyType,
              key.fingerprint,
            ),
          },
          dontConnect,
          trust,
        );
        this.log.info(
          `Host key ${key.fingerprint} of ${key.host}:${key.port}: ${answer === trust ? 'trusted' : 'not trusted'}`,
        );
        return answer === trust;
      },
      // The prompt comes from src/core, in English.
      promptSecret: (_key, prompt) =>
        Promise.resolve(vscode.window.showInputBox({ prompt, password: true, ignoreFocusOut: true })),
      rememberPassphrase: async (_key, keyFile) => {
        const remember = vscode.l10n.t("Remember it in VS Code's secret storage");
        const once = vscode.l10n.t('Use it for this session only');
        const picked = await vscode.window.showQuickPick([once, remember], {
          title: vscode.l10n.t('Passphrase of {0}', keyFile),
          placeHolder: vscode.l10n.t('Keep the passphrase?'),
          ignoreFocusOut: true,
        });
        return picked === remember;
      },
    });
  }

  get sshConfigFile(): string | undefined {
    return sshConfigFileSetting();
  }

  /** The host's connection, its login resolved through the user's SSH configuration (mailwright.ssh.configFile). */
  for(host: HostConfig): RemoteConnection {
    const settings = vscode.workspace.getConfiguration('mailwright');
    const timeout = settings.inspect<number>('connectTimeoutSeconds');
    const setTimeout = timeout?.workspaceFolderValue ?? timeout?.workspaceValue ?? timeout?.globalValue;
    const ssh = resolveSsh(
      {
        ...hostSshRequest(host),
        ...(setTimeout !== undefined && {
          connectTimeout: { ms: setTimeout * 1000, origin: 'the mailwright.connectTimeoutSeconds setting' },
        }),
      },
      { configFile: this.sshConfigFile },
    );
    for (const warning of ssh.warnings) {
      if (this.warned.has(warning)) continue;
      this.warned.add(warning);
      this.log.warn(warning);
    }
    return this.pool.get({ name: host.name, ssh });
  }

  /** Settings changed: drop every connection so the next use picks them up. */
  reset(): void {
    this.pool.closeAll();
    this.pool = this.createPool();
  }

  dispose(): void {
    this.pool.closeAll();
  }
}
