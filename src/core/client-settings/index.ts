// What a person types into a mail program (Thunderbird, K-9, Apple Mail, Gmail's "Send mail as")
// to use an address of their server, and where mail sent to that address ends up. The tree, the
// CLI and the guides all read it here, so the port numbers and names are written once.
import {
  addressProblems,
  deliverableAddresses,
  routeOf,
  type DomainConfig,
  type HostConfig,
} from '../config';
import { IMAPS_PORT, SUBMISSION_PORT, SUBMISSION_TLS_PORT } from '../ports';

export interface ServerEndpoint {
  host: string;
  port: number;
  /** As mail programs label it. */
  security: 'SSL/TLS' | 'STARTTLS';
}

export interface ClientSettings {
  address: string;
  /** Always the full address: chasquid and Dovecot know users by it. */
  username: string;
  /** Sending: 465 with TLS from the first byte; 587 with STARTTLS where 465 is blocked. */
  smtp: ServerEndpoint;
  smtpAlternative: ServerEndpoint;
  /** Reading: only when the domain keeps mail in mailboxes on the server. */
  imap?: ServerEndpoint;
  delivery: Delivery;
}

/** Where mail sent to the address goes, in plain words. */
export interface Delivery {
  kind: 'mailbox' | 'forwarded' | 'lost' | 'refused';
  /** Outside addresses it is forwarded to (forwarded, or mailbox + forwarded for several targets). */
  forwardedTo: string[];
  text: string;
}

export function deliveryOf(host: HostConfig, address: string): Delivery {
  const route = routeOf(host.domains, address);
  // Only this address is judged: a tree row per user must not route every address of the host.
  const target = deliverableAddresses(host.domains).find((a) => a.address === address);
  const problem = target && addressProblems(host.domains, target).find((p) => p.kind !== 'rejected');
  if (problem) return { kind: 'lost', forwardedTo: [], text: `${problem.message}. Fix: ${problem.fix}.` };
  const outside = route.ends.filter((e) => e.kind === 'outside').map((e) => e.address);
  const local = route.ends.filter((e) => e.kind === 'local').map((e) => e.address);
  if (route.ends.length > 0 && route.ends.every((e) => e.kind === 'unknown'))
    return {
      kind: 'refused',
      forwardedTo: [],
      text: `${address} does not exist: the server refuses mail for it.`,
    };
  const parts = [
    ...(local.length > 0 ? [`stored in the mailbox of ${local.join(', ')} on ${host.mailHost}`] : []),
    ...(outside.length > 0 ? [`forwarded to ${outside.join(', ')}`] : []),
  ];
  return {
    kind: local.length > 0 ? 'mailbox' : 'forwarded',
    forwardedTo: outside,
    text: `Mail to ${address} is ${parts.join(' and ')}.`,
  };
}

export function clientSettings(host: HostConfig, domain: DomainConfig, user: string): ClientSettings {
  const address = `${user}@${domain.name}`;
  return {
    address,
    username: address,
    smtp: { host: host.mailHost, port: SUBMISSION_TLS_PORT, security: 'SSL/TLS' },
    smtpAlternative: { host: host.mailHost, port: SUBMISSION_PORT, security: 'STARTTLS' },
    ...(domain.mailboxes && {
      imap: { host: host.mailHost, port: IMAPS_PORT, security: 'SSL/TLS' as const },
    }),
    delivery: deliveryOf(host, address),
  };
}

/** The settings as lines of text (tooltips, CLI). */
export function settingsLines(s: ClientSettings): string[] {
  const endpoint = (e: ServerEndpoint) => `${e.host}, port ${e.port}, ${e.security}`;
  return [
    ...(s.imap ? [`Incoming (IMAP): ${endpoint(s.imap)}`] : []),
    `Outgoing (SMTP): ${endpoint(s.smtp)} (or port ${s.smtpAlternative.port}, ${s.smtpAlternative.security})`,
    `User name: ${s.username}; password: the one set in Mailwright; authentication: normal password (the server offers PLAIN only, inside TLS — not LOGIN)`,
    s.delivery.text,
  ];
}

/**
 * A step-by-step page for Gmail's "Send mail as" with this server's exact values: Gmail then
 * sends as the address through the server (signed with its DKIM key, passing SPF and DMARC).
 */
export function gmailSendAsGuide(s: ClientSettings): string {
  const code =
    s.delivery.kind === 'lost' || s.delivery.kind === 'refused'
      ? `**Gmail's confirmation code would not arrive:** ${s.delivery.text} Fix that first, provision, then come back.`
      : s.delivery.kind === 'mailbox'
        ? `Gmail sends a confirmation code to ${s.address}. ${s.delivery.text} Read it in your mail program` +
          (s.imap
            ? ` (IMAP ${s.imap.host}, port ${s.imap.port}, ${s.imap.security}, user ${s.username}).`
            : '.')
        : `Gmail sends a confirmation code to ${s.address}. ${s.delivery.text} So it arrives in that inbox.`;
  return [
    `# Gmail "Send mail as" ${s.address}`,
    '',
    '1. In Gmail open **Settings → See all settings → Accounts and Import**.',
    '2. Under **Send mail as**, choose **Add another email address**.',
    `3. Name: your name. Email address: \`${s.address}\`. Leave **Treat as an alias** ticked. **Next Step**.`,
    `4. SMTP Server: \`${s.smtp.host}\` — Port: \`${s.smtp.port}\``,
    `   - Username: \`${s.username}\``,
    '   - Password: the password of this user (Mailwright never stores it)',
    `   - **Secured connection using SSL** (port ${s.smtp.port}). If your network blocks ${s.smtp.port}, use port ${s.smtpAlternative.port} with **TLS**.`,
    '5. **Add Account**. ' + code,
    '6. Enter the code in Gmail. Send yourself a message "from" the new address and open **Show original**:',
    `   SPF, DKIM and DMARC should say PASS for ${s.address.slice(s.address.indexOf('@') + 1)}.`,
    '   Paste that source into **Mail: Analyze Message Source** to see every check explained.',
    '',
  ].join('\n');
}
