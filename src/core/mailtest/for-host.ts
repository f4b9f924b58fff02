// A test mail for a server of mailwright.yaml: which address to submit to, under which name, and
// how the delivered copy can be read back. The CLI and the editor both start a test from here.
import { deliveryOf } from '../client-settings';
import { routeOf, type HostConfig } from '../config';
import { serverAddress } from '../remote/resolve-target';
import { imapDelivery } from './imap-delivery';
import type { MailTestOptions } from './run';

export interface HostMailTest {
  host: HostConfig;
  /** The sending user, user@domain, of this host. */
  from: string;
  /** Kept in memory; sent only inside TLS (submission, and IMAP when reading the copy back). */
  password: string;
  to: string;
  /** 465 (default) or 587. */
  port?: number;
  /** The recipient's password, when it is a mailbox of this server other than the sender. */
  recipientPassword?: string;
  ca?: string | Buffer;
  timeoutMs?: number;
  /** Where the server is (name or IP); default: its SSH host resolved through ~/.ssh/config (serverAddress). */
  server?: string;
}

/**
 * The options of runMailTest for a host: submission to the server's own address (so a test works
 * before DNS is published) with its mail host name for TLS, and, when the recipient's mail is
 * stored on this server and its login is known, the delivered copy read back over IMAP.
 */
export function mailTestOptions(t: HostMailTest): Omit<MailTestOptions, 'signal' | 'onStage'> {
  const port = t.port ?? 465;
  // The copy can be read with the recipient's own login only when its mail stays in its own
  // mailbox (not when an alias takes it to another user's, or outside).
  const ownMailbox =
    deliveryOf(t.host, t.to).kind === 'mailbox' &&
    routeOf(t.host.domains, t.to).ends.some((e) => e.kind === 'local' && e.address === t.to);
  const recipientPassword = t.to === t.from ? t.password : t.recipientPassword;
  const server = t.server ?? serverAddress(t.host);
  return {
    submission: {
      host: server,
      port,
      secure: port === 465,
      starttls: port !== 465,
      user: t.from,
      password: t.password,
      from: t.from,
      to: t.to,
      servername: t.host.mailHost,
      ...(t.ca && { ca: t.ca }),
      // The certificate is judged in the report (valid, self-signed, wrong name), not refused.
      tlsRejectUnauthorized: false,
      timeoutMs: t.timeoutMs ?? 30_000,
    },
    ...(ownMailbox &&
      recipientPassword && {
        fetchDelivered: imapDelivery({
          host: server,
          servername: t.host.mailHost,
          user: t.to,
          password: recipientPassword,
          ...(t.ca && { ca: t.ca }),
          rejectUnauthorized: false,
          timeoutMs: 15_000,
        }),
      }),
  };
}
