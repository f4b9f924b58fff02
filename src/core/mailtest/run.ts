// A test mail through the user's own server, judged in three stages: sent (the submission),
// delivered (the copy arrived where it was sent), verified (what the copy proves).
import { randomUUID } from 'node:crypto';
import type { ReceivedHop } from '../analyze';
import { worstStatus, type Check, type CheckStatus } from '../checks';
import type { DnsLookup } from '../dns/model';
import { sleep } from '../sleep';
import { sendTestMail, SmtpSendError, type SendTestMailOptions, type SendTestMailResult } from '../smtp/send';
import { submissionChecks, submissionFailure } from './submission';
import { verifyDelivered, type DeliveredMessage, type VerifyOptions } from './verify';

/** The header that carries a test mail's token, by which the delivered copy is found. */
export const TEST_TOKEN_HEADER = 'X-Mailwright-Test';

/**
 * Looks for the delivered copy that carries `token` (in TEST_TOKEN_HEADER and the subject);
 * undefined while it has not arrived. Called again until it arrives or the time is up.
 */
export type FetchDelivered = (token: string, signal?: AbortSignal) => Promise<DeliveredMessage | undefined>;

export type StageName = 'sent' | 'delivered' | 'verified';

export interface MailTestStage {
  name: StageName;
  status: CheckStatus;
  /** How long the stage took (sent: connect to the final reply; delivered: reply to arrival). */
  ms?: number;
  /** One line in plain words. */
  detail: string;
}

export interface MailTestOptions {
  /** The submission; subject, text and headers are the test's own. */
  submission: Omit<SendTestMailOptions, 'subject' | 'text' | 'headers' | 'raw' | 'to'> & { to: string };
  /** How to read the recipient's side; without it the test ends after "sent". */
  fetchDelivered?: FetchDelivered;
  /** Give up waiting for the copy after this long (default 60 s). */
  deliveryTimeoutMs?: number;
  /** Arriving later than this is a warning (default 10 s). */
  deliveredWithinMs?: number;
  /** How often fetchDelivered is asked (default 200 ms). */
  pollIntervalMs?: number;
  /** DNS for SPF, DKIM and DMARC (default: the system's resolvers). */
  resolver?: DnsLookup;
  /** The recipient is forwarded (alias, catch-all): see VerifyOptions.forward. */
  forward?: VerifyOptions['forward'];
  /** Default: a random one. */
  token?: string;
  /** Called as each stage ends (sent, delivered, verified), for a live view. */
  onStage?: (stage: MailTestStage) => void;
  signal?: AbortSignal;
}

export interface MailTestReport {
  token: string;
  from: string;
  to: string;
  startedAt: string;
  /** sent → delivered → verified, each with its status and time. */
  stages: MailTestStage[];
  checks: Check[];
  /** The worst status of the checks. */
  status: CheckStatus;
  submission?: Pick<
    SendTestMailResult,
    'response' | 'queueId' | 'messageId' | 'tls' | 'timings' | 'transcript'
  >;
  /** What the recipient's side recorded (the raw message is left out). */
  delivered?: Omit<DeliveredMessage, 'raw'> & { size: number };
  /** The path the delivered copy took, first hand-off first. */
  hops?: ReceivedHop[];
}

/** Asks fetch until it returns the copy, the time is up (undefined) or the signal aborts. */
export async function waitForDelivery(
  fetch: FetchDelivered,
  token: string,
  opts: { timeoutMs: number; pollIntervalMs?: number; signal?: AbortSignal },
): Promise<DeliveredMessage | undefined> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const found = await fetch(token, opts.signal);
    if (found) return found;
    if (Date.now() >= deadline) return undefined;
    await sleep(Math.min(opts.pollIntervalMs ?? 200, Math.max(0, deadline - Date.now())), opts.signal);
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Sends a test mail through the server and judges what arrived. Never throws for a failed check. */
export async function runMailTest(opts: MailTestOptions): Promise<MailTestReport> {
  const token = opts.token ?? randomUUID();
  const sub = opts.submission;
  const startedAt = new Date();
  const ctx = {
    host: sub.host,
    port: sub.port,
    user: sub.user,
    certificateName: sub.servername ?? sub.host,
  };
  const report: MailTestReport = {
    token,
    from: sub.from,
    to: sub.to,
    startedAt: startedAt.toISOString(),
    stages: [],
    checks: [],
    status: 'skip',
  };
  const addStage = (stage: MailTestStage) => {
    report.stages.push(stage);
    opts.onStage?.(stage);
  };
  const finish = () => {
    report.status = worstStatus(report.checks);
    return report;
  };
  const skipRest = (from: StageName[], why: string) => {
    for (const name of from) addStage({ name, status: 'skip', detail: why });
  };

  let sent: SendTestMailResult;
  try {
    sent = await sendTestMail({
      ...sub,
      subject: `Mailwright test ${token}`,
      text: `This message was sent by Mailwright to test the mail server ${sub.servername ?? sub.host}.\nTest ${token}\n`,
      headers: { [TEST_TOKEN_HEADER]: token },
    });
  } catch (e) {
    if (!(e instanceof SmtpSendError)) throw e;
    report.checks.push(submissionFailure(e, ctx));
    addStage({ name: 'sent', status: 'fail', detail: e.message });
    skipRest(['delivered', 'verified'], 'not sent');
    return finish();
  }
  const sentAt = Date.now();
  report.submission = {
    response: sent.response,
    ...(sent.queueId && { queueId: sent.queueId }),
    messageId: sent.messageId,
    ...(sent.tls && { tls: sent.tls }),
    timings: sent.timings,
    transcript: sent.transcript,
  };
  const subChecks = submissionChecks(sent, ctx);
  report.checks.push(...subChecks);
  addStage({
    name: 'sent',
    status: worstStatus(subChecks),
    ms: sent.timings.totalMs,
    detail: `accepted by ${sub.host}:${sub.port}${sent.queueId ? ` as ${sent.queueId}` : ''}`,
  });

  if (!opts.fetchDelivered) {
    report.checks.push({
      id: 'delivered',
      title: `Delivered to ${sub.to}`,
      status: 'skip',
      evidence: [
        `the mailbox of ${sub.to} cannot be read from here: look for the subject "Mailwright test ${token}"`,
      ],
    });
    skipRest(['delivered', 'verified'], `check the mailbox of ${sub.to}`);
    return finish();
  }

  const timeoutMs = opts.deliveryTimeoutMs ?? 60_000;
  const withinMs = opts.deliveredWithinMs ?? 10_000;
  const message = await waitForDelivery(opts.fetchDelivered, token, {
    timeoutMs,
    pollIntervalMs: opts.pollIntervalMs,
    signal: opts.signal,
  });
  const deliveredMs = Date.now() - sentAt;
  if (!message) {
    report.checks.push({
      id: 'delivered',
      title: `Delivered to ${sub.to} within ${seconds(withinMs)}`,
      status: 'fail',
      evidence: [`nothing with test ${token} arrived within ${seconds(timeoutMs)}`],
      fix: `Look in the server's log for queue id ${sent.queueId ?? sent.messageId} (journalctl -u chasquid): the recipient's MX may be unreachable, refuse the message, or the forward may point elsewhere.`,
    });
    addStage({ name: 'delivered', status: 'fail', ms: deliveredMs, detail: 'did not arrive' });
    skipRest(['verified'], 'nothing arrived');
    return finish();
  }
  const { raw, ...recorded } = message;
  report.delivered = { ...recorded, size: raw.length };
  const late = deliveredMs > withinMs;
  report.checks.push({
    id: 'delivered',
    title: `Delivered to ${sub.to} within ${seconds(withinMs)}`,
    status: late ? 'warn' : 'pass',
    evidence: [
      `arrived ${seconds(deliveredMs)} after the server accepted it`,
      ...(message.envelopeFrom !== undefined
        ? [`envelope ${message.envelopeFrom || '<>'} → ${(message.envelopeTo ?? []).join(', ')}`]
        : []),
    ],
    ...(late && {
      fix: "Slow delivery: look in the server's log for retries or slow DNS, and at the time the DKIM signing hook takes.",
    }),
  });
  addStage({
    name: 'delivered',
    status: late ? 'warn' : 'pass',
    ms: deliveredMs,
    detail: `arrived at ${sub.to}`,
  });

  const v0 = Date.now();
  const verification = await verifyDelivered(message, {
    resolver: opts.resolver,
    forward: opts.forward,
    signal: opts.signal,
  });
  report.checks.push(...verification.checks);
  report.hops = verification.hops;
  addStage({
    name: 'verified',
    status: worstStatus(verification.checks),
    ms: Date.now() - v0,
    detail: `${verification.checks.filter((c) => c.status === 'pass').length} of ${verification.checks.length} checks pass`,
  });
  return finish();
}
