// The whole /etc/dovecot/dovecot.conf for a server with mailboxes, one generator per Dovecot
// major version (2.4 renamed most settings and refuses a file without its version settings).
// Debian's conf.d files are no longer included: this file is the complete configuration.
// Both were checked with `doveconf -n` on Debian 12 (2.3.19) and Debian 13 (2.4.1).

import { IMAPS_PORT } from '../ports';
import { shellCommand } from '../remote/quote';

/** Dovecot's packages as the facts tell them: all three installed make it usable. */
export const DOVECOT_PACKAGES = ['dovecot-core', 'dovecot-imapd', 'dovecot-lmtpd'] as const;

export const DOVECOT_CONF_PATH = '/etc/dovecot/dovecot.conf';
/**
 * A running Dovecot reads its configuration and the certificate files again. Also after a change
 * of the users file: Dovecot notices one only by its size and mtime in whole seconds, so a
 * same-size change within the second of its last look would go unseen.
 */
export const DOVECOT_RELOAD = shellCommand(['systemctl', 'try-reload-or-restart', 'dovecot']);
/** passdb and userdb of every mailbox user (names and SHA512-CRYPT hashes), root:dovecot 0640. */
export const MAILBOX_USERS_PATH = '/etc/dovecot/mailwright-users';
export const MAILBOX_USERS_OWNER = 'root:dovecot';
export const MAILBOX_USERS_MODE = '0640';
/** The system user owning every mailbox, and where they live: <dir>/<domain>/<user>/Maildir. */
export const MAIL_STORE_USER = 'vmail';
export const MAIL_STORE_DIR = '/var/mail/vhosts';
/** Where chasquid hands mail over (mda-lmtp) and asks about users and passwords. */
export const LMTP_SOCKET = '/run/dovecot/lmtp';
export const AUTH_USERDB_SOCKET = '/run/dovecot/auth-chasquid-userdb';
export const AUTH_CLIENT_SOCKET = '/run/dovecot/auth-chasquid-client';
/** The user chasquid runs as (Debian's and Ubuntu's packages). */
const CHASQUID_USER = 'chasquid';
export { IMAPS_PORT };

export type DovecotMajor = '2.3' | '2.4';

/** "1:2.4.1+dfsg1-6" (dpkg) or "2.3.19.1" -> its major; undefined for one Mailwright cannot configure. */
export function dovecotMajor(version: string): DovecotMajor | undefined {
  const m = /^(?:\d+:)?(\d+)\.(\d+)/.exec(version);
  if (!m) return undefined;
  const major = `${m[1]}.${m[2]}`;
  return major === '2.3' || major === '2.4' ? major : undefined;
}

export interface DovecotConfInput {
  /** The certificate chasquid serves for the mail host. */
  certFile: string;
  keyFile: string;
}

const HEADER = `# Written by Mailwright: IMAP on ${IMAPS_PORT} (TLS only) and LMTP delivery for chasquid.
# Edit mailwright.yaml rather than this file; a hand edit shows up as drift in the next plan.
`;

/** Settings with the same text in both majors. */
const SHARED = `protocols = imap lmtp
listen = *, ::
ssl = required
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain
mail_uid = ${MAIL_STORE_USER}
mail_gid = ${MAIL_STORE_USER}
`;

const NAMESPACE = `namespace inbox {
  inbox = yes
  separator = /
${['Drafts', 'Sent', 'Trash', 'Junk']
  .map((box) => `  mailbox ${box} {\n    special_use = \\${box}\n    auto = subscribe\n  }\n`)
  .join('')}}
`;

const SERVICES = `service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = ${IMAPS_PORT}
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
    user = ${CHASQUID_USER}
  }
}
service auth {
  unix_listener auth-chasquid-userdb {
    mode = 0660
    user = ${CHASQUID_USER}
  }
  unix_listener auth-chasquid-client {
    mode = 0660
    user = ${CHASQUID_USER}
  }
}
`;

function assertPlainPath(path: string): void {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(path)) throw new RangeError(`not a plain absolute path: ${path}`);
}

function conf23(input: DovecotConfInput): string {
  return `${HEADER}${SHARED}ssl_cert = <${input.certFile}
ssl_key = <${input.keyFile}
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = yes
auth_username_format = %Lu
mail_home = ${MAIL_STORE_DIR}/%d/%n
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT ${MAILBOX_USERS_PATH}
}
userdb {
  driver = passwd-file
  args = ${MAILBOX_USERS_PATH}
}
${NAMESPACE}${SERVICES}`;
}

function conf24(input: DovecotConfInput): string {
  return `${HEADER}dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
${SHARED}ssl_server_cert_file = ${input.certFile}
ssl_server_key_file = ${input.keyFile}
auth_allow_cleartext = no
auth_username_format = %{user | lower}
mail_home = ${MAIL_STORE_DIR}/%{user | domain}/%{user | username}
mail_driver = maildir
mail_path = ~/Maildir
passdb passwd-file {
  passwd_file_path = ${MAILBOX_USERS_PATH}
  default_password_scheme = SHA512-CRYPT
}
userdb passwd-file {
  passwd_file_path = ${MAILBOX_USERS_PATH}
}
${NAMESPACE}${SERVICES}`;
}

export function dovecotConf(major: DovecotMajor, input: DovecotConfInput): string {
  assertPlainPath(input.certFile);
  assertPlainPath(input.keyFile);
  return major === '2.3' ? conf23(input) : conf24(input);
}
