// Where the unattended renewal lives on a server. The program and its settings are public (no
// secret in them); the ACME account key and a DNS credential are root-only, in a folder of
// their own outside /etc/chasquid (whose copy goes into the workspace's git).
export const RENEW_UNIT = 'mailwright-renew';
export const RENEW_SERVICE_PATH = `/etc/systemd/system/${RENEW_UNIT}.service`;
export const RENEW_TIMER_PATH = `/etc/systemd/system/${RENEW_UNIT}.timer`;
/** The renewal program: one file, run by the distribution's Node.js. */
export const RENEW_PROGRAM_PATH = '/usr/local/lib/mailwright/renew.js';
/** The host's desired state as the program needs it (mailwright.yaml without SSH details). */
export const RENEW_SETTINGS_PATH = '/etc/mailwright/renew.json';
/** A private CA's root (acme.caCertificate), when the host names one. */
export const RENEW_CA_PATH = '/etc/mailwright/acme-ca.pem';
/** root:root 0700: the account key (made on the server) and the DNS credential (dns-01). */
export const RENEW_SECRET_DIR = '/var/lib/mailwright/renew';
export const RENEW_ACCOUNT_PATH = `${RENEW_SECRET_DIR}/account.json`;
export const RENEW_DNS_CREDENTIAL_PATH = `${RENEW_SECRET_DIR}/dns-credential.json`;

/** The files whose content Mailwright decides (hashed by the facts; all world-readable). */
export const RENEW_PUBLIC_FILES = [
  RENEW_SERVICE_PATH,
  RENEW_TIMER_PATH,
  RENEW_PROGRAM_PATH,
  RENEW_SETTINGS_PATH,
  RENEW_CA_PATH,
] as const;
