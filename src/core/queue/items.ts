// The queue as Mailwright models it, and pure questions about it (for the tree, the command line
// and checks on the server alike). No imports: the editor's tree loads this at activation.

export type RecipientStatus = 'pending' | 'sent' | 'failed';

export interface QueueRecipient {
  /** Where chasquid delivers (after aliases): an address, or a pipe command for a pipe alias. */
  address: string;
  /** The address the message was sent to, before aliases (1.11 and later write it). */
  originalAddress?: string;
  status: RecipientStatus;
  type: 'email' | 'pipe' | 'forward';
  /** chasquid's last failure for this recipient (kept after a later success). */
  lastError?: string;
  /** Delivery attempts to this recipient seen in chasquid's mail log (null: no log to count in). */
  attempts: number | null;
}

export interface QueueItem {
  id: string;
  /** Envelope sender ("<>" for a bounce). */
  from: string;
  /** Envelope recipients as given in RCPT TO. */
  to: string[];
  recipients: QueueRecipient[];
  /** When chasquid queued it (ISO 8601). */
  createdAt: string;
  /** Age in seconds, on the server's clock. */
  ageSeconds: number;
  /**
   * Size of the message as chasquid stores it (escaped: a line break is two characters): a little
   * above its size in bytes, by about one percent for usual mail. `show` gives the exact size.
   */
  storedBytes: number | null;
  /** When chasquid last wrote the item: its last delivery attempt (ISO 8601). */
  lastAttemptAt: string | null;
  /** Delivery rounds seen in chasquid's mail log (null when the log has none to count). */
  attempts: number | null;
  /**
   * When chasquid will try again, as its mail log says it decided ("completed loop, next in …");
   * null when it has not said so since it started (or it is not running).
   */
  nextTryAt: string | null;
  /** The last failure of a recipient still pending (else of any recipient). */
  lastError: string | null;
}

export interface QueueListing {
  /** The server's clock when read (ISO 8601): ages are counted from it. */
  readAt: string;
  /** systemd's state of chasquid ("active", "inactive", "failed"…). */
  chasquidState: string;
  /** False when the queue folder does not exist (chasquid never ran). */
  present: boolean;
  items: QueueItem[];
  /** Files in the queue folder that are not queue items chasquid would load (skipped). */
  unreadable: string[];
}

/** The age in seconds of the oldest message still queued, or undefined for an empty queue. */
export function oldestAge(items: readonly Pick<QueueItem, 'ageSeconds'>[]): number | undefined {
  return items.length === 0 ? undefined : Math.max(...items.map((i) => i.ageSeconds));
}

/** The messages queued for longer than `seconds`, oldest first. */
export function olderThan<T extends Pick<QueueItem, 'ageSeconds'>>(
  items: readonly T[],
  seconds: number,
): T[] {
  return items.filter((i) => i.ageSeconds > seconds).sort((a, b) => b.ageSeconds - a.ageSeconds);
}
