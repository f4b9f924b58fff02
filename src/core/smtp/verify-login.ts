// "Is this the right password?" answered the way a mail program would find out: SMTP AUTH over
// TLS on the server's submission port. It changes nothing on the server, needs no SSH, and
// checks the same user store the server really uses (chasquid's own, or Dovecot's).
import type { HostConfig } from '../config';
import { printable } from '../printable';
import { serverAddress } from '../remote/resolve-target';
import { probeSmtp, SmtpProbeError } from './probe';

export interface VerifyLoginOptions {
  host: HostConfig;
  address: string;
  /** Kept in memory and sent only inside the TLS connection. */
  password: string;
  /** 465 (TLS from the first byte, the default) or 587 (STARTTLS). */
  port?: 465 | 587;
  /** Extra trusted CAs, for a private CA's certificate. */
  ca?: string | Buffer | Array<string | Buffer>;
  timeoutMs?: number;
  /** Where the server is (name or IP); default: its SSH host resolved through ~/.ssh/config (serverAddress). */
  server?: string;
}

export interface VerifyLoginResult {
  accepted: boolean;
  /** One sentence for the user; the server's words made printable. */
  message: string;
  /** The server's reply to AUTH, when it got that far. */
  reply?: string;
}

export async function verifyUserPassword(opts: VerifyLoginOptions): Promise<VerifyLoginResult> {
  const port = opts.port ?? 465;
  const server = opts.server ?? serverAddress(opts.host);
  const where = `${opts.host.mailHost} (${server}) port ${port}`;
  try {
    const result = await probeSmtp({
      host: server,
      port,
      mode: port === 465 ? 'tls' : 'starttls',
      servername: opts.host.mailHost,
      ca: opts.ca,
      timeoutMs: opts.timeoutMs ?? 20_000,
      login: { user: opts.address, password: opts.password },
    });
    const reply = printable(result.login?.reply ?? '');
    if (result.login?.accepted)
      return {
        accepted: true,
        reply,
        message: `The password of ${opts.address} is right: ${where} accepted it.`,
      };
    const why = /^535/.test(reply)
      ? 'the password is wrong, or the user does not exist'
      : /^5(03|04|34)/.test(reply)
        ? 'the server does not offer this login here'
        : 'the server did not accept the login';
    return {
      accepted: false,
      reply,
      message: `${where} refused the password of ${opts.address}: ${why} ("${reply}").`,
    };
  } catch (err) {
    if (err instanceof SmtpProbeError)
      return {
        accepted: false,
        message: `Could not check the password of ${opts.address}: ${printable(err.message)}`,
      };
    throw err;
  }
}
