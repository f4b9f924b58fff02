// The "delivered" stage for a recipient whose mail is stored on the server: the copy is read back
// over IMAPS with the recipient's own login, found by the test's token header.
import { fetchByHeader, type ImapOptions } from '../imap';
import { TEST_TOKEN_HEADER, type FetchDelivered } from './run';

/** A FetchDelivered that reads the recipient's INBOX; IMAP records no envelope, so only the copy is judged. */
export function imapDelivery(opts: Omit<ImapOptions, 'signal'>): FetchDelivered {
  return async (token, signal) => {
    const raw = await fetchByHeader({ ...opts, signal }, TEST_TOKEN_HEADER, token);
    return raw && { raw, receivedAt: new Date() };
  };
}
