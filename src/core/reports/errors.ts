import { ExpectedError } from '../errors';

/**
 * Why a received report was set aside. `too-large` and `unreadable` are about its bytes,
 * `invalid` about its content, `foreign` about a domain that is not one of ours.
 */
export type ReportProblem = 'too-large' | 'unreadable' | 'invalid' | 'foreign';

export class ReportError extends ExpectedError {
  override name = 'ReportError';
  constructor(
    readonly problem: ReportProblem,
    message: string,
  ) {
    super(message);
  }
}
