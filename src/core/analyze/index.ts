// Message analysis: judges a message that arrived elsewhere — its authentication (SPF, DKIM,
// DMARC, ARC, verified with mailauth) and its path (each Received hop, its address and TLS).
export { analyzeMessage, type AnalyzeOptions, type MessageAnalysis, type SmtpEnvelope } from './analyze';
export { looksLikeMessage } from './headers';
export {
  isOutdatedTls,
  parseReceived,
  parseReceivedChain,
  tlsVersionName,
  type ReceivedHop,
} from './received';
export {
  authenticateMessage,
  lookupAsMailauthResolver,
  mailauthResolver,
  type AuthenticateOptions,
  type AuthenticateResult,
  type MailauthResolverInput,
} from './mailauth';
