// The "sent" stage of a test mail: what the submission itself proves (TLS, certificate, AUTH,
// the server taking the message with a queue id), as checks.
import type { Check } from '../checks';
import { isOutdatedTls, tlsVersionName } from '../analyze';
import { SmtpSendError, type SendTestMailResult } from '../smtp/send';

export interface SubmissionContext {
  host: string;
  port: number;
  /** The authenticated user, when AUTH was used. */
  user?: string;
  /** The name the certificate must be valid for. */
  certificateName: string;
}

/** Checks of a submission that the server accepted. */
export function submissionChecks(sent: SendTestMailResult, ctx: SubmissionContext): Check[] {
  const checks: Check[] = [];
  const where = `${ctx.host}:${ctx.port}`;
  const t = sent.timings;
  if (sent.tls) {
    const version = tlsVersionName(sent.tls.version);
    const evidence = [`${version} ${sent.tls.cipher}`, `handshake ${t.tlsMs ?? '?'} ms`];
    checks.push(
      isOutdatedTls(version)
        ? {
            id: 'submit:tls',
            title: `Submission TLS (${where})`,
            status: 'warn',
            evidence,
            fix: `${version} is outdated: the client and the server should agree on TLS 1.2 or 1.3.`,
          }
        : { id: 'submit:tls', title: `Submission TLS (${where})`, status: 'pass', evidence },
    );
    const c = sent.tls.certificate;
    const evidence2 = [
      ...(c.subject
        ? [`subject ${c.subject}, issued by ${c.issuer ?? '?'}, valid to ${c.validTo ?? '?'}`]
        : []),
      ...(c.chainError ? [`not trusted: ${c.chainError}`] : []),
      ...(c.nameError ? [`name: ${c.nameError}`] : []),
      ...(c.valid ? [`trusted, valid for ${c.name}`] : []),
    ];
    checks.push(
      c.valid
        ? {
            id: 'submit:certificate',
            title: `Certificate for ${c.name}`,
            status: 'pass',
            evidence: evidence2,
          }
        : {
            id: 'submit:certificate',
            title: `Certificate for ${c.name}`,
            status: 'warn',
            evidence: evidence2,
            fix: c.chainError
              ? `Mail clients will refuse or question this certificate: get one from a public CA for ${c.name} (set acme in mailwright.yaml and apply).`
              : `The certificate does not name ${c.name}: get one that does (acme in mailwright.yaml), or connect with the name it was issued for.`,
          },
    );
  } else {
    checks.push({
      id: 'submit:tls',
      title: `Submission TLS (${where})`,
      status: 'fail',
      evidence: ['the message and the password would cross the network in plain text'],
      fix: 'Submit on port 465 (TLS) or 587 with STARTTLS.',
    });
  }
  checks.push(
    ctx.user
      ? {
          id: 'submit:auth',
          title: `AUTH as ${ctx.user}`,
          status: 'pass',
          evidence: [`accepted in ${t.authMs ?? '?'} ms`],
        }
      : {
          id: 'submit:auth',
          title: 'AUTH',
          status: 'skip',
          evidence: ['sent without AUTH, as another mail server would'],
        },
  );
  checks.push(
    sent.queueId
      ? {
          id: 'submit:queue-id',
          title: 'Accepted with a queue id',
          status: 'pass',
          evidence: [`queue id ${sent.queueId}`, `reply: ${sent.response}`, `DATA took ${t.dataMs} ms`],
        }
      : {
          // chasquid's replies never name one: not a fault, and the Message-ID finds the message.
          id: 'submit:queue-id',
          title: 'Accepted with a queue id',
          status: 'skip',
          evidence: [
            `reply: ${sent.response}`,
            `the reply names no queue id: the server's log finds the message by its Message-ID ${sent.messageId}`,
          ],
        },
  );
  return checks;
}

/** The one check a failed submission gives: which step failed and what the server said. */
export function submissionFailure(err: SmtpSendError, ctx: SubmissionContext): Check {
  const where = `${ctx.host}:${ctx.port}`;
  const said = err.transcript.filter((l) => l.startsWith('S: ')).slice(-3);
  const evidence = [err.message, ...said];
  switch (err.kind) {
    case 'connection':
      return {
        id: 'submit:connect',
        title: `Connect to ${where}`,
        status: 'fail',
        evidence,
        fix: `Check that the server runs and that port ${ctx.port} is open in its firewall (mailwright check).`,
      };
    case 'tls':
      return {
        id: 'submit:tls',
        title: `Submission TLS (${where})`,
        status: 'fail',
        evidence,
        fix: `Check the certificate of ${ctx.certificateName} (mailwright renew), or that port ${ctx.port} speaks ${ctx.port === 465 ? 'TLS from the first byte' : 'STARTTLS'}.`,
      };
    case 'auth':
      return {
        id: 'submit:auth',
        title: `AUTH as ${ctx.user ?? '?'}`,
        status: 'fail',
        evidence,
        fix: `Check the password of ${ctx.user ?? 'the user'} (mailwright user passwd), and that chasquid can read the users file.`,
      };
    case 'recipient':
      return {
        id: 'submit:accepted',
        title: 'Recipient accepted',
        status: 'fail',
        evidence,
        fix: 'The server refused the sender or the recipient: send from an address of a domain it serves, as its user.',
      };
    default:
      return {
        id: 'submit:accepted',
        title: 'Message accepted',
        status: 'fail',
        evidence,
        fix: "Look at the server's log for this connection (journalctl -u chasquid).",
      };
  }
}
