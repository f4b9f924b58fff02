// The one rule a new mail password must meet, wherever it comes from: the editor's prompt, the
// CLI's terminal or stdin, or MAILWRIGHT_USER_PASSWORD_* for apply. Long enough to resist
// guessing over SMTP AUTH and IMAP, and nothing that a mail program cannot type or send.

export const MIN_PASSWORD_LENGTH = 12;
/**
 * chasquid reads an SMTP line of at most 1000 octets (RFC 5321), AUTH PLAIN included: the base64
 * of "\0user@domain\0password" must fit, with the longest address (64 + 1 + 253 octets). 256
 * octets of password leave room for it; a longer one could be saved but never logs in.
 */
export const MAX_PASSWORD_BYTES = 256;

/** What is wrong with a new password, in words for the user; undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH)
    return `it has ${length} character(s); use at least ${MIN_PASSWORD_LENGTH}`;
  if (password.trim() !== password) return 'it starts or ends with a space, which mail programs often drop';
  if ([...password].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return 'it contains a control character (a line break or tab, say), which a mail program cannot send';
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes > MAX_PASSWORD_BYTES)
    return `it is ${bytes} bytes long in UTF-8; at most ${MAX_PASSWORD_BYTES} fit in the login line chasquid reads`;
  return undefined;
}

/**
 * The refusal of a new password, in the words every front end shows (the editor's input box says
 * the same, translated); undefined when it is acceptable. `whose` names the password in the sentence.
 */
export function passwordRefusal(password: string, whose = 'This password'): string | undefined {
  const problem = passwordProblem(password);
  return problem === undefined ? undefined : `${whose} cannot be used: ${problem}.`;
}
