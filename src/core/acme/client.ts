// acme-client set up to fail fast: its axios instance retries 5x with growing delays and
// its status polling backs off for minutes by default (measured: an untrusted CA shows up a
// minute later as an unrelated TypeError). One place decides trust, retries and logging.
import { Agent, get } from 'node:https';
import { rootCertificates } from 'node:tls';
import * as acme from 'acme-client';
import { AcmeError } from './errors';

export interface AcmeClientOptions {
  directoryUrl: string;
  /** Extra trusted root (PEM) for a private CA's HTTPS, e.g. pebble's. */
  caCertificatePem?: string;
  accountKeyPem: string;
  /** Debug lines from acme-client (URLs and statuses, never keys). */
  onLog?: (line: string) => void;
}

let logSink: ((line: string) => void) | undefined;
acme.setLogger((line: string) => logSink?.(line));

export function makeAcmeClient(opts: AcmeClientOptions): acme.Client {
  // acme-client keeps one module-wide axios instance: settings are global by its design.
  (
    acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } }
  ).acmeSettings.retryMaxAttempts = 0;
  acme.axios.defaults.timeout = 15_000;
  acme.axios.defaults.httpsAgent = new Agent({
    ca: opts.caCertificatePem ? [...rootCertificates, opts.caCertificatePem] : undefined,
    keepAlive: false,
  });
  logSink = opts.onLog;
  return new acme.Client({
    directoryUrl: opts.directoryUrl,
    accountKey: opts.accountKeyPem,
    backoffAttempts: 20,
    backoffMin: 250,
    backoffMax: 2_000,
  });
}

/**
 * Fetches the directory once ourselves: with retries off, acme-client turns a network or
 * trust error into an unrelated TypeError, so the real cause is found here, in seconds.
 */
export function preflight(
  directoryUrl: string,
  caCertificatePem?: string,
  timeoutMs = 10_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = get(
      directoryUrl,
      { ca: caCertificatePem ? [...rootCertificates, caCertificatePem] : undefined, timeout: timeoutMs },
      (res) => {
        res.resume();
        if (res.statusCode === 200) resolve();
        else
          reject(
            new AcmeError(
              'ca-unreachable',
              `The ACME directory ${directoryUrl} answers HTTP ${res.statusCode}.`,
              'Check the CA URL.',
            ),
          );
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: Error & { code?: string }) => {
      const code = e.code ?? e.message;
      if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/.test(code)) {
        reject(
          new AcmeError(
            'ca-untrusted',
            `The ACME CA at ${directoryUrl} is not trusted (${code}).`,
            'For a private CA (pebble), set acme.caCertificate to its root certificate.',
          ),
        );
      } else {
        reject(
          new AcmeError(
            'ca-unreachable',
            `The ACME CA at ${directoryUrl} cannot be reached (${code}).`,
            'Check the URL and the network.',
          ),
        );
      }
    });
  });
}
