// How an alert of the server checks is told: the body each kind of webhook takes (Mailwright's
// own JSON, an ntfy topic, a Slack-compatible incoming webhook) and a mail through the server's
// own chasquid. The webhook address is a secret: it is never printed, only its host name.
import { sendTestMail } from '../smtp/send';
import type { MonitorWebhookFormat } from '../config/types';
import type { Alert } from './alerts';

const TIMEOUT_MS = 15_000;

/** One line: "vps: FAIL chasquid running" or "vps: resolved: chasquid running". */
export function alertSubject(alert: Alert): string {
  return alert.kind === 'resolved'
    ? `${alert.host}: resolved: ${alert.check.title}`
    : `${alert.host}: ${alert.check.status === 'fail' ? 'FAIL' : 'WARN'} ${alert.check.title}`;
}

/** The alert in plain text: what, what was seen, the fix. */
export function alertText(alert: Alert): string {
  const lines = [alertSubject(alert), ''];
  if (alert.kind === 'resolved') {
    lines.push(
      `The check passes again on ${alert.mailHost} (${alert.at}); the problem was told at ${alert.since ?? 'an earlier run'}.`,
    );
  } else {
    lines.push(`On ${alert.mailHost}, checked at ${alert.at}:`);
    lines.push(...alert.check.evidence.map((e) => `- ${e}`));
    if (alert.check.fix) lines.push('', `Fix: ${alert.check.fix}`);
  }
  return lines.join('\n');
}

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** The POST each kind of endpoint takes for this alert. */
export function webhookRequest(format: MonitorWebhookFormat, url: string, alert: Alert): WebhookRequest {
  const headers = { 'content-type': 'application/json' };
  if (format === 'slack') return { url, headers, body: JSON.stringify({ text: alertText(alert) }) };
  if (format === 'ntfy') {
    // ntfy takes JSON at its root URL with the topic in the body (the topic URL takes plain text).
    const topicUrl = new URL(url);
    const topic = topicUrl.pathname.replace(/\/+$/, '').split('/').pop() ?? '';
    const root = new URL(topicUrl);
    root.pathname = topicUrl.pathname.replace(/\/+$/, '').slice(0, -topic.length) || '/';
    const problem = alert.kind === 'problem';
    return {
      url: root.toString(),
      headers,
      body: JSON.stringify({
        topic,
        title: alertSubject(alert),
        message: alertText(alert).split('\n').slice(2).join('\n'),
        priority: problem ? (alert.check.status === 'fail' ? 5 : 4) : 3,
        tags: [problem ? (alert.check.status === 'fail' ? 'rotating_light' : 'warning') : 'white_check_mark'],
      }),
    };
  }
  return {
    url,
    headers,
    body: JSON.stringify({
      source: 'mailwright',
      event: alert.kind,
      host: alert.host,
      mailHost: alert.mailHost,
      at: alert.at,
      ...(alert.since && { since: alert.since }),
      summary: alertSubject(alert),
      check: alert.check,
    }),
  };
}

/** Where a webhook goes, safe to print: its host only (the path and query may hold a token). */
export function webhookShown(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the webhook (not a URL)';
  }
}

export async function postWebhook(request: WebhookRequest): Promise<void> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    throw new Error(
      `the webhook at ${webhookShown(request.url)} did not answer (${cause ?? (e as Error).name})`,
    );
  }
  await response.body?.cancel();
  if (!response.ok)
    throw new Error(`the webhook at ${webhookShown(request.url)} answered HTTP ${response.status}`);
}

/** The alert as a mail, handed to the server's own chasquid on port 25 (as any sender would). */
export async function mailAlert(
  alert: Alert,
  to: string,
  smtp = { host: '127.0.0.1', port: 25 },
): Promise<void> {
  await sendTestMail({
    host: smtp.host,
    port: smtp.port,
    servername: alert.mailHost,
    tlsRejectUnauthorized: false,
    from: `mailwright-check@${alert.mailHost}`,
    to,
    subject: alertSubject(alert),
    text: alertText(alert),
    headers: { 'Auto-Submitted': 'auto-generated' },
    timeoutMs: TIMEOUT_MS,
  });
}
