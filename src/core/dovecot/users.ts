// Dovecot's passwd-file of the mailbox users, one file for every domain of the server:
// "user@domain:{SHA512-CRYPT}$6$…::::::" per line (uid, gid and home come from dovecot.conf).
// Lines Mailwright does not understand are kept as they are.
import { mailboxPasswordHash } from './password';

const HEADER = '# Mailbox users, written by Mailwright from mailwright.yaml (user add|passwd|remove).';

/** The login name Dovecot knows a user by: the full address, lower case. */
export function mailboxLogin(user: string, domain: string): string {
  return `${user}@${domain}`.toLowerCase();
}

/** The user names of one domain among logins (user@domain). */
export function usersOfDomain(logins: readonly string[], domain: string): string[] {
  const suffix = `@${domain.toLowerCase()}`;
  return logins.filter((l) => l.endsWith(suffix)).map((l) => l.slice(0, -suffix.length));
}

function loginOf(line: string): string | undefined {
  if (line.trim() === '' || line.startsWith('#')) return undefined;
  const colon = line.indexOf(':');
  return colon > 0 ? line.slice(0, colon) : undefined;
}

export class MailboxUsers {
  private constructor(private readonly lines: string[]) {}

  static parse(text: string | Buffer | null | undefined): MailboxUsers {
    const content = text === null || text === undefined ? '' : text.toString();
    const lines = content.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return new MailboxUsers(lines.length > 0 ? lines : [HEADER]);
  }

  /** Every login (user@domain) in the file. */
  logins(): string[] {
    return this.lines.map(loginOf).filter((l): l is string => l !== undefined);
  }

  /** The user names of one domain. */
  usersOf(domain: string): string[] {
    return usersOfDomain(this.logins(), domain);
  }

  /** Adds the user or replaces its password; only the hash is kept. */
  setPassword(user: string, domain: string, password: string): void {
    const login = mailboxLogin(user, domain);
    if (/[:\s]/.test(login)) throw new RangeError(`not a mailbox login: ${JSON.stringify(login)}`);
    const line = `${login}:${mailboxPasswordHash(password)}::::::`;
    const at = this.lines.findIndex((l) => loginOf(l) === login);
    if (at >= 0) this.lines[at] = line;
    else this.lines.push(line);
  }

  /** false when there was no such user. */
  remove(user: string, domain: string): boolean {
    const login = mailboxLogin(user, domain);
    const at = this.lines.findIndex((l) => loginOf(l) === login);
    if (at < 0) return false;
    this.lines.splice(at, 1);
    return true;
  }

  print(): string {
    return this.lines.join('\n') + '\n';
  }
}
