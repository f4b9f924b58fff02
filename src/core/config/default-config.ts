// A commented starter mailwright.yaml that loads without errors and explains each key.
import { stringify } from 'yaml';
import { normalizeDomainName, normalizeLocalPart, type NameCheck } from '../names';
import { ConfigEditError } from './edit-nodes';
import { checkSshTarget, formatSshTarget } from './ssh-target';
import { hostNameProblem } from './validate-host';

export interface StarterOptions {
  /** Label of the server, default `mail`. */
  hostName?: string;
  /** First domain, default `example.com`. */
  domain?: string;
  /** Default `mail.<domain>`. */
  mailHost?: string;
  /** Default `root@<mailHost>:22`. */
  ssh?: string;
  identityFile?: string;
  /** First user, default `alice`; also receives postmaster and abuse mail. */
  user?: string;
}

/** Throws ConfigEditError when an option is invalid (check them in the input box first). */
export function defaultConfigText(options: StarterOptions = {}): string {
  const hostName = options.hostName ?? 'mail';
  const problem = hostNameProblem(hostName);
  if (problem) throw new ConfigEditError(`"${hostName}" is not a valid host name: ${problem}.`);
  const domain = valid(normalizeDomainName(options.domain ?? 'example.com'), 'domain');
  const mailHost = valid(normalizeDomainName(options.mailHost ?? `mail.${domain}`), 'mail host name');
  const sshCheck = checkSshTarget(options.ssh ?? `root@${mailHost}:22`);
  if (!sshCheck.ok)
    throw new ConfigEditError(`"${options.ssh}" is not a valid SSH target: ${sshCheck.reason}.`);
  const user = valid(normalizeLocalPart(options.user ?? 'alice'), 'user name');
  const identity = options.identityFile
    ? `    identityFile: ${scalar(options.identityFile)} # private key; the SSH agent is used when absent`
    : `    # identityFile: ~/.ssh/id_ed25519 # private key; the SSH agent is used when absent`;
  // RFC 2142 asks every mail domain to accept postmaster@ and abuse@ (never empty: user is one name).
  const roleAliases = ['postmaster', 'abuse']
    .filter((role) => role !== user)
    .map((role) => `          ${role}: ${user}`);

  return [
    '# Mailwright desired state: what your mail server should look like.',
    '# Mailwright compares it with the server and shows a plan before it changes anything.',
    '# Passwords and DNS credentials never go in this file.',
    'version: 1',
    'hosts:',
    `  - name: ${hostName} # a short label for this server`,
    `    ssh: ${formatSshTarget(sshCheck.target)} # [user@]host[:port]; IPv6 in brackets: root@[2001:db8::2]:22`,
    identity,
    `    mailHost: ${mailHost} # the name the server announces: MX target and reverse DNS`,
    '    domains:',
    `      - name: ${domain}`,
    `        users: [${user}] # local parts only; set passwords from Mailwright`,
    '        aliases:',
    ...roleAliases,
    `          # '*': you@example.net # catch-all: mail for any other name goes there`,
    '        dkim:',
    '          algorithms: [rsa2048] # any of rsa2048, rsa3072, rsa4096, ed25519',
    '          selector: auto # auto = a date-based selector, or a DNS label of your choice',
    '# git:',
    '#   remote: origin # push the history of the server configuration here',
    '',
  ].join('\n');
}

function valid(check: NameCheck, what: string): string {
  if (!check.ok) throw new ConfigEditError(`Not a valid ${what}: ${check.reason}.`);
  return check.value;
}

function scalar(text: string): string {
  return stringify(text).trimEnd();
}
