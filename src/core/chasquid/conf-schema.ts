// The fields of chasquid.conf (message Config in upstream's internal/config/config.proto).
// 1.11 (Debian 12) and 1.15 (Debian 13) know exactly the first 16 (read from the
// descriptors embedded in both Debian binaries); 1.16 added the queue limits.

export type ConfFieldType = 'string' | 'int' | 'bool';

export interface ConfFieldSpec {
  type: ConfFieldType;
  repeated: boolean;
  /** First release that accepts the field; older ones refuse to start on it. */
  since: string;
}

const s = (since = '1.0', repeated = false): ConfFieldSpec => ({ type: 'string', repeated, since });

export const CONF_FIELDS: Readonly<Record<string, ConfFieldSpec>> = {
  hostname: s(),
  max_data_size_mb: { type: 'int', repeated: false, since: '1.0' },
  smtp_address: s('1.0', true),
  submission_address: s('1.0', true),
  submission_over_tls_address: s('1.0', true),
  monitoring_address: s(),
  mail_delivery_agent_bin: s(),
  mail_delivery_agent_args: s('1.0', true),
  data_dir: s(),
  suffix_separators: s(),
  drop_characters: s(),
  mail_log_path: s(),
  dovecot_auth: { type: 'bool', repeated: false, since: '1.0' },
  dovecot_userdb_path: s(),
  dovecot_client_path: s(),
  haproxy_incoming: { type: 'bool', repeated: false, since: '1.6' },
  max_queue_items: { type: 'int', repeated: false, since: '1.16' },
  give_up_send_after: s('1.16'),
};

export const LISTEN_ADDRESS_FIELDS = ['smtp_address', 'submission_address', 'submission_over_tls_address'];

/**
 * A host name fit for HELO/EHLO and reverse DNS: ASCII labels (use the xn-- form for IDNs),
 * at least two of them, no trailing dot. Returns the reason it is not, or undefined.
 */
export function fqdnProblem(name: string): string | undefined {
  if (name === '') return 'hostname is empty';
  if (name.endsWith('.')) return 'remove the trailing dot';
  if (name.length > 253) return 'a host name has at most 253 characters';
  if (/[^\x21-\x7e]/.test(name)) {
    return /\P{ASCII}/u.test(name)
      ? 'use the ASCII (punycode, xn--) form of an internationalized name'
      : 'a host name cannot contain spaces or control characters';
  }
  const labels = name.split('.');
  if (labels.length < 2) return 'use a fully qualified name such as mail.example.com';
  for (const label of labels) {
    if (label === '') return 'empty label (two dots in a row)';
    if (label.length > 63) return `label "${label.slice(0, 20)}…" is longer than 63 characters`;
    if (!/^[A-Za-z0-9-]+$/.test(label)) return `label "${label}" may contain only letters, digits and "-"`;
    if (label.startsWith('-') || label.endsWith('-')) return `label "${label}" cannot start or end with "-"`;
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] as string))
    return 'this looks like an IP address, not a host name';
  return undefined;
}

/** Go's time.ParseDuration syntax (e.g. "20h", "1h30m", "90s"). */
export function isGoDuration(value: string): boolean {
  return value === '0' || /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.test(value);
}
