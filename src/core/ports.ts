// The ports a Mailwright server serves, written once: the planner configures and checks them,
// the tree shows them, and mail programs are told them.

/** SMTP from other servers (chasquid). */
export const SMTP_PORT = 25;
/** Submission with STARTTLS (chasquid). */
export const SUBMISSION_PORT = 587;
/** Submission with TLS from the first byte (chasquid). */
export const SUBMISSION_TLS_PORT = 465;
/** IMAP with TLS from the first byte (Dovecot, when a domain has mailboxes). */
export const IMAPS_PORT = 993;

/** chasquid's listen fields in chasquid.conf and the port each must serve. */
export const CHASQUID_LISTEN_PORTS = {
  smtp_address: SMTP_PORT,
  submission_address: SUBMISSION_PORT,
  submission_over_tls_address: SUBMISSION_TLS_PORT,
} as const;

/** The ports chasquid must answer on. */
export const MAIL_PORT_NUMBERS = [SMTP_PORT, SUBMISSION_TLS_PORT, SUBMISSION_PORT] as const;
