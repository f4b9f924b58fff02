// "Mail: Add Server": SSH target → auth → host key confirmed by a real connection →
// mail host name → first domain → where its certificate comes from, then the host is written
// into mailwright.yaml and the notification offers to provision it.
import { existsSync, statSync } from 'node:fs';
import { expandUserPath } from '../../core/local-path';
import * as vscode from 'vscode';
import {
  addHost,
  checkSshTarget,
  formatSshTarget,
  readSshTarget,
  hostNameProblem,
  loadConfig,
  normalizeDomainName,
  parseConfig,
  saveConfig,
  type AuthMethod,
  type HostConfig,
} from '../../core/config';
import type { Facts } from '../../core/facts';
import { listHostAliases, resolveSsh, sshConfigPath, systemSshEnvironment } from '../../core/remote';
import type { Connections } from '../connections';
import type { FactsService } from '../facts-service';
import type { WorkspaceConfig } from '../workspace-config';
import { applyCertificateChoice, askCertificate, type CertificateChoice } from './certificate-step';
import { BACK, inputStep, pickStep } from './multi-step';
import { offerProvisioning } from './offer-provision';

/** A Host of the user's SSH configuration, offered in the first step. */
interface SshConfigHost extends vscode.QuickPickItem {
  alias?: string;
  /** The configuration names an identity file for it: no key step. */
  hasIdentity?: boolean;
}

interface Answers {
  ssh?: string;
  /** The login is a Host of the SSH configuration (ssh: <alias>). */
  fromConfig?: SshConfigHost;
  /** "Enter user@host…" was chosen over the configuration's hosts. */
  typing?: boolean;
  auth?: AuthMethod;
  identityFile?: string;
  facts?: Facts;
  mailHost?: string;
  domain?: string;
  certificate?: CertificateChoice;
}

const NEW_FILE_HEADER = `# Mailwright desired state: the mail servers and domains this workspace manages.
# Passwords, passphrases and API tokens never go here: they live in VS Code's secret storage.
version: 1
`;
/** The steps in order; 4 connects (its only window is the host-key dialog), 7 may ask more. */
const LAST_STEP = 7;

/** The steps a person sees with these answers: the key file only for key logins, never the connection. */
function shownSteps(a: Answers): number[] {
  return [1, 2, 3, 5, 6, 7].filter(
    (s) =>
      !(a.fromConfig?.hasIdentity && (s === 2 || s === 3)) &&
      (s !== 3 || a.auth === undefined || a.auth === 'key'),
  );
}

/**
 * The concrete Host entries of the SSH configuration (no wildcard patterns), each with the login
 * it resolves to; hosts that cannot be resolved, or whose name ssh: cannot hold, are left out.
 */
function sshConfigHosts(configFile: string | undefined): { file: string; hosts: SshConfigHost[] } {
  const env = systemSshEnvironment();
  const path = sshConfigPath(configFile, env);
  if (!path) return { file: '', hosts: [] };
  const hosts: SshConfigHost[] = [];
  let aliases: ReturnType<typeof listHostAliases>;
  try {
    aliases = listHostAliases(path, env);
  } catch {
    // A configuration that does not parse is reported when a host using it connects.
    return { file: path, hosts: [] };
  }
  for (const entry of aliases) {
    if (!readSshTarget(entry.alias).ok) continue;
    try {
      const ssh = resolveSsh({ ssh: entry.alias, origin: 'Add Server' }, { configFile: path, env });
      hosts.push({
        label: entry.alias,
        description: formatSshTarget(ssh.target),
        detail: `${entry.file}:${entry.line}`,
        alias: entry.alias,
        hasIdentity: ssh.identityFiles.length > 0,
      });
    } catch {
      continue;
    }
  }
  return { file: path, hosts };
}

function domainProblem(v: string): string | undefined {
  const check = normalizeDomainName(v);
  // The reason and hint come from src/core, in English.
  return check.ok ? undefined : `${check.reason}${check.hint ? `. ${check.hint}` : ''}`;
}

function keyFileProblem(v: string): string | undefined {
  const path = expandUserPath(v.trim());
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat)
    return vscode.l10n.t('No such file: {0}. Give the path of your private key, e.g. ~/.ssh/id_ed25519', v);
  // A folder passes a plain existence check and fails only later, at the SSH login.
  if (!stat.isFile())
    return vscode.l10n.t(
      '{0} is not a file. Give the private key file in it, e.g. {1}/id_ed25519',
      v,
      v.replace(/\/+$/, ''),
    );
  return undefined;
}

function suggestedName(mailHost: string, taken: string[]): string {
  const base = (mailHost.split('.')[1] ?? mailHost).replace(/[^a-z0-9-]/g, '-').slice(0, 40) || 'mail';
  let name = base;
  for (let i = 2; taken.includes(name); i++) name = `${base}-${i}`;
  return name;
}

export async function addServer(
  config: WorkspaceConfig,
  connections: Connections,
  facts: FactsService,
): Promise<void> {
  const uri = config.uri;
  if (!uri) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t('Open a folder first: Mailwright keeps your servers in its mailwright.yaml.'),
    );
    return;
  }
  const existing = existsSync(uri.fsPath) ? await loadConfig(uri.fsPath) : undefined;
  if (existing && existing.issues.some((i) => i.severity === 'error')) {
    await vscode.window.showTextDocument(uri);
    throw new Error(
      vscode.l10n.t('{0} has errors (see the Problems panel); fix them before adding a server.', uri.fsPath),
    );
  }
  const taken = existing?.config?.hosts.map((h) => h.name) ?? [];
  const a: Answers = {};
  const title = vscode.l10n.t('Add Mail Server');
  let step = 1;
  while (step <= LAST_STEP) {
    const shown = shownSteps(a);
    const pos = { title, step: shown.filter((s) => s <= step).length, totalSteps: shown.length };
    let r: unknown;
    switch (step) {
      case 1: {
        const { file, hosts } = a.typing
          ? { file: '', hosts: [] }
          : sshConfigHosts(connections.sshConfigFile);
        if (hosts.length > 0) {
          const enter: SshConfigHost = {
            label: vscode.l10n.t('Enter user@host…'),
            description: vscode.l10n.t('a server that is not in your SSH configuration'),
          };
          const picked = await pickStep(
            pos,
            [...hosts, enter],
            vscode.l10n.t('Which server? The Host entries of {0}, or another one', file),
            (item) => item.alias !== undefined && item.alias === a.fromConfig?.alias,
          );
          r = picked;
          if (picked === enter) {
            a.typing = true;
            a.fromConfig = undefined;
            continue;
          }
          if (picked && picked !== BACK) {
            a.fromConfig = picked;
            a.ssh = picked.alias;
            if (picked.hasIdentity) {
              a.auth = undefined;
              a.identityFile = undefined;
            }
          }
          break;
        }
        r = await inputStep(pos, {
          prompt: vscode.l10n.t('SSH login of the VPS: [user@]host[:port]'),
          placeholder: vscode.l10n.t('root@203.0.113.10 or root@vps.example.com:22'),
          value: a.fromConfig ? undefined : a.ssh,
          validate: (v) => {
            const c = checkSshTarget(v.trim());
            return c.ok
              ? undefined
              : vscode.l10n.t('Not a valid SSH target: {0}. Example: root@mail.example.com:22', c.reason);
          },
        });
        if (typeof r === 'string') {
          a.ssh = r;
          a.fromConfig = undefined;
        }
        if (r === BACK && a.typing) {
          // Back from typing: the configuration's hosts again.
          a.typing = false;
          continue;
        }
        break;
      }
      case 2: {
        if (a.fromConfig?.hasIdentity) {
          r = 'skip';
          break;
        }
        const picked = await pickStep(
          pos,
          [
            {
              label: vscode.l10n.t('Private key file'),
              description: vscode.l10n.t('e.g. ~/.ssh/id_ed25519'),
              auth: 'key' as AuthMethod,
            },
            {
              label: vscode.l10n.t('SSH agent'),
              description: process.env.SSH_AUTH_SOCK
                ? vscode.l10n.t('running')
                : vscode.l10n.t('not running here'),
              auth: 'agent' as AuthMethod,
            },
            {
              label: vscode.l10n.t('Password'),
              description: vscode.l10n.t('kept in VS Code secret storage'),
              auth: 'password' as AuthMethod,
            },
          ],
          vscode.l10n.t('How do you log in?'),
        );
        r = picked;
        if (picked && picked !== BACK) a.auth = picked.auth;
        break;
      }
      case 3:
        if (a.auth !== 'key') {
          a.identityFile = undefined;
          r = 'skip';
          break;
        }
        r = await inputStep(pos, {
          prompt: vscode.l10n.t('Private key file'),
          value: a.identityFile ?? '~/.ssh/id_ed25519',
          validate: keyFileProblem,
        });
        if (typeof r === 'string') a.identityFile = r;
        break;
      case 4: {
        // Connect now: the host key is confirmed in a modal dialog and facts prove the login works.
        const target = readSshTarget(a.ssh!.trim());
        if (!target.ok) return;
        const probe: HostConfig = {
          name: `new-${target.target.host}`,
          ssh: target.target,
          sshWritten: target.written,
          ...(a.auth && { auth: a.auth }),
          identityFile: a.identityFile?.trim(),
          mailHost: 'unknown.invalid',
          domains: [],
        };
        try {
          a.facts = await vscode.window.withProgress(
            {
              location: vscode.ProgressLocation.Notification,
              title: vscode.l10n.t('Connecting to {0}…', a.ssh!),
              cancellable: true,
            },
            (_p, token) => facts.gather(probe, token),
          );
          r = 'ok';
        } catch (e) {
          const retry = vscode.l10n.t('Change Login');
          const answer = await vscode.window.showErrorMessage(
            vscode.l10n.t('Cannot use {0}: {1}', a.ssh!, (e as Error).message),
            retry,
          );
          r = answer === retry ? BACK : undefined;
          if (r === BACK) step = 2;
        } finally {
          connections.for(probe).close();
        }
        if (a.facts && a.facts.system.state !== 'ready') {
          void vscode.window.showWarningMessage(
            a.facts.system.reason ?? vscode.l10n.t('The server is not ready yet.'),
          );
        }
        break;
      }
      case 5: {
        const fqdn = a.facts?.fqdn.includes('.') ? a.facts.fqdn : undefined;
        r = await inputStep(pos, {
          prompt: vscode.l10n.t(
            'Mail host name: the name the server announces; its reverse DNS (PTR) must point to it',
          ),
          placeholder: 'smtp.example.com',
          value: a.mailHost ?? fqdn,
          validate: domainProblem,
        });
        if (typeof r === 'string') a.mailHost = r;
        break;
      }
      case 6:
        r = await inputStep(pos, {
          prompt: vscode.l10n.t('First mail domain (the part after @ in your addresses)'),
          value: a.domain ?? a.mailHost?.split('.').slice(1).join('.'),
          validate: domainProblem,
        });
        if (typeof r === 'string') a.domain = r;
        break;
      case 7: {
        const mailHost = normalizeDomainName(a.mailHost!);
        const domain = normalizeDomainName(a.domain!);
        if (!mailHost.ok || !domain.ok) return;
        const choice = await askCertificate({
          title,
          stepsBefore: pos.step - 1,
          mailHost: mailHost.value,
          domains: [{ name: domain.value }],
          offerSelfSigned: true,
        });
        if (choice && choice !== BACK) a.certificate = choice;
        r = choice;
        break;
      }
    }
    if (r === undefined) return;
    if (r === BACK) {
      step = step === 4 ? 2 : Math.max(1, step - 1);
      if (step === 3 && a.auth !== 'key') step = 2;
      if (step === 2 && a.fromConfig?.hasIdentity) step = 1;
      continue;
    }
    step++;
  }

  const mailHost = normalizeDomainName(a.mailHost!);
  const domain = normalizeDomainName(a.domain!);
  if (!mailHost.ok || !domain.ok) return;
  const name = suggestedName(mailHost.value, taken);
  if (hostNameProblem(name))
    throw new Error(vscode.l10n.t('Cannot derive a host label from {0}.', mailHost.value));

  const loaded = existing ?? parseConfig(NEW_FILE_HEADER, uri.fsPath);
  addHost(loaded.document, {
    name,
    ssh: a.ssh!.trim(),
    auth: a.auth,
    identityFile: a.identityFile?.trim(),
    mailHost: mailHost.value,
    domains: [{ name: domain.value }],
  });
  if (a.certificate) applyCertificateChoice(loaded.document, name, a.certificate);
  await saveConfig(uri.fsPath, loaded.document);
  await config.reload();
  void offerProvisioning(
    name,
    vscode.l10n.t('Added {0} ({1}) to mailwright.yaml.', name, a.facts?.os.prettyName ?? a.ssh!),
  );
}
