// The test mail: sent through the user's server, found where it was delivered, and judged.
export {
  runMailTest,
  TEST_TOKEN_HEADER,
  waitForDelivery,
  type FetchDelivered,
  type MailTestOptions,
  type MailTestReport,
  type MailTestStage,
  type StageName,
} from './run';
export { submissionChecks, submissionFailure, type SubmissionContext } from './submission';
export { verifyDelivered, type DeliveredMessage, type Verification, type VerifyOptions } from './verify';
export { imapDelivery } from './imap-delivery';
export { mailTestOptions, type HostMailTest } from './for-host';
