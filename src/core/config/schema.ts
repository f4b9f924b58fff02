// Every key of mailwright.yaml in one table: type, allowed values, default, description and an
// example. The JSON schema the editor checks the file with while typing (schemas/) and the
// reference page (docs/mailwright-yaml.md) are generated from it by scripts/config-reference.ts.
// Allowed values, limits and defaults come from the validator's own constants; a unit test feeds
// every key, value and limit to the validator and fails when the two disagree.
//
// A new key is one entry in the mapping it belongs to, e.g. in HOST:
//   chasquid: text('What it does.', 'an example'),
// then `npm run config-reference` to regenerate the schema and the page.
import { stringify } from 'yaml';
import { WINDOWS_OPENSSH_AGENT_PIPE } from '../local-path';
import { DOMAIN_EXAMPLE, IP_NETWORK_EXAMPLE, LOCAL_PART_EXAMPLE } from '../names';
import { SSH_TARGET_EXAMPLE, SSH_TARGET_FORMAT } from './ssh-target';
import {
  ACME_CA_DIRECTORIES,
  ACME_CHALLENGES,
  ACME_RENEW_ON,
  AUTH_METHODS,
  CHASQUID_SOURCES,
  CONFIG_SCHEMA_VERSION,
  DKIM_ALGORITHMS,
  DMARC_ALIGNMENTS,
  DMARC_POLICIES,
  DNS_PROVIDERS,
  SENDING_LIMIT_KEYS,
  SENDING_LIMIT_OFF,
  MONITOR_WEBHOOK_FORMATS,
  SPF_FORMS,
  TSIG_ALGORITHMS,
  type SendingLimitKey,
} from './types';
import { SENDING_LIMIT_RANGE } from './validate-limits';
import { GIT_REMOTE_PATTERN } from './validate';
import { DEFAULT_RENEW_BEFORE_DAYS, RENEW_BEFORE_DAYS_LIMITS } from './validate-acme';
import {
  DEFAULT_BAN_TIME,
  DEFAULT_FIND_TIME,
  DEFAULT_MAX_RETRY,
  DURATION_PATTERN,
  MAX_RETRY_LIMITS,
} from './validate-brute-force';
import { DEFAULT_DNS_TTL, DEFAULT_TSIG_ALGORITHM, DNS_TTL_LIMITS } from './validate-dns-provider';
import { DEFAULT_DKIM, DEFAULT_SPF_FORM, DMARC_PCT_LIMITS } from './validate-dns-policy';
import { DEFAULT_REPORT_RETENTION_DAYS, REPORT_RETENTION_LIMITS } from './validate-domain';
import { HOST_NAME_PATTERN } from './validate-host';
import { DEFAULT_MONITOR_EVERY, MONITOR_EVERY_LIMITS, MONITOR_EVERY_PATTERN } from './validate-monitor';
import { AGE_RECIPIENT_PATTERN } from '../backup/age-keys';
import {
  BACKUP_DIR_PATTERN,
  BACKUP_EVERY_LIMITS,
  BACKUP_KEEP_LIMITS,
  DEFAULT_BACKUP_DIR,
  DEFAULT_BACKUP_EVERY,
  DEFAULT_BACKUP_KEEP,
  RECIPIENT_EXAMPLE,
} from './validate-backups';

export type JsonSchema = Record<string, unknown>;

/** One key of a mapping. */
export interface KeySpec {
  description: string;
  /** The value's JSON schema, without description, default and examples (added from here). */
  schema: JsonSchema;
  /** Type in words, for the reference page. */
  type: string;
  required?: boolean;
  /** The value used when the key is left out (offered by completion). */
  default?: unknown;
  /** A default that depends on other keys, in words. */
  defaultText?: string;
  /** Leaves only; mappings and lists of mappings are shown with their keys' examples. */
  example?: unknown;
  /** A mapping (or a list of mappings) with fixed keys. */
  keys?: MappingSpec;
  list?: boolean;
}

export interface MappingSpec {
  keys: Record<string, KeySpec>;
  /** Further JSON-schema rules between keys (e.g. rfc2136 needs server and keyName). */
  rules?: JsonSchema;
}

type Extra = Partial<Pick<KeySpec, 'required' | 'default' | 'defaultText'>>;

function text(description: string, example: string, extra: Extra & { pattern?: RegExp } = {}): KeySpec {
  const { pattern, ...rest } = extra;
  return {
    description,
    type: 'text',
    schema: { type: 'string', ...(pattern && { pattern: pattern.source }) },
    example,
    ...rest,
  };
}

function choice(values: readonly string[], description: string, extra: Extra = {}): KeySpec {
  return {
    description,
    type: 'one of',
    schema: { type: 'string', enum: [...values] },
    example: extra.default ?? values[0],
    ...extra,
  };
}

function integer(
  limits: { min: number; max: number },
  description: string,
  example: number,
  extra: Extra = {},
) {
  return {
    description,
    type: `whole number, ${limits.min}-${limits.max}`,
    schema: { type: 'integer', minimum: limits.min, maximum: limits.max },
    example,
    ...extra,
  } satisfies KeySpec;
}

function flag(description: string, defaultValue: boolean): KeySpec {
  return {
    description,
    type: 'true or false',
    schema: { type: 'boolean' },
    default: defaultValue,
    example: !defaultValue,
  };
}

/** A list of texts; with `single`, one text (or several separated by commas) is accepted too. */
function texts(description: string, example: string[], extra: Extra & { single?: boolean } = {}): KeySpec {
  const { single, ...rest } = extra;
  const list = { type: 'array', items: { type: 'string' } };
  return {
    description,
    type: single ? 'text or list of texts' : 'list of texts',
    schema: single ? { anyOf: [{ type: 'string' }, list] } : list,
    example,
    ...rest,
  };
}

function mapping(description: string, spec: MappingSpec, extra: Extra = {}): KeySpec {
  return { description, type: 'mapping', schema: {}, keys: spec, ...extra };
}

function listOf(description: string, spec: MappingSpec): KeySpec {
  return { description, type: 'list of mappings', schema: {}, keys: spec, list: true };
}

const ACME: MappingSpec = {
  keys: {
    ca: {
      description:
        "The certificate authority: `letsencrypt` (trusted everywhere), `letsencrypt-staging` (Let's Encrypt's test CA: for trying, its certificates are not trusted), or the https URL of any ACME directory.",
      type: 'CA name or https URL',
      schema: {
        anyOf: [
          { type: 'string', enum: Object.keys(ACME_CA_DIRECTORIES) },
          { type: 'string', pattern: '^https://' },
        ],
      },
      default: 'letsencrypt',
      example: 'letsencrypt',
    },
    email: text("Contact address for the CA's expiry notices.", 'you@example.com'),
    challenge: choice(
      ACME_CHALLENGES,
      "How the CA checks that you own the mail host name. `http-01`: the CA fetches a file from the server on port 80 (Mailwright answers it over SSH; port 80 must be open). `dns-01`: a TXT record at `_acme-challenge.<mail host>`, written through the `dns:` provider of the mail host's domain (works with port 80 closed; wildcard names possible).",
      { defaultText: "`dns-01` when the mail host's domain has a `dns:` provider, else `http-01`" },
    ),
    renewBeforeDays: integer(
      RENEW_BEFORE_DAYS_LIMITS,
      'Renew when the certificate has fewer days left than this.',
      DEFAULT_RENEW_BEFORE_DAYS,
      { default: DEFAULT_RENEW_BEFORE_DAYS },
    ),
    caCertificate: text(
      "Path of a PEM file with a private CA's root certificate (a test CA such as pebble); `~` expands to your home folder.",
      './pebble-root.pem',
    ),
    renewOn: choice(
      ACME_RENEW_ON,
      "Where the certificate is renewed. `client`: by provisioning again or `mailwright renew` from your machine (the editor offers it when due). `server`: a systemd timer on the server renews it unattended with the distribution's Node.js (18 or newer); with `dns-01` the domain's DNS credential is then stored on the server (root-only), only after you consent.",
      { defaultText: '`client`' },
    ),
  },
};

const BRUTE_FORCE: MappingSpec = {
  keys: {
    enabled: flag(
      "Block addresses that keep failing SMTP AUTH. `false` removes Mailwright's fail2ban jail from the server (fail2ban itself stays installed).",
      true,
    ),
    maxRetry: integer(
      MAX_RETRY_LIMITS,
      'Failed logins from one address, within `findTime`, that block it.',
      DEFAULT_MAX_RETRY,
      { default: DEFAULT_MAX_RETRY },
    ),
    findTime: text(
      'How far back failed logins are counted: a whole number and a unit (`s`, `m`, `h`, `d`, `w`), from 1m to 1d.',
      DEFAULT_FIND_TIME,
      { default: DEFAULT_FIND_TIME, pattern: DURATION_PATTERN },
    ),
    banTime: text(
      'How long a blocked address stays blocked: a whole number and a unit (`s`, `m`, `h`, `d`, `w`), from 1m to 52w.',
      DEFAULT_BAN_TIME,
      { default: DEFAULT_BAN_TIME, pattern: DURATION_PATTERN },
    ),
    ignore: texts(
      'Addresses or networks never blocked, one or a list. Loopback and the address your SSH login comes from at each provisioning are never blocked anyway.',
      [IP_NETWORK_EXAMPLE],
      { single: true, default: [] },
    ),
  },
};

const MONITOR: MappingSpec = {
  keys: {
    every: text(
      `How often the server checks itself: minutes (\`15m\`) or hours (\`1h\`), from ${MONITOR_EVERY_LIMITS.minMinutes}m to ${MONITOR_EVERY_LIMITS.maxMinutes / 60}h.`,
      '30m',
      { default: DEFAULT_MONITOR_EVERY, pattern: MONITOR_EVERY_PATTERN },
    ),
    webhook: choice(
      MONITOR_WEBHOOK_FORMATS,
      "Post each alert to a webhook, as this kind of endpoint takes it: `generic` (Mailwright's JSON), `ntfy` (an ntfy topic URL) or `slack` (a Slack-compatible incoming webhook: Slack, Mattermost, Rocket.Chat). The URL often holds a token, so it is not written here: the editor asks for it (secret storage), the command line reads MAILWRIGHT_MONITOR_WEBHOOK_<HOST NAME>; it is stored on the server root-only after you consent.",
    ),
    mailTo: text(
      "Mail each alert to this address, sent by the server's own chasquid (an address at one of the server's domains, or anywhere the server may deliver).",
      'you@example.com',
    ),
  },
};

const DKIM: MappingSpec = {
  keys: {
    algorithms: {
      ...texts('Key algorithms the domain signs with; several sign each message once per key.', [
        'rsa2048',
        'ed25519',
      ]),
      type: 'list, each one of',
      schema: {
        type: 'array',
        items: { type: 'string', enum: [...DKIM_ALGORITHMS] },
        minItems: 1,
        uniqueItems: true,
      },
      default: [...DEFAULT_DKIM.algorithms],
    },
    selector: text(
      '`auto` (Mailwright picks a date-based selector) or a DNS label of your choice.',
      'mail2025',
      { default: DEFAULT_DKIM.selector },
    ),
  },
};

const DMARC: MappingSpec = {
  keys: {
    p: choice(DMARC_POLICIES, 'What receivers do with mail that fails DMARC.', { required: true }),
    rua: texts('Where aggregate reports go: `mailto:` URIs, one or a list.', ['mailto:dmarc@example.com'], {
      single: true,
      default: [],
    }),
    ruf: texts('Where failure reports go: `mailto:` URIs, one or a list.', ['mailto:dmarc@example.com'], {
      single: true,
      default: [],
    }),
    fo: {
      description: 'When failure reports are sent: `0`, `1`, `d` or `s`, several joined by `:`.',
      type: 'text',
      schema: {
        anyOf: [
          { type: 'string', pattern: '^[01ds](:[01ds])*$' },
          { type: 'integer', enum: [0, 1] },
        ],
      },
      example: '1',
    },
    adkim: choice(
      DMARC_ALIGNMENTS,
      'DKIM alignment: `r` relaxed (same organizational domain), `s` strict (same name).',
      {
        defaultText: '`r` (the DMARC default)',
      },
    ),
    aspf: choice(DMARC_ALIGNMENTS, 'SPF alignment: `r` relaxed, `s` strict.', {
      defaultText: '`r` (the DMARC default)',
    }),
    pct: integer(DMARC_PCT_LIMITS, 'Percentage of failing mail the policy applies to.', 100, {
      defaultText: '100 (the DMARC default)',
    }),
  },
};

const SPF: MappingSpec = {
  keys: {
    include: texts('Other senders of the domain (e.g. Gmail), as `include:` domains.', ['_spf.google.com'], {
      single: true,
      default: [],
    }),
    form: choice(
      SPF_FORMS,
      "`split`: the domain's record includes `_spf.<domain>`, which lists the server's addresses; `simple`: one record naming the mail host.",
      { default: DEFAULT_SPF_FORM },
    ),
  },
};

const DNS: MappingSpec = {
  keys: {
    provider: choice(
      DNS_PROVIDERS,
      "Who writes the domain's records: `rfc2136` (dynamic updates signed with TSIG, e.g. BIND or Knot), `cloudflare`, `alidns` (Alibaba Cloud DNS), or `manual` (you publish them; Mailwright checks). The credential is never written here: the editor keeps it in secret storage, the command line reads MAILWRIGHT_DNS_SECRET_<DOMAIN>.",
      { required: true },
    ),
    server: text('rfc2136 only: the primary server as `host:port` (IPv6 in brackets).', 'ns1.example.com:53'),
    keyName: text('rfc2136 only: the name of the TSIG key.', 'mailwright'),
    algorithm: choice(TSIG_ALGORITHMS, 'rfc2136 only: the TSIG algorithm.', {
      default: DEFAULT_TSIG_ALGORITHM,
    }),
    zone: text(
      "The zone holding the domain's records: the domain itself or a parent of it.",
      DOMAIN_EXAMPLE,
      {
        defaultText: 'the domain',
      },
    ),
    ttl: integer(DNS_TTL_LIMITS, 'TTL in seconds of the records Mailwright writes.', DEFAULT_DNS_TTL, {
      default: DEFAULT_DNS_TTL,
    }),
  },
  rules: {
    if: { properties: { provider: { const: 'rfc2136' } }, required: ['provider'] },
    then: { required: ['server', 'keyName'] },
  },
};

const ALIASES: KeySpec = {
  description:
    "Alias name (a local part, or `'*'` for the catch-all: any name nobody else has) → where its mail goes: a user of this domain or a full address; one, several separated by commas, or a list.",
  type: 'mapping of names to texts or lists of texts',
  schema: {
    type: 'object',
    additionalProperties: {
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
    },
  },
  default: {},
  example: { postmaster: LOCAL_PART_EXAMPLE, '*': 'you@gmail.com' },
};

const LIMIT_WORDS: Record<SendingLimitKey, string> = {
  messagesPerHour: 'Messages a user may send in any 60 minutes',
  messagesPerDay: 'Messages a user may send in any 24 hours',
  recipientsPerHour: 'Recipients (summed over messages) a user may send to in any 60 minutes',
  recipientsPerDay: 'Recipients (summed over messages) a user may send to in any 24 hours',
};
const LIMIT_EXAMPLES: Record<SendingLimitKey, number> = {
  messagesPerHour: 100,
  messagesPerDay: 500,
  recipientsPerHour: 200,
  recipientsPerDay: 1000,
};

function limit(key: SendingLimitKey, defaultText: string): KeySpec {
  return {
    description: `${LIMIT_WORDS[key]}; the next one is refused with a temporary error until the count falls. \`${SENDING_LIMIT_OFF}\`: no limit.`,
    type: `whole number ${SENDING_LIMIT_RANGE.min}-${SENDING_LIMIT_RANGE.max}, or the word`,
    schema: {
      anyOf: [
        { type: 'integer', minimum: SENDING_LIMIT_RANGE.min, maximum: SENDING_LIMIT_RANGE.max },
        { type: 'string', enum: [SENDING_LIMIT_OFF] },
      ],
    },
    defaultText,
    example: LIMIT_EXAMPLES[key],
  };
}

function limitKeys(defaultText: string): Record<SendingLimitKey, KeySpec> {
  return Object.fromEntries(SENDING_LIMIT_KEYS.map((key) => [key, limit(key, defaultText)])) as Record<
    SendingLimitKey,
    KeySpec
  >;
}

const LIMITS: MappingSpec = { keys: limitKeys('no limit') };
const LIMIT_KEYS = limitKeys("the host's");

const LIMITS_SCHEMA: JsonSchema = {
  type: 'object',
  properties: Object.fromEntries(SENDING_LIMIT_KEYS.map((key) => [key, LIMIT_KEYS[key].schema])),
  additionalProperties: false,
};

const DOMAIN_LIMITS: MappingSpec = {
  keys: {
    ...LIMIT_KEYS,
    users: {
      description:
        "One user's own limits (a user of this domain → the same keys), each key overriding the domain's and the host's.",
      type: 'mapping of user names to limits',
      schema: { type: 'object', additionalProperties: LIMITS_SCHEMA },
      default: {},
      example: { [LOCAL_PART_EXAMPLE]: { messagesPerHour: 500, recipientsPerDay: SENDING_LIMIT_OFF } },
    },
  },
};

const REPORTS: MappingSpec = {
  keys: {
    keep: flag(
      "Keep the DMARC aggregate and TLS reports mailed to the domain's report addresses in a store on the server (root-only), read with `mailwright reports` and the Reports panel. Mail to those addresses is still forwarded where its alias says.",
      false,
    ),
    retentionDays: integer(
      REPORT_RETENTION_LIMITS,
      'Kept reports older than this many days are deleted.',
      DEFAULT_REPORT_RETENTION_DAYS,
      { default: DEFAULT_REPORT_RETENTION_DAYS },
    ),
  },
};

const DOMAIN: MappingSpec = {
  keys: {
    name: text('The mail domain: the part after `@` in its addresses.', DOMAIN_EXAMPLE, { required: true }),
    users: texts(
      'Users of the domain (local parts only; passwords never go in this file).',
      [LOCAL_PART_EXAMPLE],
      {
        default: [],
      },
    ),
    aliases: ALIASES,
    mailboxes: flag(
      'Keep mail for the users on the server (Dovecot, read over IMAP on 993). `false`: a forward-only domain, where every address must end at an outside mailbox through an alias.',
      false,
    ),
    dkim: mapping('How outgoing mail is signed.', DKIM),
    dmarc: mapping('The DMARC record to publish; none when left out.', DMARC),
    spf: mapping('The SPF record to publish.', SPF),
    dns: mapping(
      "How Mailwright publishes the domain's records; without it, Mailwright shows them for you to publish.",
      DNS,
    ),
    limits: mapping(
      "Sending limits of the domain's users, overriding the host's key by key (see the host's `limits`).",
      DOMAIN_LIMITS,
    ),
    reports: mapping('The reports receivers send about the domain, kept on the server.', REPORTS),
  },
};

const BACKUP_SCHEDULE: MappingSpec = {
  keys: {
    every: text(
      `How often the server writes an archive: a whole number and a unit (\`h\`, \`d\`, \`w\`…), from ${BACKUP_EVERY_LIMITS.text}.`,
      '12h',
      { default: DEFAULT_BACKUP_EVERY, pattern: DURATION_PATTERN },
    ),
    keep: integer(
      BACKUP_KEEP_LIMITS,
      'How many archives stay in `dir`; after each new one, the oldest beyond this number are deleted.',
      14,
      { default: DEFAULT_BACKUP_KEEP },
    ),
    dir: text(
      'The folder on the server the archives are written to (made root-only when missing). Copy them off the server from there.',
      '/srv/backups/mail',
      { default: DEFAULT_BACKUP_DIR, pattern: BACKUP_DIR_PATTERN },
    ),
    recipient: text(
      'The age public key (`age1…`) the archives are encrypted for. Its identity (the secret key) stays with you and never goes to the server: make the pair with `mailwright backup keygen`, open an archive with `mailwright restore FILE --identity KEYFILE`.',
      RECIPIENT_EXAMPLE,
      { required: true, pattern: AGE_RECIPIENT_PATTERN },
    ),
    withMail: flag("Include the mailboxes' mail in each archive.", false),
  },
};

const BACKUPS: MappingSpec = {
  keys: {
    schedule: mapping(
      'The server backs itself up from a systemd timer: the same encrypted archive as `mailwright backup`, written to a folder on the server, the newest `keep` kept. Needs Node.js 18 or newer on the server (installed from the distribution).',
      BACKUP_SCHEDULE,
    ),
  },
};

const HOST: MappingSpec = {
  keys: {
    name: text('A short label for the server, unique in this file (lowercase letters, digits, `-`).', 'vps', {
      required: true,
      pattern: HOST_NAME_PATTERN,
    }),
    ssh: text(
      `Where to log in over SSH: \`${SSH_TARGET_FORMAT}\` (IPv6 in brackets), or a \`Host\` of your SSH configuration (\`~/.ssh/config\`), e.g. \`myvps\`, whose HostName, User, Port and IdentityFile are used where this file gives none.`,
      SSH_TARGET_EXAMPLE,
      {
        required: true,
      },
    ),
    identityFile: text(
      'Private key for the SSH login (not the .pub file); `~` expands to your home folder. Tried before the IdentityFile keys of your SSH configuration.',
      '~/.ssh/id_ed25519',
    ),
    auth: choice(
      AUTH_METHODS,
      'How to log in: a key file, the SSH agent, or a password kept in secret storage.',
      {
        defaultText:
          '`key` when identityFile (or IdentityFile in your SSH configuration) is set, else `agent`',
      },
    ),
    jump: texts(
      `Jump hosts (bastions) to reach the server through, first hop first: \`${SSH_TARGET_FORMAT}\` or a \`Host\` of your SSH configuration each, one or a list. Wins over ProxyJump in your SSH configuration. Each is logged in to with the same method, key and agent as the server (completed by its own Host entry), and its host key is checked like the server's.`,
      ['admin@bastion.example.com:22'],
      { single: true },
    ),
    identityAgent: text(
      "The SSH agent to ask for keys, as OpenSSH's IdentityAgent: a socket or Windows pipe path, `SSH_AUTH_SOCK`, `$VARIABLE`, `pageant` (Windows) or `none`. Wins over IdentityAgent in your SSH configuration.",
      '~/.1password/agent.sock',
      {
        defaultText: `the socket in \`SSH_AUTH_SOCK\`; on Windows without it, the OpenSSH agent pipe \`${WINDOWS_OPENSSH_AGENT_PIPE}\`, else Pageant`,
      },
    ),
    mailHost: text(
      "The name the server announces: chasquid's host name, the MX target and the reverse DNS (PTR) of its addresses.",
      'smtp.example.com',
      { required: true },
    ),
    chasquid: choice(
      CHASQUID_SOURCES,
      "Where the server's chasquid comes from. `auto`: the distribution's when it signs DKIM itself (1.14 or newer), otherwise Debian 13's sha256-pinned package. `distribution`: always the distribution's (1.10 to 1.13 sign DKIM through a hook; older is refused). `debian`: always the pinned Debian 13 package (amd64 and arm64).",
      { defaultText: '`auto`' },
    ),
    domains: listOf('The mail domains this server serves.', DOMAIN),
    acme: mapping(
      "Where the mail host's TLS certificate comes from. Without it, Mailwright uses Let's Encrypt too (challenge chosen as below); the first provisioning installs a self-signed certificate until the trusted one is issued.",
      ACME,
    ),
    limits: mapping(
      "How much each user (each authenticated login) may send, counted on the server over the last hour and the last 24 hours; mail received from other servers is never counted. Set here for every domain of the host; a domain's `limits` and its `limits.users` override it. Left out everywhere: no limits.",
      LIMITS,
    ),
    bruteForce: mapping(
      'Brute-force protection of SMTP AUTH: fail2ban on the server blocks (on ports 25, 465 and 587) an address after repeated failed logins. On by default; SSH is never blocked by it.',
      BRUTE_FORCE,
    ),
    monitor: mapping(
      'The server checks itself from a systemd timer (certificate, DNS records, blocklists, services, free space) and alerts once when a check starts failing and once when it passes again. Needs Node.js 18 or newer on the server (installed from the distribution).',
      MONITOR,
    ),
    backups: mapping("Backups of the server's keys, users and certificates.", BACKUPS),
  },
};

const GIT: MappingSpec = {
  keys: {
    history: {
      description:
        "Keep the history of each server's configuration (its /etc/chasquid, secrets left out) in the workspace's git repository, under `conf/<host>/`, one commit per change. Left out: the command line keeps it, and the editor asks once per workspace.",
      type: 'true or false',
      schema: { type: 'boolean' },
      example: true,
    },
    remote: text(
      "Push the history of the servers' configuration to this remote of the workspace repository.",
      'origin',
      {
        pattern: GIT_REMOTE_PATTERN,
      },
    ),
  },
};

/** The whole file. */
export const CONFIG_SCHEMA: MappingSpec = {
  keys: {
    version: {
      description: "The version of this file's format.",
      type: `the number ${CONFIG_SCHEMA_VERSION}`,
      schema: { const: CONFIG_SCHEMA_VERSION },
      required: true,
      example: CONFIG_SCHEMA_VERSION,
    },
    hosts: listOf('The mail servers.', HOST),
    git: mapping('Whether the configuration history is kept in git, and where it is pushed.', GIT),
  },
};

/** Every mapping with fixed keys, by its path (`hosts[].domains[].dns`), the file itself at ''. */
export function mappings(spec: MappingSpec = CONFIG_SCHEMA, path = ''): Array<[string, MappingSpec]> {
  const found: Array<[string, MappingSpec]> = [[path, spec]];
  for (const [key, field] of Object.entries(spec.keys)) {
    if (field.keys)
      found.push(...mappings(field.keys, `${path === '' ? '' : `${path}.`}${key}${field.list ? '[]' : ''}`));
  }
  return found;
}

/** A file with every key set to its example. */
export function exampleOf(spec: MappingSpec = CONFIG_SCHEMA): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(spec.keys).map(([key, field]) => {
      if (!field.keys) return [key, field.example];
      const value = exampleOf(field.keys);
      return [key, field.list ? [value] : value];
    }),
  );
}

function keySchema(field: KeySpec): JsonSchema {
  const value = field.keys ? mappingSchema(field.keys) : field.schema;
  const described: JsonSchema = {
    ...(field.list ? { type: 'array', items: value } : value),
    description: plain(field.description),
    markdownDescription: field.description + (field.defaultText ? `\n\nDefault: ${field.defaultText}.` : ''),
  };
  if (field.default !== undefined) described.default = field.default;
  if (field.example !== undefined) described.examples = [field.example];
  return described;
}

function mappingSchema(spec: MappingSpec): JsonSchema {
  const required = Object.entries(spec.keys)
    .filter(([, field]) => field.required)
    .map(([key]) => key);
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(spec.keys).map(([key, field]) => [key, keySchema(field)])),
    ...(required.length > 0 && { required }),
    additionalProperties: false,
    ...spec.rules,
  };
}

function plain(markdown: string): string {
  return markdown.replace(/`/g, '');
}

/** The JSON schema (draft-07) the YAML language server checks mailwright.yaml with. */
export function configJsonSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'mailwright.yaml',
    description: 'Mailwright desired state: mail servers, domains, users, aliases, DNS and certificates.',
    ...mappingSchema(CONFIG_SCHEMA),
  };
}

/** The reference page: an example file, then one table row per key. */
export function configReferenceMarkdown(): string {
  return [
    '# mailwright.yaml reference',
    '',
    '<!-- Generated from src/core/config/schema.ts by `npm run config-reference`; edit that file, not this one. -->',
    '',
    '`mailwright.yaml`, at the root of the workspace, is the desired state of your mail servers. Mailwright checks it',
    'when it is read (errors in the Problems panel, with the line, what is wrong and an example of a right value), and',
    'with the YAML extension (redhat.vscode-yaml) installed, VS Code completes and checks it while you type.',
    'Passwords, passphrases and DNS credentials never go in it.',
    '',
    'Every key, with its example value:',
    '',
    '```yaml',
    stringify(exampleOf(), { lineWidth: 0 }).trimEnd(),
    '```',
    '',
    '| Key | Type | Default | What it does | Example |',
    '| --- | --- | --- | --- | --- |',
    ...referenceRows(CONFIG_SCHEMA, ''),
    '',
  ].join('\n');
}

/** Each key, followed by the keys of its mapping. */
function referenceRows(spec: MappingSpec, path: string): string[] {
  return Object.entries(spec.keys).flatMap(([key, field]) => {
    const at = `${path}${key}`;
    const allowed = allowedValues(field);
    const defaultValue =
      field.required === true
        ? 'required'
        : (field.defaultText ?? (field.default !== undefined ? `\`${inline(field.default)}\`` : '—'));
    const example = field.keys ? '' : `\`${key}: ${inline(field.example)}\``;
    const type = allowed ? `${field.type}: ${allowed}` : field.type;
    const row = `| \`${at}\` | ${type} | ${defaultValue} | ${cell(field.description)} | ${example} |`;
    return field.keys ? [row, ...referenceRows(field.keys, `${at}${field.list ? '[]' : ''}.`)] : [row];
  });
}

function allowedValues(field: KeySpec): string | undefined {
  const schema = field.schema as {
    enum?: unknown[];
    items?: { enum?: unknown[] };
    anyOf?: Array<{ enum?: unknown[]; type?: string }>;
  };
  const values =
    schema.enum ?? schema.items?.enum ?? schema.anyOf?.find((s) => s.enum && s.type === 'string')?.enum;
  return values?.map((v) => `\`${String(v)}\``).join(', ');
}

function inline(value: unknown): string {
  return stringify(value, { flow: true, lineWidth: 0 }).trim();
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The generated files, by their path in the repository. */
export const CONFIG_REFERENCE_FILES = ['schemas/mailwright.schema.json', 'docs/mailwright-yaml.md'] as const;

export function configReferenceFiles(): Record<(typeof CONFIG_REFERENCE_FILES)[number], string> {
  return {
    'schemas/mailwright.schema.json': `${JSON.stringify(configJsonSchema(), null, 2)}\n`,
    'docs/mailwright-yaml.md': configReferenceMarkdown(),
  };
}
