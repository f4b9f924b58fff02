// The renewal program the server's timer runs (mailwright-renew.service): the same steps as
// `mailwright renew` — facts, the ACME actions of the plan, chasquid (and Dovecot) restarted,
// the served certificate checked on 465 and 587 — on the server itself, through a local
// connection instead of SSH. Output goes to the journal: `journalctl -u mailwright-renew`.
// Exit 0: renewed, or not due; 1: the renewal failed (the previous certificate is kept).
import { readFileSync } from 'node:fs';
import {
  RENEW_ACCOUNT_PATH,
  RENEW_DNS_CREDENTIAL_PATH,
  RENEW_SETTINGS_PATH,
} from '../core/acme/server-paths';
import type { HostConfig } from '../core/config/types';
import { gatherFacts } from '../core/facts';
import { applyPlan } from '../core/plan/engine';
import { eventPrinter } from '../core/plan/format';
import { planRenewal } from '../core/plan/actions/acme-certificate';
import { LocalConnection } from '../core/remote/local';
import { FileSecretStore } from './file-secrets';

async function main(settingsPath: string): Promise<number> {
  const { host } = JSON.parse(readFileSync(settingsPath, 'utf8')) as { host: HostConfig };
  const conn = new LocalConnection(host.name);
  const facts = await gatherFacts(conn);
  const plan = planRenewal(host, facts);
  if (plan.actions.length === 0) {
    const notAfter = facts.chasquidState?.certs[host.mailHost]?.notAfter;
    console.log(
      `The certificate of ${host.mailHost} is not due for renewal (valid until ${notAfter ?? 'unknown'}).`,
    );
    return 0;
  }
  console.log(`Renewing the certificate of ${host.mailHost}: ${plan.actions[0]!.reason}`);
  const result = await applyPlan(plan, {
    conn,
    host,
    secrets: new FileSecretStore(RENEW_ACCOUNT_PATH, [RENEW_DNS_CREDENTIAL_PATH]),
    regather: () => gatherFacts(conn),
    onEvent: eventPrinter((line) => console.log(line)),
  });
  if (result.ok) console.log(`Renewed: ${host.mailHost} serves the new certificate.`);
  return result.ok ? 0 : 1;
}

main(process.argv[2] ?? RENEW_SETTINGS_PATH).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`Renewal failed: ${e.message}`);
    process.exit(1);
  },
);
