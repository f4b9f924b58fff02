// How a challenge is answered. issueCertificate presents every challenge of an order,
// waits until all are visible, asks the CA, and always calls cleanup() afterwards.
export interface ChallengeResponder {
  readonly type: 'dns-01' | 'http-01';
  /** Publishes one challenge. `keyAuthorization` is already the TXT digest for dns-01. */
  present(identifier: string, token: string, keyAuthorization: string, signal: AbortSignal): Promise<void>;
  /** Resolves when everything presented is visible to the CA. */
  ready(signal: AbortSignal): Promise<void>;
  /** Removes exactly what present() added; safe to call more than once, and after a failed present(). */
  cleanup(): Promise<void>;
}
