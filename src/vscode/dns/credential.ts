// The DNS provider credential of a domain, asked once and kept in VS Code secret storage: used by
// the DNS panel's Publish and by Rotate DKIM Key… alike.
import * as vscode from 'vscode';
import type { DomainConfig } from '../../core/config';
import { secretKeys } from '../../core/remote/secrets';
import { VscodeSecretStore } from '../secrets';

/** The store holding the domain's credential, asked for when missing; throws when none is given. */
export async function dnsCredentialStore(
  domain: DomainConfig,
  storage: vscode.SecretStorage,
  refused: string,
): Promise<VscodeSecretStore> {
  const secrets = new VscodeSecretStore(storage);
  const dns = domain.dns;
  if (!dns || dns.provider === 'manual' || (await secrets.get(secretKeys.dnsSecret(domain.name))))
    return secrets;
  const value = await vscode.window.showInputBox({
    prompt: vscode.l10n.t(
      'Credential for {0} ({1}): kept in VS Code secret storage, never in mailwright.yaml',
      domain.name,
      dns.provider,
    ),
    placeHolder:
      dns.provider === 'alidns'
        ? 'AccessKeyId:AccessKeySecret'
        : dns.provider === 'rfc2136'
          ? vscode.l10n.t('TSIG secret (base64)')
          : vscode.l10n.t('API token'),
    password: true,
    ignoreFocusOut: true,
  });
  if (!value) throw new Error(refused);
  await secrets.set(secretKeys.dnsSecret(domain.name), value.trim());
  return secrets;
}
