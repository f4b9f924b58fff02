// The command line's one table: every command with its flags, what they mean, their defaults,
// an example and the exit codes. The parser and every help text are made from it, so the two
// cannot disagree. Commands are loaded only when run (import()), so `--help` and a command's
// start load nothing else.
import { parseArgs } from 'node:util';
import { DEFAULT_ROLLOVER_WAIT } from '../core/dane/rollover';
import { DEFAULT_ROTATION_RETENTION, DEFAULT_ROTATION_WAIT } from '../core/dkim/rotation';
import { UsageError } from '../core/errors';

import {
  EXIT,
  type CommandFn,
  type CommandSpec,
  type FlagSpec,
  type Flags,
  type ParsedCommand,
} from './command-types';

export { EXIT, type CommandFn, type CommandSpec, type FlagSpec, type Flags, type ParsedCommand };

const EXIT_CODES: readonly (readonly [number, string])[] = [
  [EXIT.ok, 'done'],
  [EXIT.failed, 'it failed (the server, the network, DNS or a check said no); the message says why'],
  [EXIT.usage, 'wrong usage or an error in mailwright.yaml; nothing was changed'],
  [EXIT.interrupted, 'interrupted (Ctrl-C)'],
];

const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'help', short: 'h', type: 'boolean', help: 'show this help' },
  {
    name: 'debug',
    type: 'boolean',
    help: 'show the stack trace of an error (or set MAILWRIGHT_DEBUG=1)',
  },
];

const host: FlagSpec = {
  name: 'host',
  type: 'string',
  value: '<name|user@host[:port]>',
  help: 'a host from mailwright.yaml, or an SSH target',
  default: 'the only host of mailwright.yaml',
};
const config: FlagSpec = {
  name: 'config',
  type: 'string',
  value: '<file>',
  help: 'mailwright.yaml to read',
  default: './mailwright.yaml',
};
function sshConfigFlag(): FlagSpec {
  return {
    name: 'ssh-config',
    type: 'string',
    value: '<file>',
    help: 'the OpenSSH client configuration whose Host entries --host and ssh: may name',
    default: 'MAILWRIGHT_SSH_CONFIG, else ~/.ssh/config',
  };
}
/** How to reach a server over SSH. */
const CONNECT_FLAGS: readonly FlagSpec[] = [
  host,
  config,
  {
    name: 'identity',
    short: 'i',
    type: 'string',
    value: '<file>',
    help: 'private key file',
    default: "the host's identityFile, else ssh-agent, else MAILWRIGHT_SSH_PASSWORD",
  },
  {
    name: 'accept-new-host-key',
    type: 'boolean',
    help: 'trust a host key seen for the first time (a changed key is always refused)',
  },
  {
    name: 'known-hosts',
    type: 'string',
    value: '<file>',
    help: "Mailwright's known-hosts file",
    default: '~/.config/mailwright/known_hosts',
  },
  {
    name: 'connect-timeout',
    type: 'string',
    value: '<seconds>',
    help: 'how long to wait for the SSH connection and handshake',
    default: '20',
  },
  sshConfigFlag(),
  {
    name: 'verbose',
    short: 'v',
    type: 'boolean',
    help: 'show connection progress, and what the command read (mailwright.yaml, facts, DKIM keys, SSH commands)',
  },
];
/** plan and apply work on several hosts: --host repeated, or --all. */
const FLEET_FLAGS: readonly FlagSpec[] = [
  ...CONNECT_FLAGS.map((f) => (f.name === 'host' ? { ...f, repeatable: true } : f)),
  { name: 'all', type: 'boolean', help: 'every host of mailwright.yaml' },
];
const json = (what: string): FlagSpec => ({
  name: 'json',
  type: 'boolean',
  help: `print ${what} as JSON (stdout holds only it)`,
});
const dnsServers = (name: string, help: string, def: string): FlagSpec => ({
  name,
  type: 'string',
  value: '<ip[:port]>',
  help,
  default: def,
  repeatable: true,
});
const domain: FlagSpec = {
  name: 'domain',
  type: 'string',
  value: '<domain>',
  help: "one of the host's domains",
  default: 'the only one',
};
const authoritative = dnsServers('authoritative', "the zone's authoritative servers", 'found through NS');
const DNS_CHECK_FLAGS: readonly FlagSpec[] = [
  dnsServers('resolver', 'recursive resolver to ask', "the system's"),
  authoritative,
  {
    name: 'outbound-probe',
    type: 'string',
    value: '<domain>',
    help: 'whose MX the server connects to on port 25',
    default: 'gmail.com',
  },
  { name: 'no-dnsbl', type: 'boolean', help: 'skip the blocklist lookups' },
  { name: 'no-reachability', type: 'boolean', help: 'skip the port 25/465/587 probes' },
];
const yes = (what: string): FlagSpec => ({
  name: 'yes',
  short: 'y',
  type: 'boolean',
  help: `${what} without asking`,
});
const userArgument = { name: '<user@domain>', help: 'the mail user, e.g. alice@example.com' };
const QUEUE_ID = { name: '<id>', help: 'a queue id, as `mailwright queue` lists it' };
const SECRETS_NOTE =
  'Secrets come from the environment only: MAILWRIGHT_SSH_PASSWORD, MAILWRIGHT_KEY_PASSPHRASE,\n' +
  'MAILWRIGHT_SUDO_PASSWORD (each may be suffixed with _<HOST NAME> for one host).';

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'facts',
    summary: "Gather a server's facts in one SSH round trip and print them as JSON",
    flags: CONNECT_FLAGS.map((f) => (f.name === 'host' ? { ...f, default: undefined } : f)),
    examples: [
      'mailwright facts --host vps',
      'mailwright facts --host root@203.0.113.10 -i ~/.ssh/id_ed25519 --accept-new-host-key',
    ],
    load: async () => (await import('./facts.js')).factsCommand,
  },
  {
    name: 'plan',
    summary: 'Show what apply would change on a host of mailwright.yaml, and why',
    details: 'Nothing on the server changes.',
    flags: [
      ...FLEET_FLAGS,
      { name: 'detailed-exitcode', type: 'boolean', help: 'exit 2 when there are changes, 0 when none' },
    ],
    examples: ['mailwright plan', 'mailwright plan --host vps --detailed-exitcode'],
    exits: [
      [
        EXIT.usage,
        'with --detailed-exitcode: there are changes; else wrong usage or an error in mailwright.yaml',
      ],
    ],
    load: async () => (await import('./provision.js')).planCommand,
  },
  {
    name: 'apply',
    summary: 'Make the changes, verify each, commit the conf directory to git',
    details:
      'Shows the plan and asks first. Files edited on the server by hand are only replaced or kept\n' +
      "as you choose. New mail users' passwords come from MAILWRIGHT_USER_PASSWORD_<USER>_<DOMAIN>.\n" +
      'Ctrl-C stops the run and puts back the files of the step it was in.\n\n' +
      SECRETS_NOTE,
    flags: [
      ...FLEET_FLAGS,
      yes('apply'),
      { name: 'overwrite-drift', type: 'boolean', help: 'replace files edited on the server by hand' },
      { name: 'keep-drift', type: 'boolean', help: 'leave files edited on the server by hand as they are' },
      { name: 'from', type: 'string', value: '<action id>', help: 'start at this action (after a failure)' },
      { name: 'no-commit', type: 'boolean', help: 'do not snapshot the conf directory into git' },
      {
        name: 'store-credential-on-server',
        type: 'boolean',
        help: "consent to storing the domain's DNS credential (renewal there with dns-01) or the alert webhook address on the server",
      },
    ],
    examples: ['mailwright apply', 'mailwright apply --host vps --yes --keep-drift'],
    load: async () => (await import('./provision.js')).applyCommand,
  },
  {
    name: 'renew',
    summary: 'Renew the ACME certificate when it expires within N days',
    details: 'Safe from cron: never asks anything, and one run at a time.',
    flags: [
      ...CONNECT_FLAGS,
      {
        name: 'days',
        type: 'string',
        value: '<N>',
        help: 'renew when the certificate expires within N days (0-90)',
        default: 'acme.renewBeforeDays, 30',
      },
      {
        name: 'new-key',
        type: 'boolean',
        help: 'renew now with a new private key (renewals keep the key); a published DANE TLSA record must then be published again',
      },
    ],
    examples: ['mailwright renew --host vps', 'mailwright renew --days 20'],
    exits: [
      [EXIT.ok, 'renewed, or not due'],
      [3, 'another renew holds the lock; nothing done'],
    ],
    load: async () => (await import('./renew.js')).renewCommand,
  },
  {
    name: 'limits',
    summary: "Show what each user sent in the last hour and day against the host's sending limits",
    details:
      'Read from the counts the server keeps (mailwright.yaml limits:); nothing on the server changes.',
    flags: [...CONNECT_FLAGS, json('the counts')],
    examples: ['mailwright limits --host vps', 'mailwright limits --json'],
    load: async () => (await import('./limits.js')).limitsCommand,
  },
  ...(['add', 'remove', 'passwd'] as const).map((verb): CommandSpec => ({
    name: `user ${verb}`,
    summary: {
      add: 'Add a mail user on the server and to mailwright.yaml',
      remove: 'Remove a mail user from the server and mailwright.yaml',
      passwd: "Change a mail user's password",
    }[verb],
    ...(verb !== 'remove' && {
      details: 'The password is asked on the terminal (or read from stdin), never taken from an argument.',
    }),
    argument: userArgument,
    flags: CONNECT_FLAGS,
    examples: [`mailwright user ${verb} alice@example.com`],
    load: async () => (await import('./users.js')).userCommand(verb),
  })),
  {
    name: 'user verify',
    summary: 'Check a password with SMTP AUTH over TLS, as a mail program would; changes nothing',
    details: 'The password is asked on the terminal (or read from stdin). No SSH is needed.',
    argument: userArgument,
    flags: [
      host,
      config,
      { name: 'port', type: 'string', value: '465|587', help: 'submission port', default: '465' },
    ],
    examples: [
      'mailwright user verify alice@example.com',
      'echo "$PASSWORD" | mailwright user verify alice@example.com --port 587',
    ],
    exits: [[EXIT.failed, 'the server refused the password, or could not be asked']],
    load: async () => (await import('./users.js')).verifyCommand,
  },
  {
    name: 'check',
    summary: "Check a server's health: certificate, DNS records, blocklists, services, free space",
    details:
      'Gathers the facts in one SSH round trip, checks every record the domains need (as dns check does)\n' +
      'and the blocklists, chasquid (and Dovecot) running and listening, and free space and inodes\n' +
      'in /var/lib/chasquid and /var/mail. Each failing check says how to fix it. Nothing changes.',
    flags: [
      ...CONNECT_FLAGS,
      ...DNS_CHECK_FLAGS.filter((f) => f.name !== 'outbound-probe' && f.name !== 'no-reachability'),
      json('the report'),
    ],
    examples: ['mailwright check', 'mailwright check --host vps --json'],
    exits: [
      [EXIT.failed, 'a check failed'],
      [EXIT.usage, 'only warnings (or wrong usage or an error in mailwright.yaml; the message says which)'],
    ],
    load: async () => (await import('./check.js')).checkCommand,
  },
  {
    name: 'dns check',
    summary: 'Compare every record the domain needs with what DNS answers',
    details:
      'Asks the authoritative servers and recursive resolvers, lints SPF, explains DMARC, compares\n' +
      "the DKIM key with the server's, forward-confirms PTR, probes port 25 and the blocklists.",
    flags: [...CONNECT_FLAGS, domain, ...DNS_CHECK_FLAGS, json('the report')],
    examples: ['mailwright dns check', 'mailwright dns check --domain example.com --resolver 9.9.9.9 --json'],
    exits: [[EXIT.failed, 'a required record is wrong or missing']],
    load: async () => (await import('./dns.js')).dnsCommand('check'),
  },
  {
    name: 'dns plan',
    summary: "Show the exact changes publish would make through the domain's dns: provider",
    details: 'Nothing is written. DNS provider credentials come from MAILWRIGHT_DNS_SECRET_<DOMAIN>.',
    flags: [...CONNECT_FLAGS, domain, authoritative],
    examples: ['mailwright dns plan --domain example.com'],
    load: async () => (await import('./dns.js')).dnsCommand('plan'),
  },
  {
    name: 'dns publish',
    summary: "Make those changes through the domain's dns: provider, wait until served, check again",
    details:
      'Asks first. Never deletes a record Mailwright does not manage. DNS provider credentials\n' +
      'come from MAILWRIGHT_DNS_SECRET_<DOMAIN> (e.g. the TSIG secret, the API token).',
    flags: [...CONNECT_FLAGS, domain, ...DNS_CHECK_FLAGS, json('the report'), yes('publish')],
    examples: ['mailwright dns publish --yes'],
    exits: [[EXIT.failed, 'the provider refused, or a record is still wrong afterwards']],
    load: async () => (await import('./dns.js')).dnsCommand('publish'),
  },
  {
    name: 'dns export',
    summary: 'Print the records as a BIND zone-file snippet, for any other DNS provider',
    flags: [...CONNECT_FLAGS, domain],
    examples: ['mailwright dns export > records.zone'],
    load: async () => (await import('./dns.js')).dnsCommand('export'),
  },
  {
    name: 'dkim rotate',
    summary:
      "Rotate a domain's DKIM key: new key, record published, switch once served, old one removed later",
    details:
      'Each run goes as far as it can and says where it stopped; run it again to continue (the state is\n' +
      'kept on the server, so any machine can). Signing switches only once every authoritative server\n' +
      'serves the new record; the old record and key stay for --retention after that. Without a dns:\n' +
      'provider the records are shown to publish and remove by hand. See docs/dkim-rotation.md.',
    flags: [
      ...CONNECT_FLAGS,
      domain,
      authoritative,
      {
        name: 'retention',
        type: 'string',
        value: '<duration>',
        help: 'how long the old record and key stay after the switch (s, m, h, d, w)',
        default: DEFAULT_ROTATION_RETENTION,
      },
      {
        name: 'wait',
        type: 'string',
        value: '<duration>',
        help: 'how long this run waits for the new record to be served',
        default: DEFAULT_ROTATION_WAIT,
      },
      { name: 'dry-run', type: 'boolean', help: 'show the stages and change nothing' },
    ],
    examples: ['mailwright dkim rotate --domain example.com', 'mailwright dkim rotate --dry-run'],
    exits: [[EXIT.failed, 'a step failed or the new record is not served yet; run again to continue']],
    load: async () => (await import('./dkim.js')).dkimRotateCommand,
  },
  {
    name: 'dane rollover',
    summary:
      "Change the mail host's TLS key without a DANE gap: next key's TLSA first, switch once served, old one removed",
    details:
      'Each run goes as far as it can and says where it stopped; run it again to continue (the state is\n' +
      'kept on the server, so any machine can). The next key is made beside the certificate, its TLSA\n' +
      'record published beside the current one; the certificate is issued with it (ACME) only once every\n' +
      "authoritative server serves that record and the record's TTL has passed; the old record goes one\n" +
      'TTL after the switch. Without a dns: provider the records are shown to publish and remove by hand.\n' +
      'See docs/dane.md.',
    flags: [
      ...CONNECT_FLAGS,
      authoritative,
      {
        name: 'wait',
        type: 'string',
        value: '<duration>',
        help: 'how long this run waits for the next record to be served',
        default: DEFAULT_ROLLOVER_WAIT,
      },
      { name: 'dry-run', type: 'boolean', help: 'show the stages and change nothing' },
    ],
    examples: ['mailwright dane rollover', 'mailwright dane rollover --dry-run'],
    exits: [[EXIT.failed, 'a step failed or the next record is not served yet; run again to continue']],
    load: async () => (await import('./dane.js')).daneRolloverCommand,
  },
  {
    name: 'analyze',
    summary: 'Judge a received message: SPF, each DKIM signature, DMARC, ARC and each hop',
    details:
      'The message as it arrived ("Show original" / "View source", saved as .eml; "-" reads stdin).\n' +
      "SPF needs the connecting IP, HELO and envelope sender: they are read from the final receiver's\n" +
      'Received header and Return-Path unless given here.',
    argument: { name: '<FILE|->', help: 'the message file, or - for stdin' },
    flags: [
      dnsServers('dns', 'resolver to ask', "the system's"),
      {
        name: 'ip',
        type: 'string',
        value: '<address>',
        help: "the connecting client's IP address, as the receiver saw it",
      },
      { name: 'helo', type: 'string', value: '<name>', help: 'the name it gave in EHLO/HELO' },
      {
        name: 'mail-from',
        type: 'string',
        value: '<address>',
        help: 'the envelope sender (MAIL FROM; "" for a bounce)',
      },
      json('the analysis'),
    ],
    examples: ['mailwright analyze message.eml', 'mailwright analyze - --json < message.eml'],
    exits: [
      [EXIT.ok, 'no check failed'],
      [EXIT.failed, 'a check failed'],
    ],
    load: async () => (await import('./analyze.js')).analyzeCommand,
  },
  {
    name: 'reports',
    summary: 'Summarise the DMARC and TLS reports the server kept (reports: keep)',
    details:
      'Reads the store in one SSH round trip. Per domain: the sending sources by IP with their reverse\n' +
      'name, failing sources first, message counts, DMARC pass and DKIM/SPF alignment rates, and TLS\n' +
      "failures by type. A report about a domain that is not the host's is set aside and named.",
    flags: [
      ...CONNECT_FLAGS,
      { ...domain, default: 'every domain of the host' },
      json('the summary'),
      dnsServers('resolver', 'resolver for the reverse (PTR) lookups', "the system's"),
      { name: 'no-reverse', type: 'boolean', help: 'skip the reverse (PTR) lookups of the sources' },
    ],
    examples: ['mailwright reports', 'mailwright reports --domain example.com --json'],
    load: async () => (await import('./reports.js')).reportsCommand,
  },
  {
    name: 'send-test',
    summary: 'Send a test mail through the server and report each stage',
    details:
      'The password of the sending user is read from MAILWRIGHT_USER_PASSWORD_<USER>_<DOMAIN>, else\n' +
      "asked on the terminal, else read from stdin. When the recipient's mail is stored on this server\n" +
      '(a domain with mailboxes), the copy is read back over IMAP and judged.',
    flags: [
      {
        ...host,
        help: 'a host from mailwright.yaml, or the mail host name',
        default: 'the only host of mailwright.yaml',
      },
      { name: 'to', type: 'string', value: '<address>', help: 'the recipient (required)' },
      {
        name: 'from',
        type: 'string',
        value: '<user@domain>',
        help: 'the sending user',
        default: "the host's first user in mailwright.yaml",
      },
      {
        name: 'port',
        type: 'string',
        value: '465|587',
        help: 'submission port (465: TLS from the first byte; any other must offer STARTTLS)',
        default: '465',
      },
      {
        name: 'ca',
        type: 'string',
        value: '<file>',
        help: "trust this CA for the server's certificate",
        default: "the system's",
      },
      { name: 'timeout', type: 'string', value: '<seconds>', help: 'SMTP timeout', default: '30' },
      dnsServers('dns', 'DNS server for SPF, DKIM and DMARC', "the system's"),
      json('the report'),
      config,
    ],
    examples: ['mailwright send-test --host vps --to you@gmail.com'],
    exits: [[EXIT.failed, 'a check failed']],
    load: async () => (await import('./send-test.js')).sendTestCommand,
  },
  {
    name: 'blocked',
    summary: 'List the addresses the server blocks after repeated failed SMTP logins, or unblock one',
    details:
      "The blocks are fail2ban's (mailwright.yaml: bruteForce): an address is refused on ports 25, 465\n" +
      'and 587 for banTime after maxRetry failed logins within findTime. SSH is never blocked by it.',
    flags: [
      ...CONNECT_FLAGS,
      {
        name: 'unblock',
        type: 'string',
        value: '<address>',
        help: 'lift the block on this address (as the list shows it)',
      },
      json('the list'),
    ],
    examples: ['mailwright blocked --host vps', 'mailwright blocked --unblock 203.0.113.7'],
    exits: [[EXIT.failed, 'the server could not be asked, or the address is not blocked']],
    load: async () => (await import('./blocked.js')).blockedCommand,
  },
  {
    name: 'backup',
    summary: 'Write an encrypted backup of what rebuilds the server: DKIM keys, users, certificates',
    details:
      "chasquid's configuration (DKIM keys, users files with password hashes, aliases, certificates\n" +
      "and their keys), Dovecot's users, optionally the mail, and this mailwright.yaml, with a manifest of\n" +
      'sha256 checksums; encrypted with age under a passphrase (asked twice on a terminal).\n' +
      'The server can make the same archive itself from a timer (backups.schedule in mailwright.yaml),\n' +
      'locked for an age public key: `mailwright backup keygen` makes the key pair.',
    flags: [
      ...CONNECT_FLAGS,
      {
        name: 'out',
        type: 'string',
        value: '<file>',
        help: 'the archive to write (mode 0600)',
        default: './mailwright-backup-<host>-<time>.age',
      },
      { name: 'with-mail', type: 'boolean', help: "include the mailboxes' mail (its size is shown first)" },
      {
        name: 'passphrase-stdin',
        type: 'boolean',
        help: 'read the passphrase from stdin instead of the terminal',
      },
    ],
    examples: ['mailwright backup --host vps', 'mailwright backup --out /mnt/usb/vps.age --with-mail'],
    load: async () => (await import('./backup.js')).backupCommand,
  },
  {
    name: 'backup keygen',
    summary:
      'Make the age key pair of scheduled backups: the public key for mailwright.yaml, the identity file for you',
    details:
      'Writes the identity (the secret key that opens the archives) to a new file, mode 0600, in the\n' +
      'format of age-keygen, and prints the public key (age1…) for backups.schedule.recipient. Keep the\n' +
      'identity file off the server, with a copy somewhere safe: without it no scheduled archive opens.',
    flags: [
      {
        name: 'out',
        type: 'string',
        value: '<file>',
        help: 'the identity file to write (never replaced)',
        default: './mailwright-backup-identity.txt',
      },
    ],
    examples: ['mailwright backup keygen --out ~/.config/mailwright/backup-identity.txt'],
    exits: [[EXIT.usage, 'the file exists (it is never replaced) or cannot be written']],
    load: async () => (await import('./backup.js')).keygenCommand,
  },
  {
    name: 'restore',
    summary: 'Restore a backup onto a host (a new server), then provision it',
    details:
      'The archive is decrypted and every checksum verified before anything connects; a backup of\n' +
      "another mail host or other domains than the host's in mailwright.yaml is refused. The plan\n" +
      'shows the files to write, the DKIM keys and users kept, and the DNS records that change.',
    argument: { name: '<FILE>', help: 'the archive written by mailwright backup' },
    flags: [
      ...CONNECT_FLAGS,
      yes('restore'),
      {
        name: 'passphrase-stdin',
        type: 'boolean',
        help: 'read the passphrase from stdin instead of the terminal',
      },
      {
        name: 'age-identity',
        type: 'string',
        value: '<file>',
        help: 'the identity file that opens an archive the server made (backups.schedule); - reads it from stdin',
        default: 'asked on a terminal when the archive is locked for a public key',
      },
      {
        name: 'check-only',
        type: 'boolean',
        help: 'open and check the archive (every checksum), show what it holds, and stop: nothing connects',
      },
    ],
    examples: [
      'mailwright restore mailwright-backup-vps-20261207-053000.age --host vps',
      'mailwright restore vps.age --host vps --yes --passphrase-stdin < passphrase.txt',
      'mailwright restore mailwright-backup-vps-20261207-030000.age --age-identity backup-identity.txt --check-only',
    ],
    exits: [
      [EXIT.failed, 'the archive was refused (passphrase, damage, another host) or the restore failed'],
    ],
    load: async () => (await import('./backup.js')).restoreCommand,
  },
  {
    name: 'queue list',
    summary: "List the messages in chasquid's queue: recipients, age, attempts, next try, last error",
    details:
      "Also `mailwright queue` alone. Read from chasquid's queue files and mail log in one SSH round trip.\n" +
      'chasquid has no "retry now": it retries by itself (1, 5, 10, then every 20 minutes) and gives up\n' +
      'after give_up_send_after (20 h), telling the sender; a restart of chasquid retries every message.',
    flags: [...CONNECT_FLAGS, json('the queue')],
    examples: ['mailwright queue', 'mailwright queue --host mx1 --json'],
    load: async () => (await import('./queue.js')).queueListCommand,
  },
  {
    name: 'queue show',
    summary: "Show one queued message's envelope, size and headers (the body stays on the server)",
    argument: QUEUE_ID,
    flags: [...CONNECT_FLAGS, json('the message')],
    examples: ['mailwright queue show LdmLpoXHcSY'],
    load: async () => (await import('./queue.js')).queueShowCommand,
  },
  {
    name: 'queue delete',
    summary: "Delete one message from chasquid's queue for good; its sender is not told",
    details:
      'chasquid rewrites a queued message after each attempt, so it is stopped, the file removed and\n' +
      'chasquid started again (which retries the other queued messages at once).',
    argument: QUEUE_ID,
    flags: [...CONNECT_FLAGS, yes('delete')],
    examples: ['mailwright queue delete LdmLpoXHcSY', 'mailwright queue delete LdmLpoXHcSY --yes'],
    exits: [[EXIT.usage, 'no such message in the queue (any more), or wrong usage']],
    load: async () => (await import('./queue.js')).queueDeleteCommand,
  },
  {
    name: 'ssh-config',
    summary: "Show how a host's SSH login is resolved, each value with where it came from",
    details:
      'Values come from mailwright.yaml (or the flags), then the first the SSH configuration gives for the host\n' +
      '(~/.ssh/config and what it includes), then the defaults. Nothing connects; an alias that is no Host of\n' +
      'the configuration is looked up in DNS.',
    flags: [
      ...CONNECT_FLAGS.filter((f) =>
        ['host', 'config', 'identity', 'connect-timeout', 'ssh-config'].includes(f.name),
      ).map((f) => (f.name === 'host' ? { ...f, default: undefined } : f)),
      json('the resolved login'),
    ],
    examples: [
      'mailwright ssh-config --host vps',
      'mailwright ssh-config --host myvps --ssh-config ./ssh_config',
    ],
    exits: [[EXIT.failed, 'the host name cannot be resolved in DNS']],
    load: async () => (await import('./ssh-config.js')).sshConfigCommand,
  },
];

// ---------------------------------------------------------------------------------------------
// Parsing

const flagName = (f: FlagSpec) => `--${f.name}`;
const flagList = (spec: CommandSpec) => [...spec.flags, ...GLOBAL_FLAGS].map(flagName).join(', ');

/** Reads a command's arguments as its table entry says; anything else is a UsageError naming the flag. */
export function parseCommand(spec: CommandSpec, args: readonly string[]): ParsedCommand {
  const flags = [...spec.flags, ...GLOBAL_FLAGS];
  const options = Object.fromEntries(
    flags.map((f) => [f.name, { type: f.type, multiple: true, ...(f.short && { short: f.short }) }]),
  );
  let parsed: { values: Record<string, (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (e) {
    throw parseProblem(spec, e as Error & { code?: string });
  }
  const values: Record<string, string | string[] | boolean> = {};
  for (const f of flags) {
    const given = parsed.values[f.name];
    if (!given) continue;
    if (f.type === 'boolean') {
      values[f.name] = true;
    } else if (f.repeatable) {
      values[f.name] = given as string[];
    } else if (given.length > 1) {
      throw new UsageError(
        `${flagName(f)} was given ${given.length} times (${given.map((v) => JSON.stringify(v)).join(', ')}): ` +
          `mailwright ${spec.name} takes one. Give it once.`,
      );
    } else {
      values[f.name] = given[0] as string;
    }
  }
  const positionals = parsed.positionals;
  if (!values.help) {
    if (spec.argument && positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? `mailwright ${spec.name} needs ${spec.argument.name}: ${spec.argument.help}. Example: ${spec.examples[0]}`
          : `mailwright ${spec.name} takes one ${spec.argument.name}, not ${positionals.length} (${positionals.join(' ')}).`,
      );
    }
    if (!spec.argument && positionals.length > 0) {
      throw new UsageError(
        `mailwright ${spec.name} takes no argument, but was given "${positionals[0]}". Its options: ${flagList(spec)}.`,
      );
    }
  }
  return { flags: values, positionals };
}

function parseProblem(spec: CommandSpec, e: Error & { code?: string }): Error {
  const quoted = /'([^']+)'/.exec(e.message)?.[1] ?? '';
  const flag = quoted.split(/[ ,]/).find((w) => w.startsWith('-')) ?? quoted;
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(
        `unknown option ${flag} for mailwright ${spec.name}. Its options: ${flagList(spec)} (see mailwright ${spec.name} --help).`,
      );
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const f = [...spec.flags, ...GLOBAL_FLAGS].find((x) => quoted.includes(flagName(x)));
      if (f?.type === 'boolean')
        return new UsageError(`${flagName(f)} takes no value: write just ${flagName(f)}.`);
      return new UsageError(
        `${f ? flagName(f) : flag} needs a value${f?.value ? `: ${flagName(f)} ${f.value}` : ''} (see mailwright ${spec.name} --help).`,
      );
    }
    default:
      return new UsageError(`${e.message} (see mailwright ${spec.name} --help)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Finding the command and help

const groupOf = (spec: CommandSpec) => (spec.name.includes(' ') ? spec.name.split(' ')[0] : undefined);
const GROUP_SUMMARY: Record<string, string> = {
  user: 'Manage a mail user: add, remove, passwd, verify',
  dns: "The domain's DNS records: check, plan, publish, export",
  queue: "chasquid's queue: list (the default), show, delete",
};
/** The command a group runs when no subcommand is named (`mailwright queue --json`). */
const GROUP_DEFAULT: Record<string, string> = { queue: 'queue list' };

export type Resolved =
  | { kind: 'run'; spec: CommandSpec; args: string[] }
  | { kind: 'help'; text: string; exit: number; toStderr?: boolean };

/** Which command argv names, or the help to show instead. */
export function resolveCommand(argv: readonly string[]): Resolved {
  const [first, ...rest] = argv;
  if (first === undefined) return { kind: 'help', text: mainHelp(), exit: EXIT.usage, toStderr: true };
  if (first === '--help' || first === '-h') return { kind: 'help', text: mainHelp(), exit: EXIT.ok };
  if (first === 'help') {
    if (rest.length === 0) return { kind: 'help', text: mainHelp(), exit: EXIT.ok };
    const asked = resolveCommand([...rest, '--help']);
    return asked.kind === 'run' ? { kind: 'help', text: commandHelp(asked.spec), exit: EXIT.ok } : asked;
  }
  const group = COMMANDS.filter((c) => groupOf(c) === first);
  // A command that also has subcommands (`backup`, `backup keygen`): a word naming one runs it.
  const own = COMMANDS.find((c) => c.name === first);
  if (group.length > 0 && own) {
    const [sub, ...args] = rest;
    const spec = group.find((c) => c.name === `${first} ${sub}`);
    return spec ? { kind: 'run', spec, args } : { kind: 'run', spec: own, args: rest };
  }
  if (group.length > 0) {
    const [sub, ...args] = rest;
    const fallback = COMMANDS.find((c) => c.name === GROUP_DEFAULT[first]);
    if (fallback && (sub === undefined || (sub.startsWith('-') && sub !== '--help' && sub !== '-h')))
      return { kind: 'run', spec: fallback, args: rest };
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help')
      return {
        kind: 'help',
        text: groupHelp(first),
        exit: sub === undefined ? EXIT.usage : EXIT.ok,
        toStderr: sub === undefined,
      };
    const spec = group.find((c) => c.name === `${first} ${sub}`);
    if (!spec)
      throw new UsageError(
        `unknown command "${first} ${sub}": use one of ${group.map((c) => c.name).join(', ')} (mailwright ${first} --help).`,
      );
    return { kind: 'run', spec, args };
  }
  const spec = COMMANDS.find((c) => c.name === first);
  if (!spec)
    throw new UsageError(
      `unknown command "${first}". Commands: ${[...new Set(COMMANDS.map((c) => groupOf(c) ?? c.name))].join(', ')} (mailwright --help).`,
    );
  return { kind: 'run', spec, args: rest };
}

function columns(rows: readonly (readonly [string, string])[], indent = '  '): string[] {
  const width = Math.min(34, Math.max(...rows.map(([left]) => left.length)));
  return rows.map(([left, right]) =>
    left.length > width
      ? `${indent}${left}\n${indent}${' '.repeat(width)}  ${right}`
      : `${indent}${left.padEnd(width)}  ${right}`,
  );
}

function flagRow(f: FlagSpec): [string, string] {
  const left = `${f.short ? `-${f.short}, ` : ''}${flagName(f)}${f.value ? ` ${f.value}` : ''}`;
  const notes = [f.default !== undefined && `default: ${f.default}`, f.repeatable && 'repeatable'].filter(
    Boolean,
  );
  return [left, `${f.help}${notes.length ? ` (${notes.join('; ')})` : ''}`];
}

function exitRows(spec: CommandSpec): [string, string][] {
  const own = new Map(spec.exits ?? []);
  const codes = [...new Set([...EXIT_CODES.map(([c]) => c), ...own.keys()])].sort((a, b) => a - b);
  return codes.map((code) => [String(code), own.get(code) ?? EXIT_CODES.find(([c]) => c === code)![1]]);
}

export function commandHelp(spec: CommandSpec): string {
  const usage = `Usage: mailwright ${spec.name}${spec.argument ? ` ${spec.argument.name}` : ''} [options]`;
  return [
    usage,
    '',
    `${spec.summary}.`,
    ...(spec.details ? [spec.details] : []),
    ...(spec.argument ? ['', 'Argument:', ...columns([[spec.argument.name, spec.argument.help]])] : []),
    '',
    'Options:',
    ...columns([...spec.flags, ...GLOBAL_FLAGS].map(flagRow)),
    '',
    spec.examples.length > 1 ? 'Examples:' : 'Example:',
    ...spec.examples.map((e) => `  ${e}`),
    '',
    'Exit codes:',
    ...columns(exitRows(spec)),
    '',
  ].join('\n');
}

function groupHelp(group: string): string {
  const specs = COMMANDS.filter((c) => groupOf(c) === group);
  return [
    `Usage: mailwright ${group} <${specs.map((c) => c.name.split(' ')[1]).join('|')}> [options]`,
    '',
    `${GROUP_SUMMARY[group] ?? ''}.`,
    '',
    'Commands:',
    ...columns(specs.map((c) => [c.name, c.summary])),
    '',
    `mailwright ${group} <command> --help shows a command's options, an example and its exit codes.`,
    '',
  ].join('\n');
}

export function mainHelp(): string {
  const rows: [string, string][] = [];
  for (const c of COMMANDS) {
    const group = groupOf(c);
    if (!group) rows.push([c.name, c.summary]);
    else if (!rows.some(([name]) => name === group)) rows.push([group, GROUP_SUMMARY[group] ?? '']);
  }
  return [
    'Usage: mailwright <command> [options]',
    '',
    'Provision and check a chasquid mail server over SSH, from mailwright.yaml.',
    '',
    'Commands:',
    ...columns(rows),
    '',
    'mailwright <command> --help (or mailwright help <command>) shows its options, an example and',
    'its exit codes. --debug shows the stack trace of an error (or MAILWRIGHT_DEBUG=1).',
    '',
    SECRETS_NOTE,
    '',
    'Exit codes:',
    ...columns(EXIT_CODES.map(([c, m]) => [String(c), m])),
    '',
  ].join('\n');
}
