// "Get a Trusted Certificate…" (the self-signed certificate's row): the same certificate step as
// Add Server writes the host's acme: block, then the notification offers to provision it.
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import type { WorkspaceConfig } from '../workspace-config';
import { applyCertificateChoice, askCertificate } from './certificate-step';
import { editConfig } from './edit-config';
import { BACK } from './multi-step';
import { offerProvisioning } from './offer-provision';

export async function getTrustedCertificateAction(config: WorkspaceConfig, host: HostConfig): Promise<void> {
  const choice = await askCertificate({
    title: vscode.l10n.t('Trusted Certificate for {0}', host.mailHost),
    stepsBefore: 0,
    mailHost: host.mailHost,
    domains: host.domains,
    offerSelfSigned: false,
  });
  if (choice === undefined || choice === BACK) return;
  await editConfig(config, (document) => applyCertificateChoice(document, host.name, choice));
  await offerProvisioning(
    host.name,
    vscode.l10n.t(
      "mailwright.yaml now asks for a certificate for {0} from Let's Encrypt. Provision {1} to get it.",
      host.mailHost,
      host.name,
    ),
  );
}
