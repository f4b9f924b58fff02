// The one rule a new mail password must meet, wherever it comes from: the editor's prompt, the
// CLI's terminal or stdin, or MAILWRIGHT_USER_PASSWORD_* for apply. Long enough to resist
// guessing over SMTP AUTH and IMAP, and nothing that a mail program cannot type or send.

export const MIN_PASSWORD_LENGTH = 12;

/** What is wrong with a new password, in words for the user; undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH)
    return `it has ${length} character(s); use at least ${MIN_PASSWORD_LENGTH}`;
  if (password.trim() !== password) return 'it starts or ends with a space, which mail programs often drop';
  if ([...password].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return 'it contains a control character (a line break or tab, say), which a mail program cannot send';
  return undefined;
}
